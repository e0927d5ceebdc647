"""Adversarial probes for every reward and judge: replies that should never beat a typical human.

For each probed tweet the probe set holds a verbatim copy, the copy behind a friendly opener,
generic one-liners, self-promotion, empty and near-empty replies, a repeated word, and an
off-topic but specific reply (the best-liked human reply of a tweet on another topic). A
scorer passes the probe when a probe scores at or below the tweet's median human reply.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from .oracle import tweet_topic
from .rewards import PairScorer

GENERIC_ONE_LINERS = ("So true!", "Great post!", "This.", "Love this!")
SELF_PROMOTION = ("Follow me for daily content!", "Link in bio for my new course.")
NEAR_EMPTY = (".", "ok")


def probe_replies(prompts: list[dict]) -> list[dict]:
    """[{tweet_id, tweet, kind, reply}] for every prompt ({tweet_id, tweet, references, best_reference})."""
    topics = [tweet_topic(p["tweet"]) for p in prompts]
    out = []
    for i, p in enumerate(prompts):
        tweet = p["tweet"]
        kinds = [("verbatim_copy", tweet), ("copy_behind_opener", f"Love this! {tweet}")]
        kinds += [("generic_one_liner", g) for g in GENERIC_ONE_LINERS]
        kinds += [("self_promotion", s) for s in SELF_PROMOTION]
        kinds += [("empty", "")] + [("near_empty", s) for s in NEAR_EMPTY]
        kinds += [("repeated_words", " ".join(["amazing"] * 12))]
        # off-topic but specific: the best human reply of the next prompt with another (or unknown) topic
        for step in range(1, len(prompts)):
            j = (i + step) % len(prompts)
            if topics[j] != topics[i] or topics[i] is None:
                kinds.append(("off_topic_specific", prompts[j]["best_reference"]))
                break
        out += [{"tweet_id": p["tweet_id"], "tweet": tweet, "kind": k, "reply": r} for k, r in kinds]
    return out


def probe_table(prompts: list[dict], probes: list[dict], scorers: dict[str, PairScorer]) -> dict:
    """{scorer: {kind: {mean, share_above_median_human}}, plus each scorer's median human score}.

    share_above_median_human = share of (tweet, probe) pairs scoring strictly above the median
    human reply of that tweet: 0 is what a sound reward shows for every probe kind.
    """
    tweets = [p["tweet"] for p in prompts for _ in p["references"]]
    humans = [r for p in prompts for r in p["references"]]
    owner = [p["tweet_id"] for p in prompts for _ in p["references"]]
    out = {}
    for name, score in scorers.items():
        human_scores = np.asarray(score(tweets, humans), dtype=np.float64)
        by_tweet = defaultdict(list)
        for t, s in zip(owner, human_scores):
            by_tweet[t].append(s)
        median = {t: float(np.median(v)) for t, v in by_tweet.items()}
        probe_scores = np.asarray(score([p["tweet"] for p in probes], [p["reply"] for p in probes]), dtype=np.float64)
        if not np.all(np.isfinite(probe_scores)):
            raise FloatingPointError(f"probe scorer {name} returned non-finite scores")
        kinds: dict[str, dict] = defaultdict(lambda: {"scores": [], "above": []})
        for p, s in zip(probes, probe_scores):
            kinds[p["kind"]]["scores"].append(s)
            kinds[p["kind"]]["above"].append(s > median[p["tweet_id"]])
        out[name] = {"median_human_mean": float(np.mean(list(median.values()))),
                     "probes": {k: {"mean": float(np.mean(v["scores"])),
                                    "share_above_median_human": float(np.mean(v["above"])), "n": len(v["scores"])}
                                for k, v in kinds.items()},
                     "share_of_all_probes_above_median_human": float(np.mean(
                         [s > median[p["tweet_id"]] for p, s in zip(probes, probe_scores)]))}
    return out
