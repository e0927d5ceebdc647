"""The injected-effect check's planting (polyreply/tweets/injection.py)."""
import numpy as np
import pytest

from polyreply.tweets.injection import expected_effect, inject_best_reply, injected_count


def test_exactly_the_share_is_replaced_and_the_rest_kept_in_place():
    gens = [{"tweet_id": t, "tweet": f"tweet {t}", "samples": [f"s{t}-{j}" for j in range(6)]} for t in range(50)]
    best = {t: f"BEST {t}" for t in range(50)}
    out = inject_best_reply(gens, best, share=1 / 3, seed=42)
    for g, o in zip(gens, out):
        assert len(o["injected"]) == 2 and sum(s == best[g["tweet_id"]] for s in o["samples"]) == 2
        assert all(o["samples"][j] == g["samples"][j] for j in range(6) if j not in o["injected"])
    assert gens[0]["samples"][0] == "s0-0"                                # the input is not modified
    assert len({tuple(o["injected"]) for o in out}) > 5                   # positions vary by tweet
    assert inject_best_reply(gens, best, 1 / 3, 42) == out                # seeded
    assert inject_best_reply(gens, best, 1 / 3, 43) != out


def test_expected_effect_matches_the_realised_mean_over_many_prompts():
    """Planted effect by hand: m/n x mean(B - model mean); a simulation of random replacement agrees."""
    rng = np.random.default_rng(0)
    scores = rng.normal(0, 1, (400, 6))          # per-sample judge scores of 400 prompts
    best = rng.normal(2, 0.5, 400)
    assert expected_effect(scores.mean(1), best, 6, 0.3) == pytest.approx(2 / 6 * (best - scores.mean(1)).mean())
    realised = []
    for t in range(400):
        chosen = rng.choice(6, size=2, replace=False)
        s = scores[t].copy()
        s[chosen] = best[t]
        realised.append(s.mean() - scores[t].mean())
    assert np.mean(realised) == pytest.approx(expected_effect(scores.mean(1), best, 6, 0.3), abs=0.03)


def test_injected_count_bounds():
    assert injected_count(6, 0.3) == 2 and injected_count(6, 0.01) == 1 and injected_count(6, 1.0) == 6
    with pytest.raises(ValueError):
        injected_count(6, 0.0)
