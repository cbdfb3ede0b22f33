"""Running the portal under gunicorn from the ``kaifang serve`` command."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

if TYPE_CHECKING:
    from flask import Flask


class PortalServer(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from portal.wsgi import app

        return app


def serve(*, host: str, port: int, workers: int) -> None:
    PortalServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": 4,
            "worker_class": "gthread",
            "timeout": 60,
            "accesslog": "-",
            "errorlog": "-",
            "loglevel": "warning",
            "preload_app": True,  # one copy of search's dictionaries, shared by the workers
        }
    ).run()
