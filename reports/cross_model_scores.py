"""Risk scores of one corpus's weak passers from a model that never saw that corpus.

    python reports/cross_model_scores.py MODEL LABEL_DIR OUT.jsonl [--data-dir DIR]

Writes one JSON line per weak-passing candidate (`task_id`, `sample_id`, `risk`, and
`task_seen`: whether the task id was among the training rows, null for a model that does not
record them), the score format `auditor report --scores NAME=FILE` reads. The model must not
list the corpus among its training corpora (checked); a task shared with a training corpus is
still seen, so the counts of seen and unseen tasks are printed (read the unseen ones as
out-of-sample).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from auditor import model as M
from auditor.corpus.labels import load_labeled
from auditor.io import atomic_write


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("labels", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--data-dir", type=Path)
    args = ap.parse_args()
    trained = M.load_model(args.model)
    corpus = load_labeled(args.labels, data_dir=args.data_dir)
    seen = {c["name"] for c in trained.meta.corpora}
    if corpus.name in seen:
        raise SystemExit(f"{args.model} was trained on {corpus.name}: scores would be in-sample")
    table = M.corpus_table(corpus)
    risk = trained.predict_risk(table)
    prior = trained.meta.baselines.get("task_prior")
    known = set(prior) if prior else None
    lines = [
        {
            "task_id": t,
            "sample_id": s,
            "risk": round(float(r), 6),
            "task_seen": None if known is None else t in known,
        }
        for (t, s, _), r in zip(table.keys, risk, strict=True)
    ]
    atomic_write(args.out, "".join(json.dumps(line) + "\n" for line in lines))
    print(f"{args.out}: {len(risk)} scores from a model trained on {', '.join(sorted(seen))}")
    if known is not None:
        tasks = {line["task_id"] for line in lines}
        print(f"tasks seen in training: {len(tasks & known)}, unseen: {len(tasks - known)}")


if __name__ == "__main__":
    main()
