#!/usr/bin/env bash
# Writes the shipped model as ONNX graphs into target/onnx/ (float32, and int8 by ONNX Runtime's
# dynamic quantization), for `cargo bench --bench runtimes --features onnx-runtimes`, and checks
# their SHA-256: the graphs are built from models/all-minilm-l6-v2/model.safetensors by
# export_onnx.py, the same bytes on every run. They are not shipped: faqbot runs its own encoder.
#
#   bash models/export-onnx.sh
#
# Needs python3 with pip and network access to PyPI (numpy, safetensors, onnx, onnxruntime).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
target="$repo/target/onnx"
venv="$repo/target/onnx-venv"

float32=d7f9b3769689676dda80ee23659eae625a4ace1bc1b15f8c1f339f13bc808411
int8=a5e0fec3f5de5bbedca0f9bd5ece6f55cac5e129a5c355744dc94942d440afb0

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    numpy==2.4.6 safetensors==0.8.0 onnx==1.23.2 onnxruntime==1.32.0
"$venv/bin/python" "$here/export_onnx.py" "$here/all-minilm-l6-v2" "$target"

# shellcheck source=check.sh
source "$here/check.sh"
check "$target/all-minilm-l6-v2.onnx" "$float32"
check "$target/all-minilm-l6-v2-int8.onnx" "$int8"
