"""bf16 compute (base_model.dtype auto): fp32 LoRA, optimizer state and log-probs; curves that track fp32."""
import copy

import numpy as np
import torch

from polyreply.core import modeling
from polyreply.core.config import GrpoConfig, LoraConfigParams, PromptConfig
from polyreply.core.grpo import grpo_step
from polyreply.core.modeling import add_lora, compute_dtype
from polyreply.core.policy_gradient import completion_logprobs
from polyreply.core.sft import cross_entropy
from polyreply.core.training import make_optimizer, supervised_batch

# Stated tolerances (bf16 keeps 8 bits of mantissa; the tiny model's CE is ~10.8 nats):
SFT_LOSS_TOL = 0.08      # max |loss_bf16 - loss_fp32| per step over 12 SFT steps, in nats. Loosened from 0.02 in
                         # issue 12's second round: seen 0.062 at one step with matmul attention (bf16-rounded
                         # scores) and the bf16 head backward together, 0.014 / 0.008 with either alone, 0.015 before.
SFT_FINAL_TOL = 0.02     # |last loss, bf16 - fp32|: the curves end together (seen 0.001)
GRPO_REWARD_TOL = 0.05   # |mean reward bf16 - fp32| over 30 toy GRPO steps (reward in [0, 1]; it rises ~0.15 -> 1)

ROWS = [("Just planted my first tomatoes", "Good luck with the harvest!"),
        ("Finished my first marathon today", "Congrats, that is huge!"),
        ("Our bakery opens a second shop", "Can't wait to try the bread"),
        ("Rain all week again", "Perfect weather for reading")]


def test_auto_means_bf16_only_where_native(monkeypatch):
    monkeypatch.setattr(modeling, "native_bf16", lambda: True)
    assert compute_dtype("auto") == torch.bfloat16
    monkeypatch.setattr(modeling, "native_bf16", lambda: False)
    assert compute_dtype("auto") == torch.float32
    assert compute_dtype("float32") == torch.float32 and modeling.storage_dtype("auto") == torch.float32


def sft_curve(base, tok, dtype, steps=12):
    torch.manual_seed(0)
    model = add_lora(copy.deepcopy(base).to(dtype), LoraConfigParams(r=4, dropout=0.0))
    opt, _ = make_optimizer(model, 3e-2, 0.0, 0, steps)
    batch = supervised_batch(tok, [t for t, _ in ROWS], [r for _, r in ROWS], PromptConfig(), 12, "cpu")
    curve = []
    for _ in range(steps):
        loss = cross_entropy(model, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        curve.append(loss.item())
    return model, opt, curve


def test_bf16_keeps_lora_optimizer_state_and_logprobs_in_fp32(tiny_lm):
    base, tok = tiny_lm
    model, opt, _ = sft_curve(base, tok, torch.bfloat16, steps=1)
    trainable = [p for p in model.parameters() if p.requires_grad]
    frozen = [p for p in model.parameters() if not p.requires_grad]
    assert trainable and all(p.dtype == torch.float32 for p in trainable)
    assert all(p.dtype == torch.bfloat16 for p in frozen)
    states = [s for p in trainable for s in opt.state[p].values() if torch.is_tensor(s) and s.numel() > 1]
    assert states and all(s.dtype == torch.float32 for s in states)
    batch = supervised_batch(tok, ["a tweet"], ["a reply"], PromptConfig(), 8, "cpu")
    logp = completion_logprobs(model, batch["input_ids"], batch["attention_mask"], batch["prompt_len"])
    assert logp.dtype == torch.float32


def test_bf16_sft_loss_curve_tracks_fp32(tiny_lm):
    base, tok = tiny_lm
    _, _, fp32 = sft_curve(base, tok, torch.float32)
    _, _, bf16 = sft_curve(base, tok, torch.bfloat16)
    diff = np.abs(np.array(fp32) - np.array(bf16))
    print("SFT loss fp32", np.round(fp32, 4), "\nSFT loss bf16", np.round(bf16, 4), "\nmax diff", diff.max())
    assert fp32[-1] < fp32[0] - 0.1 and bf16[-1] < bf16[0] - 0.1  # both learn
    assert diff.max() < SFT_LOSS_TOL
    assert abs(fp32[-1] - bf16[-1]) < SFT_FINAL_TOL


def count_g(prompts, completions, **_):
    return np.array([r.split().count("g") / max(1, len(r.split())) for r in completions])


def test_bf16_grpo_reward_curve_tracks_fp32(toy_vocab_lm):
    base, tok = toy_vocab_lm
    prompt = PromptConfig(system="", max_prompt_tokens=8)
    cfg = GrpoConfig(num_generations=8, max_new_tokens=4, kl_coeff=0.05, learning_rate=1e-2)
    curves = {}
    for name, dt in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        torch.manual_seed(0)
        # LoRA on the head too, so the 1-layer toy can learn within 30 steps
        policy = add_lora(copy.deepcopy(base).to(dt), LoraConfigParams(r=8, alpha=16, dropout=0.0,
                                                                        target_modules=("q_proj", "v_proj", "lm_head")))
        reference = copy.deepcopy(policy).eval()
        opt = torch.optim.Adam([p for p in policy.parameters() if p.requires_grad], lr=cfg.learning_rate)
        rows = [{"prompt": "tweet"}] * 2
        curves[name] = [grpo_step(policy, reference, tok, rows, cfg, prompt, count_g, opt, 0.05, s).avg_reward
                        for s in range(30)]
    fp32, bf16 = np.array(curves["fp32"]), np.array(curves["bf16"])
    print("GRPO reward fp32", np.round(fp32, 3), "\nGRPO reward bf16", np.round(bf16, 3))
    assert fp32[-10:].mean() > fp32[:5].mean() + 0.5 and bf16[-10:].mean() > bf16[:5].mean() + 0.5
    assert abs(fp32.mean() - bf16.mean()) < GRPO_REWARD_TOL
