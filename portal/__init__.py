"""The Flask web app: public pages, downloads and the APIs, thin over the domain services.

Imports nothing, so commands that need no web app (``kaifang harvest``) do not load Flask.
"""
