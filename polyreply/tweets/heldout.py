"""The tweet study's held-out checks of an SFT run, on validation tweets (never the test set).

``diversity_check`` runs with every validation loss (logged as eval/diversity); ``heldout_samples`` once
after training (what the lambda sweep reads). Both sample with their own seed and leave the training RNG
stream untouched.
"""
from __future__ import annotations

import numpy as np
import torch

from ..core.modeling import device_of
from ..core.prompts import encode_prompts
from ..core.sampling import sample_completions
from ..text import embed
from .config import TweetPromptConfig
from .rewards import PairScorer

HELDOUT_SAMPLING = {"temperature": 0.9, "top_p": 0.95, "max_new_tokens": 32}  # the evaluation's defaults
CHECK_PROMPTS, CHECK_SAMPLES, CHECK_TOKENS = 4, 4, 24   # the cheap check beside each validation loss


def _sample(model, tok, tweets: list[str], prompt_cfg: TweetPromptConfig, n: int, seed: int, **sampling):
    enc = encode_prompts(tok, [prompt_cfg.render(t) for t in tweets], prompt_cfg, device_of(model))
    state = torch.random.get_rng_state()
    rollout = sample_completions(model, tok, enc, n=n, seed=seed, **sampling)
    torch.random.set_rng_state(state)  # do not perturb the training RNG stream
    return rollout.texts


def diversity_check(tok, val_rows: list[dict], prompt_cfg: TweetPromptConfig, seed: int):
    """SFT's ``heldout_check``: mean pairwise semantic distance of 4 samples on 4 validation tweets."""
    tweets = sorted({r["tweet"] for r in val_rows})[:CHECK_PROMPTS]

    @torch.no_grad()
    def check(model, step: int) -> dict:
        texts = _sample(model, tok, tweets, prompt_cfg, CHECK_SAMPLES, seed + step, max_new_tokens=CHECK_TOKENS)
        n = CHECK_SAMPLES
        out = []
        for p in range(len(tweets)):
            emb = embed(texts[p * n:(p + 1) * n])
            out.append(float(np.mean(1 - (emb @ emb.T)[np.triu_indices(n, 1)])))
        return {"diversity": float(np.mean(out))}
    return check


@torch.no_grad()
def heldout_samples(model, tok, rows: list[dict], prompt_cfg: TweetPromptConfig, n_prompts: int, n: int, seed: int,
                    judge_fn: PairScorer | None = None) -> dict:
    """Diversity and quality of n sampled replies per held-out (validation) tweet, after training.

    ``heldout_diversity`` = mean pairwise cosine distance (the evaluation's semantic_diversity),
    ``heldout_duplicates`` = share of pairs closer than 0.1, ``heldout_quality`` = mean
    ``judge_fn`` score (the oracle on demo data), absent without a judge; ``*_se``: standard
    errors over prompts (a per-prompt difference between two runs is noisier still).
    """
    texts = sorted({r["tweet"] for r in rows})
    tweets = [texts[i] for i in np.random.default_rng(seed).permutation(len(texts))[:n_prompts]]
    replies = _sample(model, tok, tweets, prompt_cfg, n, seed, **HELDOUT_SAMPLING)
    emb = embed(replies).reshape(len(tweets), n, -1)
    iu = np.triu_indices(n, 1)
    dist = np.stack([1.0 - (e @ e.T)[iu] for e in emb])
    per_prompt = dist.mean(axis=1)
    se = lambda x: float(np.std(x, ddof=1) / np.sqrt(len(x)))  # noqa: E731  (standard error over prompts)
    out = {"heldout_diversity": float(dist.mean()), "heldout_diversity_se": se(per_prompt),
           "heldout_duplicates": float((dist < 0.1).mean())}
    if judge_fn is not None:
        scores = np.asarray(judge_fn([t for t in tweets for _ in range(n)], replies)).reshape(len(tweets), n)
        out["heldout_quality"] = float(scores.mean())
        out["heldout_quality_se"] = se(scores.mean(axis=1))
    return out
