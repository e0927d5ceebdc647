"""Supervised fine-tuning with an optional polychromic (set-level diversity) objective.

    loss = CE(target completion | prompt)  +  lambda * L_poly
    L_poly = -mean_tokens[ A_i * log pi(y_i,t | x) ]   (score-function / REINFORCE surrogate)

where y_1..y_n are n completions *sampled from the current policy* for the same prompt and A_i is
the marginal set advantage of the polychromic objective (Hamid et al. 2025):
    f(S) = (1/|S| sum_{y in S} r(x, y)) x d(S),   r = sigmoid(R / tau),   d = capped semantic distance
with R the task reward (``core/rewards.py``'s contract), never closeness to one reference (that worked
against diversity by construction). Formula and the reason for the cap: ``core/polychromic.py``.
Rows carry ``prompt`` and ``completion`` columns; a task's held-out checks come in as ``heldout_check``.
"""
from __future__ import annotations

import io
import itertools
import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from ..progress import Progress
from .config import PolychromicConfig, PromptConfig, SftConfig
from .distributed import SINGLE, Dist, prompt_seeds
from .modeling import device_of
from .policy_gradient import accumulation_total, completion_logprobs, masked_mean, policy_gradient_loss, \
    row_slices, sample_completions, trim_padding
from .polychromic import DistanceFn, polychromic_advantages, semantic_distances
from .rewards import RewardFn, score_completions
from .training import make_optimizer, supervised_batch

# (model, step) -> named figures, logged as eval/<name> beside the validation loss (the task's own checks)
HeldoutCheck = Callable[[object, int], dict]


def cross_entropy(model, batch: dict, dist: Dist = SINGLE, total: torch.Tensor | None = None) -> torch.Tensor:
    """Token-level CE; over several processes (or with ``total``, over micro-batches), this part's share of the
    whole batch's mean."""
    logp = completion_logprobs(model, batch["input_ids"], batch["attention_mask"], batch["prompt_len"])
    mask = batch["completion_mask"]
    return -masked_mean(logp, mask, total if total is not None else dist.token_total(mask))


def micro_batches(batch: dict, size: int) -> list[dict]:
    """A supervised batch as micro-batches of at most ``size`` rows (0: the batch itself), rows sorted by length
    and each micro-batch trimmed of its shared padding: a third of an 8-row Wordle batch's tokens were padding
    (prompts of 1 to 6 game lines). The accumulated gradient does not depend on the rows' order."""
    slices = row_slices(batch["input_ids"].shape[0], size)
    if len(slices) == 1:
        return [batch]
    order = torch.argsort(batch["attention_mask"].sum(1), stable=True)
    pieces = []
    for s in slices:
        rows = order[s]
        ids, attn, prompt_len, mask = trim_padding(batch["input_ids"][rows], batch["attention_mask"][rows],
                                                   batch["prompt_len"], batch["completion_mask"][rows])
        pieces.append({"input_ids": ids, "attention_mask": attn, "prompt_len": prompt_len, "completion_mask": mask})
    return pieces


def polychromic_loss(model, tok, rows: list[dict], cfg: PolychromicConfig, prompt_cfg: PromptConfig,
                     reward_fn: RewardFn, distance_fn: DistanceFn | None = None, seeds: list[int] | None = None,
                     dist: Dist = SINGLE) -> tuple[torch.Tensor, dict]:
    """Sample n completions per prompt row, form marginal set advantages, return the surrogate loss (with grad).

    ``rows`` (distinct prompts) and ``seeds`` (one sampling seed per row): the global batch; each process
    samples its shard (``dist``); stats are means over shards."""
    device = device_of(model)
    what = "polychromic.prompts_per_step"
    if seeds is not None:
        seeds = dist.shard(seeds, what)
    _, enc = dist.shard_prompts(tok, [r["prompt"] for r in rows], prompt_cfg, device, what)
    rows = dist.shard(rows, what)
    rollout = sample_completions(model, tok, enc, n=cfg.n_samples, max_new_tokens=cfg.max_new_tokens,
                                 temperature=cfg.temperature, top_p=cfg.top_p, prompt_seeds=seeds)
    rewards = score_completions(reward_fn, rows, rollout.texts, cfg.n_samples).reshape(len(rows), cfg.n_samples)
    distances = (distance_fn or semantic_distances(cfg.distinct_distance))(rollout.texts, cfg.n_samples)
    adv, stats = polychromic_advantages(rewards, distances, cfg.set_size, cfg.reward_temperature,
                                        cfg.normalize_advantages)
    # The n samples of a prompt share one prompt pass (and, in training mode, its LoRA dropout mask:
    # the gradient's expectation is unchanged).
    logp = completion_logprobs(model, rollout.input_ids, rollout.attention_mask, rollout.prompt_len,
                               temperature=cfg.temperature, group=cfg.n_samples)
    loss, _ = policy_gradient_loss(logp, logp.detach(), None, adv.to(device), rollout.completion_mask,
                                   token_total=dist.token_total(rollout.completion_mask))
    stats.update({"sample_reward": float(rewards.mean()), "sample_length": float(rollout.lengths.float().mean())})
    return loss, {k: dist.mean(v) for k, v in stats.items()}


@torch.no_grad()
def validation_loss(model, tok, rows: list[dict], cfg: SftConfig, prompt_cfg: PromptConfig) -> float:
    """Token-level CE on held-out rows (the validation slice, never training data)."""
    was = model.training
    model.eval()
    total, count = 0.0, 0
    device = device_of(model)
    for i in range(0, len(rows), cfg.batch_size):
        chunk = rows[i:i + cfg.batch_size]
        b = supervised_batch(tok, [r["prompt"] for r in chunk], [r["completion"] for r in chunk], prompt_cfg,
                             cfg.max_reply_tokens, device)
        logp = completion_logprobs(model, b["input_ids"], b["attention_mask"], b["prompt_len"])
        m = b["completion_mask"].float()
        total += float(-(logp * m).sum())
        count += float(m.sum())
    if was:
        model.train()
    return total / count


def step_rows(batch: list[dict], following: list[dict], k: int) -> list[dict]:
    """k rows of distinct prompts for a step's polychromic term: the batch's, then, when the batch repeats
    prompts, the next rows' in the data order (so every step has k, and k processes get one each)."""
    chosen: dict[str, dict] = {}
    for r in itertools.chain(batch, following):
        chosen.setdefault(r["prompt"], r)
        if len(chosen) == k:
            break
    return list(chosen.values())


@dataclass
class SftResult:
    final_train_loss: float
    final_eval_loss: float
    initial_eval_loss: float
    final_checks: dict      # the task's held-out check at the last step (empty without one)
    steps: int
    seconds: float


def train_sft(model, tok, train_rows: list[dict], val_rows: list[dict], cfg: SftConfig, max_steps: int,
              prompt_cfg: PromptConfig, poly: PolychromicConfig | None, seed: int, live=None,
              progress_name: str = "sft", reward_fn: RewardFn | None = None, distance_fn: DistanceFn | None = None,
              heldout_check: HeldoutCheck | None = None, dist: Dist = SINGLE) -> SftResult:
    """Train LoRA ``model`` in place on rows with ``prompt`` and ``completion`` columns. ``poly`` None =
    plain SFT; polychromic needs ``reward_fn`` (the task reward R). ``heldout_check(model, step)``: the task's
    figures on held-out data, run with the validation loss (at step 0, every eval_every and at the end).
    ``dist``: data parallel over processes (core/distributed.py): each rank trains on its shard of the
    same global batch; only rank 0 evaluates, logs and reports (the others return NaN figures)."""
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
            return float("nan"), {}
        ev = validation_loss(model, tok, eval_rows, cfg, prompt_cfg)
        checks = heldout_check(model, step) if heldout_check is not None else {}
        if live is not None:
            live.log_metric("eval/loss", ev)
            for k, v in checks.items():
                live.log_metric(f"eval/{k}", v)
        return ev, checks

    initial_eval, _ = log_eval(0)
    progress = Progress(progress_name, max_steps, stream=None if dist.is_main else io.StringIO())
    ev, checks, loss_value = initial_eval, {}, float("nan")
    for step in range(1, max_steps + 1):
        if cursor + cfg.batch_size > len(order):
            order, cursor = rng.permutation(len(train_rows)), 0
        chunk = [train_rows[i] for i in order[cursor:cursor + cfg.batch_size]]  # the global batch
        cursor += cfg.batch_size
        local = dist.shard(chunk, "sft.batch_size")
        batch = supervised_batch(tok, [r["prompt"] for r in local], [r["completion"] for r in local], prompt_cfg,
                                 cfg.max_reply_tokens, device)
        opt.zero_grad(set_to_none=True)
        pieces = micro_batches(batch, cfg.micro_batch_size)
        total = accumulation_total(batch["completion_mask"], dist.token_total(batch["completion_mask"]), len(pieces))
        earlier = 0.0   # CE of the micro-batches before the last, already backpropagated
        for piece in pieces[:-1]:
            part = cross_entropy(model, piece, dist, total)
            part.backward()
            earlier += part.item()
        ce = cross_entropy(model, pieces[-1], dist, total)
        loss = ce
        logs = {"train/quality_loss": dist.sum(earlier + ce.item())}
        if use_poly:
            rows = step_rows(chunk, [train_rows[i] for i in order[cursor:]], poly.prompts_per_step)
            surrogate, stats = polychromic_loss(model, tok, rows, poly, prompt_cfg, reward_fn, distance_fn,
                                                prompt_seeds(seed, step, len(rows)), dist)
            loss = ce + poly.lambda_ * surrogate
            logs.update({"train/diversity_score": stats["diversity_score"],
                         "train/set_objective": stats["set_objective"],
                         "train/sample_quality": stats["sample_quality"],
                         "train/sample_reward": stats["sample_reward"],
                         "train/poly_surrogate": dist.sum(surrogate.item())})
        loss.backward()
        dist.sum_gradients(trainable)
        torch.nn.utils.clip_grad_norm_(trainable, cfg.grad_clip)
        opt.step()
        sched.step()
        loss_value = dist.sum(earlier + loss.item())
        if not math.isfinite(loss_value):
            raise FloatingPointError(f"SFT loss became non-finite at step {step}")
        logs["train/loss"] = loss_value
        logs["train/lr"] = sched.get_last_lr()[0]
        if live is not None:
            for k, v in logs.items():
                live.log_metric(k, v)
        if step % cfg.eval_every == 0 or step == max_steps:
            ev, checks = log_eval(step)
        shown = {"loss": loss_value, "val_loss": ev}
        if use_poly:  # loss = ce + lambda x surrogate: show both parts
            shown.update(ce=logs["train/quality_loss"], diversity=logs["train/diversity_score"],
                         reward=logs["train/sample_reward"])
        progress.update(**shown)
        if live is not None:
            live.next_step()
    return SftResult(final_train_loss=loss_value, final_eval_loss=ev, initial_eval_loss=initial_eval,
                     final_checks=checks, steps=max_steps, seconds=time.perf_counter() - start)
