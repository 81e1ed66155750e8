"""Labeling speed (and agreement) against EvalPlus 0.3.1, side by side.

    python -m tests.benchmarks.bench_label                       # auditor only, 30 tasks
    python -m tests.benchmarks.bench_label --with-evalplus       # + EvalPlus (~6 min idle)
    python -m tests.benchmarks.bench_label --tasks 0             # the whole corpus
    python -m tests.benchmarks.bench_label --isolation both      # bwrap vs fallback cost
    python -m tests.benchmarks.bench_label --corpus qwen25coder7b --tasks 0 --with-evalplus \
        --evalplus-input auditor                                 # agreement on the qwen corpus

The auditor side times reading + sanitizing + labeling the subset. The EvalPlus side runs
`evalplus.sanitize` then `evalplus.evaluate --parallel JOBS` in /opt/evalplus-venv with
HUMANEVAL_OVERRIDE_PATH / MBPP_OVERRIDE_PATH pointing at the shared benchmark files (restricted
to the covered tasks: EvalPlus crashes with "Missing problems in samples" otherwise). With
`--evalplus-input auditor` EvalPlus evaluates the auditor's sanitized programs instead of its
own sanitizer's output, so that agreement measures labeling alone. Agreement compares the
final status per sample (EvalPlus: rejected unless base passes; correct iff plus passes too).
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from auditor.corpus.benchmarks import BENCHMARKS, load_benchmarks_for
from auditor.corpus.labels import read_labels
from auditor.corpus.samples import read_samples
from auditor.label import label
from auditor.sandbox import SandboxLimits
from auditor.types import Status

CORPORA = {
    "codegen16b": "samples/humaneval_codegen-16b-mono_t0.8_n100.jsonl.gz",
    "davinci002": "samples/humaneval_code-davinci-002_t0.8_n200.jsonl.gz",
    "qwen25coder7b": "samples/evalperf_qwen2.5-coder-7b-instruct_t0.2_n40.jsonl.gz",
}
EVALPLUS_PY = Path(os.environ.get("EVALPLUS_PYTHON", "/opt/evalplus-venv/bin/python"))
DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
COMMITTED = Path(__file__).resolve().parents[2] / "corpora" / "labels"


def _task_number(task_id: str) -> int:
    return int(task_id.rsplit("/", 1)[1])


def _subset(rows: list[dict[str, Any]], n_tasks: int) -> list[dict[str, Any]]:
    """Rows of the first `n_tasks` HumanEval tasks (all rows when n_tasks is 0)."""
    if not n_tasks:
        return rows
    keep = {f"HumanEval/{i}" for i in range(n_tasks)}
    return [r for r in rows if r["task_id"] in keep]


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")


def cpu_seconds() -> float:
    """CPU time of this process and of every waited-for descendant (workers, candidates)."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_auditor(
    sample_file: Path, data_dir: Path, jobs: int, isolation: str = "auto"
) -> tuple[float, dict[str, str]]:
    """Seconds for read + sanitize + label, and status by (task_id, sample_id)."""
    t0 = time.perf_counter()
    ids = {c.task_id for c in read_samples(sample_file, None, sanitize=False).candidates}
    tasks = load_benchmarks_for(ids, data_dir)
    cands = read_samples(sample_file, tasks).candidates
    limits = SandboxLimits(isolation=isolation)
    run = label(cands, tasks, jobs=jobs, limits=limits, progress=True)
    elapsed = time.perf_counter() - t0
    return elapsed, {f"{lb.task_id}#{lb.sample_id}": lb.status.value for lb in run.labels}


def _evalplus_status(entry: dict[str, Any]) -> str:
    if entry["base_status"] != "pass":
        return Status.REJECTED.value
    ok = entry["plus_status"] == "pass"
    return Status.CORRECT.value if ok else Status.FALSE_POSITIVE.value


def run_evalplus(
    rows: list[dict[str, Any]], data_dir: Path, jobs: int, work: Path, sanitize: bool
) -> tuple[float, float, dict[str, str]]:
    """(sanitize seconds, evaluate seconds, status by key) from EvalPlus 0.3.1."""
    statuses: dict[str, str] = {}
    t_san = t_eval = 0.0
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = str(work / "cache")
    env["MBPP_OVERRIDE_PATH"] = str(data_dir / BENCHMARKS["mbpp+"].relpath)
    env["HUMANEVAL_OVERRIDE_PATH"] = str(data_dir / BENCHMARKS["humaneval+"].relpath)
    for dataset, prefix, spec in (
        ("humaneval", "HumanEval/", BENCHMARKS["humaneval+"]),
        ("mbpp", "Mbpp/", BENCHMARKS["mbpp+"]),
    ):
        part = [r for r in rows if r["task_id"].startswith(prefix)]
        if not part:
            continue
        part.sort(key=lambda r: _task_number(r["task_id"]))  # stable within a task
        d = work / dataset
        d.mkdir(parents=True, exist_ok=True)
        samples = d / "samples.jsonl"
        _write_jsonl(samples, [{"task_id": r["task_id"], "solution": r["solution"]} for r in part])
        if sanitize:
            t0 = time.perf_counter()
            subprocess.run(
                [str(EVALPLUS_PY), "-m", "evalplus.sanitize", "--samples", str(samples)],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            t_san += time.perf_counter() - t0
            samples = d / "samples-sanitized.jsonl"
        covered = {r["task_id"] for r in part}
        bench = d / "benchmark.jsonl"
        with gzip.open(data_dir / spec.relpath, "rt", encoding="utf-8") as fh:
            _write_jsonl(bench, [r for r in map(json.loads, fh) if r["task_id"] in covered])
        env_eval = dict(env)
        env_eval["HUMANEVAL_OVERRIDE_PATH" if dataset == "humaneval" else "MBPP_OVERRIDE_PATH"] = (
            str(bench)
        )
        t0 = time.perf_counter()
        subprocess.run(
            [
                str(EVALPLUS_PY),
                "-m",
                "evalplus.evaluate",
                "--dataset",
                dataset,
                "--samples",
                str(samples),
                "--parallel",
                str(jobs),
                "--i-just-wanna-run",
            ],
            env=env_eval,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        t_eval += time.perf_counter() - t0
        results = json.loads(Path(str(samples).replace(".jsonl", "_eval_results.json")).read_text())
        order: dict[str, list[str]] = collections.defaultdict(list)
        for r in part:
            order[r["task_id"]].append(str(r["sample_id"]))
        for task_id, entries in results["eval"].items():
            for sid, entry in zip(order[task_id], entries, strict=True):
                statuses[f"{task_id}#{sid}"] = _evalplus_status(entry)
    return t_san, t_eval, statuses


def agreement(ours: dict[str, str], theirs: dict[str, str]) -> tuple[float, collections.Counter]:
    keys = sorted(set(ours) & set(theirs))
    diff = collections.Counter(
        (k.split("#")[0], theirs[k], ours[k]) for k in keys if ours[k] != theirs[k]
    )
    same = len(keys) - sum(diff.values())
    return (same / len(keys) if keys else float("nan")), diff


def committed_agreement(corpus: str, ours: dict[str, str]) -> None:
    """Status agreement with the committed labels of the corpus (when there are any)."""
    path = COMMITTED / corpus / "labels.jsonl"
    if not path.exists() or not ours:
        return
    committed = {f"{lb.task_id}#{lb.sample_id}": lb.status.value for lb in read_labels(path)}
    rate, diff = agreement(ours, committed)
    print(
        f"agreement with {path.name} of {corpus}: {rate:.4%} on {len(set(ours) & set(committed))}"
    )
    for (task, theirs, mine), n in diff.most_common(10):
        print(f"  {task}: committed {theirs} / now {mine}: {n}")


def isolation_cost(subset: Path, data_dir: Path, jobs: int, n: int) -> dict[str, str]:
    """Label the subset under bubblewrap and under the fallback; print the cost per sample."""
    runs = {}
    for mode in ("auto", "off"):
        c0 = cpu_seconds()
        t, statuses = run_auditor(subset, data_dir, jobs, mode)
        runs[mode] = (t, cpu_seconds() - c0, statuses)
        name = "bwrap" if mode == "auto" else "fallback"
        print(f"{name:>8}: {t:8.1f} s wall, {runs[mode][1]:8.1f} CPU s, {n / t:7.1f} samples/s")
    (tb, cb, sb), (tf, cf, sf) = runs["auto"], runs["off"]
    print(
        f"isolation cost per sample: {(tb - tf) / n * 1000:+.1f} ms wall, "
        f"{(cb - cf) / n * 1000:+.1f} ms CPU; same statuses: {sb == sf}"
    )
    return sb


def recheck(saved: Path, corpus: str, data_dir: Path, jobs: int) -> None:
    """Re-run every disagreement alone (EvalPlus and auditor), to tell load noise apart."""
    maps = json.loads(saved.read_text())
    ours, theirs = maps["auditor"], maps["evalplus"]
    keys = sorted(k for k in set(ours) & set(theirs) if ours[k] != theirs[k])
    print(f"{len(keys)} disagreements in {saved}")
    if not keys:
        return
    with gzip.open(data_dir / CORPORA[corpus], "rt", encoding="utf-8") as fh:
        rows = [r for r in map(json.loads, fh) if f"{r['task_id']}#{r['sample_id']}" in keys]
    with tempfile.TemporaryDirectory(prefix="bench-recheck-") as tmp:
        work = Path(tmp)
        subset = work / "subset.jsonl"
        _write_jsonl(subset, rows)
        ids = {r["task_id"] for r in rows}
        tasks = load_benchmarks_for(ids, data_dir)
        cands = read_samples(subset, tasks).candidates
        code = {(c.task_id, c.sample_id): c.code for c in cands}
        ev_rows = [dict(r, solution=code[(r["task_id"], str(r["sample_id"]))]) for r in rows]
        run = label(cands, tasks, jobs=jobs)
        ours2 = {f"{lb.task_id}#{lb.sample_id}": lb.status.value for lb in run.labels}
        theirs2: dict[str, str] = {}
        for task_id in sorted(ids):  # one EvalPlus run per task: a quiet, small pool
            part = [r for r in ev_rows if r["task_id"] == task_id]
            theirs2.update(
                run_evalplus(part, data_dir, 1, work / task_id.replace("/", "_"), False)[2]
            )
    for k in keys:
        print(
            f"  {k}: first run evalplus {theirs[k]} / auditor {ours[k]}; "
            f"alone evalplus {theirs2.get(k)} / auditor {ours2.get(k)}"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", choices=list(CORPORA), default="codegen16b")
    ap.add_argument("--tasks", type=int, default=30, help="first N HumanEval tasks; 0 = all")
    ap.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("AUDITOR_DATA_DIR", DEFAULT_DATA))
    )
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--with-evalplus", action="store_true")
    ap.add_argument("--evalplus-input", choices=["raw", "auditor"], default="raw")
    ap.add_argument("--save", type=Path, help="write both status maps (JSON) here")
    ap.add_argument("--labels", type=Path, help="existing labels.jsonl to compare (no relabel)")
    ap.add_argument("--recheck", type=Path, help="re-run the disagreements of a --save file")
    ap.add_argument(
        "--isolation",
        choices=["auto", "off", "both"],
        default="auto",
        help="sandbox isolation (both: bubblewrap and the fallback, with the cost per sample)",
    )
    args = ap.parse_args(argv)
    if args.recheck:
        recheck(args.recheck, args.corpus, args.data_dir, args.jobs)
        return 0

    with gzip.open(args.data_dir / CORPORA[args.corpus], "rt", encoding="utf-8") as fh:
        rows = _subset([json.loads(line) for line in fh], args.tasks)
    with tempfile.TemporaryDirectory(prefix="bench-label-") as tmp:
        work = Path(tmp)
        subset = work / "subset.jsonl"
        _write_jsonl(subset, rows)
        n_tasks = len({r["task_id"] for r in rows})
        print(f"corpus {args.corpus}, {len(rows)} samples, {n_tasks} tasks")
        if args.labels:  # compare EvalPlus with existing labels (read after EvalPlus ran)
            ours: dict[str, str] = {}
            t_ours = float("nan")
        elif args.isolation == "both":
            ours = isolation_cost(subset, args.data_dir, args.jobs, len(rows))
            committed_agreement(args.corpus, ours)
        else:
            c0 = cpu_seconds()
            t_ours, ours = run_auditor(subset, args.data_dir, args.jobs, args.isolation)
            c_ours = cpu_seconds() - c0
            print(
                f"auditor (read+sanitize+label, {args.jobs} jobs): {t_ours:8.1f} s wall, "
                f"{c_ours:8.1f} CPU s, {len(rows) / t_ours:7.1f} samples/s"
            )
            committed_agreement(args.corpus, ours)
        theirs: dict[str, str] = {}
        if args.with_evalplus:
            ev_rows = rows
            if args.evalplus_input == "auditor":
                ids = {r["task_id"] for r in rows}
                tasks = load_benchmarks_for(ids, args.data_dir)
                cands = read_samples(subset, tasks).candidates
                code = {(c.task_id, c.sample_id): c.code for c in cands}
                ev_rows = [
                    dict(r, solution=code[(r["task_id"], str(r["sample_id"]))]) for r in rows
                ]
            c0 = cpu_seconds()
            t_san, t_eval, theirs = run_evalplus(
                ev_rows, args.data_dir, args.jobs, work, sanitize=args.evalplus_input == "raw"
            )
            t_ev = t_san + t_eval
            c_ev = cpu_seconds() - c0
            if args.labels:
                keys = {f"{r['task_id']}#{r['sample_id']}" for r in rows}
                ours = {
                    f"{lb.task_id}#{lb.sample_id}": lb.status.value
                    for lb in read_labels(args.labels)
                    if f"{lb.task_id}#{lb.sample_id}" in keys
                }
            print(
                f"evalplus 0.3.1 (sanitize {t_san:.1f} s + evaluate {t_eval:.1f} s): "
                f"{t_ev:8.1f} s wall, {c_ev:8.1f} CPU s"
            )
            if not args.labels:
                print(f"speed-up: {t_ev / t_ours:.1f}x wall, {c_ev / c_ours:.1f}x CPU")
            rate, diff = agreement(ours, theirs)
            print(f"status agreement: {rate:.4%} on {len(set(ours) & set(theirs))} samples")
            for (task, ev, au), n in diff.most_common(30):
                print(f"  {task}: evalplus {ev} / auditor {au}: {n}")
        if args.save:
            args.save.write_text(json.dumps({"auditor": ours, "evalplus": theirs}, indent=0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
