"""Output formats of `auditor check`: pure renderers `render(run) -> str`, one per output format.

`OutputFormat` names each format; `render` dispatches with `assert_never`, so adding a
format without a renderer fails type checking. `write_outputs` is the only I/O here: it
writes each rendered text to stdout or (atomically) to its file, and GitHub's step
summary to `$GITHUB_STEP_SUMMARY` when that is set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, assert_never

from auditor.errors import InputError, UsageError
from auditor.io import atomic_write

if TYPE_CHECKING:
    from auditor.results import CheckRun


class OutputFormat(StrEnum):
    """The output formats of `auditor check`."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    GITHUB = "github"
    MARKDOWN = "markdown"


@dataclass(frozen=True)
class Rendered:
    """What one format produced: the main text, and for GitHub the step-summary text."""

    text: str
    step_summary: str | None = None


def render(fmt: OutputFormat, run: CheckRun) -> Rendered:
    """Render `run` in format `fmt` (pure)."""
    # Imported here so that `auditor --help` does not pay for every renderer.
    from auditor.output import github, json_format, markdown, sarif, text

    match fmt:
        case OutputFormat.TEXT:
            return Rendered(text.render(run))
        case OutputFormat.JSON:
            return Rendered(json_format.render(run))
        case OutputFormat.SARIF:
            return Rendered(sarif.render(run))
        case OutputFormat.GITHUB:
            return Rendered(github.render(run), github.render_summary(run))
        case OutputFormat.MARKDOWN:
            return Rendered(markdown.render(run))
        case _:
            assert_never(fmt)


@dataclass(frozen=True)
class OutputSpec:
    """One `--format FMT[:FILE]` option: a format and where to write it (None = stdout)."""

    format: OutputFormat
    file: Path | None = None

    @classmethod
    def parse(cls, spec: str) -> OutputSpec:
        """Parse `FMT` or `FMT:FILE`; an unknown format is a UsageError."""
        name, sep, file = spec.partition(":")
        try:
            fmt = OutputFormat(name.strip().lower())
        except ValueError:
            known = ", ".join(f.value for f in OutputFormat)
            raise UsageError(f"unknown output format {name!r} (known: {known})") from None
        if sep and not file:
            raise UsageError(f"--format {spec!r}: missing file name after ':'")
        return cls(fmt, Path(file) if file else None)


def parse_specs(specs: Sequence[str]) -> tuple[OutputSpec, ...]:
    """Parse several `--format` options; at most one may write to stdout, or to one file."""
    parsed = tuple(OutputSpec.parse(s) for s in specs) or (OutputSpec(OutputFormat.TEXT),)
    if sum(1 for s in parsed if s.file is None) > 1:
        raise UsageError("only one --format may write to stdout; give the others a FILE")
    files = [s.file.resolve() for s in parsed if s.file is not None]
    twice = next((f for i, f in enumerate(files) if f in files[:i]), None)
    if twice is not None:
        raise UsageError(f"{twice}: two --format outputs would write this file; give each its own")
    return parsed


def write_outputs(
    specs: Sequence[OutputSpec],
    run: CheckRun,
    *,
    stdout: TextIO,
    env: Mapping[str, str] | None = None,
) -> None:
    """Render every spec and write it: files atomically, and only when there is text."""
    env = os.environ if env is None else env
    for spec in specs:
        out = render(spec.format, run)
        if spec.file is None:
            stdout.write(out.text)
        elif out.text:
            atomic_write(spec.file, out.text)
        summary_file = env.get("GITHUB_STEP_SUMMARY")
        if out.step_summary and summary_file:
            # GitHub concatenates what every step appends to this file.
            try:
                with open(summary_file, "a", encoding="utf-8") as fh:
                    fh.write(out.step_summary)
            except OSError as exc:
                why = exc.strerror or exc
                raise InputError(
                    f"cannot write GITHUB_STEP_SUMMARY {summary_file}: {why}"
                ) from None
