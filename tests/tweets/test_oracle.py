"""The demo world's oracle: hand-computed values for each rule, and the orderings it must keep."""
import math

import pytest

from polyreply.io import read_jsonl
from polyreply.tweets.grammar import (
    END,
    NUM,
    START,
    grammaticality,
    reply_trigrams,
    tokens,
    trigrams_of_chain,
)
from polyreply.tweets.oracle import (
    WEIGHTS,
    closes_sentence,
    echo_score,
    length_term,
    oracle_parts,
    repetition_score,
    true_engagement,
    topic_markers,
    tweet_topic,
)
from polyreply.text import content_words, words

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
    plain = "Good luck with tomatoes!"  # a RELEVANT_SHORT template: the world's own language
    assert true_engagement(TWEET, junk) < true_engagement(TWEET, plain)


def test_off_topic_specific_earns_no_specificity():
    p = oracle_parts(TWEET, "With sourdough, rest the dough for 12 hours in the fridge.")
    assert p["relevance"] == 0.0 and p["specificity"] == 0.0 and p["off_topic"] == 1.0
    assert oracle_parts(TWEET, "With tomatoes, rest the dough for 12 hours.")["off_topic"] == 0.0  # names the subject
    assert true_engagement(TWEET, "With sourdough, rest the dough for 12 hours in the fridge.") < 0


def test_hostile_tone_costs():
    kind = oracle_parts(TWEET, "Love this! Good luck with tomatoes!")
    rude = oracle_parts(TWEET, "Nobody cares about tomatoes.")
    assert kind["tone"] > 0 > rude["tone"]


def test_length_term_hand_values():
    assert [length_term(n) for n in (0, 3, 4, 9, 10, 28, 38)] == pytest.approx(
        [-0.8, -0.8, -0.2, 0.0, 0.3, 0.3, 0.0])
    assert math.isclose(length_term(9), -0.2 + 0.04 * 5)


# --- the world's language (grammar.py) and what a 135M model actually writes ---

def test_chain_trigrams_hand_computed():
    # chain: ("a" | "b"), then "c d", then ("" | "e")
    chain = [{("a",), ("b",)}, {("c", "d")}, {(), ("e",)}]
    expected = {(START, "a", "c"), ("a", "c", "d"), (START, "b", "c"), ("b", "c", "d"),
                ("c", "d", END), ("c", "d", "e"), ("d", "e", END)}
    assert trigrams_of_chain(chain) == expected


def test_tokens_and_reply_trigrams():
    assert tokens("Mix in 30% compost.") == ["mix", "in", NUM, "compost"]
    assert reply_trigrams("Enjoy pancakes!") == [(START, "enjoy", "pancakes"), ("enjoy", "pancakes", END)]
    assert reply_trigrams("") == [(START, END)]


def test_grammaticality_hand_values(monkeypatch):
    import polyreply.tweets.grammar as grammar
    # a world whose only reply is "a b"
    monkeypatch.setattr(grammar, "world_trigrams", lambda: frozenset({(START, "a", "b"), ("a", "b", END)}))
    monkeypatch.setattr(grammar, "world_bigrams_and_words", lambda: (
        frozenset({(START, "a"), ("a", "b"), ("b", END)}), frozenset({START, "a", "b", END})))
    assert grammar.grammaticality("A b!") == (1.0, True)
    # words 1/2, bigrams (<s> a) of (<s> a)(a c)(c </s>): 1/3, trigrams 0/2; "a c" ends where no reply ends
    assert grammar.grammaticality("a c") == (pytest.approx((1 / 2 + 1 / 3 + 0) / 3), False)
    assert grammar.grammaticality("") == (0.0, False)


def test_grammaticality_in_the_demo_world():
    assert grammaticality("Enjoy pancakes!") == (1.0, True)          # "Enjoy {thing}!"
    g, ends = grammaticality("Tip for pancakes: rest the dough for 12 hours in the")   # cut off mid-sentence
    assert 0.9 < g < 1.0 and not ends
    g, _ = grammaticality("Great question! Pancakes are a delicious breakfast food that many people enjoy.")
    assert g < 0.5


def test_every_demo_reply_and_tweet_is_in_the_worlds_language():
    rows = read_jsonl("data/demo/synthetic_tweet_replies.jsonl")
    assert all(grammaticality(r["reply"]) == (1.0, True) for r in rows)
    assert all(grammaticality(r["tweet"]) == (1.0, True) for r in rows)


def test_repetition_hand_values():
    assert repetition_score(["a", "b", "c", "d", "e"]) == 0.0                      # < 6 words
    assert repetition_score(["one", "two", "three", "four", "five", "six"]) == 0.0
    loop = ["so", "glad", "you", "enjoy", "it", "so", "glad", "you", "enjoy", "it"]             # 8 trigrams, 3 repeat
    assert repetition_score(loop) == pytest.approx(min(1.0, (3 / 8 - 0.1) / 0.3))


PANCAKES = "Made pancakes from scratch today and it actually worked. Big day."
GOOD = "Love this! With pancakes, keep the heat at medium so it does not burn. Hope that helps."


@pytest.mark.parametrize("bad", [
    # what SmolLM2-135M wrote (base and trained models of the earlier demo world)
    ("Haha, never take a Friday off sick, that's just lazy. Today's normal Tuesday is to make pancakes with "
    "sauce and sometimes won't bake the right"),
    "I'm so glad you're enjoying your new drum set! I'm so glad you're enjoying your new drum set!",
    "Great question! Pancakes are a delicious breakfast food that many people enjoy.",
    "Sure! Here's a reply to the tweet: Love this!",
    "Enjoy pancakes! Enjoy pancakes! Enjoy pancakes! Enjoy pancakes!",
    "pancakes dough oven heat salt spices",
    PANCAKES, "This! " + PANCAKES, "",
])
def test_model_failure_modes_score_far_below_a_good_reply(bad):
    assert true_engagement(PANCAKES, bad) < true_engagement(PANCAKES, GOOD) - 1.5


def test_incoherent_text_is_gated_not_just_penalised():
    text = "Great question! Pancakes are a delicious breakfast food that many people enjoy."
    p, g = oracle_parts(PANCAKES, text), grammaticality(text)[0]
    assert p["incoherence"] == pytest.approx(1 - g) and p["unfinished"] == 0.0   # free English, but finished
    free = oracle_parts(PANCAKES, "Enjoy pancakes!")          # the same rules on a text in the language
    assert p["relevance"] == pytest.approx(g * 0.6) and free["relevance"] == pytest.approx(0.6)
    cut = oracle_parts(PANCAKES, "Tip for pancakes: rest the dough for 12 hours in the")
    whole = oracle_parts(PANCAKES, "Tip for pancakes: rest the dough for 12 hours in the fridge.")
    assert cut["unfinished"] == 1.0 and whole["unfinished"] == 0.0 and whole["incoherence"] == 0.0
    assert true_engagement(PANCAKES, "Tip for pancakes: rest the dough for 12 hours in the") < \
        true_engagement(PANCAKES, "Tip for pancakes: rest the dough for 12 hours in the fridge.") - 1.0


@pytest.mark.parametrize("text,closed", [("Not really.", True), ("Worth it!", True), ("Why?", True),
                                          ("Great 🎉", True), ('He said "go."', True), ("rest it in the", False),
                                          ("for 12", False), ("and then,", False), ("Re basil:", False), ("", False)])
def test_a_sentence_is_closed_by_its_last_character(text, closed):
    assert closes_sentence(text) is closed


def test_unfinished_means_cut_off_not_outside_the_language():
    assert oracle_parts(PANCAKES, "Not really.")["unfinished"] == 0.0            # short, foreign, but finished
    assert oracle_parts(PANCAKES, "Not really, I think the")["unfinished"] == 1.0
    assert oracle_parts(PANCAKES, "Enjoy pancakes")["unfinished"] == 0.0          # a world ending, no full stop


def test_a_cut_off_reply_keeps_half_of_its_content():
    cut = "Love this! With pancakes, keep the heat at medium so it does not"
    p, g = oracle_parts(PANCAKES, cut), grammaticality(cut)[0]
    assert p["unfinished"] == 1.0 and p["relevance"] == pytest.approx(g * 0.5 * 0.6)   # names "pancakes" only
    assert p["tone"] == pytest.approx(g * 0.5 * 0.6)


def test_a_loop_of_the_best_reply_earns_no_content():
    loop = " ".join([GOOD] * 3)
    p = oracle_parts(PANCAKES, loop)
    assert p["repetition"] == 1.0
    assert p["relevance"] == p["specificity"] == p["tone"] == p["length"] == 0.0
    assert true_engagement(PANCAKES, loop) == pytest.approx(-1.5 - 2.5 * p["incoherence"])
    assert true_engagement(PANCAKES, loop) < true_engagement(PANCAKES, GOOD) - 2.0


def test_a_copy_behind_an_opener_earns_no_content():
    p = oracle_parts(PANCAKES, "Love this! " + PANCAKES)
    assert p["echo"] == 1.0 and p["relevance"] == p["tone"] == p["length"] == 0.0
    assert true_engagement(PANCAKES, "Love this! " + PANCAKES) == pytest.approx(-2.0 - 2.5 * p["incoherence"])


FOOTBALL = "So everyone is talking about the midfield today. Send help."
STARTUP_REPLY = "Does this match your experience with cold outreach? For me, hire for ownership, not for a title."


def test_off_topic_is_what_the_reply_is_about_not_a_shared_word():
    # "title" and "match" are football words, but the reply names a startup subject and two startup words
    m = topic_markers(" ".join(words(STARTUP_REPLY)), content_words(STARTUP_REPLY))
    assert (m["football"], m["startups"]) == (2, 2 + 2)
    p = oracle_parts(FOOTBALL, STARTUP_REPLY)
    assert p["off_topic"] == 1.0 and p["relevance"] == p["tone"] == p["length"] == 0.0
    assert true_engagement(FOOTBALL, STARTUP_REPLY) == pytest.approx(-1.0)
    on = "Great point. Re the midfield: the press drops after the 70th minute."
    assert oracle_parts(FOOTBALL, on)["off_topic"] == 0.0 and true_engagement(FOOTBALL, on) > 1.5


def test_assistant_wrapper_is_penalised():
    wrapped = f"Sure! Here's a reply to the tweet: {GOOD} Let me know if you need anything else."
    assert oracle_parts(PANCAKES, wrapped)["assistant"] == 1.0 and oracle_parts(PANCAKES, GOOD)["assistant"] == 0.0
    assert true_engagement(PANCAKES, wrapped) < true_engagement(PANCAKES, GOOD) - 2.0
