"""Deterministic generator of the SYNTHETIC demo dataset (not real tweets).

Generative story (documented in README):
* 12 topics x 30 tweets. Each tweet has an author popularity p ~ N(0, 0.6) that drives
  tweet_likes and lifts all its replies' likes alike ("popularity").
* Each tweet gets 4-8 replies drawn from eight reply styles: specific (on-topic with a
  concrete detail), relevant-short, question, generic ("So true!"), off-topic (a specific
  reply written for another topic), hostile, rambling (long, filler), self-promotion.
* Latent engagement of a reply:
      z = p + 0.25*log1p(followers)/3 + 1.3*relevance + 0.7*specificity
          + length_term + 0.6*tone + N(0, 0.35)
  where relevance=1 when the reply talks about the tweet's own subject, specificity
  counts concrete details (numbers, named things), length_term peaks around 12-25
  words and penalises 1-3 word and 45+ word replies, tone is +1 friendly/curious,
  0 neutral, -1 hostile. reply_likes ~ Poisson(exp(z + 1.0)).
So engagement relative to the tweet is learnable from the (tweet, reply) text, and a
policy can raise it by writing relevant, specific, friendly, medium-length replies.
"""
from __future__ import annotations

import json
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

TOPICS: dict[str, dict] = {
    "gardening": {
        "things": ["tomatoes", "basil", "raised beds", "compost", "seedlings", "sunflowers", "peppers"],
        "tweets": ["Just planted my first {thing} of the season. Fingers crossed!",
                   "My {thing} are finally thriving after weeks of rain.",
                   "Is it too late in the year to start {thing}?",
                   "Spent the whole weekend working on the {thing}. Worth it."],
        "details": ["water them at the base early in the morning", "mix in about 30% compost",
                    "give them at least 6 hours of sun", "mulch with straw to keep moisture in",
                    "space them 45 cm apart so air can move"],
    },
    "cooking": {
        "things": ["sourdough", "ramen", "lasagna", "curry", "pancakes", "risotto", "dumplings"],
        "tweets": ["Made {thing} from scratch tonight and it actually worked.",
                   "Hot take: homemade {thing} beats any restaurant version.",
                   "Third attempt at {thing} and it is still not right.",
                   "Sunday plan: a huge batch of {thing} for the week."],
        "details": ["rest the dough for 12 hours in the fridge", "toast the spices for 2 minutes first",
                    "salt the water more than you think", "add a splash of the starchy water at the end",
                    "keep the heat at medium so it does not burn"],
    },
    "football": {
        "things": ["the derby", "the new striker", "our defence", "the transfer window", "the penalty call",
                   "the away kit", "the title race"],
        "tweets": ["Still can't believe {thing} last night. What a game.",
                   "Unpopular opinion: {thing} is why we keep dropping points.",
                   "Everyone is talking about {thing} today.",
                   "{thing} decides our whole season, honestly."],
        "details": ["we conceded 4 goals from set pieces this month", "the xG was 2.3 to 0.8",
                    "he has 9 goals in his last 11 games", "the press drops after the 70th minute",
                    "we lost 3 of the last 5 away games"],
    },
    "startups": {
        "things": ["our seed round", "the MVP", "product-market fit", "our first hire", "churn",
                   "the pricing page", "the beta launch"],
        "tweets": ["Big week: we finally closed {thing}.",
                   "Lesson learned the hard way about {thing}.",
                   "How do you know when {thing} is good enough?",
                   "Founders underestimate {thing}. Thread coming soon."],
        "details": ["talk to 20 customers before writing code", "we cut churn by 15% with onboarding emails",
                    "charge from day one, even if it is 10 dollars", "ship weekly and measure retention",
                    "hire for ownership, not for a title"],
    },
    "ai": {
        "things": ["fine-tuning", "the new open model", "prompt engineering", "RAG pipelines",
                   "evaluation benchmarks", "small language models", "GPU costs"],
        "tweets": ["Spent all day on {thing} and learned a lot.",
                   "Is anyone else worried about {thing}?",
                   "Hot take: {thing} is overrated for most teams.",
                   "{thing} just got a lot more interesting this week."],
        "details": ["LoRA with rank 8 was enough for us", "a held-out test set changed our conclusions",
                    "retrieval quality mattered more than the model size", "a 135M model ran fine on a laptop CPU",
                    "we cut inference cost by 40% with batching"],
    },
    "running": {
        "things": ["my first marathon", "interval training", "the long run", "new running shoes",
                   "a 5k personal best", "trail running", "recovery days"],
        "tweets": ["Finished {thing} today and my legs are done.",
                   "Any tips for {thing}? Asking for myself.",
                   "{thing} is harder than it looks.",
                   "Finally tried {thing} this morning."],
        "details": ["keep 80% of your runs at an easy pace", "increase weekly distance by about 10%",
                    "eat something with carbs 2 hours before", "replace shoes every 600 km",
                    "do 6 x 400 m repeats with 90 seconds rest"],
    },
    "space": {
        "things": ["the rocket launch", "the lunar mission", "the new telescope images", "Mars samples",
                   "the solar eclipse", "the space station", "the comet"],
        "tweets": ["Watching {thing} live right now. Incredible.",
                   "Can we talk about {thing} for a second?",
                   "{thing} made my week, honestly.",
                   "Kids at school could not stop asking about {thing}."],
        "details": ["the booster landed 8 minutes after liftoff", "the mirror is 6.5 metres across",
                    "the next window opens in about 26 months", "totality lasted just over 4 minutes",
                    "the station orbits Earth every 90 minutes"],
    },
    "music": {
        "things": ["the new album", "learning guitar", "the festival lineup", "vinyl collecting",
                   "the live session", "the piano piece", "the tour dates"],
        "tweets": ["Can't stop listening to {thing}.",
                   "Six months into {thing} and it finally clicks.",
                   "{thing} is a bit disappointing this year.",
                   "Who else is excited about {thing}?"],
        "details": ["track 4 has the best bridge on the record", "practise chord changes 10 minutes a day",
                    "the second night had a longer setlist", "a used turntable for 100 dollars is plenty",
                    "slow it down to 60 bpm with a metronome"],
    },
    "travel": {
        "things": ["Lisbon", "night trains", "packing light", "Kyoto in autumn", "budget flights",
                   "the Scottish Highlands", "solo travel"],
        "tweets": ["Back from {thing} and already missing it.",
                   "Planning a trip around {thing}. Any advice?",
                   "{thing} completely changed how I travel.",
                   "Is {thing} worth it? Be honest."],
        "details": ["go midweek to avoid the crowds", "a 7 kg backpack covers two weeks",
                    "book the sleeper cabin 3 months ahead", "the local rail pass saves about 30%",
                    "walk the old town before 9 am"],
    },
    "climate": {
        "things": ["heat pumps", "solar panels", "the flood defences", "electric buses",
                   "the heatwave", "home insulation", "bike lanes"],
        "tweets": ["Our town just voted on {thing}. Big moment.",
                   "Thinking about {thing} for our house this year.",
                   "People underestimate how much {thing} matter.",
                   "{thing} are finally getting attention here."],
        "details": ["our bill dropped by a third after the switch", "payback was about 7 years",
                    "the grant covered 40% of the cost", "ridership went up 20% in a year",
                    "loft insulation was the cheapest first step"],
    },
    "movies": {
        "things": ["the sequel", "the director's cut", "the festival winner", "the animated film",
                   "the soundtrack", "the ending", "the remake"],
        "tweets": ["Just watched {thing} and I have thoughts.",
                   "{thing} is the best thing I have seen this year.",
                   "Am I the only one who did not like {thing}?",
                   "Rewatched {thing} and noticed so much more."],
        "details": ["the final shot mirrors the opening scene", "it runs 20 minutes longer than the cinema cut",
                    "the score uses the same four notes throughout", "it was shot on 35 mm film",
                    "the second act changes the whole tone"],
    },
    "coffee": {
        "things": ["pour-over", "espresso at home", "cold brew", "the new roastery", "oat milk lattes",
                   "a hand grinder", "light roasts"],
        "tweets": ["Finally dialed in {thing} this morning.",
                   "{thing} changed my mornings completely.",
                   "Is {thing} worth the hype?",
                   "Trying {thing} for the first time today."],
        "details": ["use a 1:16 ratio and water at 94 C", "grind finer if it tastes sour",
                    "steep it for 16 hours in the fridge", "a burr grinder matters more than the machine",
                    "bloom the grounds for 30 seconds"],
    },
}

OPENERS_FRIENDLY = ["Love this!", "Congrats!", "Great point.", "So glad to hear it.", "Nice one!", "Totally agree."]
GENERIC = ["So true!", "This.", "Great post!", "100%", "Interesting.", "Nice.", "Agreed.", "Wow.", "lol", "Same here."]
HOSTILE = ["Nobody cares about {thing}.", "Honestly {thing} is a waste of time.",
           "Another post about {thing}? Please stop.", "{thing} is overrated and so is this take."]
QUESTIONS = ["How long did {thing} take you?", "What would you do differently with {thing} next time?",
             "Any resources you would recommend for {thing}?", "Did {thing} live up to expectations?"]
FILLER = ["to be honest", "I mean", "you know", "at the end of the day", "if you think about it",
          "and stuff like that", "anyway", "kind of", "basically"]
PROMO = ["Check out my profile for more tips!", "Follow me for daily content!", "DM me, I can help you grow.",
         "Link in bio for my new course."]

STYLE_WEIGHTS = {
    "specific": 0.24, "relevant_short": 0.16, "question": 0.14, "generic": 0.14,
    "off_topic": 0.1, "hostile": 0.07, "rambling": 0.08, "promo": 0.07,
}


def _length_term(words: int) -> float:
    if words <= 3:
        return -0.8
    if words < 10:
        return -0.2 + 0.04 * (words - 4)
    if words <= 28:
        return 0.3
    return 0.3 - 0.03 * (words - 28)


def _reply(rng: random.Random, style: str, topic: str, thing: str) -> tuple[str, float, float, float]:
    """Return (text, relevance, specificity, tone)."""
    t = TOPICS[topic]
    if style == "specific":
        detail = rng.choice(t["details"])
        text = f"{rng.choice(OPENERS_FRIENDLY)} With {thing}, {detail}. Made a big difference for me."
        return text, 1.0, 1.0, 1.0
    if style == "relevant_short":
        return f"{rng.choice(OPENERS_FRIENDLY)} Enjoy {thing}!", 1.0, 0.0, 1.0
    if style == "question":
        return rng.choice(QUESTIONS).format(thing=thing), 1.0, 0.3, 1.0
    if style == "generic":
        return rng.choice(GENERIC), 0.0, 0.0, 0.0
    if style == "off_topic":
        other = rng.choice([k for k in TOPICS if k != topic])
        o = TOPICS[other]
        return (f"Honestly, with {rng.choice(o['things'])}, {rng.choice(o['details'])}.", 0.0, 1.0, 0.0)
    if style == "hostile":
        return rng.choice(HOSTILE).format(thing=thing), 1.0, 0.0, -1.0
    if style == "rambling":
        parts = [f"{rng.choice(FILLER)} {thing} is {rng.choice(['a thing', 'something', 'whatever'])}" for _ in range(rng.randint(6, 10))]
        return ", ".join(parts).capitalize() + ".", 0.5, 0.0, 0.0
    if style == "promo":
        return rng.choice(PROMO), 0.0, 0.0, 0.0
    raise AssertionError(style)


def generate(seed: int = 1234, tweets_per_topic: int = 30) -> list[dict]:
    rng = random.Random(seed)
    styles, weights = zip(*STYLE_WEIGHTS.items())
    start = datetime(2025, 3, 1, tzinfo=timezone.utc)
    rows = []
    reply_counter = 0
    for topic_index, (topic, spec) in enumerate(TOPICS.items()):
        for j in range(tweets_per_topic):
            thing = rng.choice(spec["things"])
            tweet = rng.choice(spec["tweets"]).format(thing=thing)
            tweet = tweet[0].upper() + tweet[1:]
            tweet_id = f"syn-t{topic_index:02d}{j:03d}"
            popularity = rng.gauss(0.0, 0.6)
            tweet_likes = int(rng.expovariate(1.0) * 200 * math.exp(popularity)) + 5
            created = start + timedelta(hours=rng.randint(0, 24 * 120), minutes=rng.randint(0, 59))
            n_replies = rng.randint(4, 8)
            for k in range(n_replies):
                style = rng.choices(styles, weights)[0]
                text, relevance, specificity, tone = _reply(rng, style, topic, thing)
                followers = int(rng.lognormvariate(5.0, 1.5))
                words = len(text.split())
                z = (popularity + 0.25 * math.log1p(followers) / 3 + 1.3 * relevance + 0.7 * specificity
                     + _length_term(words) + 0.6 * tone + rng.gauss(0.0, 0.35))
                lam = math.exp(z + 1.0)
                likes = _poisson(rng, lam)
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
                    "reply_author": f"synthetic_replier_{rng.randint(0, 499)}",
                    "reply_author_followers": followers,
                    "reply_likes": likes,
                    "reply_retweets": likes // 10,
                    "reply_created_at": (created + timedelta(seconds=diff)).isoformat(),
                    "reply_time_diff_seconds": diff,
                    "synthetic_style": style,
                })
    return rows


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth for small means, normal approximation for large (deterministic given rng).
    if lam > 50:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
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
