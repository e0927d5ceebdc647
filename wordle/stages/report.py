"""Wordle report: metrics/headline.json (the DVC metrics), metrics/wordle.json (everything), metrics/report.md,
plots/arms.csv and plots/grpo_reward.csv (the plots page: wordle/dvc.yaml's top-level plots).

    dvc repro wordle/dvc.yaml:report     # or, in wordle/: ../tools/python stages/report.py
"""
import argparse
import csv
import json
from pathlib import Path

import numpy as np

from polyreply.io import read_json, read_jsonl, write_json
from polyreply.wordle.config import load_wordle_params
from polyreply.wordle.analysis import ARMS, REFERENCES, arm_table, claim_verdicts, exploratory
from polyreply.wordle.report import COLOURS, headline, rate_rows, render_markdown


def load_games(folder: Path, seeds) -> dict:
    """<folder>/<arm>.jsonl for the untrained players, <folder>/<arm>/seed<s>.jsonl for the trained arms."""
    games = {}
    for arm in ARMS + REFERENCES:
        if arm in ("base",) + REFERENCES:
            games[arm] = [read_jsonl(folder / f"{arm}.jsonl")]
        else:
            games[arm] = [read_jsonl(folder / arm / f"seed{s}.jsonl") for s in seeds]
    return games


def grpo_curves(models: Path, seeds) -> tuple[dict, list[list]]:
    """First/last-quarter summary (mean over seeds) and the long rows of the training-reward chart (one line per
    seed)."""
    summary, rows = {}, []
    for name in ("grpo_from_sft", "grpo_from_base"):
        histories = [json.loads((models / name / f"seed{s}" / "grpo_history.json").read_text()) for s in seeds]
        rewards = np.array([[h["avg_reward"] for h in hist] for hist in histories])
        zero = np.array([[h["zero_std_fraction"] for h in hist] for hist in histories])
        held = [json.loads((models / name / f"seed{s}" / "heldout.json").read_text()) for s in seeds]
        quarter = max(1, rewards.shape[1] // 4)
        summary[name] = {"first": float(rewards[:, :quarter].mean()), "last": float(rewards[:, -quarter:].mean()),
                         "zero_std": float(zero.mean()),
                         "heldout": [(h["step"], float(np.mean([run[i]["reward"] for run in held])))
                                     for i, h in enumerate(held[0])]}
        rows += [[name, COLOURS[name], s, i + 1, round(float(r), 4)]
                 for s, curve in zip(seeds, rewards) for i, r in enumerate(curve)]
    return summary, rows


def main() -> None:
    ap = argparse.ArgumentParser()
    for path in ("--games", "--models", "--words", "--metrics", "--headline", "--report", "--plots"):
        ap.add_argument(path, required=True, type=Path)
    args = ap.parse_args()
    params = load_wordle_params()
    seeds, ev = list(params.seeds), params.eval
    games = load_games(args.games, seeds)
    opts = {"alpha": ev.alpha, "samples": ev.bootstrap_samples, "permutations": ev.permutations}
    table = arm_table(games)
    claims = claim_verdicts(games, **opts)
    explore = exploratory(games, **opts)
    training, curve = grpo_curves(args.models, seeds)
    write_json(args.metrics, {"arms": table, "claim": claims, "exploratory": explore, "grpo": training})
    write_json(args.headline, headline(table, claims))
    args.report.write_text(render_markdown(table, claims, explore, games, training,
                                                         ev.transcripts_in_report, seeds,
                                                         read_json(args.words)))
    args.plots.mkdir(exist_ok=True)
    for name, header, rows in (("arms.csv", ["arm", "group", "value"], rate_rows(table)),
                               ("grpo_reward.csv", ["model", "colour", "seed", "step", "reward"], curve)):
        with open(args.plots / name, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
    for t in claims:
        print(f"wordle claim {t['a']} - {t['b']} on {t['metric']}: {t['mean_diff']:+.3f} "
              f"[{t['ci_low']:+.3f}, {t['ci_high']:+.3f}], Holm p={t['p_holm']:.4f}: {t['verdict']}")


if __name__ == "__main__":
    main()
