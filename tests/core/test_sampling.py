"""The shared decode loop: exact nucleus sampling, greedy rows equal to HF greedy decoding, seeds."""
import torch

from polyreply.core.config import BaseModelConfig, PromptConfig
from polyreply.core.modeling import build_base_model, encode_prompts
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
