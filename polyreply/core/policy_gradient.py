"""The one core shared by polychromic SFT and GRPO.

Both objectives need (1) batched sampling of n replies per prompt, (2) token-level
log-probs of those replies under the policy *with gradient* and under a frozen
reference, and (3) one advantage per reply. They differ only in how the advantage is
formed (``group_advantages`` for GRPO, ``set_level_advantages`` for polychromic).

Layout used everywhere: ``[left-padded prompt | completion, right-padded]``; every
completion starts at column ``prompt_len``, so supervised replies and sampled replies
go through the same ``completion_logprobs``.
"""
from __future__ import annotations

import itertools
from contextlib import contextmanager

import torch
import torch.nn.functional as F

from .modeling import causal_lm_parts
from .sampling import Rollout, completion_mask_from_ids, sample_completions  # noqa: F401 (the core's API)


def completion_logprobs(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, prompt_len: int,
                        temperature: float = 1.0, group: int = 1) -> torch.Tensor:
    """Log-prob of every completion token in fp32, shape [N, L-P]; carries gradient if enabled.

    The decoder body runs in the model's compute dtype (bf16 where native); the output head and
    log-softmax run in fp32, on the positions that predict completion tokens only, so ratios, KL
    and losses never see bf16-rounded logits (a logit of 20 is only resolved to 0.125 in bf16).
    ``group`` > 1: rows come in runs of ``group`` with one prompt (a rollout's samples), and the prompt
    runs through the body once per run, its KV cache shared by the run's completions (``_shared_prompt_hidden``).
    """
    decoder, head = causal_lm_parts(model)
    with matmul_attention(decoder):
        if group > 1:
            hidden = _shared_prompt_hidden(decoder, input_ids, attention_mask, prompt_len, group)
        else:
            position_ids = (attention_mask.cumsum(-1) - 1).clamp(min=0)
            hidden = decoder(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                             use_cache=False).last_hidden_state[:, prompt_len - 1:-1]  # predicts positions P .. L-1
    if isinstance(head, torch.nn.Linear):
        logits = fp32_logits(hidden, head.weight)
        if head.bias is not None:
            logits = logits + head.bias.float()
    else:  # a wrapped head (e.g. LoRA on lm_head): let it run, then upcast
        logits = head(hidden).float()
    if temperature != 1.0:
        logits = logits / temperature
    targets = input_ids[:, prompt_len:]
    return torch.gather(F.log_softmax(logits, dim=-1), 2, targets.unsqueeze(-1)).squeeze(-1)


def _shared_prompt_hidden(decoder, input_ids, attention_mask, prompt_len: int, group: int) -> torch.Tensor:
    """Hidden states predicting columns P .. L-1, the prompt run once per ``group`` rows.

    GRPO's 16 rows are 4 prompts of ~80 tokens x 4 samples of <= 32: running each prompt once and
    its KV cache (with gradient) under its 4 completions halves the tokens of every log-prob pass.
    The result equals the full pass up to bf16 rounding of different batch shapes (the same
    function; tests/core/test_policy_gradient.py checks values and LoRA gradients)."""
    n = input_ids.shape[0]
    prompts, prompt_mask = input_ids[::group, :prompt_len], attention_mask[::group, :prompt_len]
    if n % group or not (torch.equal(prompts.repeat_interleave(group, 0), input_ids[:, :prompt_len])
                         and torch.equal(prompt_mask.repeat_interleave(group, 0), attention_mask[:, :prompt_len])):
        raise ValueError(f"completion_logprobs(group={group}): rows are not runs of {group} with one prompt")
    positions = (attention_mask.cumsum(-1) - 1).clamp(min=0)
    out = decoder(input_ids=prompts, attention_mask=prompt_mask, position_ids=positions[::group, :prompt_len],
                  use_cache=True)
    cache = out.past_key_values
    cache.batch_repeat_interleave(group)
    last = out.last_hidden_state[:, -1:].repeat_interleave(group, 0)          # predicts column P
    if input_ids.shape[1] == prompt_len + 1:
        return last
    rest = decoder(input_ids=input_ids[:, prompt_len:-1], attention_mask=attention_mask[:, :-1],
                   position_ids=positions[:, prompt_len:-1], past_key_values=cache, use_cache=True).last_hidden_state
    return torch.cat([last, rest], dim=1)                                     # predicts P+1 .. L-1


@contextmanager
def matmul_attention(decoder):
    """Run log-prob passes with the plain matmul ("eager") attention on CPU.

    On CPU the fused SDPA kernel's backward is slow at these lengths (~100 tokens): a LoRA SFT
    step took 1.72 s with it and 1.56 s with matmul attention (BENCHMARKS.md). Policy, reference
    and SFT all score through here, so they share one attention path (KL = 0 at step 0 stays exact);
    sampling keeps SDPA, which is a little faster for one-token decode steps. GPUs keep SDPA.
    """
    config = decoder.config
    if config._attn_implementation != "sdpa" or next(decoder.parameters()).device.type != "cpu":
        yield
        return
    config._attn_implementation = "eager"
    try:
        yield
    finally:
        config._attn_implementation = "sdpa"


@contextmanager
def _bf16_fp32_matmuls():
    """fp32 matmuls computed by oneDNN in bf16 with fp32 accumulation and fp32 output (CPU only)."""
    flags = torch.backends.mkldnn.matmul
    before = flags.fp32_precision
    flags.fp32_precision = "bf16"
    try:
        yield
    finally:
        flags.fp32_precision = before


class _Fp32LogitsOfBf16(torch.autograd.Function):
    """hidden @ W^T for bf16 hidden and W, with fp32 logits, at the bf16 matmul rate.

    Forward: the operands are bf16 values, so their fp32 copies convert back to bf16 losslessly and
    oneDNN's bf16 kernel (fp32 accumulation, fp32 output) gives the fp32 product, up to summation
    order (max error 4e-6 vs 1.5e-6 of the fp32 kernel on 736 x 576 x 49,152; tests/core/test_fast_paths.py)
    at twice its speed. Backward: d hidden = d logits @ W in bf16 -- the body takes its
    gradient in bf16 anyway; W is frozen and gets none.
    """

    @staticmethod
    def forward(ctx, hidden, weight):
        ctx.save_for_backward(weight)
        with _bf16_fp32_matmuls():
            return F.linear(hidden.float(), weight.float())

    @staticmethod
    def backward(ctx, grad_logits):
        (weight,) = ctx.saved_tensors
        return grad_logits.to(weight.dtype) @ weight, None


def fp32_logits(hidden: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """fp32 logits of the output head; the fast bf16-operand kernel where it applies (CPU, bf16, frozen head)."""
    if (hidden.dtype == weight.dtype == torch.bfloat16 and hidden.device.type == "cpu"
            and not weight.requires_grad and hasattr(torch.backends.mkldnn, "matmul")):
        return _Fp32LogitsOfBf16.apply(hidden, weight)
    return F.linear(hidden.float(), weight.float())


def row_slices(n_rows: int, size: int) -> list[slice]:
    """Micro-batches: consecutive row slices of at most ``size`` rows (0 or >= n_rows: one, the whole batch).
    Losses divided by the whole batch's token count and backpropagated slice by slice accumulate the whole
    batch's gradient, with activations held for one slice at a time."""
    if size <= 0 or size >= n_rows:
        return [slice(0, n_rows)]
    return [slice(i, min(i + size, n_rows)) for i in range(0, n_rows, size)]


def trim_padding(input_ids: torch.Tensor, attention_mask: torch.Tensor, prompt_len: int,
                 completion_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int, torch.Tensor]:
    """A micro-batch without the columns that are padding in all its rows: left of the prompts (masked keys,
    positions come from the mask) and right of the completions (causal: no earlier token sees them). Each
    row's log-probs are unchanged; a micro-batch of similar rows stops paying for the batch's longest."""
    left = int((attention_mask[:, :prompt_len].cumsum(1) == 0).sum(1).min())
    used = completion_mask.any(0).nonzero()
    width = int(used.max()) + 1 if len(used) else 1
    return (input_ids[:, left:prompt_len + width], attention_mask[:, left:prompt_len + width], prompt_len - left,
            completion_mask[:, :width])


def accumulation_total(mask: torch.Tensor, global_total: torch.Tensor | None, pieces: int) -> torch.Tensor | None:
    """The divisor of every micro-batch's loss: the batch's completion tokens (``global_total`` over processes;
    None for one process and one piece, where ``masked_mean`` counts its own)."""
    if global_total is not None or pieces == 1:
        return global_total
    return mask.sum().to(torch.float32).clamp(min=1.0)


def masked_mean(x: torch.Tensor, mask: torch.Tensor, total: torch.Tensor | None = None) -> torch.Tensor:
    """Token-level mean; ``total``: the global token count when the batch is sharded over processes."""
    mask = mask.to(x.dtype)
    return (x * mask).sum() / (mask.sum().clamp(min=1.0) if total is None else total)


def group_advantages(rewards: torch.Tensor, *, scale_by_std: bool = True, eps: float = 1e-4,
                     clip: float | None = None) -> torch.Tensor:
    """GRPO advantages (Shao et al. 2024, DeepSeekMath): A_i = (r_i - mean_g r) / (std_g r + eps).

    ``rewards`` is [groups, n]. ``scale_by_std=False`` is Dr. GRPO (Liu et al. 2025), which drops
    the std division that over-weights near-constant groups. A zero-std group gets A = 0.
    """
    centered = rewards - rewards.mean(dim=1, keepdim=True)
    adv = centered / (rewards.std(dim=1, keepdim=True, unbiased=False) + eps) if scale_by_std else centered
    if clip is not None:
        adv = adv.clamp(-clip, clip)
    return adv


def set_level_advantages(quality: torch.Tensor, distance: torch.Tensor, set_size: int, *,
                         normalize: bool = False, eps: float = 1e-4):
    """Set-RL marginal advantages (Hamid et al. 2025, "Polychromic Objectives for RL").

    For the n samples of one prompt, every subset S of ``set_size`` members is scored by the
    polychromic objective
        f(S) = (1/|S| sum_{i in S} r_i) x d(S),   d(S) = mean_{i<j in S} d_ij,   r, d in [0, 1]
    (``quality`` = r, the task reward mapped into [0, 1]; ``distance`` = d_ij; see
    ``polyreply.polychromic`` for how both are built). Baseline b = mean_S f(S); each sample's
    advantage is the mean of f(S) - b over the sets that contain it, so a reply is judged by the
    sets it belongs to. ``normalize`` divides f - b by the std of f over the sets (as GRPO does
    per group), so lambda weighs a unit-scale term. set_size must be < n: with one set the
    spread is zero and the term vanishes (the config refuses it).
    Returns (advantages [n], f over sets [C(n, set_size)]).
    """
    n = quality.shape[0]
    if not 2 <= set_size < n:
        raise ValueError(f"set_size={set_size} must be in [2, n={n}): with one set every advantage is 0")
    sets = list(itertools.combinations(range(n), set_size))
    pairs_in = [list(itertools.combinations(s, 2)) for s in sets]
    f = torch.stack([
        quality[list(s)].mean() * torch.stack([distance[i, j] for i, j in prs]).mean()
        for s, prs in zip(sets, pairs_in)
    ])
    centred = f - f.mean()
    if normalize:
        centred = centred / (f.std(unbiased=False) + eps)
    adv = torch.zeros(n, dtype=f.dtype)
    count = torch.zeros(n, dtype=f.dtype)
    for s, a in zip(sets, centred):
        for i in s:
            adv[i] += a
            count[i] += 1
    return adv / count, f


def policy_gradient_loss(logp: torch.Tensor, old_logp: torch.Tensor, ref_logp: torch.Tensor | None,
                         advantages: torch.Tensor, mask: torch.Tensor, *, clip_eps: float = 0.2,
                         kl_coeff: float = 0.0, token_total: torch.Tensor | None = None) -> tuple[torch.Tensor, dict]:
    """Clipped-ratio policy-gradient loss with per-token k3 KL (token-level mean over the batch).

        rho_t = exp(logp_t - old_logp_t)
        L = mean_t[ -min(rho_t A, clip(rho_t, 1-eps, 1+eps) A) + beta * k3_t ]
        k3_t = exp(ref_t - logp_t) - (ref_t - logp_t) - 1          (Schulman's unbiased, >= 0 KL)

    On-policy (old_logp = logp.detach()) rho = 1 but its gradient is A * grad logp: the
    REINFORCE / score-function estimator. Shapes: logp [N, T], advantages [N].
    ``token_total``: the global token count of a batch sharded over processes: the loss and ``stats``
    are then this shard's share of the global token mean (summed over processes they give it).
    """
    ratio = torch.exp(logp - old_logp)
    adv = advantages.unsqueeze(-1).to(logp.dtype)
    unclipped = ratio * adv
    clipped = torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * adv
    pg = -torch.min(unclipped, clipped)
    per_token = pg
    stats = {}
    if ref_logp is not None:
        delta = ref_logp - logp
        kl = torch.exp(delta) - delta - 1.0
        per_token = per_token + kl_coeff * kl
        stats["kl"] = float(masked_mean(kl.detach(), mask, token_total))
    else:
        stats["kl"] = 0.0
    loss = masked_mean(per_token, mask, token_total)
    with torch.no_grad():
        stats["policy_loss"] = float(masked_mean(pg, mask, token_total))
        stats["clip_fraction"] = float(masked_mean(((ratio - 1).abs() > clip_eps).float(), mask, token_total))
    return loss, stats
