#!/usr/bin/env bash
# A side environment for the TRL comparison: .venv's packages (torch, transformers, peft, the
# packaged model) plus TRL pinned in benchmarks/requirements.txt, so .venv itself never changes.
#
#     bash install.sh && bash benchmarks/make_trl_env.sh
set -euo pipefail
cd "$(dirname "$0")/.."
main_site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
python3 -m venv benchmarks/.venv-trl
trl_site=$(benchmarks/.venv-trl/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$main_site" > "$trl_site/polyreply-main-venv.pth"
benchmarks/.venv-trl/bin/python -m pip install -q -r benchmarks/requirements.txt
benchmarks/.venv-trl/bin/python -c 'import torch, trl; print("TRL env ready: trl", trl.__version__, "torch", torch.__version__)'
