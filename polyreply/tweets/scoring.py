"""Per-prompt scoring of a model's test replies by every judge: pass@k, max@k, mean score, diversity, echo.

Scoring reads the generations (``tweets/generation.py``) and never decodes, so a change to a judge
reruns scoring, not generation.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from ..text import embed, words
from .config import EvalConfig, HeuristicConfig
from .arms import JUDGES
from .metrics import (bertscore_f1, chrf, chrf_echo, distinct_n, leave_one_out_best, max_at_k,
                      mean_pairwise_cosine_distance, pass_at_k, rouge_l, self_bleu)
from .oracle import echo_score, true_engagement
from .reward_model import EngagementRewardModel
from .rewards import heuristic_reward, specificity_score

LLM_JUDGE_SCORE = {"win": 1.0, "tie": 0.0, "loss": -1.0}   # per sample; an unparseable outcome has no score
LLM_JUDGE_THRESHOLD = 0.5   # pass = win


def judges_for(oracle: str, llm_judge: bool = False) -> tuple[str, ...]:
    """The judges of a run: the oracle only on the demo data (params data.oracle), the LLM judge only when on."""
    return tuple(j for j in JUDGES if (j != "oracle" or oracle == "demo") and (j != "llm_judge" or llm_judge))


def llm_judge_scores(judgments: list[dict], model: str, baseline: str, generations: list[dict], n_samples: int,
                     min_parsed: int, where: str | Path) -> dict[str, np.ndarray]:
    """tweet_id -> the llm_judge scores of the model's parsed samples (+1 win, 0 tie, -1 loss vs the baseline).

    The baseline against itself is a tie by definition (n zeros, no judgments). Unparseable samples are
    left out, not scored 0; a prompt with fewer than ``min_parsed`` (max eval.k) parsed samples is an error.
    """
    if model == baseline:
        return {g["tweet_id"]: np.zeros(n_samples) for g in generations}
    by_tweet: dict = defaultdict(dict)
    for r in judgments:
        if r["model"] == model:
            by_tweet[r["tweet_id"]][r["sample"]] = r["outcome"]
    out = {}
    for g in generations:
        outcomes = by_tweet.get(g["tweet_id"], {})
        if sorted(outcomes) != list(range(n_samples)):
            raise ValueError(f"llm_judge: model {model}, tweet {g['tweet_id']}: judgments for samples "
                             f"{sorted(outcomes)}, expected 0..{n_samples - 1} in {where}; rerun the judge stage")
        parsed = [LLM_JUDGE_SCORE[o] for _, o in sorted(outcomes.items()) if o != "unparseable"]
        if len(parsed) < min_parsed:
            raise ValueError(f"llm_judge: model {model}, tweet {g['tweet_id']}: {len(parsed)} of {n_samples} samples "
                             f"have a verdict, fewer than max(eval.k) = {min_parsed} (the rest are unparseable); "
                             f"see {where}. Fix the judge (eval.judge.rubric / model) or leave headroom: "
                             "max(eval.k) < eval.n_samples")
        out[g["tweet_id"]] = np.array(parsed)
    return out


def reference_pool(references: list[str], tweet: str) -> list[int]:
    """Indices of the human replies that serve as references: those that do not echo the tweet at all.

    Rule: reference i counts when chrf_echo(references[i], tweet) == 0 (chrF to the tweet <= ECHO_CHRF_LO).
    Human replies that copy or quote the tweet would make a copy of the tweet the best match.
    Fallback: if fewer than 2 references are left, all references count (the echo discount of the scores
    still gives a copy 0). Fewer than 2 references in all: ValueError.
    """
    if len(references) < 2:
        raise ValueError(f"reference similarity needs >= 2 human replies per test tweet, got {len(references)} "
                         f"for tweet {tweet!r}")
    pool = [i for i, r in enumerate(references) if chrf_echo(r, tweet) == 0.0]
    return pool if len(pool) >= 2 else list(range(len(references)))


def reference_similarities(reply: str, references: list[str], tweet: str) -> float:
    """chrF of a reply to its tweet's non-echo human replies, discounted by its own echo of the tweet.

    score = leave_one_out_best(chrF(reply, r) for r in the reference_pool) * (1 - chrf_echo(reply, tweet)):
    best of m-1 of the m pooled references, averaged over the one left out; a copy of the tweet scores 0.
    """
    sims = [chrf(reply, references[i]) for i in reference_pool(references, tweet)]
    return leave_one_out_best(sims) * (1.0 - chrf_echo(reply, tweet))


def human_reference_similarities(references: list[str], tweet: str) -> list[float]:
    """Each human reply scored by the rule of reference_similarities: best of m-1 pooled references, x (1 - echo).

    A pooled reply is matched against the m-1 other pooled ones; a reply outside the pool (an echo) is not a
    reference, so it is scored exactly like a model reply (best of m-1, averaged over the one left out).
    """
    pool = reference_pool(references, tweet)
    out = []
    for i, reply in enumerate(references):
        sims = [chrf(reply, references[j]) for j in pool if j != i]
        best = max(sims) if i in pool else leave_one_out_best(sims)
        out.append(best * (1.0 - chrf_echo(reply, tweet)))
    return out


def reference_thresholds(prompts: list[dict], reward_model: EngagementRewardModel, heuristic_cfg: HeuristicConfig,
                         judges: tuple[str, ...] = JUDGES, quantile: float = 0.5) -> dict:
    """Calibrate each judge on the human replies: threshold = the ``quantile`` of the human replies' scores.

    At the median about 45% of the demo's human replies are junk styles and the untrained base passed
    with pass@10 = 1.000, so the default is eval.pass_quantile = 0.75 (the report checks the base
    stays below eval.max_base_pass).
    """
    tweets = [p["tweet"] for p in prompts for _ in p["references"]]
    replies = [r for p in prompts for r in p["references"]]
    out = {}
    if "learned_reward" in judges:
        out["learned_reward"] = reward_model.score(tweets, replies)
    if "heuristic_reward" in judges:
        out["heuristic_reward"] = [heuristic_reward(t, r, heuristic_cfg) for t, r in zip(tweets, replies)]
    if "reference_similarity" in judges:
        out["reference_similarity"] = [s for p in prompts
                                       for s in human_reference_similarities(p["references"], p["tweet"])]
    if "oracle" in judges:
        out["oracle"] = [true_engagement(t, r) for t, r in zip(tweets, replies)]
    return {j: float(np.quantile(out[j], quantile)) for j in judges}


def score_model(generations: list[dict], reward_model: EngagementRewardModel, heuristic_cfg: HeuristicConfig,
                thresholds: dict, cfg: EvalConfig, judges: tuple[str, ...] = JUDGES,
                llm_scores: dict[str, np.ndarray] | None = None) -> list[dict]:
    """Per-prompt metrics for one model (batched: one encoder pass for all replies).

    llm_scores (needed when "llm_judge" is in judges): from llm_judge_scores; pass@k, max@k and the mean
    score then use that prompt's parsed samples only (n = their number), and llm_judge_unparseable counts the rest.
    """
    if "llm_judge" in judges and llm_scores is None:
        raise ValueError("score_model: judge llm_judge needs llm_scores (from llm_judge_scores)")
    n = cfg.n_samples
    tweets = [g["tweet"] for g in generations for _ in range(n)]
    samples = [s for g in generations for s in g["samples"]]
    if len(samples) != n * len(generations):
        raise ValueError(f"expected {n} samples per prompt (eval.n_samples); generations disagree")
    learned = reward_model.score(tweets, samples).reshape(len(generations), n)
    heur = np.array([heuristic_reward(t, s, heuristic_cfg) for t, s in zip(tweets, samples)]).reshape(len(generations), n)
    oracle = (np.array([true_engagement(t, s) for t, s in zip(tweets, samples)]).reshape(len(generations), n)
              if "oracle" in judges else None)
    ref_sim = np.array([[reference_similarities(s, g["references"], g["tweet"]) for s in g["samples"]]
                        for g in generations])
    sample_emb = embed(samples).reshape(len(generations), n, -1)
    bert = (bertscore_f1(samples, [g["references"] for g in generations for _ in range(n)]).reshape(len(generations), n)
            if cfg.bertscore else None)
    rows = []
    for i, g in enumerate(generations):
        scored = {"learned_reward": learned[i], "heuristic_reward": heur[i], "reference_similarity": ref_sim[i]}
        if oracle is not None:
            scored["oracle"] = oracle[i]
        row = {"tweet_id": g["tweet_id"]}
        for judge in judges:
            if judge == "llm_judge":
                scores = llm_scores[g["tweet_id"]]   # parsed samples only
                n_parsed = len(scores)
            else:
                scores, n_parsed = scored[judge], n
            c = int((scores >= thresholds[judge]).sum())
            for k in cfg.k:
                row[f"pass@{k}/{judge}"] = pass_at_k(n_parsed, c, k)
                row[f"max@{k}/{judge}"] = max_at_k(scores, k)
            row[f"mean_score/{judge}"] = float(np.mean(scores))
            if judge == "llm_judge":
                row["llm_judge_unparseable"] = n - n_parsed
        lengths = [len(words(s)) for s in g["samples"]]
        row.update({
            "predicted_engagement": float(np.mean(learned[i])),
            "self_bleu": self_bleu(g["samples"]),
            "distinct_1": distinct_n(g["samples"], 1),
            "distinct_2": distinct_n(g["samples"], 2),
            "semantic_diversity": mean_pairwise_cosine_distance(sample_emb[i]),
            "rouge_l": float(np.mean([rouge_l(s, g["references"]) for s in g["samples"]])),
            "rouge_l_greedy": rouge_l(g["greedy"], g["references"]),
            **({"bertscore_f1": float(np.mean(bert[i]))} if bert is not None else {}),
            "mean_length_words": float(np.mean(lengths)),
            "share_short": float(np.mean([x <= cfg.short_reply_words for x in lengths])),
            "share_generic": float(np.mean([specificity_score(s) == 0.0 for s in g["samples"]])),
            "share_echo": float(np.mean([echo_score(g["tweet"], s, n_novel=0) >= 0.5 for s in g["samples"]])),
            "greedy_echo": float(echo_score(g["tweet"], g["greedy"], n_novel=0) >= 0.5),
        })
        rows.append(row)
    return rows


def reward_vs_oracle(generations: list[dict], reward_model: EngagementRewardModel) -> dict:
    """Does the learned reward rank a model's own replies as the oracle does? Pearson and Spearman."""
    from scipy import stats
    tweets = [g["tweet"] for g in generations for _ in g["samples"]]
    samples = [s for g in generations for s in g["samples"]]
    pred = reward_model.score(tweets, samples)
    truth = np.array([true_engagement(t, s) for t, s in zip(tweets, samples)])
    if np.std(pred) == 0 or np.std(truth) == 0:
        return {"pearson": None, "spearman": None, "n": len(samples), "note": "constant scores"}
    return {"pearson": float(stats.pearsonr(pred, truth).statistic),
            "spearman": float(stats.spearmanr(pred, truth).statistic), "n": len(samples)}


def summarise(per_prompt: list[dict]) -> dict:
    keys = [k for k in per_prompt[0] if k != "tweet_id"]
    return {k: float(np.mean([r[k] for r in per_prompt])) for k in keys}
