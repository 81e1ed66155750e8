#!/bin/sh
# Regenerate reports/ (report.md, report.json, figures/) from the committed labels.
#   usage: reports/regenerate.sh [DATA_DIR] [CORPUS...]
# DATA_DIR (the shared corpora: samples and benchmarks) defaults to $AUDITOR_DATA_DIR, then
# ../shared/corpora. CORPUS defaults to every corpus with labels under corpora/labels/.
# Feature tables (for the "features that separate" section) go to a temp dir, never here;
# the feature cache makes re-runs cheap. Set HTML=1 to also write reports/index.html.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
DATA=${1:-${AUDITOR_DATA_DIR:-$ROOT/../shared/corpora}}
[ $# -gt 0 ] && shift
if [ $# -eq 0 ]; then
    set --
    for d in "$ROOT"/corpora/labels/*/; do
        [ -f "$d/labels.jsonl" ] && set -- "$@" "$(basename "$d")"
    done
fi
TMP=${TMPDIR:-/tmp}/auditor-report-features
mkdir -p "$TMP"
labels=""
features=""
for c in "$@"; do
    auditor features "$ROOT/corpora/labels/$c" --data-dir "$DATA" -o "$TMP/$c.parquet"
    labels="$labels $ROOT/corpora/labels/$c"
    features="$features --features $TMP/$c.parquet"
done
# Optional risk scores for "what the auditor changes": SCORES="name=file.jsonl ..." (see README).
scores=""
for s in ${SCORES:-}; do scores="$scores --scores $s"; done
html="--no-html"
[ "${HTML:-0}" = 1 ] && html="--html"
# shellcheck disable=SC2086  # word splitting of the path lists is intended
auditor report $labels -o "$HERE" --data-dir "$DATA" $features $scores $html
