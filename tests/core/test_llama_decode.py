"""The lean decode step (core/llama_decode.py) against transformers' forward it replaces."""
import pytest
import torch
import torch.nn.functional as F

from polyreply.core.config import BaseModelConfig, LoraConfigParams, PromptConfig
from polyreply.core.llama_decode import LlamaDecoder
from polyreply.core.modeling import add_lora, build_base_model
from polyreply.core.prompts import encode_prompts
from polyreply.core.sampling import sample_completions

PROMPTS = ["Just planted my first tomatoes of the season!",
           "Big news: our small bakery opens a second shop downtown next month, come by and say hi",
           "ok"]


def tiny_policy(dtype: torch.dtype, targets: tuple[str, ...] | None):
    """A 3-layer Llama with grouped KV heads (4 query heads on 2), LoRA with non-zero B where asked."""
    model, tok = build_base_model(BaseModelConfig(source="tiny", tiny_hidden_size=64, tiny_layers=3, tiny_seed=3))
    model = model.to(dtype)
    if targets is not None:
        model = add_lora(model, LoraConfigParams(r=4, alpha=8, dropout=0.05, target_modules=list(targets)))
        torch.manual_seed(1)
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.data.normal_(0, 0.5)   # PEFT starts B at zero: make the adapter change the output
    return model.eval(), tok


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
@pytest.mark.parametrize("targets", [None, ("q_proj", "k_proj", "v_proj", "o_proj"),
                                     ("q_proj", "v_proj", "gate_proj", "up_proj", "down_proj")])
def test_lean_decode_writes_the_same_tokens_as_transformers(dtype, targets):
    model, tok = tiny_policy(dtype, targets)
    assert LlamaDecoder.build(model) is not None
    enc = encode_prompts(tok, PROMPTS, PromptConfig())
    kwargs = dict(n=4, max_new_tokens=12, temperature=1.0, top_p=0.95, with_greedy=True, prompt_seeds=[5, 6, 7])
    lean = sample_completions(model, tok, enc, lean=True, **kwargs)
    slow = sample_completions(model, tok, enc, lean=False, **kwargs)
    assert lean.completion_ids.shape == (15, 12)   # 3 prompts x (4 samples + greedy), never stopped early
    assert torch.equal(lean.completion_ids, slow.completion_ids), (lean.texts, slow.texts)
    one = encode_prompts(tok, PROMPTS[1:2], PromptConfig())     # no padding: transformers drops the mask
    kwargs["prompt_seeds"] = [5]
    assert torch.equal(sample_completions(model, tok, one, lean=True, **kwargs).completion_ids,
                       sample_completions(model, tok, one, lean=False, **kwargs).completion_ids)


def test_lean_decode_logits_equal_transformers_step_by_step():
    """Teacher-forced: the same tokens fed to both paths give the same logits at every step."""
    model, tok = tiny_policy(torch.bfloat16, ("q_proj", "k_proj", "v_proj", "o_proj"))
    enc = encode_prompts(tok, PROMPTS, PromptConfig())
    ids, mask = enc["input_ids"], enc["attention_mask"]
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True)
        decoder = LlamaDecoder.build(model)
        decoder.start(out.past_key_values, 1, mask, 6)
        cache, attention, position = out.past_key_values, mask, positions[:, -1] + 1
        torch.manual_seed(0)
        for step in range(5):
            token = torch.randint(0, len(tok), (3,))
            lean = decoder.step(token, position, step)
            attention = torch.cat([attention, torch.ones_like(attention[:, :1])], dim=1)
            slow = model(input_ids=token[:, None], attention_mask=attention, position_ids=position[:, None],
                         past_key_values=cache, use_cache=True).logits[:, -1]
            assert lean.dtype == slow.dtype == torch.bfloat16
            assert torch.equal(lean, slow), (step, (lean.float() - slow.float()).abs().max())
            position = position + 1


def test_unsupported_models_keep_the_transformers_path():
    model, _ = tiny_policy(torch.float32, ("q_proj", "v_proj"))
    assert LlamaDecoder.build(model.train()) is None           # dropout would act: not a sampling model
    dora, _ = build_base_model(BaseModelConfig(source="tiny", tiny_hidden_size=64, tiny_layers=2))
    from peft import LoraConfig, get_peft_model
    dora = get_peft_model(dora, LoraConfig(r=4, target_modules=["q_proj"], use_dora=True)).eval()
    assert LlamaDecoder.build(dora) is None                    # a LoRA variant it does not compute


def test_frozen_base_matmuls_are_rebuilt_when_the_weights_change():
    model, _ = tiny_policy(torch.bfloat16, None)
    attn = model.model.layers[0].self_attn
    x = torch.randn(5, 64).bfloat16()
    stacked = lambda: torch.cat([attn.q_proj.weight, attn.k_proj.weight, attn.v_proj.weight])  # noqa: E731
    first = LlamaDecoder.build(model)
    assert torch.equal(first.layers[0].qkv(x), F.linear(x, stacked()))   # packed in bf16: bit-identical
    assert LlamaDecoder.build(model).layers[0].qkv.base is first.layers[0].qkv.base   # kept while unchanged
    with torch.no_grad():
        attn.k_proj.weight.add_(1.0)
    again = LlamaDecoder.build(model).layers[0].qkv
    assert again.base is not first.layers[0].qkv.base and torch.equal(again(x), F.linear(x, stacked()))


def test_lean_decode_writes_the_same_tokens_as_transformers_on_the_default_model():
    """SmolLM2-135M in bf16 under an acting fp32 LoRA, as GRPO samples it (30 layers, 9 heads on 3 KV heads)."""
    model, tok = build_base_model(BaseModelConfig(dtype="float32"))
    model = add_lora(model.to(torch.bfloat16), LoraConfigParams(r=8, alpha=16, dropout=0.05,
                                                                 target_modules=["q_proj", "k_proj", "v_proj", "o_proj"]))
    torch.manual_seed(0)
    for name, p in model.named_parameters():
        if "lora_B" in name:
            p.data.normal_(0, 0.02)
    enc = encode_prompts(tok, PROMPTS[:2], PromptConfig())
    kwargs = dict(n=4, max_new_tokens=16, temperature=0.9, top_p=1.0, with_greedy=True, prompt_seeds=[1, 2])
    lean = sample_completions(model.eval(), tok, enc, lean=True, **kwargs)
    slow = sample_completions(model, tok, enc, lean=False, **kwargs)
    assert torch.equal(lean.completion_ids, slow.completion_ids), (lean.texts, slow.texts)
