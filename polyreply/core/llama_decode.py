"""The per-token decode step for Llama-family models (SmolLM2 is one), with a preallocated KV cache.

sampling.py runs the prompt prefill through transformers and then, where ``LlamaDecoder.build``
accepts the model, every new token through ``LlamaDecoder.step``: the same layers, ops and dtypes as
transformers' ``LlamaForCausalLM`` (RMSNorm in fp32, RoPE from the model's own rotary module, PEFT's
LoRA rounding), but
- no module calls, hooks, mask builders or cache objects per token, and about half the operator calls
  (one decode step dispatches 69 aten ops a layer here, 128 through transformers + PEFT with LoRA on
  q/k/v/o; counted with a TorchDispatchMode);
- the frozen q/k/v and gate/up weights run as one matmul each (concatenated once per model and kept
  while the weights are unchanged), and LoRA on q/k/v as one A and one block-diagonal B matmul;
- the KV cache is allocated once for prompt + max_new_tokens and written in place (transformers
  concatenates every layer's cache on every token);
- each KV head's query heads attend as one group (no repeated K/V).
A model it does not know (another architecture, biases, 4-bit weights, a LoRA variant such as DoRA,
LoRA on the embeddings or the head, a module in training mode) gets ``None`` from ``build``, and
sampling.py keeps transformers' path. tests/core/test_llama_decode.py holds the two paths to the
same logits and tokens.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass
class Projection:
    """y = x W^T, plus PEFT LoRA when ``lora_a`` is set: (y + ((x.float() A^T) B^T)).to(y.dtype)."""
    weight: torch.Tensor                 # [out, in] frozen base weight (compute dtype)
    lora_a: torch.Tensor | None = None   # [r_total, in] fp32
    lora_b: torch.Tensor | None = None   # [out, r_total] fp32, LoRA scaling folded in

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(x, self.weight)
        if self.lora_a is None:
            return y
        # PEFT: result (bf16) + fp32 LoRA -> fp32 sum -> back to the result's dtype
        return (y + F.linear(F.linear(x.float(), self.lora_a), self.lora_b)).to(y.dtype)


def _linear_parts(module) -> tuple[torch.Tensor, tuple | None] | None:
    """(base weight, (A, B, scaling) or None) of a plain or PEFT-LoRA linear layer; None if unsupported."""
    if type(module) is torch.nn.Linear:
        return (module.weight, None) if module.bias is None else None
    base = getattr(module, "base_layer", None)
    if type(base) is not torch.nn.Linear or base.bias is not None:
        return None
    if getattr(module, "merged", True) or getattr(module, "disable_adapters", True):
        return None
    active = [a for a in module.active_adapters if a in module.lora_A]
    if len(active) > 1 or any(a in getattr(module, "lora_variant", {}) for a in active):
        return None
    if not active:
        return base.weight, None
    a = active[0]
    if module.lora_A[a].weight.dtype != torch.float32:   # PEFT would compute such a LoRA in its own dtype
        return None
    return base.weight, (module.lora_A[a].weight, module.lora_B[a].weight, float(module.scaling[a]))


def fuse(parts: list[tuple[torch.Tensor, tuple | None]], base: torch.Tensor) -> Projection:
    """One projection for several stacked ones (q, k, v): base weights ``base`` (already stacked),
    LoRA A stacked and B block-diagonal (zeros where a projection has no LoRA)."""
    loras = [(w.shape[0], lo) for w, lo in parts]
    if all(lo is None for _, lo in loras):
        return Projection(base)
    a = torch.cat([lo[0] for _, lo in loras if lo is not None]).float()
    b = torch.zeros(sum(n for n, _ in loras), a.shape[0], dtype=torch.float32, device=a.device)
    row = col = 0
    for n, lo in loras:
        if lo is not None:
            r = lo[0].shape[0]
            b[row:row + n, col:col + r] = lo[1].float() * lo[2]   # scaling 2 (alpha 16 / r 8): exact
            col += r
        row += n
    return Projection(base, a, b)


def _weights_key(tensors: list[torch.Tensor]) -> tuple:
    return tuple((t.data_ptr(), t._version) for t in tensors)


def _stacked_base(lm, layers_parts) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per layer (q|k|v, gate|up) base weights, concatenated once and kept on the model while unchanged."""
    tensors = [p[0] for parts in layers_parts for p in parts.values()]
    key = _weights_key(tensors)
    cached = lm.__dict__.get("_polyreply_stacked_weights")
    if cached is not None and cached[0] == key:
        return cached[1]
    stacked = [(torch.cat([parts[n][0] for n in ("q_proj", "k_proj", "v_proj")]),
                torch.cat([parts[n][0] for n in ("gate_proj", "up_proj")])) for parts in layers_parts]
    lm.__dict__["_polyreply_stacked_weights"] = (key, stacked)   # not a parameter, not in state_dict
    return stacked


@dataclass
class Layer:
    ln1: torch.Tensor
    qkv: Projection
    o: Projection
    ln2: torch.Tensor
    gate_up: Projection
    down: Projection


class LlamaDecoder:
    """Decode state for one batch: layers' weights, a KV cache of ``prompt + max_new_tokens`` columns."""

    def __init__(self, lm, layers: list[Layer]):
        cfg = lm.config
        self.lm, self.layers = lm, layers
        self.heads, self.kv_heads = cfg.num_attention_heads, cfg.num_key_value_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        self.eps = cfg.rms_norm_eps
        self.inner = cfg.intermediate_size
        self.embed = lm.model.embed_tokens.weight
        self.final_norm = lm.model.norm.weight
        self.head = lm.lm_head.weight

    @classmethod
    def build(cls, model) -> LlamaDecoder | None:
        """The decoder for ``model`` (a LlamaForCausalLM, plain or under PEFT LoRA), or None if unsupported."""
        lm = model.get_base_model() if hasattr(model, "get_base_model") else model
        cfg = getattr(lm, "config", None)
        if (type(lm).__name__ != "LlamaForCausalLM" or lm.training or getattr(lm, "is_quantized", False)
                or cfg.attention_bias or cfg.mlp_bias or cfg.hidden_act != "silu"
                or getattr(cfg, "pretraining_tp", 1) != 1
                or type(lm.lm_head) is not torch.nn.Linear or type(lm.model.embed_tokens) is not torch.nn.Embedding):
            return None
        layers_parts = []
        for layer in lm.model.layers:
            parts = {}
            for name in PROJECTIONS:
                owner = layer.self_attn if name.endswith(("q_proj", "k_proj", "v_proj", "o_proj")) else layer.mlp
                got = _linear_parts(getattr(owner, name))
                if got is None or got[0].dtype != lm.dtype:
                    return None
                parts[name] = got
            layers_parts.append(parts)
        layers = []
        for parts, (qkv, gate_up) in zip(layers_parts, _stacked_base(lm, layers_parts)):
            layers.append(Layer(
                ln1=None, ln2=None,
                qkv=fuse([parts[n] for n in ("q_proj", "k_proj", "v_proj")], qkv),
                o=fuse([parts["o_proj"]], parts["o_proj"][0]),
                gate_up=fuse([parts[n] for n in ("gate_proj", "up_proj")], gate_up),
                down=fuse([parts["down_proj"]], parts["down_proj"][0])))
        for layer, module in zip(layers, lm.model.layers):
            layer.ln1, layer.ln2 = module.input_layernorm.weight, module.post_attention_layernorm.weight
        return cls(lm, layers)

    def start(self, prefill_cache, reps: int, attention: torch.Tensor, max_new_tokens: int) -> None:
        """Copy the prefill's KV cache (one row per prompt) into ``reps`` rows per prompt with room for
        ``max_new_tokens``; ``attention`` [rows, prompt_len] is the rows' prompt mask."""
        rows, prompt_len = attention.shape
        self.prompt_len = prompt_len
        self.keys, self.values = [], []
        for layer in prefill_cache.layers:
            for store, src in ((self.keys, layer.keys), (self.values, layer.values)):
                buf = src.new_empty(rows, self.kv_heads, prompt_len + max_new_tokens, self.head_dim)
                buf[:, :, :prompt_len] = src.repeat_interleave(reps, dim=0) if reps > 1 else src
                store.append(buf)
        visible = torch.ones(rows, prompt_len + max_new_tokens, dtype=torch.bool, device=attention.device)
        visible[:, :prompt_len] = attention.bool()
        self.visible = visible[:, None, None, :]            # [rows, 1, 1, columns] for SDPA

    def rms(self, h: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """LlamaRMSNorm, op for op (fp32 statistics, result in the input dtype times the weight)."""
        x = h.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return weight * x.to(h.dtype)

    def step(self, token: torch.Tensor, position: torch.Tensor, column: int) -> torch.Tensor:
        """Logits [rows, vocab] (compute dtype) after feeding ``token`` [rows] at RoPE ``position`` [rows]
        into cache column ``prompt_len + column``."""
        rows = token.shape[0]
        heads, kv, d = self.heads, self.kv_heads, self.head_dim
        col = self.prompt_len + column
        h = F.embedding(token, self.embed)
        cos, sin = self.lm.model.rotary_emb(h, position[:, None])      # [rows, 1, d]
        half = d // 2
        mask = self.visible[..., :col + 1]
        for layer, keys, values in zip(self.layers, self.keys, self.values):
            qkv = layer.qkv(self.rms(h, layer.ln1))
            qk = qkv[:, :(heads + kv) * d].view(rows, heads + kv, d)
            rotated = torch.cat((-qk[..., half:], qk[..., :half]), dim=-1)
            qk = qk * cos + rotated * sin
            keys[:, :, col] = qk[:, heads:]
            values[:, :, col] = qkv[:, (heads + kv) * d:].view(rows, kv, d)
            q = qk[:, :heads].reshape(rows, kv, heads // kv, d)   # query head i uses KV head i // group
            att = F.scaled_dot_product_attention(q, keys[:, :, :col + 1], values[:, :, :col + 1], attn_mask=mask)
            h = h + layer.o(att.reshape(rows, heads * d))
            gu = layer.gate_up(self.rms(h, layer.ln2))
            h = h + layer.down(F.silu(gu[:, :self.inner]) * gu[:, self.inner:])
        return F.linear(self.rms(h, self.final_norm), self.head)
