#!/usr/bin/env bash
# The prepared GPU check (benchmarks/gpu_check.py): the project's CUDA path on a random SmolLM2-135M-shaped
# model, under 8 minutes, offline. Needs only torch, transformers, peft and numpy. Arguments go to the script:
#     bash benchmarks/gpu_check.sh                    # JSON to $OUT/gpu_check.json when $OUT is set
#     bash benchmarks/gpu_check.sh --out results.json   # a relative path is under the checkout
# The JSON is rewritten after every step, so a run the timeout stops keeps its figures ("complete": false).
# PYTHON picks the interpreter (default python, else python3).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi || echo "nvidia-smi failed (exit $?)"
fi
if [[ -z "${PYTHON:-}" ]]; then
    PYTHON=python
    command -v python >/dev/null 2>&1 || PYTHON=python3   # many bare images ship only python3
fi
exec timeout -k 10 480 "$PYTHON" benchmarks/gpu_check.py "$@"
