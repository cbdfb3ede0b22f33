"""Backups of an instance (``kaifang backup``) and their restoration into an empty instance
(``kaifang restore``): the database, the files store, the key files and the configuration."""
