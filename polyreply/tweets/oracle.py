"""The demo world's ground truth: `true_engagement(tweet, reply)`, computed from the text alone.

It makes the demo data's reply_likes (plus popularity and noise, see demo_data.py) and, at
evaluation, it is the **oracle judge** of any reply a model writes: the expected engagement of
that reply, without noise. Real data has no oracle.

The world has a language of its own (grammar.py): the phrases its people write replies with. A
reader of this world engages with a reply only as far as it reads as that language, so every
content credit is gated by g (grammar.grammaticality): the mean share of the reply's words, bigrams
and trigrams that the world's replies can contain. Free English, rambles and assistant boilerplate keep
little (SmolLM2-135M base samples ~0.3), and a reply cut off mid-sentence ends in a trigram no reply
ends with.

With C(x) the content words of x (text.content_words), T the tweet's topic (the topic of
lexicon.TOPICS whose vocabulary V_T shares most words with the tweet) and
novel = C(reply) - C(tweet) - FILLER (words that add something):

    grammar     = g in [0, 1]: mean of the shares of the reply's words, bigrams and trigrams (with <s>,
                  </s>) found in the world's language (grammar.world_trigrams())
    incoherence = 1 - g
    unfinished  = 1 when the last trigram (..., </s>) is not one a reply of this world ends with
    relevance   = g x min(1, 0.6 [reply names a tweet word] + 0.2 |novel ∩ V_T|)
    specificity = relevance x min(1, 0.4 [reply has a number] + 0.15 |novel ∩ V_T| + min(0.2, 0.05 |novel|))
    tone        = g x clip(0.6 [friendly word] + 0.4 [on-topic question] - 1.2 [hostile word], -1, 1)
    length      = g x (-0.8 for <= 3 words, rises to 0.3 at 10-28 words, falls 0.03 per word after 28)
    generic     = 1 for a stock reply ("So true!") or a reply with no tweet word and nothing novel
    promo       = 1 for self-promotion ("follow me", "link in bio", ...)
    repetition  = for >= 6 words, the larger of clip((0.6 - type/token ratio) / 0.3, 0, 1) and
                  clip((l - 0.1) / 0.3, 0, 1), l = share of the reply's word trigrams that repeat an
                  earlier one (a phrase loop keeps its type/token ratio, not its trigrams)
    word_salad  = 1 for >= 6 words with < 15% function words (a keyword list, not a sentence)
    off_topic   = 1 when the reply names no tweet word and no word of T but a word of another topic
    echo        = max(clip((b - 0.3) / 0.4, 0, 1), clip((c - 0.6) / 0.3, 0, 1) [|novel| < 3])
                  b = share of the tweet's word bigrams found in the reply,
                  c = share of the tweet's content words found in the reply (a reworded copy)

    true_engagement = 1.2 relevance + 0.9 specificity + length + 0.5 tone - 2.5 incoherence
                      - 1.0 unfinished - 0.8 generic - 1.2 promo - 1.0 repetition - 2.0 word_salad
                      - 1.0 off_topic - 2.0 echo

Echoing or rewording the tweet adds nothing for its readers, so it scores low, as on a real
platform; an off-topic reply earns no specificity (specificity counts only when relevant) and
pays the off-topic penalty when it is about another topic of the demo world. A text the world's
grammar cannot produce at all scores -2.5 - 1.0 (incoherent, unfinished) whatever its words.
"""
from __future__ import annotations

import functools
import itertools

from ..text import STOPWORDS, content_words, words
from .grammar import grammaticality
from .lexicon import (
    FILLER,
    FRIENDLY,
    HOSTILE,
    PROMO_MARKERS,
    STOCK_REPLIES,
    topic_vocabulary,
)

WEIGHTS = {"relevance": 1.2, "specificity": 0.9, "length": 1.0, "tone": 0.5, "incoherence": -2.5,
           "unfinished": -1.0, "generic": -0.8, "promo": -1.2, "repetition": -1.0, "word_salad": -2.0,
           "off_topic": -1.0, "echo": -2.0}


@functools.lru_cache(maxsize=1)
def _vocab() -> dict[str, frozenset[str]]:
    return topic_vocabulary()


@functools.lru_cache(maxsize=1)
def _filler() -> frozenset[str]:
    """FILLER as written and as content_words() stems it ("congrats" -> "congrat")."""
    return FILLER | frozenset(content_words(" ".join(FILLER)))


def tweet_topic(tweet: str) -> str | None:
    """The topic whose vocabulary shares most content words with the tweet (None if none or a tie)."""
    c = content_words(tweet)
    overlap = sorted(((len(c & v), name) for name, v in _vocab().items()), reverse=True)
    if overlap[0][0] == 0 or overlap[0][0] == overlap[1][0]:
        return None
    return overlap[0][1]


def length_term(n_words: int) -> float:
    if n_words <= 3:
        return -0.8
    if n_words < 10:
        return -0.2 + 0.04 * (n_words - 4)
    if n_words <= 28:
        return 0.3
    return 0.3 - 0.03 * (n_words - 28)


def _bigrams(tokens: list[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(tokens))


def repetition_score(toks: list[str]) -> float:
    """0 for a reply that says each thing once, 1 for a word or phrase loop (replies of >= 6 words)."""
    if len(toks) < 6:
        return 0.0
    ttr = min(1.0, max(0.0, (0.6 - len(set(toks)) / len(toks)) / 0.3))
    grams = list(zip(toks, toks[1:], toks[2:]))
    looped = 1 - len(set(grams)) / len(grams)
    return max(ttr, min(1.0, max(0.0, (looped - 0.1) / 0.3)))


def echo_score(tweet: str, reply: str, n_novel: int) -> float:
    """1 for a verbatim or reworded copy of the tweet, 0 for a reply that only names its subject."""
    tb, rb = _bigrams(words(tweet)), _bigrams(words(reply))
    b = len(tb & rb) / len(tb) if tb else 0.0
    ct = content_words(tweet)
    c = len(ct & content_words(reply)) / len(ct) if ct else 0.0
    reworded = min(1.0, max(0.0, (c - 0.6) / 0.3)) if n_novel < 3 else 0.0
    return max(min(1.0, max(0.0, (b - 0.3) / 0.4)), reworded)


def oracle_parts(tweet: str, reply: str) -> dict[str, float]:
    """Every rule of the module docstring, each in its own range (see there)."""
    toks = words(reply)
    c_tweet, c_reply = content_words(tweet), content_words(reply)
    topic = tweet_topic(tweet)
    vocab = _vocab()[topic] if topic else frozenset()
    novel = {w for w in c_reply - c_tweet - _filler() if not w.isdigit()}
    on_topic = novel & vocab
    names_tweet_word = bool((c_reply & c_tweet) - _filler())
    relevance = min(1.0, 0.6 * names_tweet_word + 0.2 * len(on_topic))
    has_number = any(w.isdigit() for w in c_reply - c_tweet)
    specificity = min(1.0, 0.4 * has_number + 0.15 * len(on_topic) + min(0.2, 0.05 * len(novel)))
    friendly = any(w in FRIENDLY for w in toks)
    hostile = any(w in HOSTILE for w in toks)
    question = "?" in reply and relevance > 0
    tone = max(-1.0, min(1.0, 0.6 * friendly + 0.4 * question - 1.2 * hostile))
    joined = " ".join(toks)
    generic = float(joined in STOCK_REPLIES or (not names_tweet_word and not novel))
    promo = float(any(m in joined for m in PROMO_MARKERS))
    repetition = repetition_score(toks)
    other_topics = {w for name, v in _vocab().items() if name != topic for w in v}
    off_topic = float(not names_tweet_word and not on_topic and bool(novel & other_topics))
    function_share = sum(w in STOPWORDS for w in toks) / len(toks) if toks else 0.0
    word_salad = float(len(toks) >= 6 and function_share < 0.15)
    g, ends_well = grammaticality(reply)
    return {"relevance": g * relevance, "specificity": g * relevance * specificity,
            "length": g * length_term(len(toks)), "tone": g * tone, "incoherence": 1.0 - g,
            "unfinished": float(not ends_well), "generic": generic, "promo": promo, "repetition": repetition, "word_salad": word_salad,
            "off_topic": off_topic, "echo": echo_score(tweet, reply, len(novel))}


def true_engagement(tweet: str, reply: str) -> float:
    """Expected relative engagement (log-likes scale) of `reply` to `tweet` in the demo world."""
    parts = oracle_parts(tweet, reply)
    return float(sum(WEIGHTS[k] * v for k, v in parts.items()))
