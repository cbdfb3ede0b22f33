"""What every ``kaifang`` command shares: the group, the runtime, errors as one-line messages."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any

import click

from datasets.errors import KaifangError
from datasets.runtime import Runtime
from datasets.settings import load_settings


def runtime() -> Runtime:
    return Runtime(load_settings())


def reports_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn service errors into a one-line message on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KaifangError as exc:
            click.echo(f"错误：{exc.message}", err=True)
            sys.exit(1)

    return wrapper


def require_database(rt: Runtime) -> None:
    from datasets.database import is_current

    if not is_current(rt):
        raise KaifangError("数据库尚未初始化或版本过旧，请先运行 kaifang init")


@click.group()
@click.version_option(package_name="kaifang")
def main() -> None:
    """开放数据门户 — harvest, validate, classify and publish government data."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
