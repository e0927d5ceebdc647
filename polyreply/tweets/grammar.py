"""The demo world's language: the templates its people write replies with, and the n-grams they can form.

A reply in this world is a chain of segments (opener, body, closer), each segment one of a list of
alternatives; bodies are templates whose `{a|b}` alternations and `{thing}`/`{detail}` slots are
filled from one topic of lexicon.TOPICS. The demo generator (demo_data.py) samples these chains,
and the oracle (oracle.py) reads any text against the set of word trigrams they can produce:
`world_trigrams()` enumerates that set exactly (a walk over the chains that keeps only the last two
words at each segment boundary), so a reply is "in the world's language" to the degree its trigrams
are. Numbers are one token, NUM: "30% compost" and "45% compost" are the same phrase.
"""
from __future__ import annotations

import functools
import itertools
import re

from ..text import words
from .lexicon import TOPICS

TWEET_OPENERS = ["", "", "", "", "Honestly, ", "Okay, ", "Quick one: ", "Not gonna lie, ", "So ", "Update: "]
TWEET_CLOSERS = ["", "", "", "", " Thoughts?", " Anyone else?", " Big day.", " Long story.", " Send help."]
OPENERS = ["", "", "Love this!", "Congrats!", "Great point.", "So glad to hear it.", "Nice one!", "Totally agree.",
           "Oh nice.", "Ha, been there.", "Good luck!", "Fair enough."]
SPECIFIC = ["With {thing}, {detail}.", "Tip for {thing}: {detail}.", "What worked for me with {thing}: {detail}.",
            "{Detail}. That made {thing} so much better for me.", "For {thing}, {detail}.", "Re {thing}: {detail}.",
            "One thing about {thing}: {detail}."]
CLOSERS = ["", "", "Made a big difference for me.", "Hope that helps.", "Worked every time for me.", "Good luck!",
           "Enjoy!", "Trust me on this one.", "Learned that the hard way."]
RELEVANT_SHORT = ["Enjoy {thing}!", "Good luck with {thing}!", "{Thing} sounds great.", "Love hearing about {thing}.",
                  "{Thing} is the best.", "Can't wait to hear how {thing} goes.", "Ah, {thing}! Have fun."]
QUESTIONS = ["How long did {thing} take you?", "What would you do differently with {thing} next time?",
             "Any resources you would recommend for {thing}?", "Did {thing} live up to expectations?",
             "What got you into {thing}?", "How did you get started with {thing}?",
             "Would you recommend {thing} to a beginner?"]
SPECIFIC_QUESTIONS = ["Have you tried this with {thing}: {detail}?", "Curious if this works for {thing} too: {detail}?",
                      "Does this match your experience with {thing}? For me, {detail}."]
GENERIC = ["So true!", "This.", "Great post!", "100%", "Interesting.", "Nice.", "Agreed.", "Wow.", "lol", "Same here.",
           "Love this!", "Well said.", "Exactly.", "Thanks for sharing!", "Facts.", "Big if true.", "Needed this today."]
HOSTILE = ["Nobody cares about {thing}.", "Honestly {thing} is a waste of time.", "Another post about {thing}? Please stop.",
           "{Thing} is overrated and so is this take.", "{Thing}? Boring.", "Worst take on {thing} I have seen today."]
FILLER_PHRASES = ["to be honest", "I mean", "you know", "at the end of the day", "if you think about it",
                  "and stuff like that", "anyway", "kind of", "basically", "like"]
PROMO = ["Check out my profile for more tips!", "Follow me for daily content!", "DM me, I can help you grow.",
         "Link in bio for my new course.", "Subscribe to my newsletter for more like this.",
         "Use my code SAVE10 at the link in bio!", "Check out my channel, new video every week!"]
ECHO_ENDS = ["Exactly.", "So true!", "This.", "Same."]
ECHO = ["{tweet}", "This! {tweet}", "{tweet} So true.", "\"{tweet}\" Exactly.", "Same. {tweet}", "{tweet} {tweet_end}"]

_ALTERNATION = re.compile(r"\{([^{}]*\|[^{}]*)\}")
_SLOT = re.compile(r"\{(thing|Thing|detail|Detail|tweet|tweet_end)\}")
START, END, NUM = "<s>", "</s>", "NUM"
Phrase = tuple[str, ...]


def tokens(text: str) -> list[str]:
    """Word tokens as the grammar reads them: lower-cased, every number one token NUM."""
    return [NUM if w.isdigit() else w for w in words(text)]


def expand(template: str) -> list[str]:
    """Every text a `{a|b}` template can produce ("{my first|some} x" -> ["my first x", "some x"])."""
    parts = _ALTERNATION.split(template)  # literal, choices, literal, choices, ...
    options = [[p] if i % 2 == 0 else p.split("|") for i, p in enumerate(parts)]
    return ["".join(combo) for combo in itertools.product(*options)]


def _segments(template: str, slots: dict[str, list[str]]) -> list[set[Phrase]]:
    """A body template as a chain of segments: literal text and slot alternatives, tokenised."""
    chains = []
    for text in expand(template):
        pieces = _SLOT.split(text)  # literal, slot name, literal, ...
        chains.append([{tuple(tokens(p))} if i % 2 == 0 else {tuple(tokens(v)) for v in slots[p.lower()]}
                       for i, p in enumerate(pieces)])
    return chains


def _options(texts: list[str]) -> set[Phrase]:
    return {tuple(tokens(t)) for text in texts for t in expand(text)}


def trigrams_of_chain(chain: list[set[Phrase]]) -> set[Phrase]:
    """All trigrams of START + any path through the chain + END, walking segment by segment and
    keeping only each path's last two words (exact, and linear in the number of segments)."""
    out: set[Phrase] = set()
    states: set[Phrase] = {(START,)}
    for segment in chain:
        nxt: set[Phrase] = set()
        for state in states:
            for phrase in segment:
                seq = state + phrase
                out.update(seq[i:i + 3] for i in range(len(seq) - 2))
                nxt.add(seq[-2:])
        states = nxt
    for state in states:
        seq = state + (END,)
        out.update(seq[i:i + 3] for i in range(len(seq) - 2))
    return out


def reply_chains(topic: str) -> list[list[set[Phrase]]]:
    """The chains of every reply style about `topic` (off-topic replies are other topics' chains)."""
    spec = TOPICS[topic]
    things, details = spec["things"], [d for t in spec["details"] for d in expand(t)]
    slot = {"thing": things, "detail": details}
    openers, closers = _options(OPENERS), _options(CLOSERS)
    chains = []
    for tpl in SPECIFIC:
        chains += [[openers, *body, closers] for body in _segments(tpl, slot)]
    for tpl in SPECIFIC_QUESTIONS + QUESTIONS:
        chains += [[openers, *body] for body in _segments(tpl, slot)]
    for tpl in RELEVANT_SHORT:
        chains += [[openers, *body] for body in _segments(tpl, slot)]
    for tpl in HOSTILE:
        chains += [body for body in _segments(tpl, slot)]
    generic = _options(GENERIC)
    chains.append([generic, generic | {()}])
    chains.append([_options(["", "Great post!", "Nice."]), _options(PROMO)])
    ramble = [_options(FILLER_PHRASES), {tuple(tokens(t)) for t in things},
              _options(["is a thing", "is something", "is whatever", "is a lot"])]
    chains.append(ramble * 3)
    # echoes quote a tweet of this world: its opener, a tweet template with {thing}, its closer
    tweet_bodies = [body for tpl in spec["tweets"] for body in _segments(tpl, {"thing": things})]
    for body in tweet_bodies:
        full = [_options(TWEET_OPENERS), *body, _options(TWEET_CLOSERS)]
        for echo in ECHO:
            before, _, after = echo.partition("{tweet}")
            after = after.replace("{tweet_end}", "").replace("{tweet}", "")
            chains.append([_options([before]), *full, _options([after]), _options(["", *ECHO_ENDS])])
    return chains


@functools.lru_cache(maxsize=1)
def world_trigrams() -> frozenset[Phrase]:
    """Every trigram a person of the demo world can write in a reply (37,033; built in ~1 s, once)."""
    return frozenset(g for topic in TOPICS for chain in reply_chains(topic) for g in trigrams_of_chain(chain))


def reply_trigrams(text: str) -> list[Phrase]:
    """The trigrams of START + tokens(text) + END, in order (one for an empty text: START, END)."""
    seq = (START, *tokens(text), END)
    return [seq[i:i + 3] for i in range(len(seq) - 2)] or [seq]


@functools.lru_cache(maxsize=1)
def world_bigrams_and_words() -> tuple[frozenset[Phrase], frozenset[str]]:
    """The bigrams and the words inside world_trigrams() (START and END included)."""
    grams = world_trigrams()
    return frozenset(g[i:i + 2] for g in grams for i in range(2)), frozenset(w for g in grams for w in g)


def grammaticality(text: str) -> tuple[float, bool]:
    """(how far the text reads as the world's language, in [0, 1]; whether its ending can end a reply).

    The mean of three coverages, a backed-off check of the world's language: the share of the text's
    words, of its bigrams and of its trigrams (with START/END) that the world's replies can contain. 1.0
    for any text the demo generator can write; free English keeps some credit for its common words and
    pairs (SmolLM2-135M base samples: words 0.61, bigrams 0.20, trigrams 0.10 -> 0.30), so a model that
    learns part of the language earns part of the credit. The last trigram ends in END, so a reply cut
    off mid-sentence ("... for 12 hours in the") has an ending no reply of this world has."""
    grams, toks = reply_trigrams(text), tokens(text)
    if not toks:
        return 0.0, False
    seq = (START, *toks, END)
    bigrams, vocab = world_bigrams_and_words()
    known = world_trigrams()
    tri = sum(g in known for g in grams) / len(grams)
    bi = sum(seq[i:i + 2] in bigrams for i in range(len(seq) - 1)) / (len(seq) - 1)
    uni = sum(w in vocab for w in toks) / len(toks)
    return (uni + bi + tri) / 3, grams[-1] in known
