"""Options shared by several commands (not a command module: the name starts with `_`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from auditor.executors import EXECUTORS, Executor, activate

F = TypeVar("F", bound=Callable[..., Any])

_KEY = "auditor.executor"


class _Path(click.Path):
    """`click.Path` that refuses an empty argument: `Path("")` is the current directory, so
    `check "$DIR"` with DIR unset checked the whole cwd and `label -o ""` wrote there."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value:
            self.fail("an empty path (an unset variable?)", param, ctx)
        return super().convert(value, param, ctx)


def path_type(*, exists: bool = False, file_okay: bool = True) -> click.Path:
    """Every command's path argument and option type (a `pathlib.Path`, never empty)."""
    return _Path(exists=exists, file_okay=file_okay, path_type=Path)


def _collect(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Store one of the two options; once both are in, make the executor current for the
    command (validated here, so a bad choice fails before any input is read)."""
    got = ctx.meta.setdefault(_KEY, {})
    got[param.name] = value
    if len(got) == 2:
        restore = activate(Executor(got["executor"], got["address"]))
        ctx.call_on_close(restore)


def executor_options(f: F) -> F:
    """`--executor local|ray` and `--address`: where the command's sandbox work runs."""
    f = click.option(
        "--address",
        metavar="ADDR",
        default=None,
        expose_value=False,
        callback=_collect,
        help="Ray cluster: auto, ray://HOST:PORT or HOST:PORT "
        "[default: $RAY_ADDRESS, else a new local cluster].",
    )(f)
    return click.option(
        "--executor",
        type=click.Choice(list(EXECUTORS)),
        default="local",
        show_default=True,
        expose_value=False,
        callback=_collect,
        help="Where candidates run: local worker processes, or a Ray cluster "
        "(pip install 'auditor[ray]').",
    )(f)
