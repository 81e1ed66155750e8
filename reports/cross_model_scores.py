"""Risk scores of one corpus's weak passers from a model that never saw that corpus.

    python reports/cross_model_scores.py MODEL LABEL_DIR OUT.jsonl [--data-dir DIR]

Writes one JSON line per weak-passing candidate (`task_id`, `sample_id`, `risk`), the score
format `auditor report --scores NAME=FILE` reads. The model must not list the corpus among its
training corpora (checked), so the "what the auditor changes" section stays out-of-sample.
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
    lines = (
        json.dumps({"task_id": t, "sample_id": s, "risk": round(float(r), 6)})
        for (t, s, _), r in zip(table.keys, risk, strict=True)
    )
    atomic_write(args.out, "".join(line + "\n" for line in lines))
    print(f"{args.out}: {len(risk)} scores from a model trained on {', '.join(sorted(seen))}")


if __name__ == "__main__":
    main()
