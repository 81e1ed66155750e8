"""`auditor rules list` and `auditor rules explain CODE`."""

from __future__ import annotations

import json

import click

from auditor.cli import cli
from auditor.errors import UsageError

_COLUMNS = ("code", "symbol", "family", "severity", "confidence", "message")


def render_table(rows: list[dict[str, str]]) -> str:
    """Plain aligned text table with a header row."""
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in _COLUMNS[:-1]}
    lines = ["  ".join(c.upper().ljust(widths.get(c, 0)) for c in _COLUMNS).rstrip()]
    for row in rows:
        lines.append("  ".join(row[c].ljust(widths.get(c, 0)) for c in _COLUMNS).rstrip())
    return "\n".join(lines)


@cli.group(name="rules")
def rules_group() -> None:
    """List the auditor's own rules or explain one."""


@rules_group.command(name="list")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def list_rules(fmt: str) -> None:
    """Table of every code: the ones `check` emits itself, then the rules."""
    from auditor.rules.catalogue import catalogue_rows  # libcst: only when the command runs

    rows = catalogue_rows()
    click.echo(json.dumps(rows, indent=2) if fmt == "json" else render_table(rows))


@rules_group.command(name="explain")
@click.argument("code")
def explain(code: str) -> None:
    """Print the catalogue page of CODE (a code such as AUD301, or a symbol)."""
    from auditor.rules import get_rule
    from auditor.rules.catalogue import CHECK_RULES, render_info_page, render_page

    rule = get_rule(code)
    if rule is not None:
        click.echo(render_page(rule), nl=False)
        return
    info = next((i for i in CHECK_RULES if code in (i.code, i.symbol)), None)
    if info is None:
        raise UsageError(f"unknown rule {code!r}; see `auditor rules list`")
    click.echo(render_info_page(info), nl=False)
