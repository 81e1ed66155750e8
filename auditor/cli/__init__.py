"""The `auditor` command line: a thin click layer over `auditor.api`.

Each subcommand lives in its own module in this package, named after the command, and
registers itself on `cli` when imported. Modules are imported lazily: running one command
imports only its module, so `auditor check` never pays for scipy, libcst or pylint start-up
that other commands need; listing commands (`--help`) imports them all.
`main()` maps every `AuditorError` and usage error to its exit code with a one-line
message, an interrupt to 130 (SIGTERM, which CI sends a cancelled job, to 143, after the
same clean-up), and any other exception to exit 3 (AUDITOR_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from functools import cache

import click

from auditor import __version__
from auditor.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    AuditorError,
)


@cache
def command_modules() -> tuple[str, ...]:
    """Names of the command modules in this package (each defines the command of its name)."""
    return tuple(
        sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    )


def _import_command(name: str) -> None:
    # Imported for its side effect of adding the command to `cli`.
    importlib.import_module(f"{__name__}.{name}")


class _LazyGroup(click.Group):
    """A group whose commands are registered by importing their module on first use."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in command_modules():
            _import_command(cmd_name)
        if cmd_name not in self.commands:  # a command named unlike its module
            self.list_commands(ctx)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        for name in command_modules():
            _import_command(name)
        return super().list_commands(ctx)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """Find false positives: generated code that passes its tests but is wrong."""


# click >= 8.2 raises this for a group run without a command; older versions print the help.
_NO_ARGS_IS_HELP: type[click.UsageError] | tuple[()] = getattr(
    click.exceptions, "NoArgsIsHelpError", ()
)


def _usage_line(exc: click.UsageError) -> str:
    """One line for a usage error: what was wrong, and where help is (not click's three)."""
    path = exc.ctx.command_path if exc.ctx is not None else "auditor"
    return f"{path}: error: {exc.format_message()} (see '{path} --help')"


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be, so that it unwinds as an interrupt does (the
    runners close, their sandbox workers die, what was written stays)."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises, never prints a traceback)."""
    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if on_main else None
    try:
        return _run(argv)
    finally:
        if on_main:  # None: a handler not set from Python, i.e. the default
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _run(argv: Sequence[str] | None) -> int:
    """`main` without the signal handler."""
    try:
        rv = cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except AuditorError as exc:
        click.echo(f"auditor: error: {exc}", err=True)
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt) as exc:  # click turns Ctrl-C into Abort
        if isinstance(exc, _Terminated) or isinstance(exc.__cause__, _Terminated):
            click.echo("auditor: terminated", err=True)
            return EXIT_TERMINATED
        click.echo("auditor: interrupted", err=True)
        return EXIT_INTERRUPTED
    except _NO_ARGS_IS_HELP as exc:  # `auditor` alone: the help, as click shows it
        exc.show()
        return EXIT_USAGE
    except click.UsageError as exc:
        click.echo(_usage_line(exc), err=True)
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except Exception as exc:  # a bug: one line, unless debugging
        if os.environ.get("AUDITOR_DEBUG"):
            traceback.print_exc()
        click.echo(f"auditor: internal error: {type(exc).__name__}: {exc}", err=True)
        return EXIT_INTERNAL
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())
