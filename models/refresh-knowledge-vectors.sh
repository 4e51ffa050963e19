#!/usr/bin/env bash
# Stores the vectors of the bundled knowledge (knowledge/) beside the model, so that a new
# clone answers its first question at once instead of embedding every passage first. Run it
# after editing knowledge/; `cargo test` says when it is due. Only vectors of texts still in
# the knowledge are kept.
#
#   bash models/refresh-knowledge-vectors.sh
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT

cargo build --release --quiet --manifest-path "$repo/Cargo.toml" --bin faqbot
# Once per precision the model computes in (the 8-bit one needs AVX-512 VNNI; elsewhere both
# runs compute in float32 and make the same file). In a folder of its own, so no other
# faqbot.toml applies; the model is found beside the binary.
for precision in int8 float32; do
    printf '[semantic]\nprecision = "%s"\n' "$precision" > "$data/faqbot.toml"
    (cd "$data" && env -u FAQBOT_CONFIG FAQBOT_DATA_DIR="$data/data" \
        "$repo/target/release/faqbot" ask --knowledge "$repo/knowledge" "massage" > /dev/null)
done
cp "$data"/data/embeddings/knowledge.*.vectors "$repo/models/all-minilm-l6-v2/"
ls -l "$repo"/models/all-minilm-l6-v2/knowledge.*.vectors
