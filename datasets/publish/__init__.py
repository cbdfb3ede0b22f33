"""The static build: the public site written as files a web server serves (tree.py: trees,
the atomic switch; manifest.py: what a tree holds, in SQLite; sources.py: what is public and
from which revision; removal.py: files removed in the commit that hides their dataset)."""
