"""Adversarial probes: the table flags a reward that prefers copies or junk, and passes the oracle."""
import numpy as np
import pytest

from polyreply.text import content_words
from polyreply.tweets.config import HeuristicConfig
from polyreply.tweets.oracle import true_engagement
from polyreply.tweets.probes import probe_replies, probe_table
from polyreply.tweets.rewards import heuristic_reward

PROMPTS = [
    {"tweet_id": "a", "tweet": "Just planted my first tomatoes of the season. Fingers crossed!",
     "references": ["With tomatoes, water them at the base early in the morning. Hope that helps.", "So true!",
                    "Good luck with tomatoes!"],
     "best_reference": "With tomatoes, water them at the base early in the morning. Hope that helps."},
    {"tweet_id": "b", "tweet": "Watching the rocket launch live right now. The booster landing was incredible.",
     "references": ["Re the rocket launch: the booster landed 8 minutes after liftoff.", "Wow.",
                    "Did the rocket launch live up to expectations?"],
     "best_reference": "Re the rocket launch: the booster landed 8 minutes after liftoff."},
]


def overlap_reward(tweets, replies):
    """A broken reward: closeness to the tweet (what a cosine-to-tweet feature can learn)."""
    return np.array([len(content_words(t) & content_words(r)) / max(1, len(content_words(t)))
                     for t, r in zip(tweets, replies)])


def test_probe_set_has_every_kind_and_off_topic_is_from_another_topic():
    probes = probe_replies(PROMPTS)
    kinds = {p["kind"] for p in probes}
    assert kinds == {"verbatim_copy", "copy_behind_opener", "generic_one_liner", "self_promotion", "empty",
                     "near_empty", "repeated_words", "off_topic_specific", "phrase_loop", "assistant_boilerplate",
                     "long_vague", "unfinished", "non_sequitur"}
    off = {p["tweet_id"]: p["reply"] for p in probes if p["kind"] == "off_topic_specific"}
    assert off == {"a": PROMPTS[1]["best_reference"], "b": PROMPTS[0]["best_reference"]}
    assert [p["reply"] for p in probes if p["kind"] == "verbatim_copy"] == [PROMPTS[0]["tweet"], PROMPTS[1]["tweet"]]


def test_table_flags_a_copy_loving_reward_and_passes_the_oracle():
    cfg = HeuristicConfig()
    table = probe_table(PROMPTS, probe_replies(PROMPTS), {
        "overlap": overlap_reward,
        "oracle": lambda t, r: np.array([true_engagement(a, b) for a, b in zip(t, r)]),
        "heuristic": lambda t, r: np.array([heuristic_reward(a, b, cfg) for a, b in zip(t, r)]),
    })
    assert table["overlap"]["probes"]["verbatim_copy"]["share_above_median_human"] == 1.0
    assert table["oracle"]["share_of_all_probes_above_median_human"] == 0.0
    for kind in ("verbatim_copy", "copy_behind_opener", "empty", "near_empty"):
        assert table["heuristic"]["probes"][kind]["share_above_median_human"] == 0.0
    assert table["oracle"]["probes"]["verbatim_copy"]["n"] == 2


def test_table_raises_on_non_finite_scores():
    with pytest.raises(FloatingPointError, match="bad"):
        probe_table(PROMPTS, probe_replies(PROMPTS), {"bad": lambda t, r: np.full(len(t), np.nan)})


def test_auc_and_labelled_set_table_hand_values():
    from polyreply.tweets.probes import auc, labelled_set_table
    assert auc(np.array([2.0, 3.0]), np.array([1.0, 2.0])) == pytest.approx((1 + 0.5 + 1 + 1) / 4)
    rows = [{"label": "good_human"}] * 3 + [{"label": "loop"}] * 2 + [{"label": "echo"}]
    table = labelled_set_table(rows, {"s": np.array([1.0, 2.0, 3.0, 2.5, 0.0, -1.0])})["s"]
    assert table["good_median"] == 2.0
    assert table["classes"]["loop"] == {"auc": pytest.approx(4 / 6), "share_above_good_median": 0.5,
                                        "mean": 1.25, "n": 2}
    assert table["classes"]["echo"]["auc"] == 1.0 and table["classes"]["echo"]["share_above_good_median"] == 0.0
    with pytest.raises(ValueError, match="good_human"):
        labelled_set_table([{"label": "loop"}], {"s": np.array([0.0])})


def test_oracle_separates_good_human_replies_from_every_failure_of_real_model_output():
    """The committed labelled set (data/probes/README.md): AUC >= 0.95 and <= 5% above the good median."""
    from polyreply.io import read_jsonl
    from polyreply.tweets.probes import FAILURE_CLASSES, labelled_set_table
    rows = read_jsonl("data/probes/labelled_replies.jsonl")
    scores = np.array([true_engagement(r["tweet"], r["reply"]) for r in rows])
    classes = labelled_set_table(rows, {"oracle": scores})["oracle"]["classes"]
    assert {"loop", "boilerplate", "incoherent"} <= set(classes)
    for c in set(classes) & set(FAILURE_CLASSES):
        assert classes[c]["auc"] >= 0.95 and classes[c]["share_above_good_median"] <= 0.05, (c, classes[c])
    # stricter than the targets (the good rows are the best styles): 90% of every failure class scores below
    # the median of *all* demo human replies, which an oracle blind to the world's language misses (incoherent
    # model replies: 90% quantile +1.43 against a median of +0.27 with the language gate off)
    humans = read_jsonl("data/demo/synthetic_tweet_replies.jsonl")
    median_human = np.median([true_engagement(r["tweet"], r["reply"]) for r in humans])
    labels = np.array([r["label"] for r in rows])
    for c in set(classes) & set(FAILURE_CLASSES):
        assert np.quantile(scores[labels == c], 0.9) < median_human, c


def test_oracle_ranks_acceptable_model_replies_above_its_failures():
    """Coherent model replies outside the world's language still beat failures more often than not (the
    labelled set's "acceptable" class; 0.42 when foreign-but-finished text paid the unfinished penalty)."""
    from polyreply.io import read_jsonl
    from polyreply.tweets.probes import FAILURE_CLASSES, auc
    rows = read_jsonl("data/probes/labelled_replies.jsonl")
    score = {i: true_engagement(r["tweet"], r["reply"]) for i, r in enumerate(rows)}
    ok = [score[i] for i, r in enumerate(rows) if r["label"] == "acceptable"]
    bad = [score[i] for i, r in enumerate(rows) if r["label"] in FAILURE_CLASSES]
    assert auc(np.array(ok), np.array(bad)) >= 0.6


def test_oracle_keeps_broken_versions_of_the_best_reply_below_the_typical_human_on_the_demo():
    """Loops, wrappers and copies of the tweet's best reply never earn the content credit of the reply itself."""
    from polyreply.io import read_jsonl
    rows = read_jsonl("data/demo/synthetic_tweet_replies.jsonl")
    by_tweet: dict[str, dict] = {}
    for r in rows:
        p = by_tweet.setdefault(r["tweet_id"], {"tweet_id": r["tweet_id"], "tweet": r["tweet"], "references": []})
        p["references"].append(r["reply"])
        if r["reply_likes"] >= p.get("likes", -1):
            p["likes"], p["best_reference"] = r["reply_likes"], r["reply"]
    prompts = sorted(by_tweet.values(), key=lambda p: p["tweet_id"])[:120]
    table = probe_table(prompts, probe_replies(prompts),
                        {"oracle": lambda t, r: np.array([true_engagement(a, b) for a, b in zip(t, r)])})
    shares = {k: v["share_above_median_human"] for k, v in table["oracle"]["probes"].items()}
    for kind in ("phrase_loop", "assistant_boilerplate", "verbatim_copy", "copy_behind_opener", "non_sequitur",
                 "long_vague", "repeated_words", "empty"):
        assert shares[kind] <= 0.05, (kind, shares[kind])
    # an off-topic reply scores about -1.0, so it passes only a tweet whose median human reply is a stock one
    # ("So true!" -1.4); 17% here, 42% with a shared word counted as relevance
    assert shares["off_topic_specific"] <= 0.2
