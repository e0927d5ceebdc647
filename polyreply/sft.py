"""Supervised fine-tuning with an optional polychromic (set-level diversity) objective.

    loss = CE(reference reply | tweet)  +  lambda * L_poly
    L_poly = -mean_tokens[ A_i * log pi(y_i,t | x) ]   (score-function / REINFORCE surrogate)

where y_1..y_n are n replies *sampled from the current policy* for the same tweet and A_i
is the polychromic set-level advantage (``policy_gradient.set_level_advantages``,
Hamid et al. 2025; by default scaled to unit std per prompt, like GRPO): sets of replies are scored by mean quality x diversity, and every
member gets its set's advantage. The term's gradient is sum_i A_i grad log pi(y_i), so
diversity really steers the update (the predecessor subtracted a no-grad constant).
Quality q_i = clip(cos(emb(y_i), emb(reference)), 0, 1); diversity d_ij =
(1-w) * clip(1 - cos(emb(y_i), emb(y_j)), 0, 1) + w * (1 - Jaccard(words_i, words_j)).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .config import PolychromicConfig, PromptConfig, SftConfig
from .metrics import pairwise_lexical_distance
from .modeling import device_of, encode_prompts
from .progress import Progress
from .policy_gradient import (completion_logprobs, masked_mean, policy_gradient_loss, sample_completions,
                              set_level_advantages)
from .text import embed
from .training import make_optimizer, supervised_batch


def cross_entropy(model, batch: dict) -> torch.Tensor:
    logp = completion_logprobs(model, batch["input_ids"], batch["attention_mask"], batch["prompt_len"])
    return -masked_mean(logp, batch["completion_mask"])


def set_scores(replies: list[str], reference: str, lexical_weight: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(quality [n], pairwise distance [n, n]) for one prompt's sampled replies."""
    emb = embed(replies + [reference])
    reps, ref = emb[:-1], emb[-1]
    quality = np.clip(reps @ ref, 0.0, 1.0)
    distance = np.clip(1.0 - reps @ reps.T, 0.0, 1.0)
    if lexical_weight > 0:
        distance = (1 - lexical_weight) * distance + lexical_weight * pairwise_lexical_distance(replies)
    return torch.from_numpy(quality.astype(np.float32)), torch.from_numpy(distance.astype(np.float32))


def mean_offdiag(distance: torch.Tensor) -> float:
    n = distance.shape[0]
    return float(distance.sum() / (n * (n - 1)))


def polychromic_loss(model, tok, tweets: list[str], references: list[str], cfg: PolychromicConfig,
                     prompt_cfg: PromptConfig, scorer=set_scores) -> tuple[torch.Tensor, dict]:
    """Sample n replies per tweet, form set-level advantages, return the surrogate loss (with grad)."""
    device = device_of(model)
    enc = encode_prompts(tok, tweets, prompt_cfg, device)
    rollout = sample_completions(model, tok, enc, n=cfg.n_samples, max_new_tokens=cfg.max_new_tokens,
                                 temperature=cfg.temperature, top_p=cfg.top_p)
    advantages, diversities, set_values, qualities = [], [], [], []
    for p, ref in enumerate(references):
        group = rollout.texts[p * cfg.n_samples:(p + 1) * cfg.n_samples]
        quality, distance = scorer(group, ref, cfg.lexical_weight)
        adv, f = set_level_advantages(quality, distance, cfg.set_size, normalize=cfg.normalize_advantages)
        advantages.append(adv)
        diversities.append(mean_offdiag(distance))
        set_values.append(float(f.mean()))
        qualities.append(float(quality.mean()))
    adv = torch.cat(advantages).to(device)
    logp = completion_logprobs(model, rollout.input_ids, rollout.attention_mask, rollout.prompt_len,
                               temperature=cfg.temperature)
    loss, _ = policy_gradient_loss(logp, logp.detach(), None, adv, rollout.completion_mask)
    return loss, {"diversity_score": float(np.mean(diversities)), "set_objective": float(np.mean(set_values)),
                  "sample_quality": float(np.mean(qualities)),
                  "sample_length": float(rollout.lengths.float().mean())}


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


@dataclass
class SftResult:
    final_train_loss: float
    final_eval_loss: float
    initial_eval_loss: float
    final_eval_diversity: float
    steps: int
    seconds: float


def train_sft(model, tok, train_rows: list[dict], val_rows: list[dict], cfg: SftConfig, max_steps: int,
              prompt_cfg: PromptConfig, poly: PolychromicConfig | None, seed: int, live=None,
              progress_name: str = "sft") -> SftResult:
    """Train LoRA ``model`` in place. ``poly`` None (or lambda 0) = baseline SFT."""
    import time
    start = time.perf_counter()
    device = device_of(model)
    rng = np.random.default_rng(seed)
    opt, sched = make_optimizer(model, cfg.learning_rate, cfg.weight_decay, cfg.warmup_steps, max_steps)
    eval_rows = val_rows[:cfg.eval_examples]
    use_poly = poly is not None and poly.lambda_ > 0
    order, cursor = rng.permutation(len(train_rows)), 0
    model.train()

    def log_eval(step):
        ev = evaluate(model, tok, eval_rows, cfg, prompt_cfg)
        div = sample_diversity(model, tok, eval_rows, prompt_cfg, n=4, max_new_tokens=24, seed=seed + step)
        if live is not None:
            live.log_metric("eval/loss", ev)
            live.log_metric("eval/diversity", div)
        return ev, div

    initial_eval, _ = log_eval(0)
    progress = Progress(progress_name, max_steps)
    ev, div, loss_value = initial_eval, float("nan"), float("nan")
    for step in range(1, max_steps + 1):
        if cursor + cfg.batch_size > len(order):
            order, cursor = rng.permutation(len(train_rows)), 0
        chunk = [train_rows[i] for i in order[cursor:cursor + cfg.batch_size]]
        cursor += cfg.batch_size
        batch = supervised_batch(tok, [r["tweet"] for r in chunk], [r["reply"] for r in chunk], prompt_cfg,
                                 cfg.max_reply_tokens, device)
        ce = cross_entropy(model, batch)
        loss = ce
        logs = {"train/quality_loss": ce.item()}
        if use_poly:
            # distinct tweets of this batch, each with its own reference reply
            seen, tweets, refs = set(), [], []
            for r in chunk:
                if r["tweet"] not in seen and len(tweets) < poly.prompts_per_step:
                    seen.add(r["tweet"])
                    tweets.append(r["tweet"])
                    refs.append(r["reply"])
            surrogate, stats = polychromic_loss(model, tok, tweets, refs, poly, prompt_cfg)
            loss = ce + poly.lambda_ * surrogate
            logs.update({"train/diversity_score": stats["diversity_score"],
                         "train/set_objective": stats["set_objective"],
                         "train/sample_quality": stats["sample_quality"],
                         "train/poly_surrogate": surrogate.item()})
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], cfg.grad_clip)
        opt.step()
        sched.step()
        loss_value = loss.item()
        if not math.isfinite(loss_value):
            raise FloatingPointError(f"SFT loss became non-finite at step {step}")
        logs["train/loss"] = loss_value
        logs["train/lr"] = sched.get_last_lr()[0]
        if live is not None:
            for k, v in logs.items():
                live.log_metric(k, v)
        if step % cfg.eval_every == 0 or step == max_steps:
            ev, div = log_eval(step)
        shown = {"loss": loss_value, "ce": logs["train/quality_loss"], "val_loss": ev}
        if use_poly:
            shown["diversity"] = logs["train/diversity_score"]
        progress.update(**shown)
        if live is not None:
            live.next_step()
    return SftResult(final_train_loss=loss_value, final_eval_loss=ev, initial_eval_loss=initial_eval,
                     final_eval_diversity=div, steps=max_steps, seconds=time.perf_counter() - start)
