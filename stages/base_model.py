"""Materialise the base model as a plain safetensors folder: models/base/.

    dvc repro base_model      # or: tools/python stages/base_model.py

Default: SmolLM2-135M-Instruct from the packaged GGUF (offline). base_model.source=hub|local
takes a hub id (already in the local HF cache) or a folder; load_in_4bit applies at train time.
"""
import os
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # transformers' GGUF reader draws a bare tqdm bar per tensor batch

from polyreply.config import load_params
from polyreply.io import atomic_dir
from polyreply.modeling import build_base_model, compute_dtype, save_base_model, storage_dtype


def main() -> None:
    cfg = load_params().base_model
    model, tok = build_base_model(cfg)
    with atomic_dir(Path("models/base")) as out:
        save_base_model(model, tok, out, cfg)
    print(f"base_model: {cfg.source}:{cfg.name_or_path} -> models/base "
          f"({sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters, stored "
          f"{storage_dtype(cfg.dtype)}, computes in {compute_dtype(cfg.dtype)} here)")


if __name__ == "__main__":
    main()
