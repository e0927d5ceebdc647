"""Probe the training reward, its parts and the oracle with adversarial replies on held-out tweets.

    dvc repro probe_rewards   # or: tools/python stages/probe_rewards.py

Output metrics/reward_probes.json: per scorer (learned reward, heuristic, the GRPO training
reward as configured in `grpo.reward`, oracle) and probe kind, the mean score and the share of
probes scoring above the median human reply of the same tweet (see polyreply/probes.py).
"""
import numpy as np

from polyreply.config import load_params
from polyreply.evaluation import eval_prompts
from polyreply.rewards import make_reward_fn
from polyreply.io import read_jsonl, write_json
from polyreply.oracle import true_engagement
from polyreply.probes import probe_replies, probe_table
from polyreply.rewards import EngagementRewardModel, heuristic_reward


def main() -> None:
    params = load_params()
    rows = read_jsonl("data/split/test.jsonl")
    prompts = eval_prompts(rows, params.probes.max_prompts, params.eval.prompt_seed)
    likes = {(r["tweet"], r["reply"]): r["reply_likes"] for r in rows}
    for p in prompts:
        p["best_reference"] = max(p["references"], key=lambda r: likes.get((p["tweet"], r), 0))
    probes = probe_replies(prompts)
    reward_model = EngagementRewardModel.load("models/reward_model")
    h = params.heuristic
    scorers = {
        "learned_reward": reward_model.score,
        "heuristic_reward": lambda t, r: np.array([heuristic_reward(a, b, h) for a, b in zip(t, r)]),
        f"training_reward ({params.grpo.reward})": make_reward_fn(params.grpo, h, reward_model),
    }
    if params.data.oracle == "demo":  # real data has no oracle
        scorers["oracle"] = lambda t, r: np.array([true_engagement(a, b) for a, b in zip(t, r)])
    table = probe_table(prompts, probes, scorers)
    write_json("metrics/reward_probes.json", {"prompts": len(prompts), "scorers": table})
    for name, res in table.items():
        worst = max(res["probes"].items(), key=lambda kv: kv[1]["share_above_median_human"])
        print(f"{name:32s} probes above median human: {res['share_of_all_probes_above_median_human']:.2f} "
              f"(worst: {worst[0]} {worst[1]['share_above_median_human']:.2f})")


if __name__ == "__main__":
    main()
