"""`auditor check`: findings and false-positive risk for candidates on disk.

`check(paths, model=..., config=...)` reads .py files, directories and samples JSONL,
scores every candidate with the model, collects the rule/ruff/pylint findings, applies
suppressions and the baseline, and returns one frozen `CheckRun` for the reporters.
Bad files become findings (AUD901 syntax, AUD910 too large, AUD911 unreadable) so
one bad file never stops a run; a missing path or a symlink loop given on the command
line is an `InputError` (exit 2). Heavy modules (features, sklearn) are imported lazily.
"""

from __future__ import annotations

import ast
import contextlib
import errno
import fnmatch
import inspect
import os
import re
import signal
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from auditor import __version__
from auditor.errors import EXIT_FINDINGS, EXIT_OK, InputError
from auditor.types import Candidate, Confidence, Finding, Severity

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from auditor.baseline import Baseline
    from auditor.config import Config
    from auditor.model import TrainedModel
    from auditor.types import FeatureTable

RISK_CODE = "AUD000"
RISK_SYMBOL = "false-positive-risk"
SYNTAX_CODE = "AUD901"
TOO_LARGE_CODE = "AUD910"
UNREADABLE_CODE = "AUD911"
SAMPLES_SUFFIXES = (".jsonl", ".jsonl.gz", ".json")


class InputKind(StrEnum):
    """How an input path is read."""

    PYTHON = "python"
    SAMPLES = "samples"


@dataclass(frozen=True)
class RuleInfo:
    """What SARIF and the docs need to know about one finding code."""

    code: str
    symbol: str
    short: str
    full: str
    severity: Severity = Severity.LOW
    documented: bool = False  # has a page rules/<CODE>.md
    page: str = ""  # that page's Markdown (SARIF help.markdown)


@dataclass(frozen=True)
class Reported:
    """A finding together with its line's normalized text (the baseline key)."""

    finding: Finding
    line_text: str = ""


@dataclass(frozen=True)
class CandidateResult:
    """Everything `check` found out about one candidate."""

    path: str  # posix, relative to the cwd when under it
    task_id: str
    sample_id: str
    sha256: str
    risk: float | None  # None when the candidate was not scored (see `note`)
    entry_line: int = 1  # line of the entry point's `def`
    findings: tuple[Reported, ...] = ()
    embedded: bool = False  # inside a samples file: finding lines count within the candidate
    note: str | None = None
    entry_text: str = ""  # normalized `def` line, the baseline key of the risk result
    risk_baselined: bool = False  # a flagged risk accepted by the baseline


@dataclass(frozen=True)
class CheckRun:
    """The aggregate the reporters render."""

    results: tuple[CandidateResult, ...]
    rules: tuple[RuleInfo, ...]
    fail_on_risk: float
    fail_on: Severity | None
    model: str | None  # short description of the model used, None when not scoring
    rules_url: str = ""
    version: str = __version__
    baselined: int = 0

    def flagged(self, result: CandidateResult) -> bool:
        """Whether a candidate's risk is at or over the threshold."""
        return (
            result.risk is not None
            and result.risk >= self.fail_on_risk
            and not result.risk_baselined
        )

    def failing(self, finding: Finding) -> bool:
        """Whether a finding is at or above the failing severity."""
        return self.fail_on is not None and finding.severity.rank >= self.fail_on.rank

    @property
    def n_flagged(self) -> int:
        return sum(1 for r in self.results if self.flagged(r))

    @property
    def n_failing_findings(self) -> int:
        return sum(1 for r in self.results for f in r.findings if self.failing(f.finding))

    @property
    def exit_code(self) -> int:
        """0 when nothing is over a threshold, else 1."""
        return EXIT_FINDINGS if self.n_flagged or self.n_failing_findings else EXIT_OK

    def by_risk(self) -> tuple[CandidateResult, ...]:
        """Results riskiest first (unscored last), ties in input order."""
        return tuple(sorted(self.results, key=lambda r: -1.0 if r.risk is None else -r.risk))

    def rule(self, code: str) -> RuleInfo | None:
        return next((r for r in self.rules if r.code == code), None)


# Codes produced by `check` itself; rule codes come from auditor.rules.RULES.
CHECK_RULES: tuple[RuleInfo, ...] = (
    RuleInfo(
        RISK_CODE,
        RISK_SYMBOL,
        "Candidate is likely a false positive",
        "The classifier estimates that this candidate passes its tests but is wrong: its "
        "calibrated false-positive risk is at or above --fail-on-risk (default 0.5). The "
        "probability is in the result's properties (risk); the model and its held-out "
        "accuracy are described in reports/model_card.md.\n\n"
        "Unit tests are imperfect verifiers: on HumanEval, 7-29% of generated solutions that "
        "pass the original tests fail stronger ones, and such false positives follow coding "
        "conventions less well, which is what the model reads (style and complexity "
        "findings, and how the candidate differs from other candidates of the same task).\n\n"
        "Review the candidate against its specification, add tests for the inputs it may get "
        "wrong, or resample. A reviewed candidate can be accepted with --write-baseline.",
        Severity.HIGH,
        documented=True,
    ),
    RuleInfo(
        TOO_LARGE_CODE,
        "source-too-large",
        "File too large to analyse",
        "The file is larger than max-file-size ([tool.auditor], default 1 MB) and was not "
        "analysed, so it gets neither findings nor a risk.\n\n"
        "Generated solutions are small; a file this large is usually data or a bundle. "
        "Exclude it (--exclude) or raise max-file-size.",
        Severity.HIGH,
        documented=True,
    ),
    RuleInfo(
        UNREADABLE_CODE,
        "unreadable-source",
        "File is not readable UTF-8 text",
        "The file is binary, not UTF-8, or could not be read, and was not analysed, so it "
        "gets neither findings nor a risk.\n\n"
        "Python source is UTF-8 by default (PEP 3120). Re-encode the file, or exclude it "
        "(--exclude) when it is not source code.",
        Severity.HIGH,
        documented=True,
    ),
)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Source:
    """One file to check: a Python file or a samples file, or a problem found reading it."""

    path: Path
    display: str
    kind: InputKind
    text: str | None = None
    problem: Finding | None = None


def display_path(path: Path, cwd: Path) -> str:
    """Posix path relative to `cwd` when under it (never absolute unless outside it)."""
    try:
        return path.absolute().relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def _kind(path: Path) -> InputKind | None:
    name = path.name.lower()
    if name.endswith(".py") or name.endswith(".pyi"):
        return InputKind.PYTHON
    if name.endswith(SAMPLES_SUFFIXES):
        return InputKind.SAMPLES
    return None


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(Path(rel).name, p) for p in patterns)


def iter_files(paths: Sequence[Path], exclude: Sequence[str] = ()) -> Iterator[Path]:
    """Expand directories (recursively, sorted, skipping hidden dirs; symlinked dirs are not
    followed, so loops cannot recur). Explicit paths must exist and be readable kinds."""
    for path in paths:
        try:
            path.stat()
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise InputError(f"{path}: symlink loop") from None
            if not path.is_symlink() and exc.errno == errno.ENOENT:
                raise InputError(f"{path}: no such file or directory") from None
            raise InputError(f"{path}: {exc.strerror or exc}") from None
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    file = Path(root) / name
                    if _kind(file) is InputKind.PYTHON and not _excluded(file.as_posix(), exclude):
                        yield file
        elif _kind(path) is None:
            raise InputError(f"{path}: not a Python file or samples JSONL")
        else:
            yield path


def read_source(path: Path, display: str, max_bytes: int) -> Source:
    """Read one Python file, turning binary, non-UTF-8, oversized or unreadable files into a
    finding instead of an exception."""

    def problem(code: str, message: str) -> Source:
        info = next(r for r in CHECK_RULES if r.code == code)
        f = Finding(code, info.symbol, message, 1, 0, info.severity, Confidence.HIGH, "auditor")
        return Source(path, display, InputKind.PYTHON, problem=f)

    try:
        size = path.stat().st_size
        if size > max_bytes:
            return problem(
                TOO_LARGE_CODE,
                f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit; not analysed",
            )
        data = path.read_bytes()
    except OSError as exc:
        return problem(UNREADABLE_CODE, f"cannot read file: {exc.strerror or exc}")
    if b"\0" in data:
        return problem(UNREADABLE_CODE, "binary file (contains NUL bytes); not analysed")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return problem(
            UNREADABLE_CODE,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); not analysed",
        )
    return Source(path, display, InputKind.PYTHON, text=text)


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class _Item:
    """A candidate on its way through `check`."""

    candidate: Candidate
    display: str
    embedded: bool
    entry_line: int = 1
    scoreable: bool = True
    note: str | None = None
    problems: tuple[Finding, ...] = ()


def entry_point(code: str) -> tuple[str | None, int, str | None]:
    """(name, def line, problem) of the last top-level function; problem is set on a syntax error."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as exc:
        return None, 1, f"syntax error: {getattr(exc, 'msg', exc)}"
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if not funcs:
        return None, 1, None
    last = funcs[-1]
    line = min([last.lineno, *(d.lineno for d in last.decorator_list)])
    return last.name, line, None


def _python_item(src: Source) -> _Item:
    text = src.text or ""
    cand = Candidate(task_id=src.path.stem, sample_id=src.display, code=text, path=src.display)
    if src.problem is not None:
        return _Item(cand, src.display, False, 1, False, src.problem.message, (src.problem,))
    name, line, error = entry_point(text)
    if error is not None:
        syntax = Finding(
            SYNTAX_CODE,
            "syntax-error",
            error,
            _syntax_line(text),
            0,
            Severity.HIGH,
            Confidence.HIGH,
        )
        return _Item(cand, src.display, False, line, False, error, (syntax,))
    if name is None:
        return _Item(cand, src.display, False, 1, False, "no top-level function to score")
    return _Item(cand, src.display, False, line)


def _syntax_line(code: str) -> int:
    try:
        ast.parse(code)
    except SyntaxError as exc:
        return max(1, exc.lineno or 1)
    except ValueError:
        pass
    return 1


def _sample_items(path: Path, display: str) -> list[_Item]:
    from auditor.corpus.samples import read_samples

    samples = read_samples(path)
    items = []
    for cand in samples.candidates:
        name, line, error = entry_point(cand.code)
        cand = replace(cand, path=display)
        scoreable = error is None and name is not None
        note = error or (None if name else "no top-level function to score")
        items.append(_Item(cand, display, True, line, scoreable, note))
    return items


# --------------------------------------------------------------------------- suppressions

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[\w\-]+(?:[\s,]+[\w\-]+)*))?", re.I)
_PYLINT = re.compile(r"#\s*pylint:\s*disable\s*=\s*(?P<codes>[\w\-]+(?:\s*,\s*[\w\-]+)*)", re.I)
_AUDITOR = re.compile(r"#\s*auditor:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.I)


def suppressed(finding: Finding, line: str) -> bool:
    """Whether a `# noqa`, `# pylint: disable=` or `# auditor: ignore[...]` comment on the
    finding's line names it (or names nothing, for noqa and auditor: ignore)."""
    names = {finding.code, finding.code.split(":")[-1], finding.symbol}
    for pattern in (_NOQA, _PYLINT, _AUDITOR):
        for m in pattern.finditer(line):
            codes = m.group("codes")
            if codes is None and pattern is not _PYLINT:
                return True
            wanted = {c for c in re.split(r"[\s,]+", codes or "") if c}
            if wanted & names or any(n.startswith(w) for w in wanted for n in names):
                return True
    return False


def normalize_line(text: str) -> str:
    """The baseline key of a line: whitespace collapsed and stripped."""
    return " ".join(text.split())


# --------------------------------------------------------------------------- the run


def describe_rules(codes: Iterable[str], found: Mapping[str, Finding]) -> tuple[RuleInfo, ...]:
    """RuleInfo for every registered rule, the check codes, and tool codes that were found."""
    from auditor.rules.catalogue import render_info_page

    infos: dict[str, RuleInfo] = {r.code: replace(r, page=render_info_page(r)) for r in CHECK_RULES}
    infos.update({r.code: r for r in registered_rules()})
    for code in sorted(set(codes) - set(infos)):
        f = found[code]
        infos[code] = RuleInfo(
            code, f.symbol, f"{f.source} {code}: {f.symbol}", f.message, f.severity
        )
    return tuple(infos[c] for c in sorted(infos))


def registered_rules() -> tuple[RuleInfo, ...]:
    """RuleInfo for the rule classes in auditor.rules.RULES (text from their docstrings)."""
    from auditor.rules import RULES
    from auditor.rules.catalogue import render_page

    out = []
    for code, cls in sorted(RULES.items()):
        sections = doc_sections(cls.__doc__ or "")
        message = str(cls.MESSAGE)
        short = message[:1].upper() + message[1:]
        what = sections.get("what it does", short)
        why = sections.get("why is this bad?", "")
        full = f"{what}\n\n{why}".strip()
        out.append(
            RuleInfo(
                code,
                cls.SYMBOL,
                short,
                full,
                Severity(cls.SEVERITY),
                documented=True,
                page=render_page(cls),
            )
        )
    return tuple(out)


def doc_sections(doc: str) -> dict[str, str]:
    """`## Heading` sections of a rule docstring, lower-cased heading -> unwrapped text."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in inspect.cleandoc(doc).splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip().lower(), [])
        elif current is not None:
            current.append(line)
    return {k: "\n".join(v).strip() for k, v in sections.items()}


@dataclass(frozen=True)
class _Scored:
    risks: dict[int, float] = field(default_factory=dict)
    findings: dict[str, tuple[Finding, ...]] = field(default_factory=dict)
    model: TrainedModel | None = None


# A loaded model, or a loader that `check` calls while features are being extracted.
ModelSource = Union["TrainedModel", Callable[[], "TrainedModel"], None]
_Features = tuple[dict[str, tuple[Finding, ...]], "FeatureTable | None"]


def _features(readable: list[Candidate], scoreable: list[Candidate], jobs: int) -> _Features:
    """Findings of the readable candidates and the feature table of the scoreable ones.

    Findings first: the table then reuses their cached rules/ruff/pylint runs, so each tool
    runs once per candidate."""
    from auditor import features

    found = dict(features.findings(readable, jobs=jobs)) if readable else {}
    table = features.extract(scoreable, jobs=jobs) if scoreable else None
    return found, table


def _features_child(conn: Connection, *args: Any) -> None:
    os.setpgid(0, 0)  # its own process group, so the parent can stop it with its workers
    try:
        result: _Features | None = _features(*args)
    except BaseException:  # the parent recomputes in-process and reports the real error
        result = None
    try:
        conn.send(result)
    finally:
        conn.close()


def _features_while_loading(
    readable: list[Candidate],
    scoreable: list[Candidate],
    jobs: int,
    load: Callable[[], TrainedModel],
) -> tuple[_Features, TrainedModel]:
    """Extract features in a forked child while this process loads the model.

    Both can take a second or more of CPU (pylint and libcst start-up; a model without its
    numpy export imports scikit-learn and skops) and are independent, so on two cores they
    overlap. The child is only an
    optimisation: if it fails, the features are computed here."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        model = load()
        return _features(readable, scoreable, jobs), model
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_features_child, args=(send, readable, scoreable, jobs))
    for stream in (sys.stdout, sys.stderr):  # or the child would write their buffers again
        stream.flush()
    child.start()
    send.close()
    result: _Features | None = None
    try:
        model = load()
        try:
            result = receive.recv()  # before join: a large result fills the pipe
        except EOFError:  # the child died
            result = None
    finally:
        receive.close()
        if child.is_alive() and result is None:
            _stop(child.pid)
        child.join()
    return (result if result is not None else _features(readable, scoreable, jobs)), model


def _stop(pid: int | None) -> None:
    """Stop the features child and the workers it started (its process group)."""
    if pid is None:
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:  # not a group leader yet, so it has no workers yet
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def _score(items: Sequence[_Item], model: ModelSource, jobs: int) -> _Scored:
    """Findings for every readable candidate and risk for the scoreable ones."""
    readable = [it.candidate for it in items if not it.problems]
    idx = [i for i, it in enumerate(items) if it.scoreable] if model is not None else []
    scoreable = [items[i].candidate for i in idx]
    if callable(model):
        if readable:
            (found, table), model = _features_while_loading(readable, scoreable, jobs, model)
        else:
            (found, table), model = ({}, None), model()
    else:
        found, table = _features(readable, scoreable, jobs)
    risks: dict[int, float] = {}
    if model is not None and table is not None:
        values = model.predict_risk(table)
        risks = {i: float(v) for i, v in zip(idx, values, strict=True)}
    return _Scored(risks, found, model)


def check(
    paths: Sequence[str | Path],
    *,
    model: ModelSource,
    config: Config,
    baseline: Baseline | None = None,
    cwd: Path | None = None,
) -> CheckRun:
    """Check `paths` and return the run (no output is written here).

    `model` is a loaded model, a loader (called while the features are extracted, so the two
    overlap), or None to report findings only."""
    cwd = (cwd or Path.cwd()).absolute()
    items: list[_Item] = []
    for file in iter_files([Path(p) for p in paths], config.exclude):
        display = display_path(file, cwd)
        if _kind(file) is InputKind.SAMPLES:
            items.extend(_sample_items(file, display))
        else:
            items.append(_python_item(read_source(file, display, config.max_file_size)))

    scored = _score(items, model, config.jobs)
    model = scored.model
    results: list[CandidateResult] = []
    all_found: dict[str, Finding] = {}
    for i, it in enumerate(items):
        cand = it.candidate
        lines = cand.code.splitlines()
        raw = (*it.problems, *scored.findings.get(cand.sha256, ()))
        reported = []
        for f in _unique(raw):
            if f.code in config.ignore or f.code.split(":")[-1] in config.ignore:
                continue
            line = lines[f.line - 1] if 0 < f.line <= len(lines) else ""
            if config.honor_suppressions and suppressed(f, line):
                continue
            reported.append(Reported(f, normalize_line(line)))
            all_found.setdefault(f.code, f)
        entry = lines[it.entry_line - 1] if 0 < it.entry_line <= len(lines) else ""
        results.append(
            CandidateResult(
                path=it.display,
                task_id=cand.task_id,
                sample_id=cand.sample_id,
                sha256=cand.sha256,
                risk=scored.risks.get(i),
                entry_line=it.entry_line,
                findings=tuple(sorted(reported, key=_finding_order)),
                embedded=it.embedded,
                note=None if i in scored.risks or model is None else it.note,
                entry_text=normalize_line(entry),
            )
        )
    run = CheckRun(
        results=tuple(results),
        rules=describe_rules(all_found, all_found),
        fail_on_risk=config.fail_on_risk,
        fail_on=config.fail_on,
        model=model.describe() if model is not None else None,
        rules_url=config.rules_url,
    )
    return baseline.apply(run) if baseline is not None else run


def _unique(findings: Iterable[Finding]) -> Iterator[Finding]:
    seen: set[tuple[str, int, int, str]] = set()
    for f in findings:
        key = (f.code, f.line, f.col, f.message)
        if key not in seen:
            seen.add(key)
            yield f


def _finding_order(r: Reported) -> tuple[int, int, str, str]:
    return (r.finding.line, r.finding.col, r.finding.code, r.finding.message)


def occurrence_keys(results: Iterable[CandidateResult]) -> Counter[tuple[str, str, str]]:
    """Multiset of (path, code, line text) for every finding (and the risk of flagged ones)."""
    keys: Counter[tuple[str, str, str]] = Counter()
    for r in results:
        for f in r.findings:
            keys[(r.path, f.finding.code, f.line_text)] += 1
    return keys
