#!/usr/bin/env python3
"""Writes the shipped all-MiniLM-L6-v2 as ONNX graphs, for measuring ONNX runtimes beside faqbot's.

Usage: export_onnx.py MODEL_DIR TARGET_DIR

Reads MODEL_DIR/model.safetensors (the repository's float16 weights, read as float32 as faqbot
reads them) and MODEL_DIR/config.json, and writes into TARGET_DIR:

- all-minilm-l6-v2.onnx: the whole sentence model in float32, from token ids and attention
  mask (int64, batch x tokens) to the mean-pooled unit vector (float32, batch x 384), the
  same computation as faqbot's encoder (src/meaning/bert.rs);
- all-minilm-l6-v2-int8.onnx: the same graph after ONNX Runtime's dynamic quantization
  (8-bit weights with a scale per output column, 8-bit inputs with a scale per tensor,
  MatMulInteger), what a developer would try first.

Then it runs both with ONNX Runtime on two sentences and checks that the int8 vectors point
where the float32 ones do. The graph is built node by node from the weights (no PyTorch, no
model hub), so the same weights give the same bytes on every run. Needs numpy, safetensors,
onnx and onnxruntime.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

OPSET = 17


class Graph:
    """Nodes and initializers, with fresh names."""

    def __init__(self):
        self.nodes, self.initializers, self.count = [], [], 0

    def name(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, hint, array):
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, kind, inputs, hint=None, **attributes):
        out = self.name(hint or kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], **attributes))
        return out


def dense(g, x, weights, prefix):
    """x W^T + b, with W stored transposed (inputs x outputs) as ONNX's MatMul takes it."""
    w = g.const(prefix + ".weight", weights[prefix + ".weight"].T.copy())
    b = g.const(prefix + ".bias", weights[prefix + ".bias"])
    return g.op("Add", [g.op("MatMul", [x, w]), b])


def layer_norm(g, x, weights, prefix, eps):
    return g.op("LayerNormalization",
                [x, g.const(prefix + ".weight", weights[prefix + ".weight"]),
                 g.const(prefix + ".bias", weights[prefix + ".bias"])],
                axis=-1, epsilon=eps)


def build(weights, config):
    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    head = hidden // heads
    eps = float(config["layer_norm_eps"])
    g = Graph()
    ids, mask = "input_ids", "attention_mask"

    # Embeddings: word + position (0..tokens) + token type 0, then a layer norm.
    tokens = g.op("Gather", [g.op("Shape", [ids]), g.const("one", np.array(1, np.int64))], axis=0)
    positions = g.op("Range", [g.const("zero", np.array(0, np.int64)), tokens,
                               g.const("step", np.array(1, np.int64))])
    word = g.op("Gather", [g.const("words", weights["embeddings.word_embeddings.weight"]), ids])
    place = g.op("Gather", [g.const("positions", weights["embeddings.position_embeddings.weight"]),
                            positions])
    kind = g.const("type0", weights["embeddings.token_type_embeddings.weight"][0])
    x = g.op("Add", [g.op("Add", [word, place]), kind])
    x = layer_norm(g, x, weights, "embeddings.LayerNorm", eps)

    # Padding gets a large negative score before the softmax, as in faqbot's encoder.
    maskf = g.op("Cast", [mask], to=TensorProto.FLOAT)
    bias = g.op("Mul", [g.op("Sub", [maskf, g.const("one_f", np.array(1, np.float32))]),
                        g.const("big", np.array(1e9, np.float32))])
    bias = g.op("Unsqueeze", [bias, g.const("axes12", np.array([1, 2], np.int64))])
    split = g.const("split", np.array([0, 0, heads, head], np.int64))
    joined = g.const("joined", np.array([0, 0, hidden], np.int64))
    scale = g.const("scale", np.array(1.0 / np.sqrt(head), np.float32))

    for index in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{index}."
        parts = {}
        for part, perm in (("query", [0, 2, 1, 3]), ("key", [0, 2, 3, 1]), ("value", [0, 2, 1, 3])):
            projected = dense(g, x, weights, p + "attention.self." + part)
            parts[part] = g.op("Transpose", [g.op("Reshape", [projected, split])], perm=perm)
        scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [parts["query"], parts["key"]]), scale]),
                              bias])
        context = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), parts["value"]])
        context = g.op("Reshape", [g.op("Transpose", [context], perm=[0, 2, 1, 3]), joined])
        attended = dense(g, context, weights, p + "attention.output.dense")
        x1 = layer_norm(g, g.op("Add", [attended, x]), weights,
                        p + "attention.output.LayerNorm", eps)
        inner = dense(g, x1, weights, p + "intermediate.dense")
        # GELU with the exact normal distribution: x (1 + erf(x / sqrt 2)) / 2.
        erf = g.op("Erf", [g.op("Mul", [inner, g.const("rsqrt2", np.array(1 / np.sqrt(2), np.float32))])])
        gelu = g.op("Mul", [g.op("Mul", [inner, g.const("half", np.array(0.5, np.float32))]),
                            g.op("Add", [erf, g.const("one_g", np.array(1, np.float32))])])
        out = dense(g, gelu, weights, p + "output.dense")
        x = layer_norm(g, g.op("Add", [out, x1]), weights, p + "output.LayerNorm", eps)

    # Mean of the real tokens' vectors, as a unit vector.
    weight = g.op("Unsqueeze", [maskf, g.const("axis2", np.array([2], np.int64))])
    axis1 = g.const("axis1", np.array([1], np.int64))
    summed = g.op("ReduceSum", [g.op("Mul", [x, weight]), axis1], keepdims=0)
    counts = g.op("Max", [g.op("ReduceSum", [weight, axis1], keepdims=0),
                          g.const("least", np.array(1, np.float32))])
    mean = g.op("Div", [summed, counts])
    norm = g.op("Sqrt", [g.op("ReduceSum", [g.op("Mul", [mean, mean]),
                                            g.const("axis_last", np.array([1], np.int64))],
                              keepdims=1)])
    norm = g.op("Max", [norm, g.const("tiny", np.array(1e-12, np.float32))])
    g.nodes.append(helper.make_node("Div", [mean, norm], ["sentence_embedding"]))

    graph = helper.make_graph(
        g.nodes, "all-minilm-l6-v2",
        [helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch", "tokens"]),
         helper.make_tensor_value_info(mask, TensorProto.INT64, ["batch", "tokens"])],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", hidden])],
        g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="faqbot models/export_onnx.py")
    onnx.checker.check_model(model)
    return model


def main():
    source, target = sys.argv[1], sys.argv[2]
    os.makedirs(target, exist_ok=True)
    weights = {name.removeprefix("bert."): tensor.astype(np.float32)
               for name, tensor in load_file(os.path.join(source, "model.safetensors")).items()}
    with open(os.path.join(source, "config.json"), encoding="utf-8") as handle:
        config = json.load(handle)
    plain = os.path.join(target, "all-minilm-l6-v2.onnx")
    eight = os.path.join(target, "all-minilm-l6-v2-int8.onnx")
    onnx.save(build(weights, config), plain + ".tmp")
    os.replace(plain + ".tmp", plain)

    from onnxruntime.quantization import QuantType, quantize_dynamic
    quantize_dynamic(plain, eight + ".tmp", weight_type=QuantType.QInt8, per_channel=True)
    os.replace(eight + ".tmp", eight)

    # The check: both graphs run, give unit vectors, and agree. (How close either is to
    # faqbot's own float32 vectors is what `cargo bench --bench runtimes` measures.)
    import onnxruntime
    ids = np.array([[101, 2054, 6433, 2076, 1037, 17261, 21881, 1029, 102]], np.int64)
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    vectors = [onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
               .run(None, feed)[0][0] for path in (plain, eight)]
    for vector in vectors:
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4, "not a unit vector"
    cosine = float(vectors[0] @ vectors[1])
    assert cosine > 0.98, f"int8 and float32 disagree: cosine {cosine}"
    for path in (plain, eight):
        print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB)")
    print(f"int8 against float32 on a question: cosine {cosine:.5f}")


if __name__ == "__main__":
    main()
