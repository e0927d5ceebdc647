"""Generation on held-out tweets and per-prompt scoring of every model."""
from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from .config import EvalConfig, HeuristicConfig, PromptConfig
from .metrics import (bertscore_f1, chrf, distinct_n, leave_one_out_best, max_at_k, mean_pairwise_cosine_distance,
                      pass_at_k, rouge_l, self_bleu)
from .modeling import device_of, encode_prompts
from .progress import Progress
from .policy_gradient import sample_completions
from .rewards import EngagementRewardModel, heuristic_reward, specificity_score
from .oracle import echo_score, true_engagement
from .split import normalise_text
from .text import embed, words

# The four arms of the experiment, their warm-starts (controls: GRPO's effect = grpo_X - warmstart_X),
# and the exploratory fifth arm (trained on params `exploratory_seeds` only).
ARMS = ("sft_baseline", "sft_polychromic", "grpo_baseline", "grpo_polychromic")
CONTROLS = ("warmstart_baseline", "warmstart_polychromic")
EXPLORATORY = ("grpo_setrl",)
MODELS = ("base", *CONTROLS, *ARMS, *EXPLORATORY)
# oracle: the demo world's true engagement (polyreply/oracle.py), independent of training.
# reference_similarity: chrF to the human replies, leave-one-out for humans and models alike (a
# character n-gram score, so it shares no encoder with the learned reward).
# learned_reward and heuristic_reward are GRPO's training reward: reported as "reward achieved", not evidence.
# llm_judge: the pairwise LLM judge against eval.judge.baseline (stage `judge`), +1 win / 0 tie / -1 loss per
# sample; only in a run whose eval.judge.backend is not none.
JUDGES = ("oracle", "learned_reward", "heuristic_reward", "reference_similarity", "llm_judge")
LLM_JUDGE_SCORE = {"win": 1.0, "tie": 0.0, "loss": -1.0}   # per sample; an unparseable outcome has no score
LLM_JUDGE_THRESHOLD = 0.5   # pass = win
TRAINING_REWARD_JUDGES = ("learned_reward", "heuristic_reward")


def generations_path(model: str, seed: int) -> Path:
    """The base model is untrained, so its replies are sampled once and shared by every seed."""
    return Path("data/generations") / ("base.jsonl" if model == "base" else f"seed{seed}/{model}.jsonl")


def judges_for(oracle: str, llm_judge: bool = False) -> tuple[str, ...]:
    """The judges of a run: the oracle only on the demo data (params data.oracle), the LLM judge only when on."""
    return tuple(j for j in JUDGES if (j != "oracle" or oracle == "demo") and (j != "llm_judge" or llm_judge))


def judgments_path(seed: int) -> Path:
    return Path("data/judge") / f"seed{seed}" / "judgments.jsonl"


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


def eval_prompts(rows: list[dict], max_prompts: int, seed: int) -> list[dict]:
    """A seeded random sample of max_prompts distinct test tweets, with all their human replies as references.

    Tweets are distinct by normalised text (ids sharing a text are one prompt, their replies
    pooled); the sample is drawn at random so that no topic or id range is left out (taking the
    first ids in sorted order once left three topics unevaluated). Tweets with fewer than two human
    replies are left out: the human threshold and leave-one-out reference similarity need two.
    """
    by_text: dict[str, dict] = {}
    for r in sorted(rows, key=lambda r: (r["tweet_id"], r["reply_id"])):
        entry = by_text.setdefault(normalise_text(r["tweet"]),
                                   {"tweet_id": r["tweet_id"], "tweet": r["tweet"], "references": []})
        entry["references"].append(r["reply"])
    keys = sorted((k for k in by_text if len(by_text[k]["references"]) >= 2), key=lambda k: by_text[k]["tweet_id"])
    if len(keys) < 2:
        raise ValueError(f"evaluation needs >= 2 test tweets with >= 2 human replies each; found {len(keys)} "
                         f"of {len(by_text)} test tweets")
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


def reference_similarities(reply: str, references: list[str]) -> float:
    """chrF of a reply to a tweet's human replies, best of n-1 averaged over the one left out."""
    return leave_one_out_best([chrf(reply, r) for r in references])


def human_reference_similarities(references: list[str]) -> list[float]:
    """Each human reply against the n-1 others: the same best-of-(n-1) that a model reply gets."""
    if len(references) < 2:
        raise ValueError("reference similarity needs >= 2 human replies per test tweet")
    return [max(chrf(r, o) for j, o in enumerate(references) if j != i) for i, r in enumerate(references)]


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
        out["reference_similarity"] = [s for p in prompts for s in human_reference_similarities(p["references"])]
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
    ref_sim = np.array([[reference_similarities(s, g["references"]) for s in g["samples"]] for g in generations])
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
