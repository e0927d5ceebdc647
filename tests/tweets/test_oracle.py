"""The demo world's oracle: hand-computed values for each rule, and the orderings it must keep."""
import math

import pytest

from polyreply.tweets.oracle import (WEIGHTS, echo_score, length_term, oracle_parts, true_engagement,
                                     tweet_topic)

TWEET = "Just planted my first tomatoes of the season. Fingers crossed!"


def total(parts):
    return sum(WEIGHTS[k] * v for k, v in parts.items())


def test_topic_is_read_from_the_text():
    assert tweet_topic(TWEET) == "gardening"
    assert tweet_topic("Kids at school could not stop asking about the comet.") == "space"
    assert tweet_topic("hello there") is None


def test_specific_reply_hand_values():
    reply = "Congrats! With tomatoes, mix in about 30% compost."
    p = oracle_parts(TWEET, reply)
    # novel content words: mix, compost ("about": stopword, "30": a number, "congrats": filler); on-topic: compost
    assert p["relevance"] == pytest.approx(min(1.0, 0.6 + 0.2 * 1))
    assert p["specificity"] == pytest.approx(0.8 * min(1.0, 0.4 + 0.15 * 1 + 0.05 * 2))
    assert p["tone"] == pytest.approx(0.6)          # "congrats"
    assert p["length"] == pytest.approx(-0.2 + 0.04 * (8 - 4))
    assert p["echo"] == 0.0 and p["generic"] == 0.0 and p["promo"] == 0.0
    assert true_engagement(TWEET, reply) == pytest.approx(total(p))


def test_echo_and_rewording_score_low():
    assert echo_score(TWEET, TWEET, n_novel=0) == 1.0
    assert echo_score(TWEET, "Love this! " + TWEET, n_novel=0) == 1.0
    # reworded: the same content words in another order, nothing added
    reworded = "Fingers crossed for the first tomatoes you planted this season"
    assert oracle_parts(TWEET, reworded)["echo"] == 1.0
    human_specific = "With tomatoes, water them at the base early in the morning. Made a big difference for me."
    assert oracle_parts(TWEET, human_specific)["echo"] == 0.0
    assert true_engagement(TWEET, TWEET) < 0 < true_engagement(TWEET, human_specific)


@pytest.mark.parametrize("junk", ["", ".", "So true!", "Great post!", "Follow me for daily content!",
                                  "amazing " * 12, "tomatoes compost soil water sun mulch harvest 30"])
def test_junk_scores_below_a_plain_relevant_reply(junk):
    plain = "Good luck with the tomatoes this season!"
    assert true_engagement(TWEET, junk) < true_engagement(TWEET, plain)


def test_off_topic_specific_earns_no_specificity():
    p = oracle_parts(TWEET, "With sourdough, rest the dough for 12 hours in the fridge.")
    assert p["relevance"] == 0.0 and p["specificity"] == 0.0 and p["off_topic"] == 1.0
    assert oracle_parts(TWEET, "With tomatoes, rest the dough for 12 hours.")["off_topic"] == 0.0  # names the subject
    assert true_engagement(TWEET, "With sourdough, rest the dough for 12 hours in the fridge.") < 0


def test_hostile_tone_costs():
    kind = oracle_parts(TWEET, "Love the tomatoes idea, enjoy the season!")
    rude = oracle_parts(TWEET, "Nobody cares about your tomatoes.")
    assert kind["tone"] > 0 > rude["tone"]


def test_length_term_hand_values():
    assert [length_term(n) for n in (0, 3, 4, 9, 10, 28, 38)] == pytest.approx(
        [-0.8, -0.8, -0.2, 0.0, 0.3, 0.3, 0.0])
    assert math.isclose(length_term(9), -0.2 + 0.04 * 5)
