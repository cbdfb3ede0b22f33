"""WSGI entry point for production: ``gunicorn --preload 'portal.wsgi:app'``."""

import gc

from portal.app import create_app

app = create_app()
# The app's long-lived objects (search's dictionaries above all) leave the collector's reach:
# workers forked from a preloading master then share their pages, instead of each copying them
# as the collector walks them.
gc.freeze()
