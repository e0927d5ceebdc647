"""Regenerate the committed synthetic demo dataset (not a DVC stage: its output is a committed input).

    python stages/make_demo_data.py            # rewrites data/demo/synthetic_tweet_replies.jsonl
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from polyreply.tweets.demo_data import write  # noqa: E402

if __name__ == "__main__":
    n = write("data/demo/synthetic_tweet_replies.jsonl")
    print(f"wrote {n} synthetic pairs to data/demo/synthetic_tweet_replies.jsonl")
