"""The injected-effect check: a model's replies with a known share replaced by each tweet's best human reply.

A null verdict means something only if the same scoring and analysis detect an effect that is there. Here
``inject_best_reply`` replaces exactly ``m = round(share x n)`` of the n samples of every prompt (chosen at
random, seeded per seed and tweet) with the human reply the primary judge scores highest for that tweet.
Replacing a uniformly random m of n samples changes the prompt's mean score by, in expectation,
    (m / n) x (B_t - mean score of the model's samples for tweet t),
so the planted effect on the mean score is known before any test runs (``expected_effect``). evaluate scores
the injected replies as it scores a model; the report compares them with the original model by the verdicts'
test and says whether the CI contains the planted effect and excludes zero.
"""
from __future__ import annotations

import hashlib

import numpy as np

from .oracle import true_engagement


def injected_count(n_samples: int, share: float) -> int:
    """Samples replaced per prompt: round(share x n), at least 1 and at most n."""
    if not 0 < share <= 1:
        raise ValueError(f"injection share must be in (0, 1], got {share}")
    return min(n_samples, max(1, round(share * n_samples)))


def _rng(seed: int, tweet_id) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}/{tweet_id}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def inject_best_reply(generations: list[dict], best_reply: dict, share: float, seed: int) -> list[dict]:
    """Copies of ``generations`` (rows with tweet_id, samples) with ``injected_count`` samples per prompt
    replaced by ``best_reply[tweet_id]``; each row gets ``injected`` (the replaced sample indices)."""
    out = []
    for g in generations:
        if g["tweet_id"] not in best_reply:
            raise KeyError(f"injection: no best human reply for tweet {g['tweet_id']}")
        n = len(g["samples"])
        chosen = sorted(_rng(seed, g["tweet_id"]).choice(n, size=injected_count(n, share), replace=False).tolist())
        samples = list(g["samples"])
        for j in chosen:
            samples[j] = best_reply[g["tweet_id"]]
        out.append({**g, "samples": samples, "injected": chosen})
    return out


def expected_effect(model_mean_scores: np.ndarray, best_scores: np.ndarray, n_samples: int, share: float) -> float:
    """The planted effect on the mean score: (m / n) x mean over prompts of (B_t - the model's mean for t).

    ``model_mean_scores`` [seeds, prompts] or [prompts]; ``best_scores`` [prompts] (the best human reply's
    score per tweet)."""
    m = injected_count(n_samples, share)
    gap = np.asarray(best_scores, float) - np.asarray(model_mean_scores, float)
    return float(m / n_samples * gap.mean())


def best_human_replies(prompts: list[dict]) -> tuple[dict, dict]:
    """Per tweet_id the human reply the oracle scores highest, and its score (the check runs on the oracle
    only: under reference similarity an injected human reply would be matched against itself)."""
    best, scores = {}, {}
    for p in prompts:
        refs = p["references"]
        s = [true_engagement(p["tweet"], r) for r in refs]
        i = int(np.argmax(s))
        best[p["tweet_id"]], scores[p["tweet_id"]] = refs[i], float(s[i])
    return best, scores
