"""Split by tweet_id, stratified by engagement quartile.

Tweets (not pairs) are the unit: every reply of a tweet lands in the same split, so no
test tweet is ever seen in training (the predecessor validated on its training set).
Partition of tweets: test | val | phase1 | phase2, with train = phase1 + phase2.
"""
from __future__ import annotations

import math
import random
from collections import defaultdict

import numpy as np
from scipy import stats

SPLITS = ("test", "val", "phase1", "phase2")


def tweet_engagement(rows: list[dict]) -> dict[str, float]:
    """Median log1p(reply_likes) over a tweet's replies: the stratification key."""
    by_tweet: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        by_tweet[r["tweet_id"]].append(math.log1p(r["reply_likes"]))
    return {t: float(np.median(v)) for t, v in by_tweet.items()}


def quantile_strata(values: dict[str, float], n_strata: int) -> dict[str, int]:
    ids = sorted(values, key=lambda t: (values[t], t))
    return {t: min(n_strata - 1, (i * n_strata) // len(ids)) for i, t in enumerate(ids)}


def assign_tweets(rows: list[dict], *, seed: int, test_fraction: float, val_fraction: float,
                  phase1_fraction: float, strata: int) -> tuple[dict[str, str], dict[str, int]]:
    """Return ({tweet_id: split}, {tweet_id: stratum}); deterministic given the seed."""
    engagement = tweet_engagement(rows)
    n_strata = max(1, min(strata, len(engagement)))
    stratum = quantile_strata(engagement, n_strata)
    rng = random.Random(seed)
    assignment: dict[str, str] = {}
    for s in range(n_strata):
        ids = sorted(t for t, q in stratum.items() if q == s)
        rng.shuffle(ids)
        n = len(ids)
        n_test = int(round(n * test_fraction))
        n_val = int(round(n * val_fraction))
        rest = ids[n_test + n_val:]
        n_p1 = int(round(len(rest) * phase1_fraction))
        for t in ids[:n_test]:
            assignment[t] = "test"
        for t in ids[n_test:n_test + n_val]:
            assignment[t] = "val"
        for t in rest[:n_p1]:
            assignment[t] = "phase1"
        for t in rest[n_p1:]:
            assignment[t] = "phase2"
    counts = {s: sum(1 for v in assignment.values() if v == s) for s in SPLITS}
    empty = [s for s, c in counts.items() if c == 0]
    if empty:
        raise ValueError(f"split: {', '.join(empty)} would be empty with {len(engagement)} tweets; "
                         "adjust split.test_fraction / val_fraction / phase1_fraction or add data")
    return assignment, stratum


def split_rows(rows: list[dict], assignment: dict[str, str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {s: [] for s in SPLITS}
    for r in rows:
        out[assignment[r["tweet_id"]]].append(r)
    return out


def quartile_chi_square(rows_by_split: dict[str, list[dict]], stratum: dict[str, int]) -> dict:
    """Chi-square test of independence between split and engagement stratum (pair counts).

    A large p-value means the stratum proportions are consistent across splits.
    """
    n_strata = max(stratum.values()) + 1
    table = np.zeros((len(SPLITS), n_strata), dtype=np.int64)
    for i, s in enumerate(SPLITS):
        for r in rows_by_split[s]:
            table[i, stratum[r["tweet_id"]]] += 1
    keep = table.sum(axis=0) > 0
    table = table[:, keep]
    if table.shape[1] < 2:
        return {"table": table.tolist(), "chi2": None, "p_value": None, "dof": 0,
                "note": "fewer than 2 non-empty strata: test not applicable"}
    res = stats.chi2_contingency(table)
    return {"table": table.tolist(), "rows": list(SPLITS), "chi2": float(res.statistic),
            "p_value": float(res.pvalue), "dof": int(res.dof)}
