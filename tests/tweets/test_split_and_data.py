import json
import math
from pathlib import Path

import numpy as np
from scipy import stats

from polyreply.tweets import demo_data
from polyreply.tweets.generation import eval_prompts
from polyreply.tweets.oracle import true_engagement
from polyreply.tweets.split import SPLITS, assign_tweets, normalise_text, quartile_chi_square, split_rows, text_leaks

ROOT = Path(__file__).resolve().parents[2]
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
    assert 5000 <= len(rows) <= 8000
    assert len({r["tweet_id"] for r in rows}) >= 1200
    by_style = {}
    for r in rows:
        by_style.setdefault(r["synthetic_style"], []).append(math.log1p(r["reply_likes"]))
    mean = {k: np.mean(v) for k, v in by_style.items()}
    # the generative story: relevant + specific + friendly beats generic, hostile, off-topic and echoes
    assert mean["specific"] > mean["relevant_short"] > mean["generic"]
    assert mean["specific"] > mean["off_topic"] and mean["specific"] > mean["hostile"]
    assert mean["echo"] < np.median([math.log1p(r["reply_likes"]) for r in rows])


def test_demo_likes_follow_the_oracle_computed_from_text():
    rows = demo_rows()
    oracle = np.array([true_engagement(r["tweet"], r["reply"]) for r in rows])
    likes = np.array([math.log1p(r["reply_likes"]) for r in rows])
    assert stats.spearmanr(oracle, likes).statistic > 0.7   # popularity and noise account for the rest
    # text, not the style label, decides: two echo replies of one style differ when their text differs
    assert len({round(o, 3) for o, r in zip(oracle, rows) if r["synthetic_style"] == "specific"}) > 20


def test_demo_text_is_varied():
    rows = demo_rows()
    texts = {normalise_text(r["tweet"]) for r in rows}
    assert len(texts) >= 1100                                   # distinct tweets after normalisation
    assert len({r["reply"] for r in rows}) >= 0.6 * len(rows)   # replies composed from parts, not a few strings
    assert len(texts) < len({r["tweet_id"] for r in rows})      # some ids share a text: the split must cope


def test_split_keeps_every_tweet_text_in_one_split():
    """The id-only split put 24 of 40 evaluation tweets verbatim into training; grouping by text cannot."""
    rows = demo_rows()
    parts = split_rows(rows, do_split(rows)[0])
    assert text_leaks(parts) == []
    # ... including texts that differ only in case, punctuation and spacing
    twins = [dict(rows[0], tweet_id="twin-1", reply_id="twin-r1", tweet=rows[0]["tweet"].upper() + "!!"),
             dict(rows[0], tweet_id="twin-2", reply_id="twin-r2", tweet="  " + rows[0]["tweet"].lower())]
    parts = split_rows(rows + twins, do_split(rows + twins)[0])
    assert text_leaks(parts) == []
    assert len({s for s, p in parts.items() for r in p if r["tweet_id"].startswith("twin") or r is rows[0]}) == 1


def test_text_leak_check_catches_an_id_only_split():
    rows = demo_rows()
    by_id = {}
    for t in sorted({r["tweet_id"] for r in rows}):  # the previous rule: ids dealt out, texts ignored
        by_id[t] = SPLITS[sum(map(ord, t)) % 4]
    assert text_leaks(split_rows(rows, by_id)), "an id-only split of the demo data leaks texts"


def test_eval_prompts_are_a_seeded_sample_across_topics():
    rows = demo_rows()
    test = split_rows(rows, do_split(rows)[0])["test"]
    prompts = eval_prompts(test, 40, seed=0)
    assert len(prompts) == 40 and prompts == eval_prompts(list(reversed(test)), 40, seed=0)
    assert prompts != eval_prompts(test, 40, seed=1)
    topics = {next(r["synthetic_topic"] for r in test if r["tweet_id"] == p["tweet_id"]) for p in prompts}
    assert len(topics) >= 10   # the first 40 sorted ids covered 9 of 12 topics
    assert len({normalise_text(p["tweet"]) for p in prompts}) == 40
    assert len({normalise_text(r["tweet"]) for r in test}) >= 150


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
    assert abs(len(tweets["phase1"]) - len(tweets["phase2"])) <= 0.03 * n_tweets  # groups of same-text ids


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
