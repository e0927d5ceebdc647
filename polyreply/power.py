"""Power of the verdict test for a planned study: seeds and prompts needed, from a pilot run's variances.

The pilot's per-(seed, prompt) differences d[s, p] are read as crossed random effects,
d = mu + a_s + b_p + e_sp (seed, prompt, residual), with method-of-moments (two-way ANOVA) estimates:
    MS_seeds = P var(row means),  MS_prompts = S var(column means),  MS_res = residual mean square,
    var_e = MS_res,  var_a = max(0, (MS_seeds - MS_res) / P),  var_b = max(0, (MS_prompts - MS_res) / S).
A study with S' seeds and P' prompts has the standard error that stats.seed_prompt_interval estimates,
    SE^2 = (var_a + var_e / P') / S' + (var_b + var_e / S') / P',
with Satterthwaite's df from its two parts, and MDE = (t_{1-alpha/2} + t_power) SE (stats.minimum_detectable_effect).
With 3 pilot seeds var_a rests on 2 df: the seeds needed are an estimate, not a guarantee (the report says so).
"""
from __future__ import annotations

import numpy as np

from .stats import minimum_detectable_effect


def variance_components(diff: np.ndarray) -> dict:
    """Seed, prompt and residual variances of diff[seeds, prompts] (method of moments, clipped at 0)."""
    d = np.atleast_2d(np.asarray(diff, float))
    s, p = d.shape
    if s < 2 or p < 2:
        raise ValueError(f"variance_components needs >= 2 seeds and >= 2 prompts, got shape {d.shape}")
    row, col, grand = d.mean(1), d.mean(0), d.mean()
    ms_seeds = p * row.var(ddof=1)
    ms_prompts = s * col.var(ddof=1)
    resid = d - row[:, None] - col[None, :] + grand
    ms_res = float((resid ** 2).sum() / ((s - 1) * (p - 1)))
    return {"seed": max(0.0, (ms_seeds - ms_res) / p), "prompt": max(0.0, (ms_prompts - ms_res) / s),
            "residual": ms_res}


def planned_se(var: dict, seeds: int, prompts: int) -> tuple[float, float]:
    """(SE, Satterthwaite df) of the mean difference with ``seeds`` x ``prompts``."""
    seed_part = (var["seed"] + var["residual"] / prompts) / seeds
    prompt_part = (var["prompt"] + var["residual"] / seeds) / prompts
    se2 = seed_part + prompt_part
    denom = (seed_part ** 2 / (seeds - 1) if seeds > 1 else np.inf) + prompt_part ** 2 / (prompts - 1)
    df = se2 ** 2 / denom if denom > 0 else float(seeds - 1)
    return float(np.sqrt(se2)), float(max(seeds - 1, df)) if seeds > 1 else float(prompts - 1)


def seeds_needed(var: dict, effect: float, alpha: float, prompts: int, max_seeds: int = 200,
                 power: float = 0.8) -> int | None:
    """Fewest seeds (>= 2) at which the MDE with ``prompts`` prompts is <= effect; None past max_seeds."""
    for seeds in range(2, max_seeds + 1):
        se, df = planned_se(var, seeds, prompts)
        if minimum_detectable_effect(se, alpha, power, df) <= effect:
            return seeds
    return None
