"""Sample readers: one per input format, chosen by sniffing or by name.

Formats (see READERS): EvalPlus samples JSONL, an EvalPlus samples directory,
human-eval samples JSONL, and EvalPlus `eval_results.json` (current and legacy),
which is read as already-labeled input.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from auditor.config import MAX_SOURCE_CHARS
from auditor.corpus.benchmarks import (
    id_text,
    is_text,
    load_benchmark,
    load_benchmarks_for,
    read_jsonl_numbered,
)
from auditor.errors import InputError
from auditor.io import (
    NEWLINE,
    RESAVE,
    UnreadableSource,
    open_text,
    python_source_text,
    read_bytes,
    require_regular,
)
from auditor.sanitize import Sanitized, sanitize_completion
from auditor.types import Candidate, Label, Outcome, Status, Task


@dataclass(frozen=True)
class Samples:
    """Candidates read from one input; `labels` only for already-labeled input."""

    candidates: tuple[Candidate, ...]
    labels: tuple[Label, ...] | None
    source: str
    format: str


@dataclass(frozen=True)
class _RawSample:
    """One sample before sanitizing: a full program, or a completion to prefix."""

    task_id: str
    sample_id: str
    where: str  # "file:line" or a file path, for error messages
    solution: str | None = None
    completion: str | None = None
    path: str | None = None
    model: str | None = None
    line: int | None = None  # the row's line in a JSONL file


Reader = Callable[[Path, Mapping[str, Task] | None, bool], Samples]


@dataclass(frozen=True)
class SampleReader:
    """A samples format: its name, how to recognise it, and how to read it."""

    name: str
    description: str
    sniff: Callable[[Path], bool]
    read: Reader


# ---------------------------------------------------------------- building candidates


_SanitizeCache = dict[tuple[str, str, str | None], Sanitized]  # (prompt, text, entry)
# Sanitizing costs ~10 s of CPU per MB of answer (red team s18, B9: a 6 MB row took 64 s);
# an answer this large is kept as written, so `check` reports it over the size limit
# (AUD910) and `label` runs it as written.
MAX_ANSWER_CHARS = 4 * MAX_SOURCE_CHARS


def _candidate(
    raw: _RawSample, tasks: Mapping[str, Task] | None, cache: _SanitizeCache | None
) -> Candidate:
    """A Candidate from a raw sample: prefix the prompt to a completion, then sanitize.

    `cache` (None: don't sanitize) memoizes by text, since sampled corpora repeat a lot.
    Unsanitized and without tasks, a completion stands alone: reading task ids first (to
    choose the benchmarks, `--benchmark auto`) needs no prompt.
    """
    task = None
    if tasks is not None:
        task = tasks.get(raw.task_id)
        if task is None:
            raise InputError(f"{raw.where}: unknown task id {raw.task_id!r}")
    if raw.solution is not None:
        prompt, text = "", raw.solution
    elif task is not None and not task.completes:
        raise InputError(
            f"{raw.where}: task {raw.task_id} gives no code prompt (an MBPP-form task): "
            f"it takes `solution` rows (whole programs), not `completion`"
        )
    elif task is None and cache is not None:
        raise InputError(
            f"{raw.where}: a `completion` needs its task's prompt; pass the benchmark "
            f"(tasks) or use full `solution` programs"
        )
    else:
        prompt, text = task.prompt if task else "", raw.completion or ""
    program = prompt + text
    if cache is None or len(program) > MAX_ANSWER_CHARS:  # too large to read: as written
        return Candidate(
            raw.task_id,
            raw.sample_id,
            program,
            path=raw.path,
            model=raw.model,
            raw=program,
            line=raw.line,
        )
    key = (prompt, text, task.entry_point if task else None)
    clean = cache.get(key)
    if clean is None:
        clean = cache[key] = sanitize_completion(*key)
    return Candidate(
        raw.task_id,
        raw.sample_id,
        clean.code,
        path=raw.path,
        model=raw.model,
        raw=program,
        removed=clean.removed,
        line_map=clean.line_map if clean.extracted else None,
        extracted=tuple(block.describe() for block in clean.extracted),
        reason=clean.reason,
        line=raw.line,
        prompt_lines=len(NEWLINE.findall(prompt)),
    )


def _candidates(
    raws: Iterable[_RawSample], tasks: Mapping[str, Task] | None, sanitize: bool
) -> tuple[Candidate, ...]:
    """Candidates in input order; a blank sample id (every reader's: a row's `sample_id`,
    a file's name) or a repeated (task id, sample id) is an input error: ids key baselines,
    labels, reports and SARIF, where "" or " " names no sample a user can find."""
    seen: set[tuple[str, str]] = set()
    out: list[Candidate] = []
    cache: _SanitizeCache | None = {} if sanitize else None
    for raw in raws:
        if not raw.sample_id.strip():
            raise InputError(f"{raw.where}: `sample_id` must not be blank, got {raw.sample_id!r}")
        key = (raw.task_id, raw.sample_id)
        if key in seen:
            raise InputError(f"{raw.where}: duplicate sample {raw.task_id} #{raw.sample_id}")
        seen.add(key)
        out.append(_candidate(raw, tasks, cache))
    return tuple(out)


def _text_field(row: Mapping[str, Any], key: str, where: str) -> str | None:
    value = row.get(key)
    if value is not None and not isinstance(value, str):
        raise InputError(f"{where}: `{key}` must be a string, got {type(value).__name__}")
    return value


def _task_id(row: Mapping[str, Any], where: str) -> str:
    """A row's `task_id` as text (`benchmarks.id_text`: a string or an integer), not empty."""
    value = row.get("task_id")
    if value is None or value == "":
        raise InputError(f"{where}: missing or empty `task_id`")
    text = id_text(value)
    if text is None:
        raise InputError(
            f"{where}: `task_id` must be a string or an integer, got {type(value).__name__}"
        )
    return text


def _sample_id(row: Mapping[str, Any], index: int, where: str) -> str:
    """A row's `sample_id` as text: a string, or an integer as EvalPlus writes them; missing
    or null, `index` (the row's among its task's rows). Any other value is an input error:
    `str()` made `[1]` an id "[1]" and NaN one "nan", which no user meant."""
    value = row.get("sample_id")
    if value is None:
        return str(index)
    text = id_text(value)
    if text is not None:
        return text
    raise InputError(
        f"{where}: `sample_id` must be a string or an integer, got {type(value).__name__}"
    )


def _jsonl_samples(path: Path) -> list[_RawSample]:
    """Raw samples of a samples JSONL; sample ids default to a per-task counter (`_sample_id`).

    Each row gives a `solution` or a `completion`, whatever the other rows give: a file
    mixing both is read row by row (its format is sniffed from the first row only).
    """
    rows = read_jsonl_numbered(path)
    if not rows:
        raise InputError(f"{path}: empty samples file")
    counters: dict[str, int] = {}
    raws: list[_RawSample] = []
    for lineno, row in rows:
        where = f"{path}:{lineno}"
        task_id = _task_id(row, where)
        solution = _text_field(row, "solution", where)
        completion = _text_field(row, "completion", where)
        if solution is None and completion is None:
            raise InputError(f"{where}: `solution` or `completion` is missing or null")
        if solution is not None and completion is not None:
            raise InputError(
                f"{where}: both `solution` and `completion` are given; give one (a whole "
                f"program, or what follows the task's prompt)"
            )
        index = counters.get(task_id, 0)
        counters[task_id] = index + 1
        model = row.get("model")
        raws.append(
            _RawSample(
                task_id=task_id,
                sample_id=_sample_id(row, index, where),
                where=where,
                solution=solution,
                completion=completion,
                model=model if isinstance(model, str) else None,
                line=lineno,
            )
        )
    return raws


# ---------------------------------------------------------------- readers


def _read_evalplus_jsonl(path: Path, tasks: Mapping[str, Task] | None, sanitize: bool) -> Samples:
    raws = _jsonl_samples(path)
    return Samples(_candidates(raws, tasks, sanitize), None, str(path), "evalplus-jsonl")


def _read_humaneval_jsonl(path: Path, tasks: Mapping[str, Task] | None, sanitize: bool) -> Samples:
    raws = _jsonl_samples(path)
    return Samples(_candidates(raws, tasks, sanitize), None, str(path), "humaneval-jsonl")


def _sample_order(path: Path) -> tuple[int, int | str]:
    """Numeric stems in numeric order (2.py before 10.py), others after by name."""
    return (0, int(path.stem)) if path.stem.isdigit() else (1, path.stem)


def _sample_text(file: Path) -> str:
    """The program of a sample file: the text Python reads (`python_source_text`, as
    `check` reads a .py file: UTF-8, or the codec its coding cookie declares), its line
    ends read as `\\n`, as EvalPlus reads the file (text mode) and Python compiles it."""
    try:
        text = python_source_text(read_bytes(file))
    except OSError as exc:
        raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from None
    except UnreadableSource as exc:
        raise InputError(f"{file}: {exc} ({RESAVE})") from None
    return NEWLINE.sub("\n", text)


def _dir_samples(root: Path) -> list[_RawSample]:
    """Raw samples of an EvalPlus directory: TASK_ID/N.py with `_` standing for `/`."""
    raws: list[_RawSample] = []
    for task_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        task_id = task_dir.name.replace("_", "/")
        for file in sorted(task_dir.glob("*.py"), key=_sample_order):
            text = _sample_text(file)
            raws.append(_RawSample(task_id, file.stem, str(file), solution=text, path=str(file)))
    if not raws:
        raise InputError(
            f"{root}: no samples (expected TASK_ID/N.py files, `_` for `/` in the id: "
            f"{_layout_example(root)})"
        )
    return raws


def _layout_example(root: Path) -> str:
    """What a file of `root` laid out by the id's `/` (Toy/0/0.py) is to be (Toy_0/0.py)."""
    nested = next(root.glob("*/*/*.py"), None)  # the first found: no full scan
    if nested is None:
        return "HumanEval_0/0.py"
    return f"{nested.parent.parent.name}_{nested.parent.name}/{nested.name}"


def _read_evalplus_dir(path: Path, tasks: Mapping[str, Task] | None, sanitize: bool) -> Samples:
    return Samples(
        _candidates(_dir_samples(path), tasks, sanitize), None, str(path), "evalplus-dir"
    )


_OUTCOMES: Mapping[str, Outcome] = {
    "pass": Outcome.PASS,
    "success": Outcome.PASS,  # evalplus < 0.2
    "fail": Outcome.FAIL,
    "failed": Outcome.FAIL,
    "timeout": Outcome.TIMEOUT,
    "timed out": Outcome.TIMEOUT,
    "error": Outcome.ERROR,
}


def _outcome(value: Any, where: str) -> Outcome:
    """An EvalPlus status string as an Outcome; `None` means the suite did not run."""
    if value is None:
        raise InputError(f"{where}: no plus-test status (a --base-only run cannot be labeled)")
    outcome = _OUTCOMES.get(str(value).lower()) if isinstance(value, str) else None
    if outcome is None:
        raise InputError(f"{where}: unknown status {value!r}")
    return outcome


def _load_json(path: Path) -> Any:
    try:
        with open_text(path) as fh:
            text = fh.read()
        if not text.strip():
            raise InputError(f"{path}: empty file")
        doc = json.loads(text)
        if "\\u" in text and not is_text(doc):
            raise InputError(f"{path}: a string holds a lone surrogate, which is not text")
        return doc
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: malformed JSON: {exc.msg}") from None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from None


def _results_eval(path: Path) -> Mapping[str, Any]:
    doc = _load_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("eval"), dict):
        raise InputError(f"{path}: not an EvalPlus eval_results.json (no `eval` object)")
    if not doc["eval"]:
        raise InputError(f"{path}: empty eval results")
    return doc["eval"]


@dataclass(frozen=True)
class _Result:
    """One evaluated sample of an eval_results.json, in EvalPlus completion order."""

    task_id: str
    index: int
    weak: Outcome
    strong: Outcome
    solution: str | None

    @property
    def where(self) -> str:
        return f"{self.task_id} #{self.index}"


def _status_of(entry: Any) -> Any:
    """The status of a legacy `[status, details]` pair (or a bare status)."""
    return entry[0] if isinstance(entry, list) and entry else entry


def _task_results(path: Path, task_id: str, res: Any) -> list[_Result]:
    """Results of one task, from the current list form or the legacy `{base, plus}` form."""
    where = f"{path}: {task_id}"
    if isinstance(res, dict):  # legacy: {"nfiles": n, "base": [[status, details]], "plus": [...]}
        base, plus = res.get("base") or [], res.get("plus") or []
        if len(plus) != len(base):
            raise InputError(f"{where}: {len(base)} base but {len(plus)} plus results")
        return [
            _Result(
                task_id,
                i,
                _outcome(_status_of(b), f"{where} #{i}"),
                _outcome(_status_of(p), f"{where} #{i}"),
                None,
            )
            for i, (b, p) in enumerate(zip(base, plus, strict=True))
        ]
    if not isinstance(res, list):
        raise InputError(f"{where}: results are neither a list nor a legacy object")
    out: list[_Result] = []
    for i, entry in enumerate(res):
        if not isinstance(entry, dict):
            raise InputError(f"{where} #{i}: result is not an object")
        out.append(
            _Result(
                task_id,
                i,
                _outcome(entry.get("base_status"), f"{where} #{i}"),
                _outcome(entry.get("plus_status"), f"{where} #{i}"),
                _text_field(entry, "solution", f"{where} #{i}"),
            )
        )
    return out


def _label(cand: Candidate, weak: Outcome, strong: Outcome) -> Label:
    return Label(
        task_id=cand.task_id,
        sample_id=cand.sample_id,
        solution_sha256=cand.sha256,
        weak_status=weak,
        strong_status=strong,
        status=Status.from_outcomes(weak, strong),
        model=cand.model,
    )


def _samples_next_to(path: Path) -> Path:
    """The samples a result file was computed from, by EvalPlus's naming.

    EvalPlus writes `DIR/eval_results.json` for a samples directory and
    `NAME_eval_results.json` next to `NAME.jsonl`.
    """
    if path.name == "eval_results.json" and any(p.is_dir() for p in path.parent.iterdir()):
        return path.parent
    stem = path.name.removesuffix(".gz").removesuffix(".json").removesuffix("_eval_results")
    for name in (f"{stem}.jsonl", f"{stem}.jsonl.gz"):
        if (path.parent / name).is_file():
            return path.parent / name
    raise InputError(
        f"{path}: the results hold no solution text and no samples were found next to it "
        f"(expected {stem}.jsonl or a TASK_ID/N.py directory)"
    )


def _join_samples(
    path: Path, results: list[_Result], tasks: Mapping[str, Task] | None, sanitize: bool
) -> tuple[Candidate, ...]:
    """Candidates of solution-less results, from the samples they were computed from.

    EvalPlus numbers completions per task in reading order; our readers keep that order
    (directories in numeric file order, which is how EvalPlus writes them).
    """
    source = read_samples(_samples_next_to(path), tasks, sanitize=sanitize)
    by_task: dict[str, list[Candidate]] = {}
    for cand in source.candidates:
        by_task.setdefault(cand.task_id, []).append(cand)
    counts: dict[str, int] = {}
    for res in results:
        counts[res.task_id] = counts.get(res.task_id, 0) + 1
    for task_id, n in counts.items():
        have = len(by_task.get(task_id, ()))
        if have != n:
            raise InputError(f"{path}: {task_id} has {n} results but {have} samples")
    # Their rows are lines of the samples file, not of the results file they are read as.
    return tuple(replace(by_task[r.task_id][r.index], line=None) for r in results)


def _read_eval_results(path: Path, tasks: Mapping[str, Task] | None, sanitize: bool) -> Samples:
    """Labeled input: current (`[{solution, base_status, plus_status}]`) or legacy results.

    Results without solution text (legacy files, or copies stripped of solutions) are
    joined to the samples file or directory next to them.
    """
    results = [
        r for task_id, res in _results_eval(path).items() for r in _task_results(path, task_id, res)
    ]
    if not results:
        raise InputError(f"{path}: no evaluated samples")
    with_text = sum(r.solution is not None for r in results)
    if with_text == len(results):
        raws = [
            _RawSample(r.task_id, str(r.index), f"{path}: {r.where}", solution=r.solution)
            for r in results
        ]
        cands = _candidates(raws, tasks, sanitize)
    elif with_text == 0:
        cands = _join_samples(path, results, tasks, sanitize)
    else:
        raise InputError(
            f"{path}: {len(results) - with_text} of {len(results)} results lack a solution"
        )
    labels = tuple(_label(c, r.weak, r.strong) for c, r in zip(cands, results, strict=True))
    return Samples(cands, labels, str(path), "eval-results")


# ---------------------------------------------------------------- sniffing


def _first_json_row(path: Path) -> dict[str, Any] | None:
    """The first non-blank line parsed as a JSON object, or None."""
    try:
        with open_text(path) as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    return row if isinstance(row, dict) else None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError, RecursionError):
        return None  # the reader says why, naming the line
    return None


def _looks_like_results(path: Path) -> bool:
    """A JSON document with an `eval` object (one line as EvalPlus writes it, or indented)."""
    if not path.is_file():
        return False
    named = path.name.removesuffix(".gz").endswith(".json")
    row = _first_json_row(path)
    if row is not None:
        return "task_id" not in row and ("eval" in row or named)
    return named


def _looks_like_humaneval(path: Path) -> bool:
    row = _first_json_row(path) if path.is_file() else None
    return row is not None and "completion" in row and "solution" not in row


def _looks_like_evalplus(path: Path) -> bool:
    return path.is_file() and not _looks_like_results(path)


# Sniffed in this order; the first match wins.
READERS: Mapping[str, SampleReader] = {
    r.name: r
    for r in (
        SampleReader(
            "evalplus-dir", "EvalPlus directory TASK_ID/N.py", Path.is_dir, _read_evalplus_dir
        ),
        SampleReader(
            "eval-results",
            "EvalPlus eval_results.json (labeled; current or legacy)",
            _looks_like_results,
            _read_eval_results,
        ),
        SampleReader(
            "humaneval-jsonl",
            "human-eval samples JSONL (task_id, completion)",
            _looks_like_humaneval,
            _read_humaneval_jsonl,
        ),
        SampleReader(
            "evalplus-jsonl",
            "EvalPlus samples JSONL (solution, or completion + prompt); plain or gzip",
            _looks_like_evalplus,
            _read_evalplus_jsonl,
        ),
    )
}


def detect_format(path: str | Path) -> str:
    """The name of the reader for `path` (see READERS)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or directory")
    if not p.is_dir():
        require_regular(p)
    for reader in READERS.values():
        if reader.sniff(p):
            return reader.name
    raise InputError(f"{p}: unrecognised samples format")


def read_samples(
    path: str | Path,
    tasks: Mapping[str, Task] | None = None,
    *,
    sanitize: bool = True,
    format: str | None = None,
) -> Samples:
    """Read candidates from `path`, sniffing the format unless `format` names a reader.

    With `tasks`, every task id must be known and completions get their prompt; with
    `sanitize`, `Candidate.code` is the sanitized program and `Candidate.raw` the original.
    A completion needs its prompt only to be sanitized: with neither `tasks` nor
    `sanitize` it is read alone (enough to collect the task ids).
    """
    p = Path(path)
    if format is None:
        format = detect_format(p)
    reader = READERS.get(format)
    if reader is None:
        raise InputError(f"unknown samples format {format!r} (known: {', '.join(READERS)})")
    if not p.exists():
        raise InputError(f"{p}: no such file or directory")
    if reader.name == "evalplus-dir" and not p.is_dir():
        raise InputError(f"{p}: format evalplus-dir needs a directory")
    if reader.name != "evalplus-dir" and p.is_dir():
        raise InputError(f"{p}: is a directory (format {reader.name} needs a file)")
    if not p.is_dir():
        require_regular(p)
    return reader.read(p, tasks, sanitize)


def tasks_for_samples(
    path: str | Path, benchmark: str, data_dir: str | os.PathLike[str] | None = None
) -> dict[str, Task]:
    """The tasks of a samples file: the named `benchmark`, or with "auto" the HumanEval+ and
    MBPP+ tasks its task ids need (an error when it has none of theirs)."""
    if benchmark != "auto":
        return load_benchmark(benchmark, data_dir)
    # Task ids first (no prompt needed for that), then the benchmarks covering them.
    ids = {c.task_id for c in read_samples(path, None, sanitize=False).candidates}
    tasks = load_benchmarks_for(ids, data_dir)
    if not tasks or not any(t in tasks for t in ids):
        raise InputError(f"{path}: no HumanEval+/MBPP+ task ids; pass --benchmark")
    return tasks
