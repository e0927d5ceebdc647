"""Split by tweet *text* and tweet_id, stratified by engagement quartile.

The unit is a group of tweets with the same normalised text (lower-cased, punctuation and
spacing removed): every tweet_id of a group, and every reply of those tweets, lands in one
split. Splitting by id alone let 24 of 40 evaluation prompts occur verbatim in training
(360 ids had only 218 distinct texts). Partition: test | val | phase1 | phase2, with
train = phase1 + phase2.
"""
from __future__ import annotations

import math
import random
import re
from collections import defaultdict

import numpy as np
from scipy import stats

SPLITS = ("test", "val", "phase1", "phase2")


_NON_WORD = re.compile(r"[^\w]+")


def normalise_text(text: str) -> str:
    """Lower-case, punctuation and spacing dropped: "Great game!!" and "great  game" are one text."""
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def text_groups(rows: list[dict]) -> dict[str, str]:
    """{tweet_id: group key}; the key is the normalised tweet text, so ids sharing a text share a key."""
    return {r["tweet_id"]: normalise_text(r["tweet"]) for r in rows}


def tweet_engagement(rows: list[dict], groups: dict[str, str]) -> dict[str, float]:
    """Median log1p(reply_likes) over a group's replies: the stratification key."""
    by_group: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        by_group[groups[r["tweet_id"]]].append(math.log1p(r["reply_likes"]))
    return {g: float(np.median(v)) for g, v in by_group.items()}


def quantile_strata(values: dict[str, float], n_strata: int) -> dict[str, int]:
    ids = sorted(values, key=lambda t: (values[t], t))
    return {t: min(n_strata - 1, (i * n_strata) // len(ids)) for i, t in enumerate(ids)}


def assign_tweets(rows: list[dict], *, seed: int, test_fraction: float, val_fraction: float,
                  phase1_fraction: float, strata: int) -> tuple[dict[str, str], dict[str, int]]:
    """Return ({tweet_id: split}, {tweet_id: stratum}); deterministic given the seed.

    Groups of same-text tweets are shuffled and cut within each engagement stratum.
    """
    groups = text_groups(rows)
    engagement = tweet_engagement(rows, groups)
    n_strata = max(1, min(strata, len(engagement)))
    group_stratum = quantile_strata(engagement, n_strata)
    rng = random.Random(seed)
    group_split: dict[str, str] = {}
    for s in range(n_strata):
        ids = sorted(g for g, q in group_stratum.items() if q == s)
        rng.shuffle(ids)
        n = len(ids)
        n_test = int(round(n * test_fraction))
        n_val = int(round(n * val_fraction))
        rest = ids[n_test + n_val:]
        n_p1 = int(round(len(rest) * phase1_fraction))
        for g in ids[:n_test]:
            group_split[g] = "test"
        for g in ids[n_test:n_test + n_val]:
            group_split[g] = "val"
        for g in rest[:n_p1]:
            group_split[g] = "phase1"
        for g in rest[n_p1:]:
            group_split[g] = "phase2"
    assignment = {t: group_split[g] for t, g in sorted(groups.items())}
    stratum = {t: group_stratum[g] for t, g in sorted(groups.items())}
    counts = {s: sum(1 for v in assignment.values() if v == s) for s in SPLITS}
    empty = [s for s, c in counts.items() if c == 0]
    if empty:
        raise ValueError(f"split: {', '.join(empty)} would be empty with {len(engagement)} distinct tweets; "
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


def text_leaks(parts: dict[str, list[dict]]) -> list[tuple[str, str, str]]:
    """(normalised text, split a, split b) for every tweet text found in two splits (should be none)."""
    where: dict[str, set[str]] = defaultdict(set)
    for name, rows in parts.items():
        for r in rows:
            where[normalise_text(r["tweet"])].add(name)
    return sorted((t, *sorted(s)[:2]) for t, s in where.items() if len(s) > 1)


CURATED_SPLITS = ("train", "phase1", "val")   # what SFT and the warm-starts imitate and validate on
CURATION_COLUMNS = ("curated", "curation_failed")   # added by stage curate (tweets/curation.py)


def without_curation(row: dict) -> dict:
    """The row as validated: the all-replies splits stay byte-identical whatever the curation params."""
    return {k: v for k, v in row.items() if k not in CURATION_COLUMNS}


def curated_parts(parts: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """{train, phase1, val}: the rows flagged ``curated`` of each split (the assignment is the all-rows one).

    Raises ValueError naming the split when curation left it empty, or when rows lack the curate stage's flag.
    """
    out = {}
    for name in CURATED_SPLITS:
        rows = parts["phase1"] + parts["phase2"] if name == "train" else parts[name]
        for r in rows:
            if not isinstance(r.get("curated"), bool):
                raise ValueError(f"split: row reply_id={r.get('reply_id')!r} has no boolean 'curated' column; "
                                 "--pairs must be the curate stage's output (data/curated/pairs.jsonl)")
        out[name] = [r for r in rows if r["curated"]]
        if not out[name]:
            raise ValueError(f"split: curation kept none of the {len(rows)} {name} pairs, so SFT would have "
                             "nothing to imitate; loosen the `curate` params (metrics/curation.json shows "
                             "what each rule removed)")
    return out
