"""Generation on held-out tweets and per-prompt scoring of every model."""
from __future__ import annotations

import random
from collections import defaultdict

import numpy as np
import torch

from .config import EvalConfig, HeuristicConfig, PromptConfig
from .metrics import (bertscore_f1, distinct_n, mean_pairwise_cosine_distance, pass_at_k, rouge_l, self_bleu)
from .modeling import device_of, encode_prompts
from .progress import Progress
from .policy_gradient import sample_completions
from .rewards import EngagementRewardModel, heuristic_reward, specificity_score
from .oracle import echo_score, true_engagement
from .split import normalise_text
from .text import embed, words

MODELS = ("base", "sft_baseline", "sft_polychromic", "grpo_baseline", "grpo_polychromic", "grpo_setrl")
# oracle: the demo world's true engagement (polyreply/oracle.py), the only judge independent of training.
# learned_reward and heuristic_reward are GRPO's training reward: reported as "reward achieved", not evidence.
JUDGES = ("oracle", "learned_reward", "heuristic_reward", "reference_similarity")
TRAINING_REWARD_JUDGES = ("learned_reward", "heuristic_reward")


def judges_for(oracle: str) -> tuple[str, ...]:
    """The judges of a run: the oracle only on the demo data (params data.oracle)."""
    return JUDGES if oracle == "demo" else tuple(j for j in JUDGES if j != "oracle")


def eval_prompts(rows: list[dict], max_prompts: int, seed: int) -> list[dict]:
    """A seeded random sample of max_prompts distinct test tweets, with all their human replies as references.

    Tweets are distinct by normalised text (ids sharing a text are one prompt, their replies
    pooled); the sample is drawn at random so that no topic or id range is left out (taking the
    first ids in sorted order once left three topics unevaluated).
    """
    by_text: dict[str, dict] = {}
    for r in sorted(rows, key=lambda r: (r["tweet_id"], r["reply_id"])):
        entry = by_text.setdefault(normalise_text(r["tweet"]),
                                   {"tweet_id": r["tweet_id"], "tweet": r["tweet"], "references": []})
        entry["references"].append(r["reply"])
    keys = sorted(by_text, key=lambda k: by_text[k]["tweet_id"])
    chosen = random.Random(seed).sample(keys, min(max_prompts, len(keys)))
    return sorted((by_text[k] for k in chosen), key=lambda p: p["tweet_id"])


@torch.no_grad()
def generate(model, tok, prompts: list[dict], cfg: EvalConfig, prompt_cfg: PromptConfig, seed: int,
             progress_name: str = "generate") -> list[dict]:
    """n sampled replies (seeded) and one greedy reply per prompt, in batched generate calls."""
    torch.manual_seed(seed)
    per_call = max(1, cfg.batch_size // (cfg.n_samples + 1))
    out = []
    progress = Progress(progress_name, len(prompts), unit="prompt", every=per_call)
    tokens = 0
    for i in range(0, len(prompts), per_call):
        chunk = prompts[i:i + per_call]
        enc = encode_prompts(tok, [p["tweet"] for p in chunk], prompt_cfg, device_of(model))
        # n sampled rows and the greedy row of each prompt decode together, off one prefill
        roll = sample_completions(model, tok, enc, n=cfg.n_samples, max_new_tokens=cfg.max_new_tokens,
                                  temperature=cfg.temperature, top_p=cfg.top_p, with_greedy=True)
        rows = cfg.n_samples + 1
        for j, p in enumerate(chunk):
            texts = roll.texts[j * rows:(j + 1) * rows]
            out.append({**p, "samples": texts[:-1], "greedy": texts[-1]})
        tokens += int(roll.lengths.sum())
        progress.update(len(chunk), tokens=tokens)
    return out


def reference_thresholds(prompts: list[dict], reward_model: EngagementRewardModel, heuristic_cfg: HeuristicConfig,
                         judges: tuple[str, ...] = JUDGES) -> dict:
    """Calibrate each judge on the human replies: threshold = median judge score of human replies.

    Reference similarity of a human reply is its best cosine to the *other* human replies of the
    same tweet (leave-one-out), so "pass" means "as close to the humans as a typical human is".
    """
    tweets = [p["tweet"] for p in prompts for _ in p["references"]]
    replies = [r for p in prompts for r in p["references"]]
    learned = reward_model.score(tweets, replies)
    heur = [heuristic_reward(t, r, heuristic_cfg) for t, r in zip(tweets, replies)]
    sims = []
    for p in prompts:
        if len(p["references"]) < 2:
            continue
        e = embed(p["references"])
        s = e @ e.T
        np.fill_diagonal(s, -np.inf)
        sims.extend(s.max(axis=1).tolist())
    if not sims:
        raise ValueError("reference-similarity judge needs test tweets with >= 2 human replies")
    out = {"learned_reward": float(np.median(learned)), "heuristic_reward": float(np.median(heur)),
           "reference_similarity": float(np.median(sims))}
    if "oracle" in judges:
        out["oracle"] = float(np.median([true_engagement(t, r) for t, r in zip(tweets, replies)]))
    return {j: out[j] for j in judges}


def score_model(generations: list[dict], reward_model: EngagementRewardModel, heuristic_cfg: HeuristicConfig,
                thresholds: dict, cfg: EvalConfig, judges: tuple[str, ...] = JUDGES) -> list[dict]:
    """Per-prompt metrics for one model (batched: one encoder pass for all replies)."""
    n = cfg.n_samples
    tweets = [g["tweet"] for g in generations for _ in range(n)]
    samples = [s for g in generations for s in g["samples"]]
    if len(samples) != n * len(generations):
        raise ValueError(f"expected {n} samples per prompt (eval.n_samples); generations disagree")
    learned = reward_model.score(tweets, samples).reshape(len(generations), n)
    heur = np.array([heuristic_reward(t, s, heuristic_cfg) for t, s in zip(tweets, samples)]).reshape(len(generations), n)
    oracle = (np.array([true_engagement(t, s) for t, s in zip(tweets, samples)]).reshape(len(generations), n)
              if "oracle" in judges else None)
    sample_emb = embed(samples).reshape(len(generations), n, -1)
    ref_texts = [r for g in generations for r in g["references"]]
    ref_emb_all = embed(ref_texts)
    bert = bertscore_f1(samples, [g["references"] for g in generations for _ in range(n)]).reshape(len(generations), n)
    rows, offset = [], 0
    for i, g in enumerate(generations):
        ref_emb = ref_emb_all[offset:offset + len(g["references"])]
        offset += len(g["references"])
        ref_sim = (sample_emb[i] @ ref_emb.T).max(axis=1)
        scored = {"learned_reward": learned[i], "heuristic_reward": heur[i], "reference_similarity": ref_sim}
        if oracle is not None:
            scored["oracle"] = oracle[i]
        row = {"tweet_id": g["tweet_id"]}
        for judge in judges:
            scores = scored[judge]
            c = int((scores >= thresholds[judge]).sum())
            for k in cfg.k:
                row[f"pass@{k}/{judge}"] = pass_at_k(n, c, k)
            row[f"mean_score/{judge}"] = float(np.mean(scores))
        lengths = [len(words(s)) for s in g["samples"]]
        row.update({
            "predicted_engagement": float(np.mean(learned[i])),
            "self_bleu": self_bleu(g["samples"]),
            "distinct_1": distinct_n(g["samples"], 1),
            "distinct_2": distinct_n(g["samples"], 2),
            "semantic_diversity": mean_pairwise_cosine_distance(sample_emb[i]),
            "rouge_l": float(np.mean([rouge_l(s, g["references"]) for s in g["samples"]])),
            "rouge_l_greedy": rouge_l(g["greedy"], g["references"]),
            "bertscore_f1": float(np.mean(bert[i])),
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


def per_prompt_matrix(per_prompt_by_model: dict[str, list[dict]], metric: str) -> dict[str, np.ndarray]:
    """Aligned per-prompt arrays (same tweet order for every model)."""
    order = [r["tweet_id"] for r in next(iter(per_prompt_by_model.values()))]
    out = {}
    for m, rows in per_prompt_by_model.items():
        by = {r["tweet_id"]: r[metric] for r in rows}
        out[m] = np.array([by[t] for t in order])
    return out


def group_by(rows: list[dict], key: str) -> dict:
    out = defaultdict(list)
    for r in rows:
        out[r[key]].append(r)
    return out
