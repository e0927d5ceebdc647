"""The per-token decode step for Llama-family models (SmolLM2 is one), with a preallocated KV cache.

sampling.py runs the prompt prefill through transformers and then, where ``LlamaDecoder.build``
accepts the model, every new token through ``LlamaDecoder.step``: the same layers, ops and dtypes as
transformers' ``LlamaForCausalLM`` (RMSNorm in fp32, RoPE from the model's own rotary module, PEFT's
LoRA rounding), but
- no module calls, hooks, mask builders or cache objects per token, and about half the operator calls
  (one decode step dispatches 69 aten ops a layer here, 128 through transformers + PEFT with LoRA on
  q/k/v/o; counted with a TorchDispatchMode);
- the frozen q/k/v and gate/up weights run as one matmul each, and in bf16 on CPU every frozen weight
  is packed once into oneDNN's layout (``frozen_linear``: bit-identical, ~2x faster at 4-16 rows), kept
  on the model while the weights are unchanged (LoRA stays per layer, as PEFT computes it);
- the KV cache is allocated once for prompt + max_new_tokens and written in place (transformers
  concatenates every layer's cache on every token);
- attention calls SDPA as transformers does for one query token (grouped KV heads, never repeated).
A model it does not know (another architecture, biases, 4-bit weights, a LoRA variant such as DoRA,
LoRA on the embeddings or the head, a module in training mode) gets ``None`` from ``build``, and
sampling.py keeps transformers' path. tests/core/test_llama_decode.py holds the two paths to the
same logits and tokens.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def packs_weights(weight: torch.Tensor) -> bool:
    """bf16 weights on a CPU with oneDNN: kept in oneDNN's own blocked layout for decoding."""
    return weight.dtype == torch.bfloat16 and weight.device.type == "cpu" and torch.backends.mkldnn.is_available()


def frozen_linear(weight: torch.Tensor):
    """x -> x W^T for a frozen weight; in bf16 on CPU with the weight packed once into oneDNN's layout.

    A small-batch bf16 F.linear repacks W on every call: at 16 rows one step's matmuls took 26 ms, packed
    ~2x less, with bit-identical results at any row count (checked 1-1,000 rows; test_llama_decode.py)."""
    if not packs_weights(weight):
        return lambda x: F.linear(x, weight)
    packed = torch.ops.mkldnn._reorder_linear_weight(weight)
    return lambda x: torch.ops.mkldnn._linear_pointwise(x, packed, None, "none", [], "")


@dataclass
class Projection:
    """One or several stacked linear layers (q|k|v): ``base`` their frozen matmul, ``loras`` per layer
    (column slice, A fp32, B fp32 times the LoRA scaling) where it has a LoRA.

    Each LoRA is computed as PEFT does, layer by layer: (y + (x.float() A^T) B^T s).to(y.dtype). A
    stacked A and block-diagonal B would save matmuls but sum in another order: its tokens differed from
    PEFT's after a few steps in a test."""
    base: object
    loras: list[tuple[slice, torch.Tensor, torch.Tensor]]
    all_columns: bool = False   # the LoRAs cover every column, in order: one cat instead of slices

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        y = self.base(x)
        if not self.loras:
            return y
        xf = x.float()
        if self.all_columns:
            lora = torch.cat([F.linear(F.linear(xf, a), b) for _, a, b in self.loras], dim=-1)
            return (y + lora).to(y.dtype)
        for cols, a, b in self.loras:
            y[:, cols] = (y[:, cols] + F.linear(F.linear(xf, a), b)).to(y.dtype)
        return y


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
    if math.frexp(float(module.scaling[a]))[0] != 0.5:   # not a power of two (alpha/r = 16/8 = 2 is):
        return None                                     # folding it into B would round differently
    return base.weight, (module.lora_A[a].weight, module.lora_B[a].weight, float(module.scaling[a]))


def fuse(parts: list[tuple[torch.Tensor, tuple | None]], base) -> Projection:
    """The projection of stacked layers ``parts`` (their (weight, LoRA) in order) over ``base``."""
    loras, start = [], 0
    for weight, lora in parts:
        n = weight.shape[0]
        if lora is not None:
            a, b, scaling = lora
            loras.append((slice(start, start + n), a, b * scaling))   # scaling 2^k: exact (_linear_parts)
        start += n
    return Projection(base, loras, all_columns=len(loras) == len(parts))


def _weights_key(tensors: list[torch.Tensor]) -> tuple:
    return tuple((t.data_ptr(), t._version) for t in tensors)


def _frozen_base(lm, layers_parts) -> tuple[list[dict], object]:
    """Per layer the base matmuls {qkv, o, gate_up, down} (q|k|v and gate|up stacked) and the head's,
    built once and kept on the model while its weights are unchanged (the key: pointers and versions)."""
    tensors = [p[0] for parts in layers_parts for p in parts.values()] + [lm.lm_head.weight]
    key = _weights_key(tensors)
    cached = lm.__dict__.get("_polyreply_frozen_base")
    if cached is not None and cached[0] == key:
        return cached[1]
    layers = [{"qkv": frozen_linear(torch.cat([parts[n][0] for n in ("q_proj", "k_proj", "v_proj")])),
               "o": frozen_linear(parts["o_proj"][0]),
               "gate_up": frozen_linear(torch.cat([parts[n][0] for n in ("gate_proj", "up_proj")])),
               "down": frozen_linear(parts["down_proj"][0])} for parts in layers_parts]
    built = (layers, frozen_linear(lm.lm_head.weight))
    lm.__dict__["_polyreply_frozen_base"] = (key, built)   # not a parameter, not in state_dict
    return built


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

    def __init__(self, lm, layers: list[Layer], head):
        cfg = lm.config
        self.lm, self.layers, self.head = lm, layers, head
        self.heads, self.kv_heads = cfg.num_attention_heads, cfg.num_key_value_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        self.eps = cfg.rms_norm_eps
        self.inner = cfg.intermediate_size
        self.embed = lm.model.embed_tokens.weight
        self.final_norm = lm.model.norm.weight

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
        base, head = _frozen_base(lm, layers_parts)
        layers = [Layer(ln1=module.input_layernorm.weight, ln2=module.post_attention_layernorm.weight,
                        qkv=fuse([parts[n] for n in ("q_proj", "k_proj", "v_proj")], b["qkv"]),
                        o=fuse([parts["o_proj"]], b["o"]),
                        gate_up=fuse([parts[n] for n in ("gate_proj", "up_proj")], b["gate_up"]),
                        down=fuse([parts["down_proj"]], b["down"]))
                  for parts, b, module in zip(layers_parts, base, lm.model.layers)]
        return cls(lm, layers, head)

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
        # [rows, 1, 1, columns] for SDPA; without padding no mask, as transformers (another SDPA kernel)
        self.visible = None if bool(visible.all()) else visible[:, None, None, :]

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
        mask = None if self.visible is None else self.visible[..., :col + 1]
        for layer, keys, values in zip(self.layers, self.keys, self.values):
            qkv = layer.qkv(self.rms(h, layer.ln1))
            qk = qkv[:, :(heads + kv) * d].view(rows, heads + kv, d)
            rotated = torch.cat((-qk[..., half:], qk[..., :half]), dim=-1)
            qk = qk * cos + rotated * sin
            keys[:, :, col] = qk[:, heads:]
            values[:, :, col] = qkv[:, (heads + kv) * d:].view(rows, kv, d)
            k_seen, v_seen = keys[:, :, :col + 1], values[:, :, :col + 1]
            if mask is None:   # transformers' two SDPA calls (sum orders differ in fp32): enable_gqa without a mask,
                att = F.scaled_dot_product_attention(qk[:, :heads, None], k_seen, v_seen, enable_gqa=True)
            else:              # else each KV head's query heads as one group (query head i uses KV head i // group)
                q = qk[:, :heads].reshape(rows, kv, heads // kv, d)
                att = F.scaled_dot_product_attention(q, k_seen, v_seen, attn_mask=mask)
            h = h + layer.o(att.reshape(rows, heads * d))
            gu = layer.gate_up(self.rms(h, layer.ln2))
            h = h + layer.down(F.silu(gu[:, :self.inner]) * gu[:, self.inner:])
        return self.head(self.rms(h, self.final_norm))
