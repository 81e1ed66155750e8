"""`auditor report`: the research report (HTML, Markdown, JSON, PNG figures) for labeled corpora."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import click

from auditor.cli import cli
from auditor.errors import InputError, UsageError
from auditor.resampling import parse_costs
from auditor.study.analysis import StudyInput, build_study


def _corpus_name(path: Path) -> str:
    p = path if path.is_dir() else path.parent
    return p.resolve().name


def _parse_scores(items: Sequence[str], names: Sequence[str]) -> dict[str, Path]:
    """`NAME=FILE` per corpus, or a bare FILE when there is a single corpus."""
    out: dict[str, Path] = {}
    for item in items:
        name, sep, file = item.partition("=")
        if not sep:
            if len(names) != 1:
                raise UsageError(f"--scores {item}: with several corpora write NAME=FILE")
            name, file = names[0], item
        if name not in names:
            raise UsageError(f"--scores {item}: no corpus named {name!r} (have {', '.join(names)})")
        out[name] = Path(file)
    return out


def _load(path: Path, *, style: bool, data_dir: str | None, notes: list[str]) -> StudyInput:
    """Labels, and candidates when the style comparison is wanted and the samples are found."""
    from auditor.corpus.labels import load_labeled, read_labels

    name = _corpus_name(path)
    candidates = None
    tasks = None
    if style:
        try:
            corpus = load_labeled(path, data_dir=data_dir)
            labels, candidates, tasks = corpus.labels, corpus.candidates, corpus.tasks
            if candidates is None:
                notes.append(f"{name}: samples not found, so no style comparison for it.")
        except InputError as exc:
            notes.append(f"{name}: no style comparison ({exc}).")
            labels = read_labels(path)
    else:
        labels = read_labels(path)
    models = Counter(lb.model for lb in labels if lb.model)
    model = models.most_common(1)[0][0] if models else None
    return StudyInput(name, labels, candidates, tasks, None, model)


def _style_codes(
    inputs: Sequence[StudyInput],
    jobs: int,
    notes: list[str],
) -> tuple[dict[str, list[frozenset[str]]] | None, dict[str, str] | None]:
    """Finding codes per corpus with candidates, and the rule families to compare."""
    if not any(inp.candidates is not None for inp in inputs):
        return None, None
    try:
        from auditor.study.style import finding_codes, style_groups

        groups = style_groups()
    except (ImportError, AttributeError) as exc:
        notes.append(f"Style comparison skipped: the rules are unavailable ({exc}).")
        return None, None
    codes = {
        inp.name: finding_codes(inp.labels, inp.candidates, inp.tasks, jobs=jobs)
        for inp in inputs
        if inp.candidates is not None
    }
    return codes, groups


def write_report(out_dir: Path, files: dict[str, str | bytes]) -> None:
    """Write every output file atomically under out_dir."""
    from auditor.io import atomic_write

    for rel, data in files.items():
        atomic_write(out_dir / rel, data)


@cli.command("report")
@click.argument("labels", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Directory to write index.html, report.md, report.json and figures/ to.",
)
@click.option(
    "--scores",
    multiple=True,
    help="Risk scores as NAME=FILE (corpus name = its label directory's name).",
)
@click.option(
    "--features",
    "feature_tables",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Feature table(s) with labels, as `auditor features` writes them.",
)
@click.option(
    "--cost",
    default="0.5,1,2,4",
    show_default=True,
    help="Comma-separated false-positive cost ratios.",
)
@click.option("--k-max", type=int, default=None, help="Largest k (default: the largest pool).")
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option("--n-boot", type=int, default=1000, show_default=True, help="Bootstrap replicates.")
@click.option(
    "--style/--no-style",
    default=True,
    show_default=True,
    help="Compare rule-family adherence of false positives and correct solutions.",
)
@click.option("--data-dir", default=None, help="Where the corpora's samples live.")
@click.option("--jobs", type=click.IntRange(1), default=2, show_default=True)
@click.option("--html/--no-html", default=True, show_default=True, help="Also write index.html.")
@click.option(
    "--keep-false-negative-tasks",
    is_flag=True,
    help="Keep tasks with more strong than weak passes (the paper drops them).",
)
def report_command(
    labels: tuple[Path, ...],
    out_dir: Path,
    scores: tuple[str, ...],
    feature_tables: tuple[Path, ...],
    cost: str,
    k_max: int | None,
    seed: int,
    n_boot: int,
    style: bool,
    data_dir: str | None,
    jobs: int,
    html: bool,
    keep_false_negative_tasks: bool,
) -> int:
    """Reproduce the paper's analyses on labeled corpora (label OUTDIRs or labels.jsonl)."""
    from auditor.io import check_writable
    from auditor.study.render import render_html, render_json, render_markdown
    from auditor.study.scores import read_scores

    costs = parse_costs(cost)
    if n_boot < 10:
        raise UsageError("--n-boot must be at least 10")
    notes: list[str] = []
    loaded = [_load(p, style=style, data_dir=data_dir, notes=notes) for p in labels]
    names = [inp.name for inp in loaded]
    if len(set(names)) != len(names):
        raise UsageError(f"corpus names must differ (got {', '.join(names)})")
    score_files = _parse_scores(scores, names)
    inputs = []
    for inp in loaded:
        s = read_scores(score_files[inp.name]) if inp.name in score_files else None
        inputs.append(StudyInput(inp.name, inp.labels, inp.candidates, inp.tasks, s, inp.model))

    check_writable(out_dir / "report.md")  # before the analyses, not after them
    style_codes, groups = _style_codes(inputs, jobs, notes)
    tables = []
    if feature_tables:
        from auditor.features import read_table

        tables = [(p.name.split(".")[0], read_table(p)) for p in feature_tables]

    study = build_study(
        inputs,
        costs=costs,
        seed=seed,
        n_boot=n_boot,
        k_max=k_max,
        style_codes=style_codes,
        style_groups=groups,
        features=tables,
        notes=notes,
        exclude_false_negatives=not keep_false_negative_tasks,
    )
    from auditor.study.figures import make_figures

    figures = make_figures(study)
    files: dict[str, str | bytes] = {f"figures/{n}": b for n, b in figures.items()}
    files["report.md"] = render_markdown(study, {n: f"figures/{n}" for n in figures})
    files["report.json"] = render_json(study)
    if html:
        files["index.html"] = render_html(study, figures)
    write_report(out_dir, files)
    click.echo(f"wrote {len(files)} files to {os.fspath(out_dir)}")
    return 0
