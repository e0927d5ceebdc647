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
                    "Good luck with the tomatoes this season!"],
     "best_reference": "With tomatoes, water them at the base early in the morning. Hope that helps."},
    {"tweet_id": "b", "tweet": "Watching the rocket launch live right now. The booster landing was incredible.",
     "references": ["The booster landed 8 minutes after liftoff, wild to watch the rocket come back.", "Wow.",
                    "Did the rocket launch live up to expectations?"],
     "best_reference": "The booster landed 8 minutes after liftoff, wild to watch the rocket come back."},
]


def overlap_reward(tweets, replies):
    """A broken reward: closeness to the tweet (what a cosine-to-tweet feature can learn)."""
    return np.array([len(content_words(t) & content_words(r)) / max(1, len(content_words(t)))
                     for t, r in zip(tweets, replies)])


def test_probe_set_has_every_kind_and_off_topic_is_from_another_topic():
    probes = probe_replies(PROMPTS)
    kinds = {p["kind"] for p in probes}
    assert kinds == {"verbatim_copy", "copy_behind_opener", "generic_one_liner", "self_promotion", "empty",
                     "near_empty", "repeated_words", "off_topic_specific"}
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
