"""Score every model's test generations for one seed: pass@k, max@k and mean score per judge, diversity.

    dvc repro evaluate@42     # dvc.yaml gives every path; see its cmd for a hand run
"""
import argparse

import numpy as np

from polyreply.io import read_jsonl, write_json, write_jsonl
from polyreply.progress import Progress
from polyreply.tweets.arms import MODELS, seeds_of
from polyreply.tweets.config import load_params
from polyreply.tweets.generation import generations_file
from polyreply.tweets.injection import best_human_replies, expected_effect, inject_best_reply, injected_count
from polyreply.tweets.reward_model import EngagementRewardModel
from polyreply.tweets.scoring import (LLM_JUDGE_THRESHOLD, judges_for, llm_judge_scores, reference_thresholds,
                                      reward_vs_oracle, score_model, summarise)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    for path in ("--reward-model", "--generations", "--base-generations", "--judgments", "--out", "--metrics"):
        ap.add_argument(path, required=True)
    args = ap.parse_args()
    params = load_params()
    reward_model = EngagementRewardModel.load(args.reward_model)
    # the exploratory arm exists only for params `exploratory_seeds`; every other model must be there
    models = [m for m in MODELS if args.seed in seeds_of(m, params)]
    gens = {m: read_jsonl(generations_file(m, args.generations, args.base_generations)) for m in models}
    llm_on = params.eval.judge.backend != "none"
    judges = judges_for(params.data.oracle, llm_judge=llm_on)
    thresholds = reference_thresholds(gens["base"], reward_model, params.heuristic,
                                      tuple(j for j in judges if j != "llm_judge"), params.eval.pass_quantile)
    judgments = []
    if llm_on:   # the pairwise LLM judge (stage judge): pass = a win against eval.judge.baseline
        thresholds["llm_judge"] = LLM_JUDGE_THRESHOLD
        judgments = read_jsonl(args.judgments)
    per_prompt, summary, vs_oracle = [], {}, {}
    progress = Progress(f"evaluate seed{args.seed}", len(models), unit="model", every=1)
    for m in models:
        llm_scores = (llm_judge_scores(judgments, m, params.eval.judge.baseline, gens[m], params.eval.n_samples,
                                       max(params.eval.k), args.judgments) if llm_on else None)
        rows = score_model(gens[m], reward_model, params.heuristic, thresholds, params.eval, judges, llm_scores)
        per_prompt.extend({"model": m, "seed": args.seed, **r} for r in rows)
        summary[m] = summarise(rows)
        if "oracle" in judges:
            vs_oracle[m] = reward_vs_oracle(gens[m], reward_model)
        progress.update(model=m, prompts=len(rows))
    injection = None
    # the injected-effect check, on the demo's oracle: a human reply injected as a sample is scored as the
    # humans are (reference similarity would match it against itself: a leak, not an effect)
    if params.eval.primary_judge == "oracle":
        m, share = params.eval.injection_model, params.eval.injection_share
        best, best_scores = best_human_replies(gens["base"])
        injected = inject_best_reply(gens[m], best, share, args.seed)
        rows = score_model(injected, reward_model, params.heuristic, thresholds, params.eval, judges)
        name = f"{m}+injected"
        per_prompt.extend({"model": name, "seed": args.seed, **r} for r in rows)
        means = [r[f"mean_score/{params.eval.primary_judge}"] for r in per_prompt
                 if r["model"] == m and r["seed"] == args.seed]
        injection = {"model": m, "injected_model": name, "share": share, "judge": params.eval.primary_judge,
                     "replaced_per_prompt": injected_count(params.eval.n_samples, share),
                     "expected_effect": expected_effect(np.array(means), np.array([best_scores[g["tweet_id"]]
                                                                                   for g in gens[m]]),
                                                        params.eval.n_samples, share)}
    write_jsonl(args.out, per_prompt)
    write_json(args.metrics, {"thresholds": thresholds, "prompts": len(gens["base"]), "models": summary,
                              "judges": list(judges), "learned_reward_vs_oracle_on_model_replies": vs_oracle,
                              "injection": injection})
    kmax = max(params.eval.k)
    j = params.eval.primary_judge
    for m in models:
        print(f"{m:22s} pass@{kmax}/{j} {summary[m][f'pass@{kmax}/{j}']:.3f} max@{kmax} {summary[m][f'max@{kmax}/{j}']:+.3f} "
              f"mean {j} {summary[m][f'mean_score/{j}']:+.3f} echo {summary[m]['share_echo']:.2f} "
              f"engagement {summary[m]['predicted_engagement']:+.3f} sem.div {summary[m]['semantic_diversity']:.3f}")


if __name__ == "__main__":
    main()
