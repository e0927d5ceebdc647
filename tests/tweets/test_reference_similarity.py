"""The reference_similarity judge does not reward echoing the tweet (polyreply/tweets/scoring.py).

Before the echo rule a copy of the tweet scored 0.52 on the demo data against a median human of 0.31 (0.62 vs
0.20 on tests/fixtures/real_tweet_replies.jsonl), because some human replies are themselves copies of the
tweet and nothing discounted a reply's own similarity to the tweet.
"""
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from polyreply.io import read_jsonl
from polyreply.tweets.config import HeuristicConfig
from polyreply.tweets.metrics import ECHO_CHRF_HI, ECHO_CHRF_LO, chrf, chrf_echo, leave_one_out_best
from polyreply.tweets.scoring import (human_reference_similarities, reference_pool, reference_similarities,
                                      reference_thresholds)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data/demo/synthetic_tweet_replies.jsonl"
REAL = ROOT / "tests/fixtures/real_tweet_replies.jsonl"

TWEET = "Just planted my first strawberries this season. Fingers crossed!"
HUMANS = ["Water them at the base early in the morning, it made mine so much sweeter.",
          "Congrats! Which variety did you go for?",
          "Straw under the plants keeps the slugs off and the berries clean.",
          "Good luck, mine never survive the birds."]
ECHO_HUMAN = f"{TWEET} So true."


def copy_variants(tweet: str) -> dict[str, str]:
    return {"verbatim": tweet, "love_this": f"Love this! {tweet}", "so_true": f"{tweet} So true.",
            "quoted": f'"{tweet}"'}


def by_tweet(rows: list[dict]) -> dict[str, tuple[str, list[dict]]]:
    out: dict = defaultdict(list)
    for r in rows:
        out[r["tweet_id"]].append(r)
    return {t: (rs[0]["tweet"], rs) for t, rs in out.items()}


def test_chrf_echo_is_the_clipped_ramp_between_the_thresholds():
    assert chrf_echo(TWEET, TWEET) == 1.0
    for human in HUMANS:
        assert chrf(human, TWEET) <= ECHO_CHRF_LO and chrf_echo(human, TWEET) == 0.0
    reply = "Fingers crossed for the strawberries!"
    c = chrf(reply, TWEET)
    assert chrf_echo(reply, TWEET, lo=c - 0.1, hi=c + 0.1) == pytest.approx(0.5)
    assert chrf_echo(reply, TWEET, lo=c - 0.3, hi=c + 0.1) == pytest.approx(0.75)
    with pytest.raises(ValueError):
        chrf_echo(reply, TWEET, lo=0.9, hi=0.6)


def test_a_copy_of_the_tweet_scores_zero_below_every_human():
    humans = human_reference_similarities(HUMANS, TWEET)
    assert min(humans) > 0.0
    for kind, copy in copy_variants(TWEET).items():
        assert chrf(copy, TWEET) >= ECHO_CHRF_HI, kind
        assert reference_similarities(copy, HUMANS, TWEET) == 0.0, kind


def test_a_non_echo_reply_keeps_its_chrf():
    reply = "Put straw under them so the berries stay off the soil."
    assert chrf_echo(reply, TWEET) == 0.0
    sims = sorted(chrf(reply, h) for h in HUMANS)
    # best of 3 of the 4 references, averaged over the one left out: 3 x best + second best, over 4
    assert reference_similarities(reply, HUMANS, TWEET) == pytest.approx((3 * sims[-1] + sims[-2]) / 4)
    # humans that echo nothing are matched against the others, as before the echo rule
    assert human_reference_similarities(HUMANS, TWEET) == pytest.approx(
        [max(chrf(h, o) for j, o in enumerate(HUMANS) if j != i) for i, h in enumerate(HUMANS)])


def test_echo_references_are_left_out_for_models_and_humans():
    refs = [ECHO_HUMAN, *HUMANS[:2]]
    assert reference_pool(refs, TWEET) == [1, 2]
    reply = "Congrats on the strawberries! Which variety, and did you plant them at the base of a wall?"
    assert chrf_echo(reply, TWEET) == 0.0
    # the echo reference is not matched: the best of 1 of the 2 others, averaged over the one left out
    assert reference_similarities(reply, refs, TWEET) == pytest.approx(
        (chrf(reply, HUMANS[0]) + chrf(reply, HUMANS[1])) / 2)
    humans = human_reference_similarities(refs, TWEET)
    # a pooled human is matched against the other pooled human only, not the echo
    assert humans[1] == pytest.approx(chrf(HUMANS[0], HUMANS[1]))
    assert humans[2] == pytest.approx(chrf(HUMANS[1], HUMANS[0]))
    # the echo human is scored by the very rule a model reply gets: 0 for a copy
    assert humans[0] == reference_similarities(ECHO_HUMAN, refs, TWEET) == 0.0


def test_a_partly_echoing_human_is_scored_like_a_model_reply_and_discounted_in_part():
    quote = '"Just planted my first strawberries this season" - water them at the base early in the morning!'
    echo = chrf_echo(quote, TWEET)
    assert 0.1 < echo < 0.9   # a quote plus a tip of its own: a partial echo, not a reference
    refs = [quote, *HUMANS]
    assert reference_pool(refs, TWEET) == [1, 2, 3, 4]
    sims = [chrf(quote, h) for h in HUMANS]
    expected = leave_one_out_best(sims) * (1 - echo)   # best of 3 of the 4 pooled, as a model reply gets
    assert max(sims) * (1 - echo) > expected + 1e-3     # (a best over all 4 would give the human one extra chance)
    assert human_reference_similarities(refs, TWEET)[0] == pytest.approx(expected)
    assert reference_similarities(quote, refs, TWEET) == pytest.approx(expected)
    assert 0.0 < expected < leave_one_out_best(sims)


def test_too_few_non_echo_references_fall_back_to_all_and_copies_still_score_zero():
    refs = [TWEET, ECHO_HUMAN, HUMANS[0]]
    assert reference_pool(refs, TWEET) == [0, 1, 2]   # one non-echo reference: all three count
    humans = human_reference_similarities(refs, TWEET)
    assert humans[:2] == [0.0, 0.0]   # the copies, discounted in full
    assert humans[2] == pytest.approx(max(chrf(HUMANS[0], TWEET), chrf(HUMANS[0], ECHO_HUMAN)))
    for copy in copy_variants(TWEET).values():
        assert reference_similarities(copy, refs, TWEET) == 0.0
    for bad in ([], [HUMANS[0]]):
        with pytest.raises(ValueError, match=">= 2 human replies"):
            reference_pool(bad, TWEET)
        with pytest.raises(ValueError, match=">= 2 human replies"):
            reference_similarities(HUMANS[1], bad, TWEET)
        with pytest.raises(ValueError, match=">= 2 human replies"):
            human_reference_similarities(bad, TWEET)


def test_thresholds_use_the_humans_echo_rule():
    prompts = [{"tweet": TWEET, "references": [ECHO_HUMAN, *HUMANS]},
               {"tweet": "Finally finished my first marathon today!", "references": HUMANS[1:]}]
    thresholds = reference_thresholds(prompts, None, HeuristicConfig(), ("reference_similarity",), 0.75)
    humans = [s for p in prompts for s in human_reference_similarities(p["references"], p["tweet"])]
    assert thresholds["reference_similarity"] == pytest.approx(float(np.quantile(humans, 0.75)))
    assert 0.0 in humans   # the echo human scores 0, so it cannot lift the threshold


def test_demo_copies_score_below_the_median_human():
    """Median over the demo tweets of the share of copy variants below that tweet's median human: 1.

    Measured over all 1260 demo tweets: 0.990 of copies below (the rest tie at 0 where most humans are echoes);
    0.19 before the echo rule. Every 4th tweet here, to stay fast.
    """
    tweets = sorted(by_tweet(read_jsonl(DEMO)).items())[::4]
    shares = []
    for _, (tweet, rows) in tweets:
        refs = [r["reply"] for r in rows]
        median = np.median(human_reference_similarities(refs, tweet))
        shares.append(np.mean([reference_similarities(c, refs, tweet) < median
                               for c in copy_variants(tweet).values()]))
    assert np.median(shares) == 1.0
    assert np.mean(shares) >= 0.95


def test_real_fixture_every_copy_scores_below_the_median_human():
    tweets = by_tweet(read_jsonl(REAL))
    assert len(tweets) == 8 and all(4 <= len(rows) <= 6 for _, rows in tweets.values())
    # like real timelines, some humans echo or quote the tweet
    assert sum(chrf_echo(r["reply"], t) > 0 for t, rows in tweets.values() for r in rows) >= 3
    for tweet_id, (tweet, rows) in tweets.items():
        refs = [r["reply"] for r in rows]
        humans = human_reference_similarities(refs, tweet)
        median = float(np.median(humans))
        for kind, copy in copy_variants(tweet).items():
            score = reference_similarities(copy, refs, tweet)
            assert score < median, (tweet_id, kind, score, median)
        best_liked = humans[int(np.argmax([r["reply_likes"] for r in rows]))]
        assert best_liked > 0.0, tweet_id
