"""`auditor data list|path|fetch`: the corpus files of the data directory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from auditor.cli import cli
from auditor.cli._options import path_type
from auditor.corpus.benchmarks import BENCHMARKS
from auditor.corpus.datadir import (
    Action,
    DataSource,
    FetchResult,
    FileStatus,
    Origin,
    Sources,
    State,
    data_file,
    fetch,
    load_sources,
    lookup,
    place_by_hand_message,
    resolve_data_dir_origin,
    status,
)
from auditor.errors import UsageError

DATA_DIR_OPTION = click.option(
    "--data-dir",
    type=path_type(file_okay=False),
    default=None,
    help="Data directory (default: $AUDITOR_DATA_DIR, then the user cache).",
)


@cli.group()
def data() -> None:
    """List, locate and fetch the corpus files (benchmarks and sample corpora)."""


@data.command("list")
@DATA_DIR_OPTION
def list_command(data_dir: Path | None) -> None:
    """Show each known file as present, missing or with a bad checksum."""
    root, origin = resolve_data_dir_origin(data_dir)
    click.echo(render_list(root, origin, status(root, load_sources())), nl=False)


@data.command("path")
@click.argument("file", required=False)
@DATA_DIR_OPTION
def path_command(file: str | None, data_dir: Path | None) -> None:
    """Print the data directory, or the path of FILE in it (a clear error if absent).

    FILE is a file name (with or without `.jsonl.gz`), its path in the data directory, or a
    benchmark name such as `humaneval+`.
    """
    root, _ = resolve_data_dir_origin(data_dir)
    if file is None:
        click.echo(str(root))
        return
    click.echo(str(data_file(_resolve_name(file, load_sources()).file, root)))


@data.command("fetch")
@click.argument("files", nargs=-1)
@click.option("--all", "all_files", is_flag=True, help="Every known file.")
@DATA_DIR_OPTION
@click.option(
    "--url-base",
    default=None,
    metavar="URL",
    help="A mirror with the data-directory layout (URL/benchmarks/..., URL/samples/...).",
)
@click.option("--url", default=None, metavar="URL", help="Mirror URL for a single FILE.")
def fetch_command(
    files: Sequence[str],
    all_files: bool,
    data_dir: Path | None,
    url_base: str | None,
    url: str | None,
) -> None:
    """Download FILE(s) (or --all), verify their sha256, and record them in MANIFEST.json.

    Benchmarks come from their public release. Sample corpora have no public download: place
    them by hand, or give a mirror with --url/--url-base; their sha256 is checked either way.
    """
    if bool(files) == all_files:
        raise UsageError("name FILE(s) to fetch, or pass --all (not both)")
    if url is not None and url_base is not None:
        raise UsageError("--url and --url-base are exclusive")
    sources = load_sources()
    root, _ = resolve_data_dir_origin(data_dir)
    names = None if all_files else [_resolve_name(f, sources).file for f in files]
    results = fetch(names, data_dir=root, sources=sources, url_base=url_base, url=url)
    click.echo(render_fetch(results), nl=False)


def _resolve_name(name: str, sources: Sources) -> DataSource:
    spec = BENCHMARKS.get(name)
    return lookup(spec.relpath if spec is not None else name, sources)


def render_list(root: Path, origin: Origin, files: Sequence[FileStatus]) -> str:
    """The `data list` table: one line per known file, then counts."""
    lines = [f"data directory: {root} (from {origin})"]
    width = max((len(s.state) for s in files), default=0)
    for s in files:
        hint = "" if s.source.urls or s.state is State.PRESENT else "  (place by hand)"
        lines.append(f"{s.state:<{width}}  {s.source.kind:<9}  {s.source.file}{hint}")
    counts = {state: sum(s.state is state for s in files) for state in State}
    lines.append(", ".join(f"{n} {state}" for state, n in counts.items()))
    return "\n".join(lines) + "\n"


def render_fetch(results: Sequence[FetchResult]) -> str:
    """One line per file: downloaded (from where), already present, or how to place it."""
    lines = []
    for r in results:
        if r.action is Action.DOWNLOADED:
            lines.append(f"downloaded {r.source.file} from {r.url}")
        elif r.action is Action.ALREADY_PRESENT:
            lines.append(f"already present: {r.source.file}")
        else:
            lines.append(place_by_hand_message(r))
    return "".join(line + "\n" for line in lines)
