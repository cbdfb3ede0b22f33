"""Search: the catalog's search rows and the database's own full-text index over them.

``analysis`` cuts text into words (jieba), folds traditional characters and adds pinyin;
``entries`` writes a dataset's search row in the dataset's own transaction; ``query`` reads
CKAN's parameters; ``searching`` runs a search on either engine (``engines``: SQLite FTS5 or
PostgreSQL); ``indexing`` checks and rebuilds the rows.
"""
