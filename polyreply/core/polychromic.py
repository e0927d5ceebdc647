"""The polychromic set score and its advantages (Hamid et al. 2025, "Polychromic Objectives for
Reinforcement Learning", arXiv 2509.25424), shared by polychromic SFT and the set-RL GRPO arm.

For n replies y_1..y_n sampled for one tweet x, every subset S of size k (``set_size``) is scored

    f(x, S) = ( 1/k * sum_{y in S} r(x, y) )  *  d(x, S),          r in [0, 1],  d in [0, 1]

    r(x, y) = sigmoid( R(x, y) / tau )    R = the task reward (GRPO's training reward: the learned
                                          engagement model, optionally mixed with the heuristic),
                                          tau = ``reward_temperature``; never closeness to one reference
    d(x, S) = mean_{i<j in S} min(1, (1 - cos(e_i, e_j)) / delta)     e = sentence embedding,
                                          delta = ``distinct_distance``

The cap on d follows the paper's diversity, which counts *distinct* outcomes (distinct rooms,
distinct answers) and so saturates: two replies at least delta apart count as fully different.
Without it, a junk reply (empty, spam, a template fragment) is far from everything and earns more
diversity than a good reply that is merely different; with set_size 2 that outweighs the halved
mean reward, and junk got the largest advantage (the defect found in the previous
``f = mean(cos to one reference) x mean distance``). With the cap, a set {junk, good} has at most
the diversity of {good, other good} and half the reward, so junk is pushed down.

Set-RL advantage (the paper's "marginal" advantage, also Poly-EPO's): each reply gets the mean of
f(S) - mean_S' f(S') over the sets S that contain it (``policy_gradient.set_level_advantages``).

DARLING (Li et al. 2025, "Jointly Reinforcing Diversity and Quality", arXiv 2509.02534) is the
per-reply alternative: reward r_i x div_i with div_i = mean_{j != i} d_ij, then GRPO advantages.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from .policy_gradient import set_level_advantages
from ..text import embed

DistanceFn = Callable[[list[str], int], np.ndarray]


def task_quality(rewards: np.ndarray, temperature: float) -> np.ndarray:
    """r = sigmoid(R / tau): the task reward mapped monotonically into (0, 1), as f(S) needs r >= 0."""
    return 1.0 / (1.0 + np.exp(-np.asarray(rewards, dtype=np.float64) / temperature))


def capped_distance(embeddings: np.ndarray, distinct_distance: float) -> np.ndarray:
    """d_ij = min(1, (1 - cos_ij) / delta) for unit-normalised rows; zero diagonal."""
    d = np.clip((1.0 - embeddings @ embeddings.T) / distinct_distance, 0.0, 1.0)
    np.fill_diagonal(d, 0.0)
    return d


def semantic_distances(distinct_distance: float) -> DistanceFn:
    """texts (groups of ``group_size`` in a row) -> capped distances [groups, n, n], one encoder pass."""
    def distances(texts: list[str], group_size: int) -> np.ndarray:
        emb = embed(texts)
        return np.stack([capped_distance(emb[g:g + group_size], distinct_distance)
                         for g in range(0, len(texts), group_size)])
    return distances


def polychromic_advantages(rewards: np.ndarray, distances: np.ndarray, set_size: int, reward_temperature: float,
                           normalize: bool = True) -> tuple[torch.Tensor, dict]:
    """Marginal set advantages for [groups, n] rewards and [groups, n, n] distances.

    Returns (advantages [groups * n], stats) with the mean set score f, mean quality r and mean
    pairwise distance over the groups (monitoring only).
    """
    quality = task_quality(rewards, reward_temperature)
    advantages, set_scores, diversity = [], [], []
    for q, d in zip(quality, distances):
        adv, f = set_level_advantages(torch.tensor(q, dtype=torch.float32), torch.tensor(d, dtype=torch.float32),
                                      set_size, normalize=normalize)
        advantages.append(adv)
        set_scores.append(float(f.mean()))
        n = d.shape[0]
        diversity.append(float(d.sum() / (n * (n - 1))))
    return torch.cat(advantages), {"set_objective": float(np.mean(set_scores)),
                                   "sample_quality": float(quality.mean()),
                                   "diversity_score": float(np.mean(diversity))}


def darling_rewards(rewards: np.ndarray, distances: np.ndarray, reward_temperature: float) -> np.ndarray:
    """DARLING: r_i x div_i, div_i = mean distance of reply i to the other replies of its group."""
    quality = task_quality(rewards, reward_temperature)
    n = distances.shape[-1]
    return quality * distances.sum(-1) / (n - 1)
