"""Micro-batches with gradient accumulation (sft.micro_batch_size, grpo.micro_batch_prompts): the same update as
the whole batch, with the activations of one slice at a time."""
import copy

import numpy as np
import pytest
import torch

from polyreply.core.config import GrpoConfig, LoraConfigParams, PromptConfig, SftConfig
from polyreply.core.grpo import grpo_step
from polyreply.core.modeling import add_lora
from polyreply.core.policy_gradient import row_slices
from polyreply.core.sft import train_sft

TOY_PROMPT = PromptConfig()


def lora_model(base):
    torch.manual_seed(0)   # LoRA A's random init: the same start for every run compared
    model = add_lora(copy.deepcopy(base), LoraConfigParams(r=4, dropout=0.0))   # no dropout: one function
    for n, p in model.named_parameters():
        if "lora_B" in n:   # non-zero B so both LoRA matrices get gradient
            torch.nn.init.normal_(p, std=0.05, generator=torch.Generator().manual_seed(1))
    return model


def trained(model):
    return torch.cat([p.detach().flatten() for p in model.parameters() if p.requires_grad])


def test_row_slices_cover_the_batch_once():
    assert row_slices(5, 0) == [slice(0, 5)] and row_slices(5, 9) == [slice(0, 5)]
    assert row_slices(5, 2) == [slice(0, 2), slice(2, 4), slice(4, 5)]


def test_sft_micro_batches_give_the_whole_batch_update(tiny_lm):
    """Replies of different lengths: a mean per micro-batch (instead of over the whole batch's tokens) would
    weigh the short reply's tokens more and move the parameters elsewhere."""
    base, tok = tiny_lm
    rows = [{"prompt": "Just planted tomatoes", "completion": "Good luck with them this summer, share photos!"},
            {"prompt": "New album out", "completion": "Yes"},
            {"prompt": "Finished my first marathon", "completion": "Congrats, well done!"}]
    after = {}
    for micro in (0, 1, 2):
        model = lora_model(base)
        cfg = SftConfig(batch_size=3, micro_batch_size=micro, max_steps=2, eval_every=10, eval_examples=1,
                        warmup_steps=0, learning_rate=1e-2, max_reply_tokens=16)
        result = train_sft(model, tok, rows, rows, cfg, 2, TOY_PROMPT, None, seed=0)
        after[micro] = (trained(model), result.final_train_loss)
    for micro in (1, 2):
        assert torch.allclose(after[micro][0], after[0][0], atol=5e-5), micro   # Adam amplifies rounding
        assert after[micro][1] == pytest.approx(after[0][1], rel=1e-5)
    assert not torch.equal(after[0][0], trained(lora_model(base)))   # the steps moved the weights


def test_grpo_micro_batches_give_the_whole_step_update(tiny_lm):
    base, tok = tiny_lm
    reference = copy.deepcopy(base).eval()
    rows = [{"prompt": "Just planted tomatoes"}, {"prompt": "New album out"}]
    length = lambda prompts, completions, **_: np.array([len(x) for x in completions], float)  # noqa: E731
    out = {}
    for micro in (0, 1):
        policy = lora_model(base).eval()
        # two updates per batch: the clipped ratio against old log-probs computed piece by piece
        cfg = GrpoConfig(num_generations=4, max_new_tokens=6, learning_rate=1e-2, micro_batch_prompts=micro,
                         num_iterations=2, clip_eps=0.05)
        opt = torch.optim.AdamW([p for p in policy.parameters() if p.requires_grad], lr=cfg.learning_rate)
        st = grpo_step(policy, reference, tok, rows, cfg, TOY_PROMPT, length, opt, 0.1, 1, seeds=[11, 12])
        out[micro] = (trained(policy), st)
    (whole, st0), (micro, st1) = out[0], out[1]
    assert st0.generated_tokens == st1.generated_tokens and st0.avg_reward == st1.avg_reward   # same rollouts
    assert torch.allclose(micro, whole, atol=1e-6)
    for k in ("loss", "policy_loss", "kl", "entropy", "clip_fraction"):
        assert getattr(st1, k) == pytest.approx(getattr(st0, k), rel=1e-5, abs=1e-7), k
    assert st0.kl > 0 and st0.clip_fraction > 0   # the KL term and the clip are in play
