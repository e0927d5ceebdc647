"""Issue 12's second round of CPU speed-ups, each checked against the slow path it replaces.

- fp32 logits from bf16 operands at the bf16 matmul rate (``policy_gradient.fp32_logits``);
- matmul ("eager") attention for log-prob passes, SDPA kept for sampling (``matmul_attention``);
- LoRA dropout from 16-bit random slices (``modeling.SixteenBitDropout``);
- tiered top-k nucleus sampling (``sampling.nucleus_sample``);
- glibc's allocator kept from unmapping freed blocks (``polyreply.keep_freed_memory``).
"""
import copy
import platform

import pytest
import torch
import torch.nn.functional as F

import polyreply
from polyreply.core.config import LoraConfigParams, PromptConfig
from polyreply.core.modeling import SixteenBitDropout, add_lora
from polyreply.core.policy_gradient import completion_logprobs, fp32_logits, matmul_attention
from polyreply.core.sampling import _draw_from_sorted, nucleus_sample
from polyreply.core.training import supervised_batch

bf16_kernel = pytest.mark.skipif(not hasattr(torch.backends.mkldnn, "matmul"), reason="needs oneDNN matmul flags")


@bf16_kernel
def test_fp32_logits_of_bf16_operands_equal_the_fp32_product_and_its_gradient():
    torch.manual_seed(0)
    hidden = torch.randn(3, 40, 64).bfloat16().requires_grad_()
    weight = (torch.randn(5000, 64) * 0.1).bfloat16()
    fast = fp32_logits(hidden, weight)
    exact = F.linear(hidden.double(), weight.double())
    assert fast.dtype == torch.float32
    # fp32 accumulation of exact bf16 products: fp32-level error, not bf16 rounding (~0.4% of |logit|)
    assert (fast.double() - exact).abs().max() < 1e-5
    assert not torch.equal(fast.bfloat16().float(), fast)   # not bf16-rounded logits
    grad_out = torch.randn_like(fast)
    (fast * grad_out).sum().backward()
    reference = (grad_out.double() @ weight.double())
    assert hidden.grad.dtype == torch.bfloat16
    rel = (hidden.grad.double() - reference).norm() / reference.norm()
    assert rel < 1e-2   # d hidden in bf16, as the bf16 body takes it


@bf16_kernel
def test_fp32_logits_leave_the_oneDNN_flag_as_found():
    before = torch.backends.mkldnn.matmul.fp32_precision
    fp32_logits(torch.randn(2, 8).bfloat16(), torch.randn(16, 8).bfloat16())
    assert torch.backends.mkldnn.matmul.fp32_precision == before


def test_logprob_passes_use_matmul_attention_and_restore_sdpa(tiny_lm):
    base, tok = tiny_lm
    model = copy.deepcopy(base).eval()
    model.config._attn_implementation = "sdpa"
    seen = []
    layer = model.model.layers[0].self_attn
    hook = layer.register_forward_pre_hook(lambda m, a: seen.append(m.config._attn_implementation))
    batch = supervised_batch(tok, ["Rain all week again"], ["Perfect weather for reading"], PromptConfig(), 12, "cpu")
    with torch.no_grad():
        eager = completion_logprobs(model, batch["input_ids"], batch["attention_mask"], batch["prompt_len"])
        with pytest.raises(RuntimeError):
            with matmul_attention(model.model):
                raise RuntimeError("boom")
        assert model.config._attn_implementation == "sdpa"
        decoder = model.model
        pos = (batch["attention_mask"].cumsum(-1) - 1).clamp(min=0)
        sdpa_hidden = decoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                              position_ids=pos).last_hidden_state
    hook.remove()
    assert seen[0] == "eager" and seen[-1] == "sdpa" and model.config._attn_implementation == "sdpa"
    logits = F.linear(sdpa_hidden[:, batch["prompt_len"] - 1:-1].float(), model.lm_head.weight.float())
    targets = batch["input_ids"][:, batch["prompt_len"]:]
    via_sdpa = torch.gather(F.log_softmax(logits, -1), 2, targets.unsqueeze(-1)).squeeze(-1)
    assert torch.allclose(eager, via_sdpa, atol=1e-4)   # same function, another kernel


def test_sixteen_bit_dropout_rate_scale_gradient_and_eval():
    drop = SixteenBitDropout(0.05).train()
    assert drop.p == round(0.05 * 65536) / 65536 and abs(drop.p - 0.05) < 2 ** -16
    torch.manual_seed(0)
    x = torch.ones(400_000, requires_grad=True)
    y = drop(x)
    dropped = (y == 0).double().mean().item()
    se = (drop.p * (1 - drop.p) / x.numel()) ** 0.5
    assert abs(dropped - drop.p) < 4 * se
    assert torch.allclose(y[y != 0], torch.tensor(1.0 / (1.0 - drop.p)))
    y.sum().backward()
    assert torch.equal(x.grad == 0, y == 0)                       # no gradient through dropped inputs
    assert torch.allclose(x.grad[y != 0], torch.tensor(1.0 / (1.0 - drop.p)))
    assert drop.eval()(x) is x and SixteenBitDropout(0.0).train()(x) is x
    # a mean-preserving mask: E[y] = x
    assert abs(y.detach().mean().item() - 1.0) < 4 * (drop.p / (1 - drop.p) / x.numel()) ** 0.5 * 1.5


def test_add_lora_uses_the_fast_dropout(tiny_lm):
    base, _ = tiny_lm
    model = add_lora(copy.deepcopy(base), LoraConfigParams(r=4, dropout=0.1))
    drops = [m for m in model.modules() if isinstance(m, SixteenBitDropout)]
    assert drops and not any(isinstance(m, torch.nn.Dropout) for m in model.modules())
    assert all(abs(d.p - 0.1) < 2 ** -16 for d in drops)


def test_tiered_nucleus_equals_a_full_sort_draw_with_the_same_uniforms():
    torch.manual_seed(1)
    vocab = 200
    def spread(mass, over):   # `mass` on `over` tokens with distinct probabilities, the rest flat
        head = torch.linspace(2.0, 1.0, over)
        row = torch.full((vocab,), (1.0 - mass) / (vocab - over))
        row[:over] = mass * head / head.sum()
        return row[torch.randperm(vocab)]
    peaked = spread(0.95, 4)     # covered by the first tier
    middle = spread(0.95, 40)    # needs the second tier
    flat = spread(0.5, 150)      # needs the full sort
    probs = torch.stack([peaked, middle, flat] * 50)
    tiers = (8, 64)
    top8 = probs.topk(8, -1).values.sum(-1)
    top64 = probs.topk(64, -1).values.sum(-1)
    assert top8[0] >= 0.9 > top8[1] and top64[1] >= 0.9 > top64[2]   # each branch is taken
    uniforms = torch.rand(probs.shape[0])
    vals, idx = probs.sort(dim=-1, descending=True)
    full = _draw_from_sorted(vals, idx, 0.9, uniforms)
    assert torch.equal(nucleus_sample(probs, 0.9, candidates=tiers, uniforms=uniforms), full)


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_the_allocator_keeps_freed_memory_on_glibc():
    assert polyreply.keep_freed_memory() is True
