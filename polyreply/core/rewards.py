"""The core's reward contract, TRL's: ``reward_fn(prompts, completions, **columns) -> one score each``.

A task's rows carry a ``prompt`` column (the user message) and any others it needs (a tweet's text, a game's
history); every other column reaches the reward as a keyword argument, one value per completion, so no
reward looks anything up by prompt text. A reward takes ``**_`` for the columns it does not read.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

RewardFn = Callable[..., np.ndarray]


def completion_columns(rows: list[dict], n: int) -> dict[str, list]:
    """The columns every row has, but ``prompt``, repeated for each row's ``n`` completions (rows x n, row-major).
    Real data leaves optional fields out of some rows: a column is passed only where no row lacks it (a reward
    that needs one then fails on the missing keyword, never on a made-up value)."""
    keys = [k for k in rows[0] if k != "prompt" and all(k in r for r in rows)] if rows else []
    return {k: [r[k] for r in rows for _ in range(n)] for k in keys}


def score_completions(reward_fn: RewardFn, rows: list[dict], completions: list[str], n: int) -> np.ndarray:
    """``reward_fn`` over the n completions of each row, as float64 (rows x n, row-major)."""
    prompts = [r["prompt"] for r in rows for _ in range(n)]
    return np.asarray(reward_fn(prompts, completions, **completion_columns(rows, n)), dtype=np.float64)


def distinct_prompts(rows: list[dict]) -> list[dict]:
    """One row per distinct prompt (the first), sorted by prompt: GRPO's fixed prompt pool."""
    first: dict[str, dict] = {}
    for r in rows:
        first.setdefault(r["prompt"], r)
    return [first[p] for p in sorted(first)]
