"""Pairwise LLM judge for one seed: each model's sample j of each test tweet against the baseline's sample j.

    dvc repro judge@42        # dvc.yaml gives every path; see its cmd for a hand run

Both orders, blind (polyreply/llm_judge.py); a win needs both orders to prefer the model's reply. Off by
default (eval.judge.backend: none): then the stage only writes an empty judgments file and
{"enabled": false} metrics. Answers are cached in --cache (a persistent DVC output), so a rerun with the
same requests makes no calls.
"""
import argparse
from pathlib import Path

from polyreply.io import read_jsonl, write_json, write_jsonl
from polyreply.progress import Progress
from polyreply.tweets.arms import MODELS, seeds_of
from polyreply.tweets.config import load_params
from polyreply.tweets.generation import generations_file
from polyreply.tweets.llm_judge import (JudgeError, JudgmentCache, judge_pairs, make_backend, pair_generations,
                                        too_unparseable, win_tie_loss)


def run(seed: int, params, generations: Path, base_generations: Path, out: dict[str, Path]) -> dict:
    """Judge every model of ``seed`` against eval.judge.baseline; write judgments, metrics; return the metrics.

    ``generations``: the seed's folder of replies; ``out``: paths of "judgments", "cache" and "metrics"."""
    cfg, n = params.eval.judge, params.eval.n_samples
    out = {k: Path(v) for k, v in out.items()}
    out["cache"].parent.mkdir(parents=True, exist_ok=True)
    out["cache"].touch()   # a persistent output: kept (never emptied) so reruns and a later backend reuse it
    if cfg.backend == "none":
        write_jsonl(out["judgments"], [])
        metrics = {"enabled": False, "backend": "none", "baseline": cfg.baseline, "calls": 0, "cached": 0,
                   "models": {}}
        write_json(out["metrics"], metrics)
        print(f"judge seed{seed}: off (eval.judge.backend: none)")
        return metrics
    backend = make_backend(cfg)
    cache = JudgmentCache(out["cache"])
    before = len(cache.entries)
    models = [m for m in MODELS if m != cfg.baseline and seed in seeds_of(m, params)]
    replies = lambda m: read_jsonl(generations_file(m, generations, base_generations))  # noqa: E731
    baseline = replies(cfg.baseline)
    progress = Progress(f"judge seed{seed}", len(models) * len(baseline), unit="prompt")
    rows, rates, requests = [], {}, 0
    for m in models:
        pairs = pair_generations(m, replies(m), baseline, n)
        outcomes = []
        for i in range(0, len(pairs), n):   # one prompt at a time, for progress lines
            chunk = pairs[i:i + n]
            outcomes += judge_pairs(chunk, backend, cache, cfg.rubric)
            requests += 2 * len(chunk)
            progress.update(1, model=m, calls=len(cache.entries) - before)
        rows += [{"model": m, "tweet_id": p["tweet_id"], "sample": p["sample"], **o} for p, o in zip(pairs, outcomes)]
        rates[m] = win_tie_loss([o["outcome"] for o in outcomes], groups=[p["tweet_id"] for p in pairs],
                                samples=params.eval.bootstrap_samples, alpha=params.eval.alpha)
    calls = len(cache.entries) - before
    write_jsonl(out["judgments"], rows)
    metrics = {"enabled": True, "backend": cfg.backend, "judge": backend.name, "baseline": cfg.baseline,
               "calls": calls, "cached": requests - calls, "requests": requests,
               "win_needs_both_orders": True, "models": rates}
    write_json(out["metrics"], metrics)
    for m, r in rates.items():
        print(f"{m:22s} vs {cfg.baseline}: " + " ".join(
            f"{k} {'n/a' if r[f'{k}_rate'] is None else format(r[f'{k}_rate'], '.3f')}" for k in ("win", "tie", "loss"))
            + f" unparseable {r['unparseable']}/{r['pairs']}")
    print(f"judge seed{seed}: {calls} calls, {requests - calls} answered from the cache")
    bad = too_unparseable(rates, cfg.max_unparseable)
    if bad:
        raise JudgeError(f"judge seed{seed}: too many answers without a 'Winner:' line (above eval.judge."
                         f"max_unparseable = {cfg.max_unparseable:.1%} of a model's pairs): " + "; ".join(bad)
                         + f". See {out['judgments']} (model_as_a / model_as_b null = unparseable answer); fix "
                         "eval.judge.rubric or the judge model, or raise eval.judge.max_unparseable")
    return metrics


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    for path in ("--generations", "--base-generations", "--judgments", "--cache", "--metrics"):
        ap.add_argument(path, required=True)
    args = ap.parse_args()
    run(args.seed, load_params(), Path(args.generations), Path(args.base_generations),
        {"judgments": args.judgments, "cache": args.cache, "metrics": args.metrics})


if __name__ == "__main__":
    main()
