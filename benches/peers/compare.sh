#!/usr/bin/env bash
# faqbot against bm25s and SQLite FTS5 on SciFact (train) and MedQuAD, side by side in one
# run: builds faqbot in release, installs the peers into a virtual environment under
# target/, and prints the table (and writes target/peers/results.json).
#
#   bash benches/peers/compare.sh            # ../shared beside the repo
#   FAQBOT_SHARED_DIR=/path/to/shared bash benches/peers/compare.sh
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${FAQBOT_SHARED_DIR:-$repo/../shared}"
work="$repo/target/peers"
venv="$repo/target/peers-venv"

if [ ! -f "$shared/eval/scifact/corpus.jsonl" ] || [ ! -f "$shared/eval/medquad/medquad.jsonl" ]; then
    echo "SciFact and MedQuAD not found under $shared/eval: set FAQBOT_SHARED_DIR" >&2
    exit 2
fi

cargo build --release --locked --manifest-path "$repo/Cargo.toml" --bin faqbot

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$repo/benches/peers/requirements.txt"

mkdir -p "$work"
"$venv/bin/python" "$repo/benches/peers/compare.py" \
    --faqbot "$repo/target/release/faqbot" \
    --shared "$shared" \
    --knowledge "$repo/knowledge" \
    --work "$work" \
    --json "$work/results.json"
