"""GRPO (Shao et al. 2024) from a warm-start LoRA policy, compact and batched.

Per step: sample ``num_generations`` completions for each of ``prompts_per_step`` prompts in one
generate call; score them with the task's reward (``core/rewards.py``: the rows' columns arrive as
keyword arguments); form group-normalised advantages (or, for the set-RL arm, the polychromic
marginal set advantages of ``core/polychromic.py``); compute token log-probs
under the policy (with grad) and the frozen warm-start reference; minimise
``policy_gradient.policy_gradient_loss`` (clipped ratio when num_iterations > 1,
per-token k3 KL to the reference weighted by kl_coeff).
"""
from __future__ import annotations

import io
import math
import time
from dataclasses import asdict, dataclass
import numpy as np
import torch

from ..progress import Progress
from ..text import embed
from .config import GrpoConfig, PolychromicConfig, PromptConfig
from .distributed import SINGLE, Dist, prompt_seeds
from .modeling import device_of
from .prompts import encode_prompts
from .policy_gradient import accumulation_total, completion_logprobs, group_advantages, policy_gradient_loss, \
    row_slices, sample_completions, trim_padding
from .polychromic import DistanceFn, darling_rewards, polychromic_advantages, semantic_distances
from .rewards import RewardFn, distinct_prompts, score_completions


class KLDivergenceError(RuntimeError):
    """The policy drifted further from the warm-start reference than grpo.max_kl allows."""


def diversity_bonus(texts: list[str], group_size: int) -> np.ndarray:
    """Per reply: mean semantic distance to the other replies of its group."""
    emb = embed(texts)
    out = np.zeros(len(texts))
    for g in range(0, len(texts), group_size):
        e = emb[g:g + group_size]
        d = 1.0 - e @ e.T
        out[g:g + group_size] = d.sum(1) / (group_size - 1)
    return out


@dataclass
class GrpoStepStats:
    step: int
    loss: float
    policy_loss: float
    avg_reward: float
    reward_std: float
    kl: float
    kl_coeff: float
    mean_length: float
    zero_std_fraction: float
    clip_fraction: float
    step_seconds: float
    generated_tokens: int
    entropy: float = 0.0          # mean -log p of the sampled tokens: a Monte Carlo estimate of the policy's entropy
    oracle: float | None = None   # mean oracle score of the rollouts (grpo.log_oracle; never in the loss)
    diversity: float | None = None  # mean capped pairwise distance within groups (polychromic d_ij)


def grpo_step(policy, reference, tok, rows: list[dict], cfg: GrpoConfig, prompt_cfg: PromptConfig,
              reward_fn: RewardFn, optimizer, kl_coeff: float, step: int,
              monitor_fn: RewardFn | None = None, poly: PolychromicConfig | None = None, set_rl: bool = False,
              distance_fn: DistanceFn | None = None, seeds: list[int] | None = None,
              dist: Dist = SINGLE) -> GrpoStepStats:
    """One GRPO update. ``set_rl``: the advantage is the polychromic marginal set advantage over
    each group (set score from ``poly``); ``cfg.darling``: rewards become r x diversity (DARLING).
    ``poly`` also turns on the diversity statistic; ``distance_fn`` replaces the sentence encoder.
    ``rows`` (a ``prompt`` column and the reward's columns) and ``seeds`` (one sampling seed per row) are the
    step's global batch; with several
    processes (``dist``) each samples and trains on its shard; the returned statistics are over the step."""
    start = time.perf_counter()
    if (set_rl or cfg.darling) and poly is None:
        raise ValueError("set-RL and grpo.darling need the polychromic set parameters (poly)")
    device = device_of(policy)
    g = cfg.num_generations
    what = "grpo.prompts_per_step"
    if seeds is not None:
        seeds = dist.shard(seeds, what)
    _, enc = dist.shard_prompts(tok, [r["prompt"] for r in rows], prompt_cfg, device, what)
    rows = dist.shard(rows, what)
    rollout = sample_completions(policy, tok, enc, n=g, max_new_tokens=cfg.max_new_tokens,
                                 temperature=cfg.temperature, top_p=cfg.top_p, prompt_seeds=seeds)
    grouped = score_completions(reward_fn, rows, rollout.texts, g).reshape(len(rows), g)
    distances = None
    if poly is not None:
        distances = (distance_fn or semantic_distances(poly.distinct_distance))(rollout.texts, g)
    if set_rl:
        adv, _ = polychromic_advantages(grouped, distances, poly.set_size, poly.reward_temperature,
                                        poly.normalize_advantages)
        if cfg.advantage_clip is not None:
            adv = adv.clamp(-cfg.advantage_clip, cfg.advantage_clip)
    else:
        shaped = grouped
        if cfg.diversity_bonus > 0:
            shaped = shaped + cfg.diversity_bonus * diversity_bonus(rollout.texts, g).reshape(len(rows), g)
        if cfg.darling:
            shaped = darling_rewards(grouped, distances, poly.reward_temperature)
        adv = group_advantages(torch.tensor(shaped, dtype=torch.float32), scale_by_std=cfg.scale_rewards,
                               clip=cfg.advantage_clip).flatten()
    adv = adv.to(device)
    r = torch.tensor(grouped, dtype=torch.float32)
    ids, attn, p_len, cmask = rollout.input_ids, rollout.attention_mask, rollout.prompt_len, rollout.completion_mask
    pieces = row_slices(ids.shape[0], cfg.micro_batch_prompts * g)   # whole groups: they share a prompt pass
    # each micro-batch without its shared padding (the whole step as it is: one piece)
    parts = [(ids, attn, p_len, cmask)] if len(pieces) == 1 else \
        [trim_padding(ids[sl], attn[sl], p_len, cmask[sl]) for sl in pieces]

    def logprobs(model, part):
        return completion_logprobs(model, part[0], part[1], part[2], cfg.temperature, group=g)

    with torch.no_grad():
        ref_logp = [logprobs(reference, part) for part in parts]
        old_logp = [logprobs(policy, part) for part in parts] if cfg.num_iterations > 1 else None
    trainable = [p for p in policy.parameters() if p.requires_grad]
    token_total = accumulation_total(cmask, dist.token_total(cmask), len(parts))
    for _ in range(cfg.num_iterations):
        optimizer.zero_grad(set_to_none=True)
        loss_value, st, neg_logp = 0.0, {}, None
        for i, (sl, part) in enumerate(zip(pieces, parts)):
            logp = logprobs(policy, part)
            loss, stats = policy_gradient_loss(logp, old_logp[i] if old_logp is not None else logp.detach(),
                                               ref_logp[i], adv[sl], part[3], clip_eps=cfg.clip_eps,
                                               kl_coeff=kl_coeff, token_total=token_total)
            summed = -(logp.detach() * part[3]).sum()
            neg_logp = summed if neg_logp is None else neg_logp + summed
            loss.backward()
            loss_value += loss.item()   # with token_total, the pieces' losses and stats add up to the step's
            st = {k: st.get(k, 0.0) + v for k, v in stats.items()}
        entropy = float((neg_logp / cmask.sum().clamp(min=1)).item())
        dist.sum_gradients(trainable)
        torch.nn.utils.clip_grad_norm_(trainable, cfg.grad_clip)
        optimizer.step()
    group_std = r.std(dim=1, unbiased=False)
    # proxy (training reward) vs oracle over steps shows reward over-optimisation (Gao et al. 2022)
    oracle = None if monitor_fn is None else float(np.mean(score_completions(monitor_fn, rows, rollout.texts, g)))
    diversity = None
    if distances is not None:
        diversity = float(np.mean([d.sum() / (g * (g - 1)) for d in distances]))
    # Over processes: token means (loss, kl, policy_loss, clip_fraction) are shares of the global token
    # mean and add up; per-shard means over equal shards (prompts, rows) average exactly. So the KL guard
    # and the adaptive-KL controller see the one-process values.
    return GrpoStepStats(oracle=dist.mean(oracle), diversity=dist.mean(diversity), step=step, entropy=dist.mean(entropy),
                         loss=dist.sum(loss_value), policy_loss=dist.sum(st["policy_loss"]),
                         avg_reward=dist.mean(float(r.mean())), reward_std=dist.mean(float(group_std.mean())),
                         kl=dist.sum(st["kl"]), kl_coeff=kl_coeff,
                         mean_length=dist.mean(float(rollout.lengths.float().mean())),
                         zero_std_fraction=dist.mean(float((group_std < 1e-6).float().mean())),
                         clip_fraction=dist.sum(st["clip_fraction"]), step_seconds=time.perf_counter() - start,
                         generated_tokens=int(dist.sum(int(rollout.lengths.sum()))))


@dataclass
class GrpoRun:
    history: list[GrpoStepStats]   # every step's training statistics
    heldout: list                  # HeldoutScore at step 0, every heldout_every steps and the last (rank 0)


HELDOUT_SEED = 20251205   # the held-out rollouts' sampling seed: the same random numbers at every evaluation


@dataclass
class HeldoutScore:
    step: int                     # after this many updates (0: the warm-start)
    reward: float                 # mean training reward of the held-out replies
    reward_se: float              # its standard error over prompts (prompt means)
    oracle: float | None = None   # mean monitor score (the ground truth on the demo; never in the loss)
    mean_length: float = 0.0


def heldout_score(policy, tok, rows: list[dict], cfg: GrpoConfig, prompt_cfg: PromptConfig, reward_fn: RewardFn,
                  monitor_fn: RewardFn | None, step: int) -> HeldoutScore:
    """The policy on fixed held-out prompts with fixed sampling seeds (common random numbers: two
    evaluations differ only where the policy does), scored by the training reward and the monitor."""
    enc = {k: v.to(device_of(policy)) for k, v in
           encode_prompts(tok, [r["prompt"] for r in rows], prompt_cfg).items()}
    g = cfg.heldout_generations
    rollout = sample_completions(policy, tok, enc, n=g, max_new_tokens=cfg.max_new_tokens,
                                 temperature=cfg.temperature, top_p=cfg.top_p,
                                 prompt_seeds=prompt_seeds(HELDOUT_SEED, 0, len(rows)))
    per_prompt = score_completions(reward_fn, rows, rollout.texts, g).reshape(len(rows), g).mean(1)
    oracle = (None if monitor_fn is None
              else float(np.mean(score_completions(monitor_fn, rows, rollout.texts, g))))
    return HeldoutScore(step=step, reward=float(per_prompt.mean()),
                        reward_se=float(per_prompt.std(ddof=1) / np.sqrt(len(rows))) if len(rows) > 1 else 0.0,
                        oracle=oracle, mean_length=float(rollout.lengths.float().mean()))


def train_grpo(policy, reference, tok, rows: list[dict], cfg: GrpoConfig, prompt_cfg: PromptConfig,
               reward_fn: RewardFn, seed: int, live=None, progress_name: str = "grpo",
               monitor_fn: RewardFn | None = None, poly: PolychromicConfig | None = None, set_rl: bool = False,
               distance_fn: DistanceFn | None = None, dist: Dist = SINGLE,
               heldout_rows: list[dict] | None = None) -> GrpoRun:
    """GRPO over the distinct prompts of ``rows`` (their first row's columns go to ``reward_fn``).

    ``monitor_fn``: a second score of the rollouts (the ground truth on demo data), logged as ``oracle``,
    never in the loss. ``dist``: data parallel over processes; each rank samples and trains on its shard of
    every step's prompts (grpo.prompts_per_step must split evenly); only rank 0 logs (``live``) and reports.
    ``heldout_rows``: fixed held-out prompts scored before step 1, every ``cfg.heldout_every`` steps and after
    the last (``heldout_score``; rank 0 only, logged as heldout/*)."""
    # Dropout off: the ratio and KL must compare the same function, not two dropout masks.
    policy.eval()
    reference.eval()
    for p in reference.parameters():
        p.requires_grad_(False)
    optimizer = torch.optim.AdamW([p for p in policy.parameters() if p.requires_grad], lr=cfg.learning_rate)
    pool = distinct_prompts(rows)
    rng = np.random.default_rng(seed)
    order, cursor = rng.permutation(len(pool)), 0
    kl_coeff = cfg.kl_coeff
    history = []
    progress = Progress(progress_name, cfg.max_steps, stream=None if dist.is_main else io.StringIO())
    heldout = []
    evaluate = heldout_rows is not None and cfg.heldout_every > 0 and dist.is_main

    def score_heldout(step):
        heldout.append(heldout_score(policy, tok, heldout_rows, cfg, prompt_cfg, reward_fn, monitor_fn, step))
        return heldout[-1]

    if evaluate:
        score_heldout(0)
    if live is not None:   # dvclive step = updates done: step 0 is the warm-start (its held-out score)
        for k in ("reward", "reward_se", "oracle"):
            if evaluate and getattr(heldout[0], k) is not None:
                live.log_metric(f"heldout/{k}", getattr(heldout[0], k))
        live.next_step()
    for step in range(1, cfg.max_steps + 1):
        if cursor + cfg.prompts_per_step > len(order):
            order, cursor = rng.permutation(len(pool)), 0
        batch = [pool[i] for i in order[cursor:cursor + cfg.prompts_per_step]]
        cursor += cfg.prompts_per_step
        seeds = prompt_seeds(seed, step, len(batch))
        st = grpo_step(policy, reference, tok, batch, cfg, prompt_cfg, reward_fn, optimizer, kl_coeff, step,
                       monitor_fn, poly, set_rl, distance_fn, seeds, dist)
        history.append(st)
        held = score_heldout(step) if evaluate and (step % cfg.heldout_every == 0 or step == cfg.max_steps) else None
        if live is not None:
            for k, v in asdict(st).items():
                # Wall-clock is kept out of logs/ so that logs (a report dependency) are reproducible.
                # clip_fraction only where the ratio can move (num_iterations > 1); with one it is 1 exactly
                if k not in ("step", "step_seconds") and v is not None and (k != "clip_fraction" or cfg.num_iterations > 1):
                    live.log_metric(f"grpo/{k}", v)
            if held is not None:
                for k in ("reward", "reward_se", "oracle"):
                    if getattr(held, k) is not None:
                        live.log_metric(f"heldout/{k}", getattr(held, k))
            live.next_step()
        extra = {k: v for k, v in (("oracle", st.oracle), ("diversity", st.diversity)) if v is not None}
        progress.update(reward=st.avg_reward, **extra, kl=st.kl, length=st.mean_length, loss=st.loss)
        if not math.isfinite(st.loss):
            raise FloatingPointError(f"GRPO loss became non-finite at step {step}")
        if st.kl > cfg.max_kl:
            raise KLDivergenceError(
                f"GRPO stopped at step {step}: KL to the warm-start reference is {st.kl:.3f} > grpo.max_kl="
                f"{cfg.max_kl}. Lower grpo.learning_rate, raise grpo.kl_coeff or enable grpo.adaptive_kl.")
        if cfg.adaptive_kl.enabled:
            # Proportional controller (Ziegler et al. 2019): move beta towards the target KL.
            error = float(np.clip(st.kl / cfg.adaptive_kl.target - 1.0, -0.2, 0.2))
            kl_coeff *= 1.0 + error / cfg.adaptive_kl.horizon
    return GrpoRun(history, heldout)
