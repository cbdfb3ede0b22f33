"""WSGI entry point for production: ``gunicorn 'portal.wsgi:app'``."""

from portal.app import create_app

app = create_app()
