#!/bin/sh
# Regenerate the derived label files under corpora/labels/ from the shared corpora.
#   usage: corpora/regenerate.sh [DATA_DIR] [JOBS]
# DATA_DIR defaults to $AUDITOR_DATA_DIR, then ../shared/corpora. Only labels.jsonl and
# summary.json are kept (no solution text); the full OUTDIR (with eval_results.json) stays
# in a temp dir, which also makes a killed run resumable when re-run with the same TMP.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${1:-${AUDITOR_DATA_DIR:-$HERE/../../shared/corpora}}
JOBS=${2:-$(nproc)}
TMP=${AUDITOR_LABEL_TMP:-${TMPDIR:-/tmp}/auditor-corpora-labels}
for pair in \
    codegen16b:samples/humaneval_codegen-16b-mono_t0.8_n100.jsonl.gz \
    davinci002:samples/humaneval_code-davinci-002_t0.8_n200.jsonl.gz \
    qwen25coder7b:samples/evalperf_qwen2.5-coder-7b-instruct_t0.2_n40.jsonl.gz; do
    name=${pair%%:*}
    rel=${pair#*:}
    auditor label "$rel" --data-dir "$DATA" --benchmark auto --jobs "$JOBS" -o "$TMP/$name"
    mkdir -p "$HERE/labels/$name"
    cp "$TMP/$name/labels.jsonl" "$TMP/$name/summary.json" "$HERE/labels/$name/"
done
