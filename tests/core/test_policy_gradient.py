import copy
import math

import pytest
import torch

from polyreply.core.config import PromptConfig
from polyreply.core.prompts import encode_prompts
from polyreply.core.policy_gradient import (completion_logprobs, completion_mask_from_ids, group_advantages,
                                            policy_gradient_loss, sample_completions, set_level_advantages)


def test_loss_matches_hand_computed_example():
    logp = torch.tensor([[-1.0, -2.0], [-0.5, -1.5]])
    old = torch.tensor([[-1.2, -2.0], [-0.5, -1.0]])
    ref = torch.tensor([[-1.0, -1.0], [-1.0, -1.5]])
    adv = torch.tensor([1.0, -2.0])
    mask = torch.tensor([[1, 1], [1, 0]])
    eps, beta = 0.2, 0.1
    # token-wise by hand
    rho = [[math.exp(0.2), 1.0], [1.0, math.exp(-0.5)]]
    def pg(r, a):
        return -min(r * a, max(min(r, 1 + eps), 1 - eps) * a)
    def k3(l, rf):
        return math.exp(rf - l) - (rf - l) - 1
    terms = [pg(rho[0][0], 1) + beta * k3(-1.0, -1.0),
             pg(rho[0][1], 1) + beta * k3(-2.0, -1.0),
             pg(rho[1][0], -2) + beta * k3(-0.5, -1.0)]   # masked 4th token excluded
    loss, st = policy_gradient_loss(logp, old, ref, adv, mask, clip_eps=eps, kl_coeff=beta)
    assert loss.item() == pytest.approx(sum(terms) / 3, rel=1e-5)
    # first token: rho = e^0.2 = 1.22 > 1.2 with A > 0 -> clipped
    assert pg(rho[0][0], 1) == pytest.approx(-1.2)
    assert st["kl"] == pytest.approx((k3(-1, -1) + k3(-2, -1) + k3(-0.5, -1)) / 3, rel=1e-5)


def test_kl_is_zero_when_policy_equals_reference():
    logp = torch.randn(3, 5)
    loss, st = policy_gradient_loss(logp, logp.clone(), logp.clone(), torch.zeros(3), torch.ones(3, 5),
                                    kl_coeff=1.0)
    assert st["kl"] == 0.0 and loss.item() == 0.0


def test_on_policy_gradient_is_advantage_weighted_score_function():
    logits = torch.randn(2, 3, requires_grad=True)
    logp = torch.log_softmax(logits, -1)[:, :1].expand(2, 1)  # one token per sequence
    adv = torch.tensor([2.0, -1.0])
    loss, _ = policy_gradient_loss(logp, logp.detach(), None, adv, torch.ones(2, 1))
    loss.backward()
    # d/dlogits of -(1/2) sum_i A_i log softmax_0
    expected = torch.zeros(2, 3)
    p = torch.softmax(logits.detach(), -1)
    for i in range(2):
        onehot = torch.tensor([1.0, 0, 0])
        expected[i] = -0.5 * adv[i] * (onehot - p[i])
    assert torch.allclose(logits.grad, expected, atol=1e-6)


def test_group_advantages_and_dr_grpo():
    r = torch.tensor([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
    a = group_advantages(r, eps=0.0 + 1e-12)
    std = math.sqrt(2 / 3)
    assert torch.allclose(a[0], torch.tensor([-1 / std, 0.0, 1 / std]), atol=1e-5)
    assert torch.all(a[1] == 0)  # zero-std group: no signal
    assert torch.allclose(group_advantages(r, scale_by_std=False)[0], torch.tensor([-1.0, 0.0, 1.0]))
    assert group_advantages(r * 100, clip=2.0).abs().max() <= 2.0


def test_set_level_advantages_hand_computed():
    q = torch.tensor([1.0, 1.0, 0.0])
    d = torch.tensor([[0, 0.2, 1.0], [0.2, 0, 1.0], [1.0, 1.0, 0]])
    adv, f = set_level_advantages(q, d, set_size=2)
    # sets {0,1}: 1*0.2=0.2, {0,2}: 0.5*1=0.5, {1,2}: 0.5*1=0.5; mean 0.4
    assert torch.allclose(f, torch.tensor([0.2, 0.5, 0.5]))
    # A_0 = mean(0.2-0.4, 0.5-0.4) = -0.05 ; A_2 = mean(0.1, 0.1) = 0.1
    assert torch.allclose(adv, torch.tensor([-0.05, -0.05, 0.1]), atol=1e-6)
    # the low-quality but diverse reply is pushed *up*: diversity enters the advantage
    # normalised: (f - 0.4) / std(f), std = sqrt(0.02) -> sets (-sqrt2, 1/sqrt2, 1/sqrt2)
    adv_n, _ = set_level_advantages(q, d, set_size=2, normalize=True, eps=0.0)
    r2 = math.sqrt(2)
    assert torch.allclose(adv_n, torch.tensor([(-r2 + 1 / r2) / 2, (-r2 + 1 / r2) / 2, 1 / r2]), atol=1e-5)


def test_completion_mask_stops_after_first_eos():
    ids = torch.tensor([[5, 6, 2, 2, 2], [5, 6, 7, 8, 9]])
    assert completion_mask_from_ids(ids, 2).tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]


def test_batched_logprobs_with_left_padding_equal_single(tiny_lm):
    """Left-padded batch log-probs == each sequence scored alone (positions handled right)."""
    model, tok = tiny_lm
    cfg = PromptConfig()
    enc = encode_prompts(tok, ["short", "a much longer tweet about tomatoes and gardens"], cfg)
    roll = sample_completions(model, tok, enc, n=2, max_new_tokens=6, seed=0)
    with torch.no_grad():
        batched = completion_logprobs(model, roll.input_ids, roll.attention_mask, roll.prompt_len)
        for i in range(roll.input_ids.shape[0]):
            keep = roll.attention_mask[i, :roll.prompt_len].bool()
            ids = torch.cat([roll.input_ids[i, :roll.prompt_len][keep], roll.completion_ids[i]]).unsqueeze(0)
            plen = int(keep.sum())
            single = completion_logprobs(model, ids, torch.ones_like(ids), plen)
            m = roll.completion_mask[i].bool()
            assert torch.allclose(batched[i][m], single[0][m], atol=1e-4)


def test_sampling_is_one_batched_call_and_seeded(tiny_lm):
    model, tok = tiny_lm
    enc = encode_prompts(tok, ["tweet one", "tweet two"], PromptConfig())
    a = sample_completions(model, tok, enc, n=3, max_new_tokens=5, seed=1)
    b = sample_completions(model, tok, enc, n=3, max_new_tokens=5, seed=1)
    assert a.input_ids.shape[0] == 6 and len(a.texts) == 6
    assert torch.equal(a.input_ids, b.input_ids)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_shared_prompt_logprobs_and_gradients_equal_the_full_pass(tiny_lm, dtype):
    """group=n runs each prompt once under its n completions: the same log-probs and LoRA gradients."""
    from polyreply.core.config import LoraConfigParams
    from polyreply.core.modeling import add_lora
    model, tok = tiny_lm
    model = add_lora(copy.deepcopy(model).to(dtype), LoraConfigParams(r=4, alpha=8, dropout=0.0))  # fixture untouched
    torch.manual_seed(0)
    for name, p in model.named_parameters():
        if "lora_B" in name:
            p.data.normal_(0, 0.3)
    enc = encode_prompts(tok, ["short", "a much longer tweet about tomatoes and gardens"], PromptConfig())
    roll = sample_completions(model, tok, enc, n=3, max_new_tokens=7, seed=0)
    lora = [p for n, p in model.named_parameters() if "lora_" in n]
    adv = torch.tensor([1.0, -0.5, 0.2, -1.0, 0.4, 0.9])
    out = {}
    for group in (1, 3):
        logp = completion_logprobs(model, roll.input_ids, roll.attention_mask, roll.prompt_len, 0.9, group=group)
        loss = -(logp * adv[:, None] * roll.completion_mask).sum()
        grads = torch.autograd.grad(loss, lora)
        out[group] = (logp.detach() * roll.completion_mask, grads)
    tol = 1e-5 if dtype == torch.float32 else 2e-2
    assert torch.allclose(out[1][0], out[3][0], atol=tol), (out[1][0] - out[3][0]).abs().max()
    for full, shared in zip(out[1][1], out[3][1]):
        assert float(full.abs().max()) > 0
        assert torch.allclose(full, shared, atol=tol * float(full.abs().max()) * 10), (full - shared).abs().max()
    with pytest.raises(ValueError, match="runs of 2"):   # rows 2-5: prompt 0 once, then prompt 1 three times
        completion_logprobs(model, roll.input_ids[2:6], roll.attention_mask[2:6], roll.prompt_len, group=2)
