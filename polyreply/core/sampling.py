"""Batched sampling of n replies per prompt: one KV-cached decode loop for every caller.

Evaluation, GRPO rollouts and polychromic SFT all sample here. Compared with calling
``model.generate`` once for the samples and again for the greedy reply, the loop
- runs the prompt prefill once per prompt and copies its KV cache to the n (+1 greedy) rows;
- decodes sampled and greedy rows in the same batch (a greedy row takes the argmax);
- applies nucleus (top-p) filtering on the top 256 tokens, then on the top 4,096 for rows those do
  not cover, and sorts the whole vocabulary only for rows still not covered: exact nucleus sampling;
- stops as soon as every row has produced EOS.
Randomness comes from torch's global generator, so ``seed`` (or ``seed_everything``) fixes the output;
with ``prompt_seeds`` each row draws from its own stream instead (seeded by its prompt and row), so
a prompt's replies do not depend on which other prompts share the batch (the training stages shard
prompts over processes: polyreply/distributed.py).

Layout: ``[left-padded prompt | completion, right-padded]``; every completion starts at column
``prompt_len`` (see ``policy_gradient.completion_logprobs``).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .llama_decode import LlamaDecoder

NUCLEUS_CANDIDATES = (256, 4096)   # top-k tiers tried before a full sort (see nucleus_sample)


@dataclass
class Rollout:
    input_ids: torch.Tensor        # [N, L] prompt + completion
    attention_mask: torch.Tensor   # [N, L]
    completion_mask: torch.Tensor  # [N, L-P] 1 for completion tokens up to and including EOS
    prompt_len: int
    texts: list[str]               # decoded completions, N = prompts * rows per prompt

    @property
    def completion_ids(self) -> torch.Tensor:
        return self.input_ids[:, self.prompt_len:]

    @property
    def lengths(self) -> torch.Tensor:
        return self.completion_mask.sum(-1)


def completion_mask_from_ids(completion_ids: torch.Tensor, eos_token_id: int) -> torch.Tensor:
    """1 up to and including the first EOS; 0 after (pad may equal EOS, as in SmolLM2)."""
    is_eos = completion_ids == eos_token_id
    seen_before = torch.cumsum(is_eos.long(), dim=-1) - is_eos.long()
    return (seen_before == 0).long()


def _draw_from_sorted(vals: torch.Tensor, idx: torch.Tensor, top_p: float,
                      uniforms: torch.Tensor | None = None) -> torch.Tensor:
    """Inverse-CDF draw from the nucleus of rows sorted by descending probability.

    ``uniforms`` [R]: the row's U(0, 1) draws (else drawn here from the global generator)."""
    keep = (vals.cumsum(-1) - vals) < top_p
    cdf = (vals * keep).cumsum(-1)
    if uniforms is None:
        uniforms = torch.rand(vals.shape[0], device=vals.device, dtype=cdf.dtype)
    u = uniforms.to(device=vals.device, dtype=cdf.dtype)[:, None] * cdf[:, -1:]
    choice = torch.searchsorted(cdf, u, right=True).clamp(max=vals.shape[-1] - 1)
    return idx.gather(-1, choice).squeeze(-1)


def nucleus_sample(probs: torch.Tensor, top_p: float, candidates: int | tuple[int, ...] = NUCLEUS_CANDIDATES,
                   uniforms: torch.Tensor | None = None) -> torch.Tensor:
    """One token per row from the smallest set of most probable tokens whose mass reaches top_p.

    A token is kept when the mass of the tokens ranked above it is < top_p (so the top token is
    always kept). ``probs`` [R, V] sums to 1 per row; returns token ids [R]. Rows whose top
    ``candidates[0]`` tokens already hold top_p are drawn from those; the others (flat rows) try the
    next tier, and only rows no tier covers pay for a sort of the whole vocabulary (on SmolLM2 at
    T = 0.9 about 14% of rows are flat at 256; their full sort was ~10% of an evaluation decode step).
    """
    tiers = (candidates,) if isinstance(candidates, int) else tuple(candidates)
    k = min(tiers[0], probs.shape[-1]) if top_p < 1.0 and tiers else probs.shape[-1]
    if k == probs.shape[-1]:
        vals, idx = probs.sort(dim=-1, descending=True)
        return _draw_from_sorted(vals, idx, top_p, uniforms)
    vals, idx = probs.topk(k, dim=-1)
    flat = vals.sum(-1) < top_p
    if not bool(flat.any()):
        return _draw_from_sorted(vals, idx, top_p, uniforms)
    part = (lambda rows: None) if uniforms is None else (lambda rows: uniforms[rows])  # noqa: E731
    out = torch.empty(probs.shape[0], dtype=torch.long, device=probs.device)
    out[~flat] = _draw_from_sorted(vals[~flat], idx[~flat], top_p, part(~flat.cpu()))
    out[flat] = nucleus_sample(probs[flat], top_p, tiers[1:], part(flat.cpu()))
    return out


def choose_tokens(logits: torch.Tensor, greedy_rows: torch.Tensor, temperature: float, top_p: float,
                  uniforms: torch.Tensor | None = None) -> torch.Tensor:
    """Argmax for greedy rows, nucleus sampling at ``temperature`` for the others. logits [R, V] fp32."""
    any_greedy = bool(greedy_rows.any())
    if any_greedy and bool(greedy_rows.all()):
        return logits.argmax(-1)
    scaled = logits if temperature == 1.0 else logits / temperature   # x / 1.0 is x: skip the copy
    sampled = nucleus_sample(torch.softmax(scaled, dim=-1), top_p, uniforms=uniforms)
    return torch.where(greedy_rows, logits.argmax(-1), sampled) if any_greedy else sampled


@torch.no_grad()
def sample_completions(model, tok, prompt_batch: dict, *, n: int, max_new_tokens: int,
                       temperature: float = 1.0, top_p: float = 1.0, greedy: bool = False,
                       with_greedy: bool = False, seed: int | None = None,
                       prompt_seeds: list[int] | None = None, lean: bool = True) -> Rollout:
    """Sample ``n`` completions per prompt in one batched decode loop (never a per-sample loop).

    ``greedy``: one greedy completion per prompt instead. ``with_greedy``: n sampled rows and then
    one greedy row per prompt, decoded together. Rows are ordered prompt by prompt.
    ``prompt_seeds`` (one per prompt): row j of prompt i draws its t-th token from the t-th value
    of its own generator seeded (prompt_seeds[i], j), whatever else is in the batch.
    ``lean``: decode with ``LlamaDecoder`` where it supports the model (else, or with False, transformers).
    """
    was_training = model.training
    model.eval()
    if seed is not None:
        torch.manual_seed(seed)
    prompt_ids, prompt_mask = prompt_batch["input_ids"], prompt_batch["attention_mask"]
    reps = 1 if greedy else n + int(with_greedy)
    greedy_rows = torch.tensor([greedy or (with_greedy and j == n) for j in range(reps)],
                               device=prompt_ids.device).repeat(prompt_ids.shape[0])
    row_streams = None
    if prompt_seeds is not None:
        if len(prompt_seeds) != prompt_ids.shape[0]:
            raise ValueError(f"prompt_seeds: {len(prompt_seeds)} seeds for {prompt_ids.shape[0]} prompts")
        row_streams = [torch.Generator().manual_seed(int(s) * 1000 + j) for s in prompt_seeds for j in range(reps)]
    try:
        # inference mode: no version counters or autograd keys on the ~2,000 small ops of a token step
        # (16 rows: 34.1 -> 32.5 ms a step); tensors made from its outputs out here are ordinary again
        with torch.inference_mode():
            steps = _decode(model, prompt_ids, prompt_mask, reps, greedy_rows, row_streams, max_new_tokens,
                            temperature, top_p, lean, tok.eos_token_id, tok.pad_token_id)
    finally:
        if was_training:
            model.train()
    eos, pad = tok.eos_token_id, tok.pad_token_id
    rows = prompt_ids.shape[0] * reps
    completion = torch.stack(steps, dim=1) if steps else torch.full((rows, 1), eos, device=prompt_ids.device)
    cmask = completion_mask_from_ids(completion, eos)
    texts = tok.batch_decode(completion * cmask + pad * (1 - cmask), skip_special_tokens=True)
    return Rollout(input_ids=torch.cat([prompt_ids.repeat_interleave(reps, dim=0), completion], dim=1),
                   attention_mask=torch.cat([prompt_mask.repeat_interleave(reps, dim=0), cmask], dim=1),
                   completion_mask=cmask, prompt_len=prompt_ids.shape[1], texts=[t.strip() for t in texts])


def prefill(model, ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor):
    """(KV cache, logits [prompts, vocab]) of the prompts' last column, with the same bits as transformers'
    ``model(..., logits_to_keep=1)``.

    That call feeds the head a [prompts, 1, hidden] view of the last column, and torch's matmul then
    copies the head's weight once per prompt (bmm over an expanded [prompts, hidden, vocab]): 226 MB at 4
    prompts, 270 of the prefill's 340 ms on SmolLM2 (1,185 ms at 16 prompts). The model body, then the head
    on the 2-D last column, gives the same logits (test_sampling.py) in 112 ms (273 ms at 16)."""
    lm = model.get_base_model() if hasattr(model, "get_base_model") else model
    body = lm.get_decoder() if hasattr(lm, "get_decoder") else None
    head = lm.get_output_embeddings()
    if body is None or body is lm or head is None:   # not a body + head model: transformers' own call
        out = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, logits_to_keep=1)
        return out.past_key_values, out.logits[:, -1]
    out = body(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True)
    return out.past_key_values, head(out.last_hidden_state[:, -1])


def _decode(model, prompt_ids, prompt_mask, reps, greedy_rows, row_streams, max_new_tokens, temperature, top_p,
            lean, eos, pad) -> list[torch.Tensor]:
    """The decode loop: prefill once per prompt, then one token per row per step until all rows ended."""
    positions = (prompt_mask.cumsum(-1) - 1).clamp(min=0)
    cache, logits = prefill(model, prompt_ids, prompt_mask, positions)
    logits = logits.float().repeat_interleave(reps, dim=0)
    attention = prompt_mask.repeat_interleave(reps, dim=0)
    decoder = LlamaDecoder.build(model) if lean and max_new_tokens > 1 else None
    if decoder is not None:
        decoder.start(cache, reps, attention, max_new_tokens)
        del cache
    elif reps > 1:
        cache.batch_repeat_interleave(reps)
    next_position = positions[:, -1:].repeat_interleave(reps, dim=0) + 1
    finished = torch.zeros(attention.shape[0], dtype=torch.bool, device=attention.device)
    steps = []
    for step in range(max_new_tokens):
        uniforms = None if row_streams is None else torch.cat([torch.rand(1, generator=g) for g in row_streams])
        token = torch.where(finished, torch.full_like(finished, pad, dtype=torch.long),
                            choose_tokens(logits, greedy_rows, temperature, top_p, uniforms))
        steps.append(token)
        finished |= token == eos
        if bool(finished.all()) or step == max_new_tokens - 1:
            break
        if decoder is not None:
            logits = decoder.step(token, next_position[:, 0], step).float()
        else:
            attention = torch.cat([attention, torch.ones_like(attention[:, :1])], dim=1)
            out = model(input_ids=token[:, None], attention_mask=attention, position_ids=next_position,
                        past_key_values=cache, use_cache=True)
            logits = out.logits[:, -1].float()
        next_position = next_position + 1
    return steps
