import json
import math
from pathlib import Path

import numpy as np
from scipy import stats

from polyreply import demo_data
from polyreply.split import SPLITS, assign_tweets, quartile_chi_square, split_rows

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data/demo/synthetic_tweet_replies.jsonl"


def demo_rows():
    return [json.loads(l) for l in DEMO.read_text().splitlines()]


def do_split(rows, seed=42):
    return assign_tweets(rows, seed=seed, test_fraction=0.15, val_fraction=0.08, phase1_fraction=0.5, strata=4)


def test_committed_demo_data_is_reproduced_by_generator(tmp_path):
    demo_data.write(tmp_path / "demo.jsonl")
    assert (tmp_path / "demo.jsonl").read_bytes() == DEMO.read_bytes()


def test_demo_data_size_and_learnable_engagement():
    rows = demo_rows()
    assert 1500 <= len(rows) <= 3000
    assert len({r["tweet_id"] for r in rows}) >= 300
    by_style = {}
    for r in rows:
        by_style.setdefault(r["synthetic_style"], []).append(math.log1p(r["reply_likes"]))
    mean = {k: np.mean(v) for k, v in by_style.items()}
    # the generative story: relevant + specific + friendly beats generic, hostile and off-topic
    assert mean["specific"] > mean["relevant_short"] > mean["generic"]
    assert mean["specific"] > mean["off_topic"] and mean["specific"] > mean["hostile"]


def test_split_is_disjoint_by_tweet_and_complete():
    rows = demo_rows()
    assignment, _ = do_split(rows)
    parts = split_rows(rows, assignment)
    assert sum(len(p) for p in parts.values()) == len(rows)
    ids = [r["reply_id"] for p in parts.values() for r in p]
    assert sorted(ids) == sorted(r["reply_id"] for r in rows)  # every row exactly once
    tweets = {s: {r["tweet_id"] for r in parts[s]} for s in SPLITS}
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1:]:
            assert not tweets[a] & tweets[b], f"{a} and {b} share tweets"
    n_tweets = len({r["tweet_id"] for r in rows})
    assert abs(len(tweets["test"]) / n_tweets - 0.15) < 0.02
    assert abs(len(tweets["phase1"]) - len(tweets["phase2"])) <= 4


def test_split_is_deterministic_and_seed_dependent():
    rows = demo_rows()
    assert do_split(rows, 42)[0] == do_split(list(reversed(rows)), 42)[0]
    assert do_split(rows, 42)[0] != do_split(rows, 7)[0]


def test_split_stratifies_and_chi_square_matches_scipy():
    rows = demo_rows()
    assignment, stratum = do_split(rows)
    parts = split_rows(rows, assignment)
    chi = quartile_chi_square(parts, stratum)
    table = np.array(chi["table"])
    assert table.shape == (4, 4) and table.sum() == len(rows)
    ref = stats.chi2_contingency(table)
    assert math.isclose(chi["chi2"], ref.statistic) and math.isclose(chi["p_value"], ref.pvalue)
    assert chi["p_value"] > 0.05  # stratification keeps quartile shares alike across splits


def test_chi_square_detects_unbalanced_split():
    rows = demo_rows()
    _, stratum = do_split(rows)
    # deliberately put the top stratum in test: the test must flag it
    assignment = {t: ("test" if q == 3 else ["val", "phase1", "phase2"][sum(map(ord, t)) % 3]) for t, q in stratum.items()}
    chi = quartile_chi_square(split_rows(rows, assignment), stratum)
    assert chi["p_value"] < 1e-6
