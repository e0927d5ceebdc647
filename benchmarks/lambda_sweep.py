"""Dose-response of polychromic SFT: held-out diversity and oracle quality against lambda.

    .venv/bin/dvc exp run --queue -S 'polychromic.lambda=1,2,4' -S 'polychromic.distinct_distance=0.5,0.8' sft_polychromic@42
    .venv/bin/dvc queue start -j 1          # ~4 min per experiment on 2 cores
    .venv/bin/python benchmarks/lambda_sweep.py > benchmarks/results/lambda_sweep.md

Reads the commits and experiments from `dvc exp show --all-commits --json` (the committed workspace run is the
lambda of params.yaml), each run's `logs/sft_polychromic/seed42/metrics.json` from its git revision (logs are
git-tracked outputs, not DVC metrics: only metrics/headline.json is), and `logs/sft_baseline/seed42/metrics.json`
(lambda 0: plain SFT). The held-out figures come from
8 samples on 24 *validation* tweets (`sft.heldout_*`), so lambda is tuned without the test set.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
KEYS = ("heldout_diversity", "heldout_duplicates", "heldout_quality", "final_eval_loss")
LOG = "logs/sft_polychromic/seed42/metrics.json"


def committed(rev: str, path: str, parse=json.loads) -> dict:
    """A file as committed in that commit or experiment ({} where it has none)."""
    res = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True)
    return parse(res.stdout) if res.returncode == 0 else {}


def main() -> None:
    dvc = str(ROOT / ".venv/bin/dvc")
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    out = subprocess.run([dvc, "exp", "show", "--all-commits", "--json"], cwd=ROOT, capture_output=True, text=True, env=env,
                         check=True).stdout
    rows, seen = [], set()
    base = json.loads((ROOT / "logs/sft_baseline/seed42/metrics.json").read_text())
    rows.append(("sft_baseline (lambda 0)", "-", "-", "-", "-", base))
    for commit in json.loads(out):
        revs = [] if commit["rev"] == "workspace" else [dict(commit, name=commit.get("name") or commit["rev"][:9])]
        revs += [rev for exp in commit.get("experiments") or [] for rev in exp["revs"]]  # the commit and its exps
        for rev in revs:
            metrics = committed(rev["rev"], LOG)
            if "heldout_diversity" not in metrics:
                continue
            poly = committed(rev["rev"], "params.yaml", yaml.safe_load)["polychromic"]
            key = json.dumps([poly, {k: metrics.get(k) for k in KEYS}], sort_keys=True)
            if key in seen:  # the same run seen from several commits
                continue
            seen.add(key)
            rows.append((rev.get("name") or rev["rev"][:7], poly["lambda"], poly["distinct_distance"],
                         f"{poly['set_size']} of {poly['n_samples']}", poly["reward_temperature"], metrics))
    print("| run | lambda | distinct_distance | sets | reward_temperature | " + " | ".join(KEYS) + " |")
    print("|---" * (len(KEYS) + 5) + "|")
    for name, lam, delta, sets, tau, m in sorted(rows, key=lambda r: (str(r[2]), r[3], str(r[4]), str(r[1]))):
        cells = [f"{m[k]:.3f}" + (f" ± {m[k + '_se']:.3f}" if k + "_se" in m else "") for k in KEYS]
        print(f"| {name} | {lam} | {delta} | {sets} | {tau} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
