"""Adversarial probes for every reward and judge: replies that should never beat a typical human.

For each probed tweet the probe set holds a verbatim copy, the copy behind a friendly opener,
generic one-liners, self-promotion, empty and near-empty replies, a repeated word, an off-topic
but specific reply (the best-liked human reply of a tweet on another topic), and the failures
small models show: a phrase loop (the best human reply three times), assistant boilerplate
around it, a long vague reply, the best reply cut off mid-sentence, and a fluent non sequitur.
A scorer passes the probe when a probe scores at or below the tweet's median human reply.

`labelled_set_table` scores the committed labelled set of real model output
(data/probes/labelled_replies.jsonl): good human replies against each class of bad model reply.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from .oracle import tweet_topic
from .rewards import PairScorer

# Labels of the labelled set that are failures (data/probes/README.md); "acceptable" model replies are not.
FAILURE_CLASSES = ("loop", "boilerplate", "echo", "off_topic", "incoherent", "unfinished")
GENERIC_ONE_LINERS = ("So true!", "Great post!", "This.", "Love this!")
SELF_PROMOTION = ("Follow me for daily content!", "Link in bio for my new course.")
NEAR_EMPTY = (".", "ok")
BOILERPLATE = "Sure! Here's a reply to the tweet: {reply} I hope this helps! Let me know if you need anything else."
LONG_VAGUE = ("That's such a great point and I totally agree with you on this one, it's really important to remember "
              "that everyone has their own journey and it's all about finding what works best for you in the end.")
# A fluent sentence of the kind SmolLM2-135M writes when it loses the thread (base-model sample, earlier world).
NON_SEQUITUR = "Haha, never take a Friday off sick, that's just lazy. Today's normal Tuesday is to make it with sauce."


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
        best = p["best_reference"]
        cut = best.split()
        kinds += [("phrase_loop", " ".join([best] * 3)), ("assistant_boilerplate", BOILERPLATE.format(reply=best)),
                  ("long_vague", LONG_VAGUE), ("unfinished", " ".join(cut[:max(1, (2 * len(cut)) // 3)])),
                  ("non_sequitur", NON_SEQUITUR)]
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


def auc(good: np.ndarray, bad: np.ndarray) -> float:
    """P(a good reply outscores a bad one), ties counted half (Mann-Whitney AUC)."""
    good, bad = np.asarray(good, dtype=np.float64), np.asarray(bad, dtype=np.float64)
    wins = (good[:, None] > bad[None, :]).sum() + 0.5 * (good[:, None] == bad[None, :]).sum()
    return float(wins / (len(good) * len(bad)))


def labelled_set_table(rows: list[dict], scores: dict[str, np.ndarray], good_label: str = "good_human") -> dict:
    """{scorer: {class: {auc, share_above_good_median, mean, n}}} for every bad class of the labelled rows
    ({"label": ...}); AUC >= 0.95 and share <= 0.05 is what a judge of model output must show."""
    labels = np.array([r["label"] for r in rows])
    if not (labels == good_label).any():
        raise ValueError(f"labelled set: no rows labelled {good_label!r}")
    out = {}
    for name, s in scores.items():
        s = np.asarray(s, dtype=np.float64)
        if not np.all(np.isfinite(s)):
            raise FloatingPointError(f"labelled set: scorer {name} returned non-finite scores")
        good = s[labels == good_label]
        median = float(np.median(good))
        out[name] = {"good_median": median, "good_n": len(good), "classes": {
            c: {"auc": auc(good, s[labels == c]), "share_above_good_median": float(np.mean(s[labels == c] > median)),
                "mean": float(np.mean(s[labels == c])), "n": int((labels == c).sum())}
            for c in sorted(set(labels) - {good_label})}}
    return out
