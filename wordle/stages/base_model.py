"""The Wordle pipeline's base model as a plain safetensors folder (--out; wordle/dvc.yaml: models/base).

    dvc repro wordle/dvc.yaml:base_model
"""
import argparse
import os

os.environ.setdefault("TQDM_DISABLE", "1")  # transformers' GGUF reader draws a bare tqdm bar per tensor batch

from polyreply.core.modeling import materialise_base  # noqa: E402
from polyreply.wordle.config import load_wordle_params  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    print("wordle base_model: " + materialise_base(load_wordle_params().base_model, ap.parse_args().out))
