"""Probe the training reward, its parts and the oracle with adversarial replies on held-out tweets.

    dvc repro probe_rewards   # dvc.yaml gives every path; see its cmd for a hand run

Output --out: per scorer (learned reward, heuristic, the GRPO training
reward as configured in `grpo.reward`, oracle) and probe kind, the mean score and the share of
probes scoring above the median human reply of the same tweet (see polyreply/tweets/probes.py).

Output --labelled-out: the committed labelled set of real model output (--labelled; good human
replies and base / SFT / GRPO failures by class) under every scorer and reference similarity:
per class the AUC of good vs that class and the share of the class above the good replies' median.
The set is of the demo world's tweets: on data that holds none of them it is skipped (said in the file).
"""
import argparse

import numpy as np

from polyreply.io import read_jsonl, write_json
from polyreply.tweets.config import load_params
from polyreply.tweets.generation import eval_prompts
from polyreply.tweets.oracle import true_engagement
from polyreply.tweets.probes import FAILURE_CLASSES, labelled_set_table, probe_replies, probe_table
from polyreply.tweets.reward_model import EngagementRewardModel
from polyreply.tweets.rewards import heuristic_reward, make_reward_fn
from polyreply.tweets.scoring import reference_similarities
from polyreply.tweets.split import normalise_text


def main() -> None:
    ap = argparse.ArgumentParser()
    for path in ("--test", "--reward-model", "--out", "--labelled", "--pairs", "--labelled-out"):
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
    labelled_set(args, scorers)
    for name, res in table.items():
        worst = max(res["probes"].items(), key=lambda kv: kv[1]["share_above_median_human"])
        print(f"{name:32s} probes above median human: {res['share_of_all_probes_above_median_human']:.2f} "
              f"(worst: {worst[0]} {worst[1]['share_above_median_human']:.2f})")


def labelled_set(args, scorers: dict) -> None:
    """Score the labelled replies; reference similarity uses every other human reply of the same tweet text."""
    rows = read_jsonl(args.labelled)
    humans: dict[str, list[str]] = {}
    for r in read_jsonl(args.pairs):
        humans.setdefault(normalise_text(r["tweet"]), []).append(r["reply"])
    missing = [i for i, r in enumerate(rows, 1) if len(humans.get(normalise_text(r["tweet"]), [])) < 3]
    if len(missing) == len(rows) and not any(normalise_text(r["tweet"]) in humans for r in rows):
        why = (f"none of the {len(rows)} labelled rows' tweets is in {args.pairs}: the labelled set belongs to the "
               "demo world (your own data needs its own labelled set)")
        write_json(args.labelled_out, {"rows": len(rows), "skipped": why})
        print(f"labelled set: skipped, {why}")
        return
    if missing:
        raise SystemExit(f"{args.labelled}:{missing[0]}: tweet has < 3 human replies in {args.pairs} "
                         f"({len(missing)} rows); reference similarity needs the tweet's replies")
    tweets, replies = [r["tweet"] for r in rows], [r["reply"] for r in rows]
    scores = {name: score(tweets, replies) for name, score in scorers.items()}
    scores["reference_similarity"] = np.array([
        reference_similarities(r["reply"], [h for h in humans[normalise_text(r["tweet"])] if h != r["reply"]],
                               r["tweet"]) for r in rows])
    table = labelled_set_table(rows, scores)
    counts = {c: sum(r["label"] == c for r in rows) for c in sorted({r["label"] for r in rows})}
    write_json(args.labelled_out, {"rows": len(rows), "labels": counts, "failure_classes": list(FAILURE_CLASSES),
                                   "scorers": table})
    for name, res in table.items():
        failures = [(c, v) for c, v in res["classes"].items() if c in FAILURE_CLASSES]
        worst = min(failures, key=lambda kv: kv[1]["auc"])
        print(f"labelled set {name:30s} worst class {worst[0]}: AUC {worst[1]['auc']:.2f}, "
              f"{worst[1]['share_above_good_median']:.0%} above the good median")


if __name__ == "__main__":
    main()
