"""Draw the candidates of the labelled probe set (data/probes/labelled_replies.jsonl) from model generations.

    tools/python tools/probe_candidates.py data/generations/base.jsonl data/generations/seed42/sft_baseline.jsonl \
        data/generations/seed42/grpo_baseline.jsonl --demo data/demo/synthetic_tweet_replies.jsonl --out CANDIDATES

Model replies: per source file a seeded random draw, plus draws enriched by simple surface cues (a repeated
4-gram, assistant phrases, most of the tweet's bigrams) so that rare failure modes are present. The cues only
choose what a reader labels; the label is the reader's (see data/probes/README.md). Good human replies: a
seeded draw of the demo generator's `specific` and `specific_question` styles (its intent, not the oracle).
"""
import argparse
import random
from pathlib import Path

from polyreply.io import read_jsonl, write_jsonl
from polyreply.text import words

ASSISTANT_CUES = ("here's", "here is", "sure", "as an ai", "reply:", "tweet", "i'd be happy", "certainly", "i hope")


def has_loop(text: str) -> bool:
    w = words(text)
    grams = [tuple(w[i:i + 4]) for i in range(len(w) - 3)]
    return len(grams) != len(set(grams))


def echoes(tweet: str, reply: str) -> bool:
    t, r = words(tweet), words(reply)
    tb, rb = set(zip(t, t[1:])), set(zip(r, r[1:]))
    return bool(tb) and len(tb & rb) / len(tb) >= 0.5


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("generations", nargs="+")
    ap.add_argument("--demo", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--per-source", type=int, default=40)
    ap.add_argument("--per-cue", type=int, default=30)
    ap.add_argument("--humans", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    pool = []
    for path in args.generations:
        source = Path(path).stem
        for g in read_jsonl(path):
            for reply in [*g["samples"], g["greedy"]]:
                pool.append({"tweet_id": g["tweet_id"], "tweet": g["tweet"], "reply": reply, "source": source})
    chosen: dict[tuple, dict] = {}
    for source in sorted({p["source"] for p in pool}):
        mine = [p for p in pool if p["source"] == source]
        for p in rng.sample(mine, min(args.per_source, len(mine))):
            chosen[(p["tweet"], p["reply"])] = p
    for cue in (lambda p: has_loop(p["reply"]), lambda p: any(c in p["reply"].lower() for c in ASSISTANT_CUES),
                lambda p: echoes(p["tweet"], p["reply"])):
        hits = [p for p in pool if cue(p)]
        for p in rng.sample(hits, min(args.per_cue, len(hits))):
            chosen[(p["tweet"], p["reply"])] = p
    humans = [r for r in read_jsonl(args.demo) if r.get("synthetic_style") in ("specific", "specific_question")]
    rows = list(chosen.values())
    rng.shuffle(rows)
    rows += [{"tweet_id": r["tweet_id"], "tweet": r["tweet"], "reply": r["reply"], "source": "human",
              "label": "good_human"} for r in rng.sample(humans, args.humans)]
    write_jsonl(args.out, rows)
    print(f"{len(rows) - args.humans} model replies and {args.humans} human replies -> {args.out}")


if __name__ == "__main__":
    main()
