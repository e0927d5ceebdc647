"""Materialise the base model as a plain safetensors folder (--out; dvc.yaml: models/base).

    dvc repro base_model

Default: SmolLM2-135M-Instruct from the packaged GGUF (offline). base_model.source=hub|local
takes a hub id (already in the local HF cache) or a folder; load_in_4bit applies at train time.
"""
import argparse
import os

os.environ.setdefault("TQDM_DISABLE", "1")  # transformers' GGUF reader draws a bare tqdm bar per tensor batch

from polyreply.core.modeling import materialise_base  # noqa: E402
from polyreply.tweets.config import load_params  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    print("base_model: " + materialise_base(load_params().base_model, ap.parse_args().out))
