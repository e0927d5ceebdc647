"""Supervised fine-tuning with an optional polychromic (set-level diversity) objective.

    loss = CE(reference reply | tweet)  +  lambda * L_poly
    L_poly = -mean_tokens[ A_i * log pi(y_i,t | x) ]   (score-function / REINFORCE surrogate)

where y_1..y_n are n replies *sampled from the current policy* for the same tweet and A_i is
the marginal set advantage of the polychromic objective (Hamid et al. 2025):
    f(S) = (1/|S| sum_{y in S} r(x, y)) x d(S),   r = sigmoid(R / tau),   d = capped semantic distance
with R the task reward (GRPO's training reward: learned engagement, optionally + heuristic), never
closeness to one reference (that worked against diversity by construction). Formula and the
reason for the cap: ``polyreply.polychromic``. The term's gradient is sum_i A_i grad log pi(y_i).
"""
from __future__ import annotations

import io
import itertools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from .config import PolychromicConfig, PromptConfig, SftConfig
from .distributed import SINGLE, Dist, prompt_seeds
from .modeling import device_of, encode_prompts
from .policy_gradient import completion_logprobs, masked_mean, policy_gradient_loss, sample_completions
from .polychromic import DistanceFn, polychromic_advantages, semantic_distances
from .progress import Progress
from .text import embed
from .training import make_optimizer, supervised_batch

RewardFn = Callable[[list[str], list[str]], np.ndarray]


def cross_entropy(model, batch: dict, dist: Dist = SINGLE) -> torch.Tensor:
    """Token-level CE; over several processes, this shard's share of the global batch's mean."""
    logp = completion_logprobs(model, batch["input_ids"], batch["attention_mask"], batch["prompt_len"])
    return -masked_mean(logp, batch["completion_mask"], dist.token_total(batch["completion_mask"]))


def polychromic_loss(model, tok, tweets: list[str], cfg: PolychromicConfig, prompt_cfg: PromptConfig,
                     reward_fn: RewardFn, distance_fn: DistanceFn | None = None, seeds: list[int] | None = None,
                     dist: Dist = SINGLE) -> tuple[torch.Tensor, dict]:
    """Sample n replies per tweet, form marginal set advantages, return the surrogate loss (with grad).

    ``tweets`` and ``seeds`` (one sampling seed per tweet): the global batch; each process samples its shard
    (``dist``); stats are means over shards."""
    device = device_of(model)
    if seeds is not None:
        seeds = dist.shard(seeds, "polychromic.prompts_per_step")
    tweets, enc = dist.shard_prompts(tok, tweets, prompt_cfg, device, "polychromic.prompts_per_step")
    rollout = sample_completions(model, tok, enc, n=cfg.n_samples, max_new_tokens=cfg.max_new_tokens,
                                 temperature=cfg.temperature, top_p=cfg.top_p, prompt_seeds=seeds)
    repeated = [t for t in tweets for _ in range(cfg.n_samples)]
    rewards = np.asarray(reward_fn(repeated, rollout.texts), dtype=np.float64).reshape(len(tweets), cfg.n_samples)
    distances = (distance_fn or semantic_distances(cfg.distinct_distance))(rollout.texts, cfg.n_samples)
    adv, stats = polychromic_advantages(rewards, distances, cfg.set_size, cfg.reward_temperature,
                                        cfg.normalize_advantages)
    logp = completion_logprobs(model, rollout.input_ids, rollout.attention_mask, rollout.prompt_len,
                               temperature=cfg.temperature)
    loss, _ = policy_gradient_loss(logp, logp.detach(), None, adv.to(device), rollout.completion_mask,
                                   token_total=dist.token_total(rollout.completion_mask))
    stats.update({"sample_reward": float(rewards.mean()), "sample_length": float(rollout.lengths.float().mean())})
    return loss, {k: dist.mean(v) for k, v in stats.items()}


@torch.no_grad()
def evaluate(model, tok, rows: list[dict], cfg: SftConfig, prompt_cfg: PromptConfig) -> float:
    """Token-level CE on held-out rows (the validation slice, never training data)."""
    was = model.training
    model.eval()
    total, count = 0.0, 0
    device = device_of(model)
    for i in range(0, len(rows), cfg.batch_size):
        chunk = rows[i:i + cfg.batch_size]
        b = supervised_batch(tok, [r["tweet"] for r in chunk], [r["reply"] for r in chunk], prompt_cfg,
                             cfg.max_reply_tokens, device)
        logp = completion_logprobs(model, b["input_ids"], b["attention_mask"], b["prompt_len"])
        m = b["completion_mask"].float()
        total += float(-(logp * m).sum())
        count += float(m.sum())
    if was:
        model.train()
    return total / count


@torch.no_grad()
def sample_diversity(model, tok, rows: list[dict], prompt_cfg: PromptConfig, n: int, max_new_tokens: int,
                     seed: int) -> float:
    """Mean pairwise semantic distance of n sampled replies per held-out tweet (same for both variants)."""
    tweets = sorted({r["tweet"] for r in rows})[:4]
    enc = encode_prompts(tok, tweets, prompt_cfg, device_of(model))
    state = torch.random.get_rng_state()
    rollout = sample_completions(model, tok, enc, n=n, max_new_tokens=max_new_tokens, seed=seed)
    torch.random.set_rng_state(state)  # do not perturb the training RNG stream
    out = []
    for p in range(len(tweets)):
        emb = embed(rollout.texts[p * n:(p + 1) * n])
        out.append(float(np.mean(1 - (emb @ emb.T)[np.triu_indices(n, 1)])))
    return float(np.mean(out))


HELDOUT_SAMPLING = {"temperature": 0.9, "top_p": 0.95, "max_new_tokens": 32}  # the evaluation's defaults


@torch.no_grad()
def heldout_samples(model, tok, rows: list[dict], prompt_cfg: PromptConfig, n_prompts: int, n: int, seed: int,
                    judge_fn: RewardFn | None = None) -> dict:
    """Diversity and quality of n sampled replies per held-out (validation) tweet, after training.

    What the lambda sweep reads (tuning on validation tweets, never on the test set):
    ``heldout_diversity`` = mean pairwise cosine distance (the evaluation's semantic_diversity),
    ``heldout_duplicates`` = share of pairs closer than 0.1, ``heldout_quality`` = mean
    ``judge_fn`` score (the oracle on demo data), absent without a judge; ``*_se``: standard
    errors over prompts (a per-prompt difference between two runs is noisier still).
    """
    texts = sorted({r["tweet"] for r in rows})
    tweets = [texts[i] for i in np.random.default_rng(seed).permutation(len(texts))[:n_prompts]]
    enc = encode_prompts(tok, tweets, prompt_cfg, device_of(model))
    state = torch.random.get_rng_state()
    rollout = sample_completions(model, tok, enc, n=n, seed=seed, **HELDOUT_SAMPLING)
    torch.random.set_rng_state(state)
    emb = embed(rollout.texts).reshape(len(tweets), n, -1)
    iu = np.triu_indices(n, 1)
    dist = np.stack([1.0 - (e @ e.T)[iu] for e in emb])
    per_prompt = dist.mean(axis=1)
    se = lambda x: float(np.std(x, ddof=1) / np.sqrt(len(x)))  # noqa: E731  (standard error over prompts)
    out = {"heldout_diversity": float(dist.mean()), "heldout_diversity_se": se(per_prompt),
           "heldout_duplicates": float((dist < 0.1).mean())}
    if judge_fn is not None:
        scores = np.asarray(judge_fn([t for t in tweets for _ in range(n)], rollout.texts)).reshape(len(tweets), n)
        out["heldout_quality"] = float(scores.mean())
        out["heldout_quality_se"] = se(scores.mean(axis=1))
    return out


def step_tweets(batch: list[dict], following: list[dict], k: int) -> list[str]:
    """k distinct tweets for a step's polychromic term: the batch's, then, when the batch repeats tweets,
    the next rows' in the data order (so every step has k, and k processes get one each)."""
    chosen: dict[str, None] = {}
    for r in itertools.chain(batch, following):
        chosen.setdefault(r["tweet"], None)
        if len(chosen) == k:
            break
    return list(chosen)


@dataclass
class SftResult:
    final_train_loss: float
    final_eval_loss: float
    initial_eval_loss: float
    final_eval_diversity: float
    steps: int
    seconds: float
    heldout: dict


def train_sft(model, tok, train_rows: list[dict], val_rows: list[dict], cfg: SftConfig, max_steps: int,
              prompt_cfg: PromptConfig, poly: PolychromicConfig | None, seed: int, live=None,
              progress_name: str = "sft", reward_fn: RewardFn | None = None, distance_fn: DistanceFn | None = None,
              judge_fn: RewardFn | None = None, dist: Dist = SINGLE) -> SftResult:
    """Train LoRA ``model`` in place. ``poly`` None = baseline SFT; polychromic needs ``reward_fn``
    (the task reward R). ``judge_fn`` (the oracle on demo data) only scores held-out samples.
    ``dist``: data parallel over processes (polyreply/distributed.py): each rank trains on its shard of
    the same global batch; only rank 0 evaluates, logs and reports (the others return NaN figures)."""
    import time
    start = time.perf_counter()
    device = device_of(model)
    rng = np.random.default_rng(seed)
    opt, sched = make_optimizer(model, cfg.learning_rate, cfg.weight_decay, cfg.warmup_steps, max_steps)
    eval_rows = val_rows[:cfg.eval_examples]
    use_poly = poly is not None
    if use_poly and reward_fn is None:
        raise ValueError("polychromic SFT needs reward_fn: the task reward of the set score")
    order, cursor = rng.permutation(len(train_rows)), 0
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]

    def log_eval(step):
        if not dist.is_main:
            return float("nan"), float("nan")
        ev = evaluate(model, tok, eval_rows, cfg, prompt_cfg)
        div = sample_diversity(model, tok, eval_rows, prompt_cfg, n=4, max_new_tokens=24, seed=seed + step)
        if live is not None:
            live.log_metric("eval/loss", ev)
            live.log_metric("eval/diversity", div)
        return ev, div

    initial_eval, _ = log_eval(0)
    progress = Progress(progress_name, max_steps, stream=None if dist.is_main else io.StringIO())
    ev, div, loss_value = initial_eval, float("nan"), float("nan")
    for step in range(1, max_steps + 1):
        if cursor + cfg.batch_size > len(order):
            order, cursor = rng.permutation(len(train_rows)), 0
        chunk = [train_rows[i] for i in order[cursor:cursor + cfg.batch_size]]  # the global batch
        cursor += cfg.batch_size
        local = dist.shard(chunk, "sft.batch_size")
        batch = supervised_batch(tok, [r["tweet"] for r in local], [r["reply"] for r in local], prompt_cfg,
                                 cfg.max_reply_tokens, device)
        ce = cross_entropy(model, batch, dist)
        loss = ce
        logs = {"train/quality_loss": dist.sum(ce.item())}
        if use_poly:
            tweets = step_tweets(chunk, [train_rows[i] for i in order[cursor:]], poly.prompts_per_step)
            surrogate, stats = polychromic_loss(model, tok, tweets, poly, prompt_cfg, reward_fn, distance_fn,
                                                prompt_seeds(seed, step, len(tweets)), dist)
            loss = ce + poly.lambda_ * surrogate
            logs.update({"train/diversity_score": stats["diversity_score"],
                         "train/set_objective": stats["set_objective"],
                         "train/sample_quality": stats["sample_quality"],
                         "train/sample_reward": stats["sample_reward"],
                         "train/poly_surrogate": dist.sum(surrogate.item())})
        opt.zero_grad(set_to_none=True)
        loss.backward()
        dist.sum_gradients(trainable)
        torch.nn.utils.clip_grad_norm_(trainable, cfg.grad_clip)
        opt.step()
        sched.step()
        loss_value = dist.sum(loss.item())
        if not math.isfinite(loss_value):
            raise FloatingPointError(f"SFT loss became non-finite at step {step}")
        logs["train/loss"] = loss_value
        logs["train/lr"] = sched.get_last_lr()[0]
        if live is not None:
            for k, v in logs.items():
                live.log_metric(k, v)
        if step % cfg.eval_every == 0 or step == max_steps:
            ev, div = log_eval(step)
        shown = {"loss": loss_value, "val_loss": ev}
        if use_poly:  # loss = ce + lambda x surrogate: show both parts
            shown.update(ce=logs["train/quality_loss"], diversity=logs["train/diversity_score"],
                         reward=logs["train/sample_reward"])
        progress.update(**shown)
        if live is not None:
            live.next_step()
    model.eval()
    heldout = (heldout_samples(model, tok, val_rows, prompt_cfg, cfg.heldout_prompts, cfg.heldout_samples,
                               seed, judge_fn) if dist.is_main else {})
    model.train()
    return SftResult(final_train_loss=loss_value, final_eval_loss=ev, initial_eval_loss=initial_eval,
                     final_eval_diversity=div, steps=max_steps, seconds=time.perf_counter() - start,
                     heldout=heldout)
