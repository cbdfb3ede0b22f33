"""What every ``kaifang`` command shares: the group, the runtime, errors as one-line messages."""

from __future__ import annotations

import functools
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
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


def write_csv(output: str | None, lines: Callable[[], Iterator[bytes]]) -> int | None:
    """Write the CSV ``lines()`` makes to ``output`` (standard output for None): into a new
    file beside it, checked writable before the lines are made (an export recorded in the audit
    log was written), renamed over ``output`` once whole (a file there is kept if anything
    fails). The rows written (the header not counted), or None for standard output."""
    if output is None:
        with click.open_file("-", "wb") as stream:
            for chunk in lines():
                stream.write(chunk)
        return None
    target = Path(output)
    if target.is_dir():
        raise KaifangError(f"{output} 是一个文件夹，请给出要写入的文件名")
    try:
        fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    except FileNotFoundError:
        raise KaifangError(f"无法写入 {output}：所在文件夹不存在") from None
    except PermissionError:
        raise KaifangError(f"无法写入 {output}：没有写入权限") from None
    count = -1  # the header is not a row
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in lines():
                handle.write(chunk)
                count += 1
        umask = os.umask(0)  # the mode ``open`` would give it
        os.umask(umask)
        os.chmod(partial, 0o666 & ~umask)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return count


def require_database(rt: Runtime) -> None:
    from datasets.database import is_current

    if not is_current(rt):
        raise KaifangError("数据库尚未初始化或版本过旧，请先运行 kaifang init")


@click.group()
@click.version_option(package_name="kaifang")
def main() -> None:
    """开放数据门户 — harvest, validate, classify and publish government data."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
