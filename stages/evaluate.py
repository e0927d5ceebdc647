"""Score every model's test generations for one seed: pass@k, max@k and mean score per judge, diversity.

    dvc repro evaluate@42     # or: tools/python stages/evaluate.py --seed 42
"""
import argparse
from pathlib import Path

from polyreply.config import load_params
from polyreply.evaluation import (EXPLORATORY, LLM_JUDGE_THRESHOLD, MODELS, generations_path, judges_for,
                                  judgments_path, llm_judge_scores, reference_thresholds, reward_vs_oracle,
                                  score_model, summarise)
from polyreply.progress import Progress
from polyreply.io import read_jsonl, write_json, write_jsonl
from polyreply.rewards import EngagementRewardModel


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    args = ap.parse_args()
    params = load_params()
    reward_model = EngagementRewardModel.load("models/reward_model")
    # the exploratory arm exists only for params `exploratory_seeds`; every other model must be there
    models = [m for m in MODELS if m not in EXPLORATORY or args.seed in params.exploratory_seeds]
    gens = {m: read_jsonl(generations_path(m, args.seed)) for m in models}
    llm_on = params.eval.judge.backend != "none"
    judges = judges_for(params.data.oracle, llm_judge=llm_on)
    thresholds = reference_thresholds(gens["base"], reward_model, params.heuristic,
                                      tuple(j for j in judges if j != "llm_judge"), params.eval.pass_quantile)
    judgments = []
    if llm_on:   # the pairwise LLM judge (stage judge): pass = a win against eval.judge.baseline
        thresholds["llm_judge"] = LLM_JUDGE_THRESHOLD
        judgments = read_jsonl(judgments_path(args.seed))
    per_prompt, summary, vs_oracle = [], {}, {}
    progress = Progress(f"evaluate seed{args.seed}", len(models), unit="model", every=1)
    for m in models:
        llm_scores = (llm_judge_scores(judgments, m, params.eval.judge.baseline, gens[m], params.eval.n_samples,
                                       max(params.eval.k), judgments_path(args.seed)) if llm_on else None)
        rows = score_model(gens[m], reward_model, params.heuristic, thresholds, params.eval, judges, llm_scores)
        per_prompt.extend({"model": m, "seed": args.seed, **r} for r in rows)
        summary[m] = summarise(rows)
        if "oracle" in judges:
            vs_oracle[m] = reward_vs_oracle(gens[m], reward_model)
        progress.update(model=m, prompts=len(rows))
    write_jsonl(Path("data/eval") / f"seed{args.seed}" / "per_prompt.jsonl", per_prompt)
    write_json(Path("metrics/eval") / f"seed{args.seed}.json",
               {"thresholds": thresholds, "prompts": len(gens["base"]), "models": summary, "judges": list(judges),
                "learned_reward_vs_oracle_on_model_replies": vs_oracle})
    kmax = max(params.eval.k)
    j = params.eval.primary_judge
    for m in models:
        print(f"{m:22s} pass@{kmax}/{j} {summary[m][f'pass@{kmax}/{j}']:.3f} max@{kmax} {summary[m][f'max@{kmax}/{j}']:+.3f} "
              f"mean {j} {summary[m][f'mean_score/{j}']:+.3f} echo {summary[m]['share_echo']:.2f} "
              f"engagement {summary[m]['predicted_engagement']:+.3f} sem.div {summary[m]['semantic_diversity']:.3f}")


if __name__ == "__main__":
    main()
