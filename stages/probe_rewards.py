"""Probe the training reward, its parts and the oracle with adversarial replies on held-out tweets.

    dvc repro probe_rewards   # dvc.yaml gives every path; see its cmd for a hand run

Output --out: per scorer (learned reward, heuristic, the GRPO training
reward as configured in `grpo.reward`, oracle) and probe kind, the mean score and the share of
probes scoring above the median human reply of the same tweet (see polyreply/tweets/probes.py).
"""
import numpy as np

import argparse

from polyreply.io import read_jsonl, write_json
from polyreply.tweets.config import load_params
from polyreply.tweets.generation import eval_prompts
from polyreply.tweets.oracle import true_engagement
from polyreply.tweets.probes import probe_replies, probe_table
from polyreply.tweets.reward_model import EngagementRewardModel
from polyreply.tweets.rewards import heuristic_reward, make_reward_fn


def main() -> None:
    ap = argparse.ArgumentParser()
    for path in ("--test", "--reward-model", "--out"):
        ap.add_argument(path, required=True)
    args = ap.parse_args()
    params = load_params()
    rows = read_jsonl(args.test)
    prompts = eval_prompts(rows, params.probes.max_prompts, params.eval.prompt_seed)
    likes = {(r["tweet"], r["reply"]): r["reply_likes"] for r in rows}
    for p in prompts:
        p["best_reference"] = max(p["references"], key=lambda r: likes.get((p["tweet"], r), 0))
    probes = probe_replies(prompts)
    reward_model = EngagementRewardModel.load(args.reward_model)
    h = params.heuristic
    scorers = {
        "learned_reward": reward_model.score,
        "heuristic_reward": lambda t, r: np.array([heuristic_reward(a, b, h) for a, b in zip(t, r)]),
        f"training_reward ({params.grpo.reward})": make_reward_fn(params.grpo, h, reward_model),
    }
    if params.data.oracle == "demo":  # real data has no oracle
        scorers["oracle"] = lambda t, r: np.array([true_engagement(a, b) for a, b in zip(t, r)])
    table = probe_table(prompts, probes, scorers)
    write_json(args.out, {"prompts": len(prompts), "scorers": table})
    for name, res in table.items():
        worst = max(res["probes"].items(), key=lambda kv: kv[1]["share_above_median_human"])
        print(f"{name:32s} probes above median human: {res['share_of_all_probes_above_median_human']:.2f} "
              f"(worst: {worst[0]} {worst[1]['share_above_median_human']:.2f})")


if __name__ == "__main__":
    main()
