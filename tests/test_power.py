"""Power planning from a pilot run (polyreply/power.py): variance components, planned SE, seeds needed."""
import numpy as np
import pytest

from polyreply.power import planned_se, seeds_needed, variance_components
from polyreply.stats import minimum_detectable_effect, seed_prompt_interval


def simulated(seeds: int, prompts: int, sd_seed: float, sd_prompt: float, sd_res: float, mu=0.0, rng=0):
    r = np.random.default_rng(rng)
    return (mu + r.normal(0, sd_seed, (seeds, 1)) + r.normal(0, sd_prompt, (1, prompts))
            + r.normal(0, sd_res, (seeds, prompts)))


def test_variance_components_recover_planted_seed_prompt_and_residual_variances():
    var = variance_components(simulated(60, 400, 0.3, 0.5, 1.0))
    assert var["seed"] == pytest.approx(0.09, rel=0.4)
    assert var["prompt"] == pytest.approx(0.25, rel=0.2)
    assert var["residual"] == pytest.approx(1.0, rel=0.05)
    # no seed effect planted: the estimate is clipped at 0 or small, never negative
    assert 0.0 <= variance_components(simulated(5, 200, 0.0, 0.5, 1.0))["seed"] < 0.02


def test_planned_se_by_hand():
    """(0.04 + 1/100)/3 + (0.25 + 1/3)/100 = 0.0225 -> SE 0.15; df = 0.0225^2 / (0.016667^2/2 + 0.0058333^2/99)."""
    se, df = planned_se({"seed": 0.04, "prompt": 0.25, "residual": 1.0}, seeds=3, prompts=100)
    assert se == pytest.approx(0.15, abs=1e-12)
    assert df == pytest.approx(0.0225 ** 2 / ((0.05 / 3) ** 2 / 2 + ((0.25 + 1 / 3) / 100) ** 2 / 99), rel=1e-9)


def test_planned_se_matches_the_verdict_interval_on_the_pilot_shape():
    """At the pilot's own seeds and prompts the plan reproduces the SE the verdicts use (stats.py)."""
    d = simulated(3, 100, 0.2, 0.6, 1.0, rng=3)
    se, _ = planned_se(variance_components(d), 3, 100)
    assert se == pytest.approx(seed_prompt_interval(d, samples=20000)["se"], rel=0.1)


def test_seeds_needed_is_the_first_seed_count_whose_mde_reaches_the_effect():
    var = {"seed": 0.05, "prompt": 0.3, "residual": 1.0}
    n = seeds_needed(var, effect=0.3, alpha=0.0125, prompts=100)
    assert n is not None and n > 2
    mde = lambda s: minimum_detectable_effect(*planned_se(var, s, 100)[:1], 0.0125, df=planned_se(var, s, 100)[1])  # noqa: E731
    assert mde(n) <= 0.3 < mde(n - 1)
    assert seeds_needed(var, effect=0.2, alpha=0.0125, prompts=100) > n       # a smaller effect needs more
    # the prompt part sets a floor no seed count passes: (t + t) sqrt(0.3 / 100) ~ 0.18 at 100 prompts
    assert seeds_needed(var, effect=0.15, alpha=0.0125, prompts=100) is None
    assert seeds_needed(var, effect=0.15, alpha=0.0125, prompts=945) is not None
    assert seeds_needed(var, effect=1e-4, alpha=0.0125, prompts=100, max_seeds=50) is None
