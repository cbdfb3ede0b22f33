"""The Flask web app: public pages, downloads and the APIs, thin over the domain services."""

from portal.app import create_app

__all__ = ["create_app"]
