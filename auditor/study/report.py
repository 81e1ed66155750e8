"""`report`: labeled corpora to the research report's files (HTML, Markdown, JSON, figures).

It reads its inputs (labels, samples for the style comparison, risk scores, feature
tables) and returns every output file as text or bytes; `auditor report` writes them.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from auditor.errors import InputError
from auditor.study.analysis import DEFAULT_COSTS, StudyInput, build_study


@dataclass(frozen=True)
class ReportOptions:
    """What the report covers; the defaults are what `auditor report` does without options."""

    costs: tuple[float, ...] = DEFAULT_COSTS  # false-positive cost ratios
    k_max: int | None = None  # largest k (None: the largest pool)
    seed: int = 0  # bootstrap seed
    n_boot: int = 1000  # bootstrap replicates
    style: bool = True  # compare rule-family adherence of false positives and correct ones
    html: bool = True  # also index.html
    exclude_false_negatives: bool = True  # drop tasks with more strong than weak passes
    scores: Mapping[str, Path] = field(default_factory=dict)  # corpus name -> risk scores
    features: tuple[Path, ...] = ()  # feature tables with labels (`auditor features`)
    data_dir: str | os.PathLike[str] | None = None  # where the corpora's samples live
    cache_dir: Path | None = None  # feature cache of the style comparison's rule runs
    jobs: int = 2


def corpus_name(path: Path) -> str:
    """A corpus's name: its label directory's."""
    p = path if path.is_dir() else path.parent
    return p.resolve().name


def corpus_names(paths: Sequence[Path]) -> list[str]:
    """The corpora's names, which must differ: the report keys every section on them."""
    names = [corpus_name(p) for p in paths]
    if len(set(names)) != len(names):
        raise InputError(f"corpus names must differ (got {', '.join(names)})")
    return names


def _load(
    path: Path, *, style: bool, data_dir: str | os.PathLike[str] | None, notes: list[str]
) -> StudyInput:
    """Labels, and candidates when the style comparison is wanted and the samples are found."""
    from auditor.corpus.labels import load_labeled, read_labels

    name = corpus_name(path)
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
    inputs: Sequence[StudyInput], opts: ReportOptions, notes: list[str]
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
        inp.name: finding_codes(
            inp.labels, inp.candidates, inp.tasks, jobs=opts.jobs, cache_dir=opts.cache_dir
        )
        for inp in inputs
        if inp.candidates is not None
    }
    return codes, groups


def _with_scores(inputs: Sequence[StudyInput], scores: Mapping[str, Path]) -> list[StudyInput]:
    """The inputs with the risk scores read for the corpora that have a score file."""
    from auditor.study.scores import read_scores

    return [
        StudyInput(
            inp.name,
            inp.labels,
            inp.candidates,
            inp.tasks,
            read_scores(scores[inp.name]) if inp.name in scores else None,
            inp.model,
        )
        for inp in inputs
    ]


def report(paths: Sequence[Path], opts: ReportOptions = ReportOptions()) -> dict[str, str | bytes]:
    """The report of the labeled corpora at `paths` (label OUTDIRs or labels.jsonl files):
    output file name (relative) -> content."""
    from auditor.study.figures import make_figures
    from auditor.study.render import render_html, render_json, render_markdown

    corpus_names(paths)
    notes: list[str] = []
    loaded = [_load(p, style=opts.style, data_dir=opts.data_dir, notes=notes) for p in paths]
    inputs = _with_scores(loaded, opts.scores)
    style_codes, groups = _style_codes(inputs, opts, notes)
    tables = []
    if opts.features:
        from auditor.features import read_table

        tables = [(p.name.split(".")[0], read_table(p)) for p in opts.features]
    study = build_study(
        inputs,
        costs=opts.costs,
        seed=opts.seed,
        n_boot=opts.n_boot,
        k_max=opts.k_max,
        style_codes=style_codes,
        style_groups=groups,
        features=tables,
        notes=notes,
        exclude_false_negatives=opts.exclude_false_negatives,
    )
    figures = make_figures(study)
    files: dict[str, str | bytes] = {f"figures/{n}": b for n, b in figures.items()}
    files["report.md"] = render_markdown(study, {n: f"figures/{n}" for n in figures})
    files["report.json"] = render_json(study)
    if opts.html:
        files["index.html"] = render_html(study, figures)
    return files
