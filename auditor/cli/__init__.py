"""The `auditor` command line: a thin click layer over `auditor.api`.

Each subcommand lives in its own module in this package and registers itself on `cli`.
`main()` maps every `AuditorError` to its exit code with a one-line message, and any
other exception to exit 3 (set AUDITOR_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

import click

from auditor import __version__
from auditor.errors import EXIT_INTERNAL, EXIT_USAGE, AuditorError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """Find false positives: generated code that passes its tests but is wrong."""


def _register() -> None:
    # Imported for their side effect of adding commands to `cli`.
    import importlib
    import pkgutil

    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")


_register()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises, never prints a traceback)."""
    try:
        rv = cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except AuditorError as exc:
        click.echo(f"auditor: error: {exc}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("auditor: aborted", err=True)
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
