"""The Wordle pipeline's base model as a plain safetensors folder: models/base/ (in wordle/).

    dvc repro wordle/dvc.yaml:base_model     # or, in wordle/: ../tools/python stages/base_model.py
"""
import os
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")

from polyreply.io import atomic_dir
from polyreply.modeling import build_base_model, save_base_model
from polyreply.wordle_config import load_wordle_params


def main() -> None:
    cfg = load_wordle_params().base_model
    model, tok = build_base_model(cfg)
    with atomic_dir(Path("models/base")) as out:
        save_base_model(model, tok, out, cfg)
    print(f"wordle base_model: {cfg.source}:{cfg.name_or_path} -> models/base")


if __name__ == "__main__":
    main()
