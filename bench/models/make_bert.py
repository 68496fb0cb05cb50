"""Writes a BERT-size backbone with the encoder fixture's exact structure (same module code, random weights)
and a matching heads.safetensors, for the compile-overhead benchmark. Run by hand with Debian's torch:

    /usr/bin/python3 bench/models/make_bert.py base   # 12 layers, H 768  (~440 MB, not committed)
    /usr/bin/python3 bench/models/make_bert.py small  # 12 layers, H 256

Outputs go to bench/models/<size>/ (git-ignored)."""
import pathlib
import sys

import numpy as np
import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "fixtures" / "gen"))

from export_onnx import export  # noqa: E402
from model import BertForEarlyExit, Config  # noqa: E402
from safetensors_io import write  # noqa: E402

SIZES = {
    "base": Config(vocab_size=30522, hidden_size=768, num_layers=12, num_heads=12, intermediate_size=3072,
                   max_positions=128, num_classes=4, attention_window=10_000),
    "small": Config(vocab_size=8000, hidden_size=256, num_layers=12, num_heads=4, intermediate_size=1024,
                    max_positions=128, num_classes=4, attention_window=10_000),
}


def main(size: str) -> None:
    config = SIZES[size]
    torch.manual_seed(0)
    model = BertForEarlyExit(config).eval()
    out = HERE / size
    out.mkdir(parents=True, exist_ok=True)
    export(model, torch.randint(3, config.vocab_size, (2, 16)), out)
    sd = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    tensors = {"pabee.pooler.weight": sd["bert.pooler.dense.weight"], "pabee.pooler.bias": sd["bert.pooler.dense.bias"]}
    for i in range(config.num_layers):
        tensors[f"pabee.classifier.{i}.weight"] = sd[f"classifiers.{i}.weight"]
        tensors[f"pabee.classifier.{i}.bias"] = sd[f"classifiers.{i}.bias"]
    write(out / "heads.safetensors", tensors, {"format": "pt", "hidden_size": config.hidden_size,
                                                "num_layers": config.num_layers, "num_classes": config.num_classes})
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "base")
