"""The static build over the web app: every public page rendered by the app itself
(pages.py: which URLs, each to which file; build.py: a build, incremental, switched in at once)."""
