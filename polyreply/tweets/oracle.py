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
    unfinished  = 1 when the reply stops mid-sentence: its last character is a letter, digit, comma, colon
                  or dash, and its last trigram (..., </s>) is not one a reply of this world ends with
    repetition  = for >= 6 words, the larger of clip((0.6 - type/token ratio) / 0.3, 0, 1) and
                  clip((l - 0.1) / 0.3, 0, 1), l = share of the reply's word trigrams that repeat an
                  earlier one (a phrase loop keeps its type/token ratio, not its trigrams)
    off_topic   = 1 when more of the reply marks another topic than T (topic_markers: its words in a topic's
                  vocabulary, +2 per subject of that topic it names); for a tweet of no clear topic, when it
                  names no tweet word but marks some topic
    echo        = max(clip((b - 0.3) / 0.4, 0, 1), clip((c - 0.6) / 0.3, 0, 1) [|novel| < 3])
                  b = share of the tweet's word bigrams found in the reply,
                  c = share of the tweet's content words found in the reply (a reworded copy)
    read        = g (1 - repetition) (1 - 0.5 unfinished) (1 - off_topic) (1 - echo): the share of the
                  reply's content a reader takes in (what reads as the language, said once, finished, about
                  this tweet and new to it)
    relevance   = read x min(1, 0.6 [reply names a tweet word] + 0.2 |novel ∩ V_T|)
    specificity = relevance x min(1, 0.4 [reply has a number] + 0.15 |novel ∩ V_T| + min(0.2, 0.05 |novel|))
    tone        = read x clip(0.6 [friendly word] + 0.4 [on-topic question] - 1.2 [hostile word], -1, 1)
    length      = read x (-0.8 for <= 3 words, rises to 0.3 at 10-28 words, falls 0.03 per word after 28)
    generic     = 1 for a stock reply ("So true!") or a reply with no tweet word and nothing novel
    promo       = 1 for self-promotion ("follow me", "link in bio", ...)
    assistant   = 1 for a chat assistant's wrapper ("here's a reply", "i hope this helps", "as an ai", ...)
    word_salad  = 1 for >= 6 words with < 15% function words (a keyword list, not a sentence)

    true_engagement = 1.2 relevance + 0.9 specificity + length + 0.5 tone - 2.5 incoherence
                      - 1.0 unfinished - 0.8 generic - 1.2 promo - 1.5 assistant - 1.5 repetition
                      - 2.0 word_salad - 1.0 off_topic - 2.0 echo

The penalties say what is wrong; `read` makes sure a broken reply keeps none of the credit its words
would earn in a sound one (a loop of the best reply, a copy of the tweet behind "Love this!", a
friendly specific reply about another topic all fall below the typical human reply; probes.py). A
text the world's grammar cannot produce at all scores about -2.5 (incoherent), -3.5 when it also
stops mid-sentence.
"""
from __future__ import annotations

import functools
import itertools

from ..text import STOPWORDS, content_words, words
from .grammar import grammaticality
from .lexicon import (
    ASSISTANT_MARKERS,
    FILLER,
    FRIENDLY,
    HOSTILE,
    PROMO_MARKERS,
    STOCK_REPLIES,
    TOPICS,
    topic_vocabulary,
)

WEIGHTS = {"relevance": 1.2, "specificity": 0.9, "length": 1.0, "tone": 0.5, "incoherence": -2.5,
           "unfinished": -1.0, "generic": -0.8, "promo": -1.2, "assistant": -1.5,
           "repetition": -1.5, "word_salad": -2.0,
           "off_topic": -1.0, "echo": -2.0}
UNFINISHED_READ = 0.5  # share of a cut-off reply's content its reader misses


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


def closes_sentence(text: str) -> bool:
    """Whether the text ends as a finished sentence does: anything but a letter, digit, comma, colon or dash."""
    text = text.rstrip()
    return bool(text) and not (text[-1].isalnum() or text[-1] in ",;:-(")


@functools.lru_cache(maxsize=1)
def _subjects() -> dict[str, tuple[str, ...]]:
    """Each topic's subjects ("cold outreach", "the title race") as lower-case word strings."""
    return {name: tuple(" ".join(words(t)) for t in spec["things"]) for name, spec in TOPICS.items()}


def topic_markers(joined: str, c_reply: set[str]) -> dict[str, int]:
    """Per topic: the reply's words that mark it, plus 2 for each of its subjects the reply names."""
    padded = f" {joined} "
    return {name: len(c_reply & v) + 2 * sum(f" {s} " in padded for s in _subjects()[name])
            for name, v in _vocab().items()}


def is_off_topic(topic: str | None, counts: dict[str, int], names_tweet_word: bool) -> bool:
    """The reply is about another topic: more of it marks another topic than the tweet's (topic_markers),
    or (tweet of no clear topic) it names no tweet word and marks some topic."""
    if topic is None:
        return not names_tweet_word and any(counts.values())
    return max((n for name, n in counts.items() if name != topic), default=0) > counts[topic]


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
    assistant = float(any(m in joined for m in ASSISTANT_MARKERS))
    repetition = repetition_score(toks)
    off_topic = float(is_off_topic(topic, topic_markers(joined, c_reply), names_tweet_word))
    function_share = sum(w in STOPWORDS for w in toks) / len(toks) if toks else 0.0
    word_salad = float(len(toks) >= 6 and function_share < 0.15)
    g, ends_well = grammaticality(reply)
    unfinished = float(not ends_well and not closes_sentence(reply))
    echo = echo_score(tweet, reply, len(novel))
    # How much of the reply's content its reader takes in: only what reads as the language, once, finished,
    # new and about this tweet (a friendly, well-sized copy or reply about something else earns nothing).
    read = g * (1.0 - repetition) * (1.0 - UNFINISHED_READ * unfinished) * (1.0 - off_topic) * (1.0 - echo)
    return {"relevance": read * relevance, "specificity": read * relevance * specificity,
            "length": read * length_term(len(toks)), "tone": read * tone, "incoherence": 1.0 - g,
            "unfinished": unfinished, "generic": generic, "promo": promo, "assistant": assistant,
            "repetition": repetition, "word_salad": word_salad,
            "off_topic": off_topic, "echo": echo}


def true_engagement(tweet: str, reply: str) -> float:
    """Expected relative engagement (log-likes scale) of `reply` to `tweet` in the demo world."""
    parts = oracle_parts(tweet, reply)
    return float(sum(WEIGHTS[k] * v for k, v in parts.items()))
