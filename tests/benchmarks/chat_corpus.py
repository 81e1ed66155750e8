"""A synthetic chat-style corpus, and status agreement with EvalPlus 0.3.1 on it.

    python -m tests.benchmarks.chat_corpus [--corpus codegen16b] [--tasks 30] [--seed 0]
    python -m tests.benchmarks.chat_corpus --corpus qwen25coder7b --tasks 30 --with-evalplus \
        --save /tmp/qw.json
    python -m tests.benchmarks.chat_corpus --corpus qwen25coder7b --tasks 30 --recheck /tmp/qw.json

Wraps each raw sample of a shared corpus (its `solution`, junk and all) in one of several
Markdown/prose templates, as chat models answer (preamble, fenced or indented block, usage
example, explanation), chosen per sample by a seeded RNG. The wrapped corpus is written to a
temporary directory only (it holds solution text: never commit it). Then:

- **extraction**: the share of wrapped samples whose sanitized program is the sanitized
  unwrapped sample's (same AST: blank lines and comments aside), per template: where it is,
  the status is the one already measured on the plain corpus;
- with `--with-evalplus`, **agreement**: `auditor` (read + sanitize + label) against
  `evalplus.sanitize` + `evalplus.evaluate` on the wrapped samples (both full pipelines, as in
  `bench_label --with-evalplus`), overall and per template, with every disagreement listed.

The first N tasks are the first N task ids of the corpus file in file order.
"""

from __future__ import annotations

import argparse
import ast
import collections
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor.sanitize import sanitize
from tests.benchmarks.bench_label import (
    CORPORA,
    DEFAULT_DATA,
    EVALPLUS_PY,
    run_auditor,
    run_evalplus,
)

FENCE = "`" * 3

PREAMBLES = (
    "Here is the function:",
    "Sure! Here's a Python implementation:",
    "Certainly. The following code solves the problem.",
    "Here's one way to do it:",
    "You can implement it like this:",
)
EXPLANATIONS = (
    "### Explanation\n\n1. The function walks over the input once.\n2. It returns the result.\n",
    "This runs in linear time and uses constant extra space.",
    "The solution handles the edge cases (empty input, a single element) as well.",
    "**Note:** the function does not modify its arguments.",
)


def _ended(code: str) -> str:
    return code if code.endswith("\n") else code + "\n"


def _fenced(code: str, tag: str = "python", fence: str = FENCE) -> str:
    return f"{fence}{tag}\n{_ended(code)}{fence}\n"


def _indent(code: str, prefix: str) -> str:
    """Every line but empty ones indented (whitespace-only lines too, so they come back)."""
    return "".join(prefix + line if line.strip("\r\n") else line for line in code.splitlines(True))


def _preamble_fenced(code: str, entry: str, rng: random.Random) -> str:
    return f"{rng.choice(PREAMBLES)}\n\n{_fenced(code)}\n{rng.choice(EXPLANATIONS)}\n"


def _fence_only(code: str, entry: str, rng: random.Random) -> str:
    return _fenced(code, tag=rng.choice(["", "py", "python3"]))


def _tilde(code: str, entry: str, rng: random.Random) -> str:
    return f"{rng.choice(PREAMBLES)}\n\n{_fenced(code, 'python', '~~~')}"


def _chat_tokens(code: str, entry: str, rng: random.Random) -> str:
    body = f"{rng.choice(PREAMBLES)}\n\n{_fenced(code)}"
    return f"<|im_start|>assistant\n{body}<|im_end|>\n"


def _usage_block(code: str, entry: str, rng: random.Random) -> str:
    usage = f"result = {entry}(...)\nprint(result)\n"
    return (
        f"{rng.choice(PREAMBLES)}\n\n{_fenced(code)}\nExample usage:\n\n{_fenced(usage)}\n"
        f"{rng.choice(EXPLANATIONS)}\n"
    )


def _list_item(code: str, entry: str, rng: random.Random) -> str:
    block = _indent(_fenced(code), "   ")
    return f"Steps:\n\n1. Read the input.\n2. Implement `{entry}`:\n\n{block}\n3. Return it.\n"


def _indented(code: str, entry: str, rng: random.Random) -> str:
    return (
        f"{rng.choice(PREAMBLES)}\n\n{_indent(_ended(code), '    ')}\n{rng.choice(EXPLANATIONS)}\n"
    )


def _long_fence(code: str, entry: str, rng: random.Random) -> str:
    return f"{_fenced(code, 'python', '`' * 4)}\n{rng.choice(EXPLANATIONS)}\n"


def _bare_after_preamble(code: str, entry: str, rng: random.Random) -> str:
    return f"{rng.choice(PREAMBLES)}\n{_ended(code)}\n{rng.choice(EXPLANATIONS)}\n"


Template = Callable[[str, str, random.Random], str]
TEMPLATES: dict[str, Template] = {
    "preamble-fenced": _preamble_fenced,
    "fence-only": _fence_only,
    "tilde": _tilde,
    "chat-tokens": _chat_tokens,
    "usage-block": _usage_block,
    "list-item": _list_item,
    "indented": _indented,
    "long-fence": _long_fence,
    "bare-after-preamble": _bare_after_preamble,
}


# EvalPlus 0.3.1 extracts the longest run of lines that parses as it stands: code indented as
# a whole (an indented block, a block in a list item) never parses (unexpected indent), so
# EvalPlus rejects every such answer. Agreement is reported with and without them.
EVALPLUS_BLIND = frozenset({"indented", "list-item"})


def wrap(row: dict[str, Any], entry: str, seed: int) -> tuple[str, str]:
    """(template name, wrapped solution) for one sample, deterministic in the seed."""
    rng = random.Random(f"{seed}:{row['task_id']}:{row['sample_id']}")
    name = rng.choice(sorted(TEMPLATES))
    return name, TEMPLATES[name](row["solution"], entry, rng)


def _entry_points(data_dir: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in ("HumanEvalPlus-v0.1.10.jsonl.gz", "MbppPlus-v0.2.0.jsonl.gz"):
        with gzip.open(data_dir / "benchmarks" / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                task = json.loads(line)
                out[task["task_id"]] = task["entry_point"]
    return out


def _first_tasks(rows: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    order = list(dict.fromkeys(r["task_id"] for r in rows))
    keep = set(order[:n]) if n else set(order)
    return [r for r in rows if r["task_id"] in keep]


def _program(code: str) -> str:
    """The program's AST (blank lines and comments aside), or its text if it does not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.dump(ast.parse(code))
    except (SyntaxError, ValueError):
        return code


def extraction(
    rows: list[dict[str, Any]], wrapped: list[dict[str, Any]], entries: dict[str, str]
) -> dict[str, list[int]]:
    """Per template: (samples, samples whose program equals the unwrapped one's)."""
    per: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for row, w in zip(rows, wrapped, strict=True):
        entry = entries[row["task_id"]]
        plain = _program(sanitize(row["solution"], entry).code)
        ours = _program(sanitize(w["solution"], entry).code)
        per[w["template"]][0] += 1
        per[w["template"]][1] += plain == ours
    return per


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", choices=list(CORPORA), default="codegen16b")
    ap.add_argument("--tasks", type=int, default=30, help="first N tasks of the file; 0 = all")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("AUDITOR_DATA_DIR", DEFAULT_DATA))
    )
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--with-evalplus", action="store_true")
    ap.add_argument("--save", type=Path, help="write both status maps and templates (JSON)")
    ap.add_argument("--recheck", type=Path, help="re-run the disagreements of a --save file")
    ap.add_argument("--report", type=Path, help="print the agreement of a --save file again")
    ap.add_argument(
        "--evalplus-sanitize",
        action="store_true",
        help="compare evalplus.sanitize on wrapped and unwrapped samples (no evaluation)",
    )
    args = ap.parse_args(argv)
    if not (args.data_dir / "MANIFEST.json").is_file():
        print(f"shared corpora not found at {args.data_dir}", file=sys.stderr)
        return 2
    entries = _entry_points(args.data_dir)
    with gzip.open(args.data_dir / CORPORA[args.corpus], "rt", encoding="utf-8") as fh:
        rows = _first_tasks([json.loads(line) for line in fh], args.tasks)
    wrapped = []
    for r in rows:
        name, text = wrap(r, entries[r["task_id"]], args.seed)
        wrapped.append(dict(r, solution=text, template=name))
    if args.recheck:
        recheck(args.recheck, wrapped, args.data_dir)
        return 0
    if args.evalplus_sanitize:
        evalplus_sanitize(rows, wrapped, entries)
        return 0
    if args.report:
        saved = json.loads(args.report.read_text(encoding="utf-8"))
        _report(saved["template"], saved["auditor"], saved["evalplus"])
        return 0
    n_tasks = len({r["task_id"] for r in rows})
    print(f"corpus {args.corpus}, {len(rows)} samples, {n_tasks} tasks, seed {args.seed}")

    per = extraction(rows, wrapped, entries)
    total = sum(v[0] for v in per.values())
    equal = sum(v[1] for v in per.values())
    print(f"extraction: same program as unwrapped on {equal}/{total} ({equal / total:.2%})")
    for name in sorted(per):
        n, k = per[name]
        print(f"  {name:22s} {k:5d}/{n:5d} ({k / n:.2%})")
    if not args.with_evalplus:
        return 0

    with tempfile.TemporaryDirectory(prefix="chat-corpus-") as tmp:
        work = Path(tmp)
        samples = work / "wrapped.jsonl"
        with samples.open("w", encoding="utf-8") as fh:
            for w in wrapped:
                fh.write(json.dumps({k: w[k] for k in ("task_id", "sample_id", "solution")}))
                fh.write("\n")
        t_ours, ours = run_auditor(samples, args.data_dir, args.jobs)
        print(f"auditor: {t_ours:.1f} s")
        t_san, t_eval, theirs = run_evalplus(wrapped, args.data_dir, args.jobs, work, True)
        print(f"evalplus: sanitize {t_san:.1f} s + evaluate {t_eval:.1f} s")
    template = {f"{w['task_id']}#{w['sample_id']}": w["template"] for w in wrapped}
    _report(template, ours, theirs)
    if args.save:
        args.save.write_text(
            json.dumps({"auditor": ours, "evalplus": theirs, "template": template}, indent=0)
        )
    return 0


# Runs inside the EvalPlus venv: read [[code, entry], ...] from argv[1], write outputs to argv[2].
_EVALPLUS_SANITIZE = """
import json, sys
from evalplus.sanitize import sanitize
pairs = json.load(open(sys.argv[1]))
json.dump([sanitize(code, entry) for code, entry in pairs], open(sys.argv[2], "w"))
"""


def evalplus_sanitize(
    rows: list[dict[str, Any]], wrapped: list[dict[str, Any]], entries: dict[str, str]
) -> None:
    """Per template: does EvalPlus's sanitizer give the same program wrapped and unwrapped?

    Where it does, EvalPlus's status on the wrapped sample is its status on the plain one,
    which the auditor matches (see the plain-corpus agreement above).
    """
    pairs = [(r["solution"], entries[r["task_id"]]) for r in rows]
    pairs += [(w["solution"], entries[w["task_id"]]) for w in wrapped]
    with tempfile.TemporaryDirectory(prefix="chat-evalplus-sanitize-") as tmp:
        src, dst = Path(tmp, "in.json"), Path(tmp, "out.json")
        src.write_text(json.dumps(pairs), encoding="utf-8")
        subprocess.run([str(EVALPLUS_PY), "-c", _EVALPLUS_SANITIZE, str(src), str(dst)], check=True)
        out = json.loads(dst.read_text(encoding="utf-8"))
    plain, chat = out[: len(rows)], out[len(rows) :]
    per: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for w, a, b in zip(wrapped, plain, chat, strict=True):
        per[w["template"]][0] += 1
        per[w["template"]][1] += _program(a) == _program(b)
    total = sum(v[0] for v in per.values())
    equal = sum(v[1] for v in per.values())
    print(f"evalplus.sanitize: same program as unwrapped on {equal}/{total} ({equal / total:.2%})")
    for name in sorted(per):
        n, k = per[name]
        print(f"  {name:22s} {k:5d}/{n:5d} ({k / n:.2%})")


def recheck(saved: Path, wrapped: list[dict[str, Any]], data_dir: Path) -> None:
    """Re-run each disagreement alone, both full pipelines, to tell load noise apart."""
    maps = json.loads(saved.read_text(encoding="utf-8"))
    ours, theirs = maps["auditor"], maps["evalplus"]
    keys = {k for k in set(ours) & set(theirs) if ours[k] != theirs[k]}
    rows = [w for w in wrapped if f"{w['task_id']}#{w['sample_id']}" in keys]
    print(f"{len(keys)} disagreements in {saved}; {len(rows)} found in the wrapped corpus")
    ours2: dict[str, str] = {}
    theirs2: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="chat-recheck-") as tmp:
        for task_id in sorted({r["task_id"] for r in rows}):
            part = [r for r in rows if r["task_id"] == task_id]
            work = Path(tmp, task_id.replace("/", "_"))
            work.mkdir()
            samples = work / "wrapped.jsonl"
            with samples.open("w", encoding="utf-8") as fh:
                for w in part:
                    fh.write(json.dumps({k: w[k] for k in ("task_id", "sample_id", "solution")}))
                    fh.write("\n")
            ours2.update(run_auditor(samples, data_dir, 1)[1])
            theirs2.update(run_evalplus(part, data_dir, 1, work, True)[2])
    for r in rows:
        k = f"{r['task_id']}#{r['sample_id']}"
        print(
            f"  {k} [{r['template']}]: first run evalplus {theirs[k]} / auditor {ours[k]}; "
            f"alone evalplus {theirs2.get(k)} / auditor {ours2.get(k)}"
        )


def _report(template: dict[str, str], ours: dict[str, str], theirs: dict[str, str]) -> None:
    keys = sorted(set(ours) & set(theirs))
    per: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    diffs = []
    for k in keys:
        per[template[k]][0] += 1
        per[template[k]][1] += ours[k] == theirs[k]
        if ours[k] != theirs[k]:
            diffs.append((k, template[k], theirs[k], ours[k]))
    same = len(keys) - len(diffs)
    print(f"status agreement: {same}/{len(keys)} ({same / len(keys):.2%})")
    n_read = sum(v[0] for t, v in per.items() if t not in EVALPLUS_BLIND)
    same_read = sum(v[1] for t, v in per.items() if t not in EVALPLUS_BLIND)
    print(
        f"status agreement on templates EvalPlus can read (all but "
        f"{', '.join(sorted(EVALPLUS_BLIND))}): {same_read}/{n_read} ({same_read / n_read:.2%})"
    )
    for name in sorted(per):
        n, agree = per[name]
        print(f"  {name:22s} {agree:5d}/{n:5d} ({agree / n:.2%})")
    for key, name, ev, au in diffs:
        if name not in EVALPLUS_BLIND:
            print(f"  {key} [{name}]: evalplus {ev} / auditor {au}")
    blind = collections.Counter((ev, au) for _, name, ev, au in diffs if name in EVALPLUS_BLIND)
    for (ev, au), n in sorted(blind.items()):
        print(f"  {n} in {' and '.join(sorted(EVALPLUS_BLIND))}: evalplus {ev} / auditor {au}")


if __name__ == "__main__":
    sys.exit(main())
