"""Committed word lists of the synthetic demo world: topics (subjects, details, vocabulary) and tone/style lists.

The demo generator composes tweets and replies from these lists, and the oracle
(`polyreply.oracle.true_engagement`) reads any text with the same lists. Templates use
`{a|b|c}` alternations (one is drawn) and `{thing}` for the tweet's subject.
"""
from __future__ import annotations

TOPICS: dict[str, dict[str, list[str]]] = {
    "gardening": {
        "things": ["tomatoes", "basil", "raised beds", "compost", "seedlings", "sunflowers", "peppers", "strawberries",
                   "potatoes", "garlic", "herbs", "courgettes"],
        "tweets": ["Just planted {my first|some} {thing} this season. Fingers crossed!",
                   "My {thing} are finally thriving after {weeks|a month} of rain.",
                   "Is it too late in the year to start {thing}?",
                   "Spent the whole {weekend|afternoon} working on {thing}. Worth it.",
                   "{Update|Garden update}: {thing} doing better than expected.",
                   "Slugs got to {thing} again. What do you all do about them?"],
        "details": ["water them at the base early in the morning", "mix in about {20|30|40}% compost",
                    "give them at least {6|8} hours of sun", "mulch with straw to keep moisture in",
                    "space them {30|45|60} cm apart so air can move", "feed with tomato fertiliser every {10|14} days",
                    "a copper ring around the stems stops slugs", "harden seedlings off for {7|10} days before planting out"],
        "vocab": ["garden", "soil", "water", "plant", "planted", "planting", "sun", "harvest", "mulch", "seed", "grow", "leaves",
                  "fertiliser", "slugs", "spring", "roots", "pots", "morning", "straw", "stems", "moisture"],
    },
    "cooking": {
        "things": ["sourdough", "ramen", "lasagna", "curry", "pancakes", "risotto", "dumplings", "focaccia",
                   "chicken stock", "bao buns", "roast chicken", "fresh pasta"],
        "tweets": ["Made {thing} from scratch {tonight|today} and it actually worked.",
                   "Hot take: homemade {thing} beats any restaurant version.",
                   "{Third|Fourth} attempt at {thing} and it is still not right.",
                   "Sunday plan: a huge batch of {thing} for the week.",
                   "Anyone have a foolproof method for {thing}?",
                   "Tried a new recipe for {thing}. Family approved!"],
        "details": ["rest the dough for {12|24} hours in the fridge", "toast the spices for {1|2} minutes first",
                    "salt the water more than you think", "add a splash of the starchy water at the end",
                    "keep the heat at medium so it does not burn", "use {70|75|80}% hydration for a lighter crumb",
                    "a cast iron pan holds the heat much better", "let it simmer for {3|4} hours with the lid off"],
        "vocab": ["recipe", "dough", "oven", "heat", "salt", "spices", "flour", "fridge", "pan", "simmer", "kitchen",
                  "taste", "sauce", "bake", "baking", "cook", "cooking", "crumb", "water", "hydration"],
    },
    "football": {
        "things": ["the derby", "the new striker", "our defence", "the transfer window", "the penalty call",
                   "the away kit", "the title race", "the manager", "the academy lads", "the league cup",
                   "the goalkeeper", "the midfield"],
        "tweets": ["Still can't believe {thing} last night. What a game.",
                   "Unpopular opinion: {thing} is why we keep dropping points.",
                   "Everyone is talking about {thing} today.",
                   "{thing} decides our whole season, honestly.",
                   "Genuinely nervous about {thing} this {weekend|week}.",
                   "Can we talk about {thing} for a minute?"],
        "details": ["we conceded {3|4|5} goals from set pieces this month", "the xG was {2.3|1.9} to {0.8|0.6}",
                    "he has {7|9} goals in his last {10|11} games", "the press drops after the {65th|70th} minute",
                    "we lost {3|4} of the last {5|6} away games", "the fullbacks push up and leave the channels open",
                    "three of the back four are under {23|24}", "the last {two|three} derbies were decided after the 80th minute"],
        "vocab": ["goals", "game", "season", "match", "league", "points", "striker", "defence", "press", "minute",
                  "away", "home", "fans", "pitch", "penalty", "set", "pieces", "xg", "derby", "fullbacks"],
    },
    "startups": {
        "things": ["our seed round", "the MVP", "product-market fit", "our first hire", "churn", "the pricing page",
                   "the beta launch", "cold outreach", "the pitch deck", "onboarding", "our runway", "the roadmap"],
        "tweets": ["Big week: we finally {closed|shipped} {thing}.",
                   "Lesson learned the hard way about {thing}.",
                   "How do you know when {thing} is good enough?",
                   "Founders underestimate {thing}. Thread coming soon.",
                   "Rewrote {thing} {three|four} times this month. Still not happy.",
                   "What is the one thing you wish you knew about {thing}?"],
        "details": ["talk to {20|30} customers before writing code", "we cut churn by {15|20}% with onboarding emails",
                    "charge from day one, even if it is {10|20} dollars", "ship weekly and measure retention",
                    "hire for ownership, not for a title", "keep {18|24} months of runway before you scale",
                    "one clear price tier converted better than three", "investors read the first {3|5} slides, make them count"],
        "vocab": ["customers", "founders", "founder", "startup", "product", "users", "revenue", "retention", "investors",
                  "pricing", "growth", "hire", "launch", "ship", "market", "price", "slides", "runway", "churn"],
    },
    "ai": {
        "things": ["fine-tuning", "the new open model", "prompt engineering", "RAG pipelines", "evaluation benchmarks",
                   "small language models", "GPU costs", "synthetic data", "agents", "the context window",
                   "model distillation", "vector databases"],
        "tweets": ["Spent all day on {thing} and learned a lot.",
                   "Is anyone else worried about {thing}?",
                   "Hot take: {thing} is overrated for most teams.",
                   "{thing} just got a lot more interesting this week.",
                   "Trying to explain {thing} to my {team|manager} tomorrow. Wish me luck.",
                   "What is your go-to setup for {thing}?"],
        "details": ["LoRA with rank {8|16} was enough for us", "a held-out test set changed our conclusions",
                    "retrieval quality mattered more than the model size", "a {135M|360M} model ran fine on a laptop CPU",
                    "we cut inference cost by {30|40}% with batching", "deduplicate the eval set against the training data first",
                    "a {7B|8B} model distilled well into a 1B one", "chunks of {256|512} tokens worked best for retrieval"],
        "vocab": ["model", "models", "data", "training", "eval", "test", "gpu", "inference", "retrieval", "tokens",
                  "lora", "rank", "benchmark", "cpu", "laptop", "batching", "llm", "prompts", "dataset", "chunks"],
    },
    "running": {
        "things": ["my first marathon", "interval training", "the long run", "new running shoes", "a 5k personal best",
                   "trail running", "recovery days", "the half marathon", "hill repeats", "parkrun",
                   "tempo runs", "the couch to 5k plan"],
        "tweets": ["Finished {thing} today and my legs are done.",
                   "Any tips for {thing}? Asking for myself.",
                   "{thing} is harder than it looks.",
                   "Finally tried {thing} this {morning|evening}.",
                   "{Week|Month} {three|four} of {thing}. Slowly getting there.",
                   "Skipped {thing} today and I feel guilty."],
        "details": ["keep {80|85}% of your runs at an easy pace", "increase weekly distance by about 10%",
                    "eat something with carbs {2|3} hours before", "replace shoes every {500|600} km",
                    "do {6|8} x 400 m repeats with 90 seconds rest", "a rest day after every hard session saves your knees",
                    "run the first {5|10} km slower than race pace", "strength work twice a week fixed my shins"],
        "vocab": ["run", "runs", "running", "pace", "km", "miles", "legs", "race", "marathon", "training", "shoes",
                  "easy", "distance", "knees", "carbs", "rest", "repeats", "session", "strength", "weekly"],
    },
    "space": {
        "things": ["the rocket launch", "the lunar mission", "the new telescope images", "Mars samples", "the solar eclipse",
                   "the space station", "the comet", "the meteor shower", "the Jupiter flyby", "the northern lights",
                   "the satellite deployment", "the Artemis crew"],
        "tweets": ["Watching {thing} live right now. Incredible.",
                   "Can we talk about {thing} for a second?",
                   "{thing} made my week, honestly.",
                   "Kids at school could not stop asking about {thing}.",
                   "Stayed up way too late for {thing}. No regrets.",
                   "Best photo you have seen of {thing}?"],
        "details": ["the booster landed {8|9} minutes after liftoff", "the mirror is 6.5 metres across",
                    "the next window opens in about 26 months", "totality lasted just over {3|4} minutes",
                    "the station orbits Earth every 90 minutes", "peak is around {2|3} am away from city lights",
                    "a pair of binoculars shows the moons of Jupiter", "the crew spends {6|10} days in lunar orbit"],
        "vocab": ["launch", "rocket", "orbit", "moon", "lunar", "mars", "telescope", "earth", "sky", "stars", "nasa",
                  "booster", "liftoff", "mirror", "crew", "eclipse", "binoculars", "jupiter", "planet", "galaxy"],
    },
    "music": {
        "things": ["the new album", "learning guitar", "the festival lineup", "vinyl collecting", "the live session",
                   "the piano piece", "the tour dates", "the reunion gig", "learning drums", "the jazz record",
                   "the choir concert", "the synth"],
        "tweets": ["Can't stop listening to {thing}.",
                   "Six months into {thing} and it finally clicks.",
                   "{thing} is a bit disappointing this year.",
                   "Who else is excited about {thing}?",
                   "Got tickets for {thing}! {Cannot|Can't} wait.",
                   "Honest question: is {thing} worth the money?"],
        "details": ["track {4|6} has the best bridge on the record", "practise chord changes {10|15} minutes a day",
                    "the second night had a longer setlist", "a used turntable for {100|150} dollars is plenty",
                    "slow it down to {60|70} bpm with a metronome", "the vinyl pressing sounds warmer than the stream",
                    "learn the left hand first, then add the melody", "the acoustic version on the live session is better"],
        "vocab": ["album", "track", "song", "songs", "record", "guitar", "piano", "chord", "chords", "band", "gig",
                  "tour", "setlist", "vinyl", "turntable", "metronome", "bpm", "melody", "listen", "music"],
    },
    "travel": {
        "things": ["Lisbon", "night trains", "packing light", "Kyoto in autumn", "budget flights", "the Scottish Highlands",
                   "solo travel", "the Amalfi coast", "hostels", "Iceland", "road trips", "city breaks"],
        "tweets": ["Back from {thing} and already missing it.",
                   "Planning a trip around {thing}. Any advice?",
                   "{thing} completely changed how I travel.",
                   "Is {thing} worth it? Be honest.",
                   "First time trying {thing} next {month|week}. Nervous and excited.",
                   "Tell me your best tip for {thing}."],
        "details": ["go midweek to avoid the crowds", "a {7|8} kg backpack covers two weeks",
                    "book the sleeper cabin {2|3} months ahead", "the local rail pass saves about {20|30}%",
                    "walk the old town before {8|9} am", "rent a car for the last {2|3} days only",
                    "the shoulder season halves the hotel prices", "download offline maps before you land"],
        "vocab": ["trip", "travel", "flight", "flights", "train", "hotel", "hostel", "backpack", "crowds", "town",
                  "maps", "booking", "book", "pass", "rail", "season", "city", "coast", "car", "luggage"],
    },
    "climate": {
        "things": ["heat pumps", "solar panels", "the flood barriers", "electric buses", "the heatwave",
                   "home insulation", "bike lanes", "the tree planting", "the recycling scheme", "community energy",
                   "the new tram line", "rainwater tanks"],
        "tweets": ["Our town just voted on {thing}. Big moment.",
                   "Thinking about {thing} for our house this year.",
                   "People underestimate how much {thing} matter.",
                   "{thing} are finally getting attention here.",
                   "Went to a council meeting about {thing}. {Fascinating|Exhausting}.",
                   "What is stopping more places from doing {thing}?"],
        "details": ["our bill dropped by a third after the switch", "payback was about {6|7|8} years",
                    "the grant covered {30|40}% of the cost", "ridership went up {20|25}% in a year",
                    "loft insulation was the cheapest first step", "the panels make {3000|3500} kWh a year here",
                    "the council matched every household pound", "cycling to work went up {15|30}% after the lanes opened"],
        "vocab": ["energy", "bill", "grant", "council", "carbon", "emissions", "insulation", "panels", "solar", "heat",
                  "pump", "buses", "cycling", "lanes", "kwh", "cost", "payback", "flood", "trees", "climate"],
    },
    "movies": {
        "things": ["the sequel", "the director's cut", "the festival winner", "the animated film", "the soundtrack",
                   "the ending", "the remake", "the documentary", "the trilogy", "the horror film", "the biopic",
                   "the heist movie"],
        "tweets": ["Just watched {thing} and I have thoughts.",
                   "{thing} is the best thing I have seen this year.",
                   "Am I the only one who did not like {thing}?",
                   "Rewatched {thing} and noticed so much more.",
                   "Cinema was {packed|empty} for {thing} tonight.",
                   "Spoiler-free question: is {thing} worth seeing on a big screen?"],
        "details": ["the final shot mirrors the opening scene", "it runs {20|25} minutes longer than the cinema cut",
                    "the score uses the same four notes throughout", "it was shot on {35|70} mm film",
                    "the second act changes the whole tone", "the lead learned the stunts for {6|8} months",
                    "the colour grading shifts when the flashbacks start", "the editor cut it down from {4|5} hours"],
        "vocab": ["film", "movie", "scene", "shot", "cinema", "cut", "director", "score", "act", "screen", "plot",
                  "ending", "character", "cast", "actor", "stunts", "editor", "flashbacks", "watch", "opening"],
    },
    "coffee": {
        "things": ["pour-over", "espresso at home", "cold brew", "the new roastery", "oat milk lattes", "a hand grinder",
                   "light roasts", "the moka pot", "the AeroPress", "decaf", "the local cafe", "latte art"],
        "tweets": ["Finally dialed in {thing} this morning.",
                   "{thing} changed my mornings completely.",
                   "Is {thing} worth the hype?",
                   "Trying {thing} for the first time today.",
                   "{Day|Week} {two|three} of {thing}. Still learning.",
                   "Controversial: {thing} is better than anything from a chain."],
        "details": ["use a 1:{15|16} ratio and water at {93|94} C", "grind finer if it tastes sour",
                    "steep it for {12|16} hours in the fridge", "a burr grinder matters more than the machine",
                    "bloom the grounds for {30|45} seconds", "steam the milk to {55|60} C, no hotter",
                    "fresh beans, roasted in the last {2|3} weeks, made the biggest difference",
                    "weigh the dose, {18|20} grams in, about {36|40} out"],
        "vocab": ["coffee", "beans", "grind", "grinder", "roast", "espresso", "milk", "brew", "water", "ratio",
                  "cup", "shot", "grams", "dose", "cafe", "sour", "bitter", "steam", "morning", "grounds"],
    },
}

# Words and phrases the oracle reads for tone, genericness and self-promotion (see polyreply/oracle.py).
FRIENDLY = frozenset("""love loved congrats congratulations great glad enjoy enjoyed nice awesome amazing thanks thank
happy fun beautiful brilliant lovely fantastic well done luck cheers excited wonderful""".split())
HOSTILE = frozenset("""nobody cares waste overrated stop boring terrible hate stupid worst cringe pathetic annoying
useless pointless rubbish garbage""".split())
# Words that carry no information about the tweet's subject: openers, fillers, reactions.
FILLER = frozenset("""love great congrats congratulations nice awesome amazing cool wow lol true agree agreed exactly
totally yes yeah post tweet this same here interesting honestly basically mean know thing stuff whatever kind
anyway like think point well said good luck enjoy glad hear sounds fun sure right okay ok thanks thank share
sharing omg haha happy best big made difference worked hope helps something feel feels lot definitely""".split())
STOCK_REPLIES = frozenset({
    "so true", "this", "great post", "100", "interesting", "nice", "agreed", "wow", "lol", "same here",
    "love this", "great point", "well said", "exactly", "thanks for sharing", "amazing", "cool", "yes", "this 100",
    "totally agree", "so true love this", "nice one", "facts", "big if true", "needed this today",
})
# Everyday words inside subject names ("the long run", "the new album") that do not mark a topic.
TOPIC_NEUTRAL = frozenset("""long new first whole big best last home away local live easy set next old top good free
day days week weeks year years time start hard short half second own plan""".split())
PROMO_MARKERS = ("follow me", "link in bio", "dm me", "check out my", "my course", "subscribe", "my profile",
                 "my channel", "my newsletter", "use my code", "click the link")
# An assistant talking about its task, not a person replying: the wrappers chat models put around a reply.
ASSISTANT_MARKERS = ("here's a reply", "here is a reply", "reply to the tweet", "reply to this tweet",
                     "i hope this helps", "let me know if", "as an ai", "as a language model", "i'm here to help", "happy to help",
                     "i'm sorry for any", "feel free to")


def topic_vocabulary() -> dict[str, frozenset[str]]:
    """Content words that mark exactly one topic: its subjects and curated vocabulary, minus fillers and
    words that occur in two or more topics ("water", "season" say nothing about the topic). Detail
    sentences are left out: their everyday words ("whole", "long", "year") would mark the wrong topic."""
    from collections import Counter

    from ..text import content_words
    raw = {}
    for name, spec in TOPICS.items():
        text = " ".join(spec["things"] + spec["vocab"])
        raw[name] = (frozenset(w for w in content_words(_strip_alternations(text)) if not w.isdigit())
                     - FILLER - TOPIC_NEUTRAL)
    seen = Counter(w for v in raw.values() for w in v)
    return {name: frozenset(w for w in v if seen[w] == 1) for name, v in raw.items()}


def _strip_alternations(text: str) -> str:
    return text.replace("{", " ").replace("}", " ").replace("|", " ")
