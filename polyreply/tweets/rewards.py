"""The tweet study's task rewards: pure heuristic components, and the training reward GRPO and the
polychromic set term optimise (learned engagement, heuristic, or their mix).

Scorers here take (tweets, replies) pairs; ``task_reward`` hands one to the core under its contract
(``core/rewards.py``: the rows' ``tweet`` column arrives as a keyword argument).
"""
from __future__ import annotations

import re
from dataclasses import asdict
from typing import Callable

import numpy as np

from ..core.rewards import RewardFn
from ..text import content_words, words
from .config import HeuristicConfig, TweetGrpoConfig

PairScorer = Callable[[list[str], list[str]], np.ndarray]   # (tweets, replies) -> one score per reply

GENERIC_PHRASES = frozenset({
    "so true", "this", "great post", "100", "interesting", "nice", "agreed", "wow", "lol", "same here",
    "love this", "great point", "well said", "exactly", "thanks for sharing", "amazing", "cool", "yes",
})


# ------------------------------------------------------------------ heuristic components (each in [0, 1])

def relevance_score(tweet: str, reply: str) -> float:
    """Shared content words between tweet and reply; two shared words count as fully relevant."""
    shared = content_words(tweet) & content_words(reply)
    return min(1.0, len(shared) / 2.0)


def length_score(reply: str, ideal_min: int, ideal_max: int) -> float:
    """1 inside [ideal_min, ideal_max] words, linear ramps outside (0 for an empty reply)."""
    n = len(words(reply))
    if n < ideal_min:
        return n / ideal_min
    if n > ideal_max:
        return max(0.0, 1.0 - (n - ideal_max) / ideal_max)
    return 1.0


def polarity(text: str) -> float:
    from textblob import TextBlob
    return float(TextBlob(text).sentiment.polarity)


def sentiment_score(tweet: str, reply: str) -> float:
    """Half alignment with the tweet's polarity, half friendliness of the reply (both in [0, 1])."""
    if not words(reply):
        return 0.0
    pt, pr = polarity(tweet), polarity(reply)
    return 0.5 * (1.0 - abs(pt - pr) / 2.0) + 0.5 * (pr + 1.0) / 2.0


def lexical_variety_score(reply: str) -> float:
    """Type-token ratio of the reply's words (0 for an empty reply)."""
    toks = words(reply)
    return len(set(toks)) / len(toks) if toks else 0.0


def punctuation_score(reply: str) -> float:
    """Penalise shouting: runs of !!/??, mostly upper-case text, no sentence end."""
    text = reply.strip()
    if not text:
        return 0.0
    score = 1.0
    if re.search(r"[!?]{2,}", text):
        score -= 0.4
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 6 and sum(c.isupper() for c in letters) / len(letters) > 0.6:
        score -= 0.4
    if text[-1] not in ".!?)\"'":
        score -= 0.2
    return max(0.0, score)


def specificity_score(reply: str) -> float:
    """1 - genericness: 0 for stock phrases ("So true!") and replies of <= 2 words."""
    toks = words(reply)
    if len(toks) <= 2 or " ".join(toks) in GENERIC_PHRASES:
        return 0.0
    return 1.0


def copied_share(tweet: str, reply: str) -> float:
    """Longest run of consecutive tweet words found in the reply, as a share of the tweet's words.

    1.0 for a verbatim copy, a quote or a copy behind an opener; ~0.1-0.3 for a reply that names
    the tweet's subject. (The oracle has its own, different echo rule; this one is a heuristic.)
    """
    t, r = words(tweet), words(reply)
    if not t or not r:
        return 0.0
    best, prev = 0, [0] * (len(r) + 1)
    for i in range(1, len(t) + 1):  # longest common substring over words, O(|t| |r|)
        cur = [0] * (len(r) + 1)
        for j in range(1, len(r) + 1):
            if t[i - 1] == r[j - 1]:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best / len(t)


def heuristic_components(tweet: str, reply: str, cfg: HeuristicConfig) -> dict[str, float]:
    return {
        "relevance": relevance_score(tweet, reply),
        "length": length_score(reply, cfg.ideal_words_min, cfg.ideal_words_max),
        "sentiment": sentiment_score(tweet, reply),
        "lexical_variety": lexical_variety_score(reply),
        "punctuation": punctuation_score(reply),
        "genericness": specificity_score(reply),
    }


def heuristic_reward(tweet: str, reply: str, cfg: HeuristicConfig) -> float:
    """Weighted mean of the components (weights ``heuristic.weights``), times an echo factor.

    The factor 1 - echo_penalty x clip((copied_share - 0.3) / 0.4, 0, 1) takes the reward to
    0 (at echo_penalty 1) for a reply that copies 70% or more of the tweet: a copy is relevant,
    well-sized and polite by every other component, and GRPO learned to echo tweets under a
    heuristic without it.
    """
    comps = heuristic_components(tweet, reply, cfg)
    w = asdict(cfg.weights)
    base = sum(w[k] * comps[k] for k in comps) / sum(w.values())
    echo = min(1.0, max(0.0, (copied_share(tweet, reply) - 0.3) / 0.4))
    return base * (1.0 - cfg.echo_penalty * echo)


# ------------------------------------------------------------------ the task reward (GRPO, polychromic)

def make_reward_fn(cfg: TweetGrpoConfig, heuristic_cfg: HeuristicConfig, reward_model) -> PairScorer:
    """learned | heuristic | hybrid = w_learned * learned + w_heuristic * heuristic (``grpo.reward``);
    ``reward_model``: the EngagementRewardModel (None for the heuristic alone)."""
    def heuristic(tweets, replies):
        return np.array([heuristic_reward(t, r, heuristic_cfg) for t, r in zip(tweets, replies)], dtype=np.float64)

    def learned(tweets, replies):
        if reward_model is None:
            raise ValueError("grpo.reward needs the learned reward model")
        return reward_model.score(tweets, replies).astype(np.float64)

    if cfg.reward == "heuristic":
        return heuristic
    if cfg.reward == "learned":
        return learned
    w = cfg.reward_weights
    return lambda t, r: w.learned * learned(t, r) + w.heuristic * heuristic(t, r)


def task_reward(scorer: PairScorer) -> RewardFn:
    """A (tweet, reply) scorer under the core's reward contract: the rows' ``tweet`` column is the tweet."""
    def reward(prompts: list[str], completions: list[str], tweet: list[str], **_) -> np.ndarray:
        return scorer(tweet, completions)
    return reward
