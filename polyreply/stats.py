"""Paired statistics between models over prompts."""
from __future__ import annotations

import numpy as np
from scipy import stats


def cohens_d_paired(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's d_z for paired samples: mean(a - b) / sd(a - b) (0 when all differences are 0)."""
    diff = np.asarray(a, float) - np.asarray(b, float)
    sd = diff.std(ddof=1) if len(diff) > 1 else 0.0
    if sd == 0:
        return 0.0 if np.allclose(diff.mean(), 0) else float(np.sign(diff.mean()) * np.inf)
    return float(diff.mean() / sd)


def bootstrap_ci(diff: np.ndarray, *, samples: int = 2000, alpha: float = 0.05, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of ``diff`` (resampling prompts)."""
    diff = np.asarray(diff, float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(diff), size=(samples, len(diff)))
    means = diff[idx].mean(axis=1)
    return float(np.quantile(means, alpha / 2)), float(np.quantile(means, 1 - alpha / 2))


def wilcoxon_p(a: np.ndarray, b: np.ndarray) -> float:
    diff = np.asarray(a, float) - np.asarray(b, float)
    if np.allclose(diff, 0):
        return 1.0  # identical paired values: no evidence of a difference
    return float(stats.wilcoxon(a, b, zero_method="wilcox", alternative="two-sided").pvalue)


def mann_whitney_p(a: np.ndarray, b: np.ndarray) -> float:
    if np.allclose(np.asarray(a, float), np.asarray(b, float)) and np.ptp(np.r_[a, b]) == 0:
        return 1.0
    return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def holm(pvalues: list[float]) -> list[float]:
    """Holm-Bonferroni step-down adjusted p-values (same order as given)."""
    m = len(pvalues)
    order = np.argsort(pvalues)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted.tolist()


def compare(a: np.ndarray, b: np.ndarray, *, samples: int = 2000, alpha: float = 0.05, seed: int = 0) -> dict:
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or len(a) < 2:
        raise ValueError(f"paired comparison needs equal-length arrays of >= 2 prompts, got {a.shape}, {b.shape}")
    lo, hi = bootstrap_ci(a - b, samples=samples, alpha=alpha, seed=seed)
    return {"mean_a": float(a.mean()), "mean_b": float(b.mean()), "mean_diff": float((a - b).mean()),
            "ci_low": lo, "ci_high": hi, "wilcoxon_p": wilcoxon_p(a, b), "mannwhitney_p": mann_whitney_p(a, b),
            "cohens_d": cohens_d_paired(a, b), "n": int(len(a))}


def mean_ci_across_seeds(values: list[float], alpha: float = 0.05) -> dict:
    """Mean and t-interval across seeds; the interval is null with a single seed."""
    v = np.asarray(values, float)
    out = {"mean": float(v.mean()), "n_seeds": int(len(v)), "ci_low": None, "ci_high": None}
    if len(v) >= 2:
        half = stats.t.ppf(1 - alpha / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
        out["ci_low"], out["ci_high"] = float(v.mean() - half), float(v.mean() + half)
    return out
