"""Deterministic generator of the SYNTHETIC demo dataset, v2 (not real tweets).

    python stages/make_demo_data.py      # rewrites data/demo/synthetic_tweet_replies.jsonl

Generative story (README, "The demo data"):
* 12 topics x 105 tweets. A tweet is one of the topic's templates about one of its 12 subjects,
  with `{a|b}` alternations and an optional opener/closer, so the same text can occur under two
  ids (the split keeps such tweets together). Each tweet has an author popularity p ~ N(0, 0.6)
  that drives tweet_likes and lifts all its replies alike.
* Each tweet gets 3-7 replies composed from parts (opener, body, closer; the templates are the
  world's language, grammar.py) in one of ten styles:
  specific (a concrete detail of the topic), specific question, relevant-short, question,
  generic ("So true!"), off-topic (a specific reply written for another topic), hostile,
  rambling (fillers, repeated words), self-promotion, echo (the tweet copied, quoted or
  behind an opener).
* Engagement is a function of the *text*: z = p + 0.25 log1p(followers) / 3
  + oracle.true_engagement(tweet, reply) + N(0, 0.35), reply_likes ~ Poisson(exp(z + 0.8)).
  The style is only a way to write text; the oracle reads the text, never the style label.
So the oracle is the exact expected engagement of any reply, human or model-written.
"""
from __future__ import annotations

import json
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .grammar import (_ALTERNATION, CLOSERS, ECHO, ECHO_ENDS, FILLER_PHRASES, GENERIC, HOSTILE, OPENERS, PROMO,
                      QUESTIONS, RELEVANT_SHORT, SPECIFIC, SPECIFIC_QUESTIONS, TWEET_CLOSERS, TWEET_OPENERS)
from .lexicon import TOPICS
from .oracle import true_engagement

STYLE_WEIGHTS = {
    "specific": 0.20, "specific_question": 0.05, "relevant_short": 0.13, "question": 0.11, "generic": 0.12,
    "off_topic": 0.09, "hostile": 0.06, "rambling": 0.07, "promo": 0.07, "echo": 0.10,
}


def fill(rng: random.Random, template: str, **slots: str) -> str:
    """Draw each `{a|b}` alternation, then fill `{thing}`/`{Thing}`-style slots (capitalised variant too)."""
    text = _ALTERNATION.sub(lambda m: rng.choice(m.group(1).split("|")), template)
    for name, value in slots.items():
        text = text.replace("{" + name + "}", value)
        text = text.replace("{" + name[0].upper() + name[1:] + "}", value[:1].upper() + value[1:])
    return text


def make_tweet(rng: random.Random, spec: dict, thing: str) -> str:
    body = fill(rng, rng.choice(spec["tweets"]), thing=thing)
    opener = rng.choice(TWEET_OPENERS)
    if ":" in body[:20]:  # the template has its own opener ("Update: ...")
        opener = ""
    if opener and not body.startswith(thing):
        body = body[0].lower() + body[1:]
    text = opener + body + rng.choice(TWEET_CLOSERS)
    return text[0].upper() + text[1:]


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def make_reply(rng: random.Random, style: str, topic: str, thing: str, tweet: str) -> str:
    spec = TOPICS[topic]
    detail = fill(rng, rng.choice(spec["details"]))
    if style == "specific":
        return _join(rng.choice(OPENERS), fill(rng, rng.choice(SPECIFIC), thing=thing, detail=detail),
                     rng.choice(CLOSERS))
    if style == "specific_question":
        body = fill(rng, rng.choice(SPECIFIC_QUESTIONS), thing=thing, detail=detail)
        return _join(rng.choice(OPENERS), body)
    if style == "relevant_short":
        return _join(rng.choice(OPENERS[2:]) if rng.random() < 0.4 else "", fill(rng, rng.choice(RELEVANT_SHORT), thing=thing))
    if style == "question":
        return _join(rng.choice(OPENERS), fill(rng, rng.choice(QUESTIONS), thing=thing))
    if style == "generic":
        first = rng.choice(GENERIC)
        return _join(first, rng.choice(GENERIC)) if rng.random() < 0.25 else first
    if style == "off_topic":
        other = TOPICS[rng.choice([k for k in TOPICS if k != topic])]
        return _join(rng.choice(OPENERS), fill(rng, rng.choice(SPECIFIC), thing=rng.choice(other["things"]),
                                               detail=fill(rng, rng.choice(other["details"]))))
    if style == "hostile":
        return fill(rng, rng.choice(HOSTILE), thing=thing)
    if style == "rambling":
        parts = [f"{rng.choice(FILLER_PHRASES)} {thing} is {rng.choice(['a thing', 'something', 'whatever', 'a lot'])}"
                 for _ in range(rng.randint(5, 9))]
        text = ", ".join(parts) + "."
        return text[0].upper() + text[1:]
    if style == "promo":
        return _join(rng.choice(["", "", "Great post!", "Nice."]), rng.choice(PROMO))
    if style == "echo":
        end = rng.choice(ECHO_ENDS)
        return fill(rng, rng.choice(ECHO), tweet=tweet, tweet_end=end)
    raise AssertionError(style)


def generate(seed: int = 1234, tweets_per_topic: int = 105) -> list[dict]:
    rng = random.Random(seed)              # text, ids, times
    likes_rng = random.Random(seed + 1)    # engagement noise: changing the oracle leaves the text as it is
    styles, weights = zip(*STYLE_WEIGHTS.items())
    start = datetime(2025, 3, 1, tzinfo=timezone.utc)
    rows = []
    reply_counter = 0
    for topic_index, (topic, spec) in enumerate(TOPICS.items()):
        for j in range(tweets_per_topic):
            thing = rng.choice(spec["things"])
            tweet = make_tweet(rng, spec, thing)
            tweet_id = f"syn-t{topic_index:02d}{j:03d}"
            popularity = rng.gauss(0.0, 0.6)
            tweet_likes = int(rng.expovariate(1.0) * 200 * math.exp(popularity)) + 5
            created = start + timedelta(hours=rng.randint(0, 24 * 120), minutes=rng.randint(0, 59))
            for _ in range(rng.randint(3, 7)):
                style = rng.choices(styles, weights)[0]
                text = make_reply(rng, style, topic, thing, tweet)
                followers = int(rng.lognormvariate(5.0, 1.5))
                z = (popularity + 0.25 * math.log1p(followers) / 3 + true_engagement(tweet, text)
                     + likes_rng.gauss(0.0, 0.35))
                likes = _poisson(likes_rng, math.exp(z + 0.8))
                diff = int(rng.expovariate(1 / 3600)) + 30
                reply_counter += 1
                rows.append({
                    "tweet_id": tweet_id,
                    "tweet": tweet,
                    "tweet_author": f"synthetic_user_{topic_index}_{j % 7}",
                    "tweet_likes": tweet_likes,
                    "tweet_retweets": tweet_likes // rng.randint(5, 15),
                    "tweet_created_at": created.isoformat(),
                    "reply_id": f"syn-r{reply_counter:05d}",
                    "reply": text,
                    "reply_author": f"synthetic_replier_{rng.randint(0, 999)}",
                    "reply_author_followers": followers,
                    "reply_likes": likes,
                    "reply_retweets": likes // 10,
                    "reply_created_at": (created + timedelta(seconds=diff)).isoformat(),
                    "reply_time_diff_seconds": diff,
                    "synthetic_style": style,
                    "synthetic_topic": topic,
                })
    return rows


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth for small means, normal approximation for large (deterministic given rng).
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def write(path: str | Path, seed: int = 1234) -> int:
    rows = generate(seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)
