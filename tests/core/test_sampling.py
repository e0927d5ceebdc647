"""The shared decode loop: exact nucleus sampling, greedy rows equal to HF greedy decoding, seeds."""
import pytest
import torch

from polyreply.core.config import BaseModelConfig, PromptConfig
from polyreply.core.modeling import build_base_model
from polyreply.core.prompts import encode_prompts
from polyreply.core.sampling import completion_mask_from_ids, nucleus_sample, sample_completions


def reference_nucleus(p: torch.Tensor, top_p: float) -> set[int]:
    vals, idx = p.sort(descending=True)
    keep = (vals.cumsum(0) - vals) < top_p
    return set(idx[keep].tolist())


def test_nucleus_sample_stays_in_the_nucleus_with_the_right_frequencies():
    torch.manual_seed(0)
    # by hand: with top_p 0.7 the nucleus of [0.5, 0.3, 0.15, 0.05] is {0, 1}, drawn 5:3
    draws = nucleus_sample(torch.tensor([[0.5, 0.3, 0.15, 0.05]]).repeat(8000, 1), 0.7)
    assert set(draws.tolist()) == {0, 1}
    assert abs(float((draws == 0).float().mean()) - 0.625) < 0.02
    peaked = torch.softmax(torch.randn(1000) * 4, 0)
    flat = torch.full((1000,), 1e-3)  # 256 candidates cover 26% < top_p: the full-sort fallback
    for probs in (peaked, flat):
        nucleus = reference_nucleus(probs, 0.9)
        draws = nucleus_sample(probs.repeat(8000, 1), 0.9)
        assert set(draws.tolist()) <= nucleus
        assert len(set(draws.tolist())) > 0.6 * min(len(nucleus), 8000)
        top = int(probs.argmax())
        expected = float(probs[top] / probs[list(nucleus)].sum())
        assert abs(float((draws == top).float().mean()) - expected) < 0.02
    # top_p = 1 is plain sampling over the whole vocabulary
    assert nucleus_sample(peaked[None], 1.0).shape == (1,)


def test_completion_mask_stops_after_first_eos():
    ids = torch.tensor([[5, 6, 2, 2, 2], [5, 2, 7, 2, 2], [5, 6, 7, 8, 9]])
    assert completion_mask_from_ids(ids, 2).tolist() == [[1, 1, 1, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 1, 1]]


def test_greedy_rows_match_transformers_greedy_decoding_with_left_padding():
    """The KV-cached loop (shared prefill, copied cache, position ids of left-padded prompts) must
    reproduce `generate(do_sample=False)` token for token on the real model."""
    model, tok = build_base_model(BaseModelConfig(dtype="float32"))
    model.eval()
    enc = encode_prompts(tok, ["Just planted my first tomatoes of the season!",
                               "Big news: our small bakery opens a second shop downtown next month, come by"],
                         PromptConfig())
    ours = sample_completions(model, tok, enc, n=3, max_new_tokens=16, temperature=0.9, top_p=0.95,
                              with_greedy=True, seed=0)
    hf = model.generate(**enc, max_new_tokens=16, do_sample=False, pad_token_id=tok.pad_token_id)
    hf_completion = hf[:, enc["input_ids"].shape[1]:]
    for p in range(2):
        greedy_row = ours.completion_ids[p * 4 + 3]
        n = min(len(greedy_row), hf_completion.shape[1])
        mask = completion_mask_from_ids(hf_completion[p:p + 1, :n], tok.eos_token_id)[0].bool()
        assert torch.equal(greedy_row[:n][mask], hf_completion[p, :n][mask]), (ours.texts, tok.batch_decode(hf))
    assert ours.texts[3].strip() and len(ours.texts) == 8
    # a seed fixes the samples; another seed changes them
    again = sample_completions(model, tok, enc, n=3, max_new_tokens=16, temperature=0.9, top_p=0.95,
                               with_greedy=True, seed=0)
    other = sample_completions(model, tok, enc, n=3, max_new_tokens=16, temperature=0.9, top_p=0.95,
                               with_greedy=True, seed=1)
    assert again.texts == ours.texts and other.texts != ours.texts


def test_rollouts_sampled_in_inference_mode_train_the_policy():
    """The decode loop runs under torch.inference_mode; its rollout must still be ordinary tensors that a
    policy-gradient pass can save for backward (with the whole function in inference mode they are not)."""
    from polyreply.core.config import LoraConfigParams
    from polyreply.core.modeling import add_lora
    from polyreply.core.policy_gradient import completion_logprobs
    model, tok = build_base_model(BaseModelConfig(source="tiny", tiny_hidden_size=64, tiny_layers=2, tiny_seed=3))
    model = add_lora(model, LoraConfigParams(r=4, alpha=8, dropout=0.0, target_modules=["q_proj", "v_proj"]))
    enc = encode_prompts(tok, ["Just planted my first tomatoes of the season!", "ok"], PromptConfig())
    roll = sample_completions(model, tok, enc, n=2, max_new_tokens=6, temperature=1.0, seed=0)
    for t in (roll.input_ids, roll.attention_mask, roll.completion_mask):
        assert not t.is_inference()
    model.train()
    logp = completion_logprobs(model, roll.input_ids, roll.attention_mask, roll.prompt_len)
    (logp * roll.completion_mask).sum().backward()
    grads = [p.grad for n, p in model.named_parameters() if "lora_A" in n]
    assert grads and all(g is not None for g in grads)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_prefill_gives_transformers_last_column_logits_bit_for_bit(dtype):
    """sampling.prefill runs the body and the head on the 2-D last column (transformers' logits_to_keep=1
    copies the head weight per prompt): same cache length, same logits, left padding included."""
    from polyreply.core.sampling import prefill
    model, tok = build_base_model(BaseModelConfig(source="tiny", tiny_hidden_size=64, tiny_layers=2, tiny_seed=3))
    model = model.to(dtype).eval()
    enc = encode_prompts(tok, ["Just planted my first tomatoes of the season!", "ok", "Big news downtown"],
                         PromptConfig())
    ids, mask = enc["input_ids"], enc["attention_mask"]
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        cache, logits = prefill(model, ids, mask, positions)
        ref = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, logits_to_keep=1)
    assert logits.shape == (3, model.config.vocab_size) and logits.dtype == dtype
    assert torch.equal(logits, ref.logits[:, -1])
    assert cache.get_seq_length() == ids.shape[1]
    assert torch.equal(cache.layers[0].keys, ref.past_key_values.layers[0].keys)
