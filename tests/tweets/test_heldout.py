"""The tweet study's held-out checks of an SFT run (polyreply/tweets/heldout.py), on validation tweets."""
import numpy as np
import pytest
import torch

from polyreply.tweets.config import TweetPromptConfig
from polyreply.tweets.heldout import diversity_check, heldout_samples

ROWS = [{"tweet": t, "reply": "ok"} for t in ("Planted tomatoes today", "Rainy Monday again", "New album out now",
                                              "First marathon done", "Coffee or tea?")]


def test_diversity_check_is_seeded_and_leaves_the_training_stream_alone(tiny_lm):
    model, tok = tiny_lm
    check = diversity_check(tok, ROWS, TweetPromptConfig(), seed=3)
    torch.manual_seed(0)
    state = torch.random.get_rng_state()
    out = check(model, 5)
    assert torch.equal(torch.random.get_rng_state(), state)   # the training RNG stream is untouched
    assert set(out) == {"diversity"} and 0.0 <= out["diversity"] <= 2.0
    assert check(model, 5) == out


def test_heldout_samples_report_diversity_and_the_judges_quality(tiny_lm):
    model, tok = tiny_lm
    seen = []

    def judge(tweets, replies):
        seen.extend(tweets)
        return np.array([float(len(t)) for t in tweets])   # a score of the tweet: the mean is known
    out = heldout_samples(model, tok, ROWS, TweetPromptConfig(), n_prompts=3, n=2, seed=1, judge_fn=judge)
    assert len(seen) == 6 and len(set(seen)) == 3 and set(seen) <= {r["tweet"] for r in ROWS}
    assert out["heldout_quality"] == pytest.approx(np.mean([len(t) for t in seen]))
    assert 0.0 <= out["heldout_duplicates"] <= 1.0 and 0.0 <= out["heldout_diversity"] <= 2.0
    assert {"heldout_diversity_se", "heldout_quality_se"} <= set(out)
    assert "heldout_quality" not in heldout_samples(model, tok, ROWS, TweetPromptConfig(), 3, 2, seed=1)
