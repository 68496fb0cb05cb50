"""The encoder fixture's early-exit model run eagerly in PyTorch with PABEE, as the papers' reference code runs it,
for bench/pytorch.bench.ts. The model definition is fixtures/gen/model.py (imported, not copied); its weights are
read from the fixture itself: fixtures/encoder/backbone.onnx (the backbone) and heads.safetensors (the PABEE pooler
and per-layer classifiers, the same keys dsl/examples/pabee.ramp names).

Protocol (one JSON object per line): prints {"ready": ...} once, then answers each request read from stdin,
{"batch": b, "examples": n, "patience": p, "min_exit": m, "mode": "pabee"|"backbone"}, with one timed pass over
the first n eval examples: {"ms": wall time of the pass, "exit_layers": [...], "predictions": [...]}.
Tensors are built before the clock starts; the clock covers the model only, as Offramp's side covers its run.
"""
import json
import pathlib
import struct
import sys
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "encoder"
sys.path.insert(0, str(ROOT / "fixtures" / "gen"))
from model import BertForEarlyExit, Config  # noqa: E402


def read_safetensors(path: pathlib.Path) -> dict:
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    base = 8 + size
    dtypes = {"F32": np.float32, "I64": np.int64}
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        out[name] = np.frombuffer(raw[base + start : base + end], dtype=dtypes[spec["dtype"]]).reshape(spec["shape"])
    return out


def state_dict_from_fixture(model: BertForEarlyExit) -> dict:
    """Maps the exported backbone's initializers back to module names: named ones directly, the exporter's
    transposed MatMul weights (onnx::MatMul_N) through the scope of the MatMul that reads them, and the folded
    token-type row (onnx::Add_N, row 0: the only one the model reads)."""
    graph = onnx.load(str(FIXTURE / "backbone.onnx")).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    state = {k: v.clone() for k, v in model.state_dict().items()}
    loaded = set()

    def put(key, value):
        assert tuple(state[key].shape) == tuple(value.shape), (key, state[key].shape, value.shape)
        state[key] = torch.from_numpy(np.array(value, dtype=np.float32))
        loaded.add(key)

    for name, value in inits.items():
        if name in state:
            put(name, value)
    for node in graph.node:
        for name in node.input:
            if not name.startswith("onnx::") or name not in inits:
                continue
            scope = node.name.strip("/").split("/")[:-1]  # /bert/encoder/layer.0/attention/self/query/MatMul
            if node.op_type == "MatMul":
                put(".".join(scope) + ".weight", inits[name].T)
            elif node.name == "/bert/embeddings/Add_1":
                row = state["bert.embeddings.token_type_embeddings.weight"].clone()
                row[0] = torch.from_numpy(np.array(inits[name]))
                put("bert.embeddings.token_type_embeddings.weight", row)
    heads = read_safetensors(FIXTURE / "heads.safetensors")
    for k in range(model.config.num_layers):
        put(f"classifiers.{k}.weight", heads[f"pabee.classifier.{k}.weight"])
        put(f"classifiers.{k}.bias", heads[f"pabee.classifier.{k}.bias"])
    assert np.array_equal(heads["pabee.pooler.weight"], inits["bert.pooler.dense.weight"])
    missing = sorted(set(state) - loaded)
    assert missing == [], f"weights not found in the fixture: {missing}"
    return state


def mask_bias(model: BertForEarlyExit, input_ids, attention_mask):
    """The additive attention bias (padding and the sliding window) as BertModel.forward builds it; the stepped
    loop needs it once per layer. `check` compares the loop with the model's own forward at start-up."""
    padding = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -10000.0
    position = torch.arange(input_ids.shape[1])
    outside = (position[None, :] - position[:, None]).abs() > model.bert.window
    return padding + outside.to(torch.float32)[None, None] * -10000.0


def pabee(model: BertForEarlyExit, input_ids, attention_mask, patience: int, min_exit: int):
    """PABEE (policies.md §1: cnt == patience, patience 0 = the full model, the last layer always exits), per
    sample at batch > 1 like Offramp's compiled model: layers run on the whole batch until every sample has
    exited, and each sample keeps the logits of the layer it exited at."""
    layers = model.bert.encoder.layer
    n = len(layers)
    batch = input_ids.shape[0]
    bias = mask_bias(model, input_ids, attention_mask)
    x = model.bert.embeddings(input_ids)
    active = torch.ones(batch, dtype=torch.bool)
    count = torch.zeros(batch, dtype=torch.long)
    prev = None
    out = torch.empty(batch, model.config.num_classes)
    exit_layer = torch.full((batch,), n, dtype=torch.long)
    for i, layer in enumerate(layers, start=1):
        x = layer(x, bias)
        z = model.classifiers[i - 1](model.bert.pooler(x))
        pred = z.argmax(-1)
        count = torch.where(pred == prev, count + 1, torch.zeros_like(count)) if prev is not None else count
        prev = pred
        exits = active & (count == patience) & (patience > 0) & (i >= min_exit)
        if i == n:
            exits = active
        if bool(exits.any()):
            out[exits] = z[exits]
            exit_layer[exits] = i
            active = active & ~exits
            if not bool(active.any()):
                break
    return out, exit_layer


def check(model: BertForEarlyExit, ids, mask) -> float:
    """Largest difference between the stepped loop's last-layer logits and the model's own forward."""
    with torch.no_grad():
        _, pooled = model.bert(ids, mask, pool_every_layer=True)
        reference = model.classifiers[-1](pooled[-1])
        stepped, _ = pabee(model, ids, mask, patience=0, min_exit=1)
    return float((stepped - reference).abs().max())


def main() -> None:
    torch.set_num_threads(1)
    cfg = json.loads((FIXTURE / "config.json").read_text())
    config = Config(
        vocab_size=cfg["vocab_size"],
        hidden_size=cfg["hidden_size"],
        num_layers=cfg["num_layers"],
        num_heads=cfg["num_attention_heads"],
        intermediate_size=cfg["intermediate_size"],
        max_positions=cfg["max_position_embeddings"],
        num_classes=cfg["num_classes"],
    )
    model = BertForEarlyExit(config)
    model.load_state_dict(state_dict_from_fixture(model))
    model.eval()
    ids_all = torch.from_numpy(np.load(FIXTURE / "eval" / "input_ids.npy"))
    mask_all = torch.from_numpy(np.load(FIXTURE / "eval" / "attention_mask.npy"))
    print(
        json.dumps(
            {
                "ready": True,
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "check": check(model, ids_all[:16], mask_all[:16]),
            }
        ),
        flush=True,
    )
    for line in sys.stdin:
        request = json.loads(line)
        batch, examples = request["batch"], request["examples"]
        batches = [
            (ids_all[s : min(s + batch, examples)], mask_all[s : min(s + batch, examples)])
            for s in range(0, examples, batch)
        ]
        exit_layers, predictions = [], []
        with torch.no_grad():
            started = time.perf_counter()
            if request["mode"] == "backbone":
                for ids, mask in batches:
                    _, pooled = model.bert(ids, mask)
                    model.classifiers[-1](pooled[-1])
            else:
                results = [pabee(model, ids, mask, request["patience"], request["min_exit"]) for ids, mask in batches]
            ms = (time.perf_counter() - started) * 1000
        if request["mode"] != "backbone":
            for logits, layers in results:
                exit_layers += layers.tolist()
                predictions += logits.argmax(-1).tolist()
        print(json.dumps({"ms": ms, "exit_layers": exit_layers, "predictions": predictions}), flush=True)


if __name__ == "__main__":
    main()
