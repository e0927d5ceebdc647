"""Behaviour of the two policy-gradient users: polychromic SFT and GRPO."""
import copy

import numpy as np
import pytest
import torch

from polyreply.config import GrpoConfig, LoraConfigParams, PolychromicConfig, PromptConfig, SftConfig
from polyreply.grpo import KLDivergenceError, grpo_step, train_grpo
from polyreply.metrics import pairwise_lexical_distance
from polyreply.modeling import add_lora, encode_prompts
from polyreply.policy_gradient import sample_completions
from polyreply.sft import cross_entropy, polychromic_loss, set_scores
from polyreply.training import supervised_batch

COLLAPSE_STEPS = 12
TOY_PROMPT = PromptConfig(system="", instruction="{tweet}", max_prompt_tokens=8)


def grads(model):
    return torch.cat([p.grad.flatten() if p.grad is not None else torch.zeros(p.numel())
                      for p in model.parameters() if p.requires_grad])


def test_polychromic_term_changes_the_gradient(tiny_lm):
    base, tok = tiny_lm
    model = add_lora(copy.deepcopy(base), LoraConfigParams(r=4, dropout=0.0))
    # non-zero LoRA B so both LoRA matrices receive gradient
    for n, p in model.named_parameters():
        if "lora_B" in n:
            torch.nn.init.normal_(p, std=0.02)
    prompt = PromptConfig()
    tweets, refs = ["Just planted tomatoes", "Finished my first marathon"], ["Good luck!", "Congrats, well done!"]
    batch = supervised_batch(tok, tweets, refs, prompt, 16, "cpu")
    cfg = PolychromicConfig(n_samples=4, set_size=2, max_new_tokens=6)

    model.zero_grad()
    cross_entropy(model, batch).backward()
    g_ce = grads(model)

    # the predecessor's bug: subtracting a diversity number computed without gradient
    model.zero_grad()
    constant_diversity = torch.tensor(0.7)
    (cross_entropy(model, batch) - 0.5 * constant_diversity).backward()
    assert torch.allclose(grads(model), g_ce), "a no-grad constant must not change the gradient"

    model.zero_grad()
    torch.manual_seed(0)
    surrogate, stats = polychromic_loss(model, tok, tweets, refs, cfg, prompt)
    (cross_entropy(model, batch) + 0.5 * surrogate).backward()
    g_poly = grads(model)
    assert not torch.allclose(g_poly, g_ce, atol=1e-7), "lambda > 0 must change the parameter gradient"
    assert 0.0 <= stats["diversity_score"] <= 1.0


def toy_distinctness(model, tok, n=8, seed=0):
    enc = encode_prompts(tok, ["tweet"], TOY_PROMPT)
    roll = sample_completions(model, tok, enc, n=n, max_new_tokens=4, seed=seed)
    d = pairwise_lexical_distance(roll.texts)
    return float(d.sum() / (n * (n - 1)))


def lexical_only(replies, reference, lexical_weight):
    """Toy scorer: every reply has quality 1; diversity is lexical distance."""
    return torch.ones(len(replies)), torch.from_numpy(pairwise_lexical_distance(replies))


def test_polychromic_objective_raises_set_diversity_on_toy(toy_vocab_lm):
    model, tok = toy_vocab_lm
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    # 1) collapse the policy: supervised on one fixed reply
    batch = supervised_batch(tok, ["tweet"] * 4, ["a a a a"] * 4, TOY_PROMPT, 8, "cpu")
    for _ in range(COLLAPSE_STEPS):
        opt.zero_grad()
        cross_entropy(model, batch).backward()
        opt.step()
    before = np.mean([toy_distinctness(model, tok, seed=s) for s in range(3)])
    # 2) polychromic objective alone (quality constant, so only diversity is rewarded)
    cfg = PolychromicConfig(n_samples=6, set_size=3, max_new_tokens=4)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    torch.manual_seed(1)
    for _ in range(40):
        loss, _ = polychromic_loss(model, tok, ["tweet"] * 2, ["a"] * 2, cfg, TOY_PROMPT, scorer=lexical_only)
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = np.mean([toy_distinctness(model, tok, seed=s) for s in range(3)])
    print("toy distinctness before/after:", before, after)
    assert before < 0.35
    assert after > before + 0.2, (before, after)


def count_g(tweets, replies):
    return np.array([r.split().count("g") / max(1, len(r.split())) for r in replies])


def test_grpo_average_reward_rises_on_toy(toy_vocab_lm):
    model, tok = toy_vocab_lm
    reference = copy.deepcopy(model).eval()
    cfg = GrpoConfig(num_generations=8, max_new_tokens=4, kl_coeff=0.0, learning_rate=1e-2)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    torch.manual_seed(0)
    history = [grpo_step(model, reference, tok, ["tweet", "tweet"], cfg, TOY_PROMPT, count_g, opt, 0.0, s)
               for s in range(30)]
    first = np.mean([h.avg_reward for h in history[:5]])
    last = np.mean([h.avg_reward for h in history[-5:]])
    assert last > first + 0.3, (first, last)
    assert history[-1].kl == 0.0 or history[-1].kl > 0  # logged
    assert all(h.generated_tokens > 0 for h in history)


def test_grpo_step_moves_lora_parameters(tiny_lm):
    base, tok = tiny_lm
    policy = add_lora(copy.deepcopy(base), LoraConfigParams(r=4, dropout=0.0))
    reference = copy.deepcopy(base).eval()
    before = {n: p.detach().clone() for n, p in policy.named_parameters() if p.requires_grad}
    cfg = GrpoConfig(num_generations=4, max_new_tokens=6, learning_rate=1e-2)
    opt = torch.optim.AdamW([p for p in policy.parameters() if p.requires_grad], lr=cfg.learning_rate)
    torch.manual_seed(0)
    st = grpo_step(policy, reference, tok, ["Just planted tomatoes", "New album out"], cfg, PromptConfig(),
                   lambda t, r: np.array([len(x) for x in r], float), opt, cfg.kl_coeff, 1)
    assert st.kl == pytest.approx(0.0, abs=1e-6)  # LoRA B starts at zero: policy == reference
    moved = [n for n, p in policy.named_parameters() if p.requires_grad and not torch.equal(p, before[n])]
    assert any("lora_B" in n for n in moved), "the policy gradient must reach the LoRA weights"


def test_kl_guard_stops_with_clear_message(toy_vocab_lm):
    model, tok = toy_vocab_lm
    reference = copy.deepcopy(model)
    cfg = GrpoConfig(num_generations=4, max_new_tokens=4, prompts_per_step=1, learning_rate=0.5, max_kl=1e-6,
                     max_steps=10)
    with pytest.raises(KLDivergenceError, match=r"grpo\.max_kl=1e-06"):
        train_grpo(model, reference, tok, [{"tweet": "tweet"}], cfg, TOY_PROMPT, count_g, seed=0)


def test_oracle_monitor_is_logged_and_never_touches_the_update(toy_vocab_lm):
    """grpo.log_oracle: the monitor sees the rollouts; the weights are those of a run without it."""
    model, tok = toy_vocab_lm
    cfg = GrpoConfig(num_generations=4, max_new_tokens=4, prompts_per_step=1, learning_rate=1e-2, max_steps=3)
    runs = []
    for monitor in (None, lambda t, r: -count_g(t, r)):
        policy, reference = copy.deepcopy(model), copy.deepcopy(model).eval()
        torch.manual_seed(0)
        hist = train_grpo(policy, reference, tok, [{"tweet": "tweet"}], cfg, TOY_PROMPT, count_g, seed=0,
                          monitor_fn=monitor)
        runs.append((hist, [p.detach().clone() for p in policy.parameters()]))
    (plain, w_plain), (watched, w_watched) = runs
    assert all(h.oracle is None for h in plain)
    assert [h.oracle for h in watched] == pytest.approx([-h.avg_reward for h in watched])
    assert all(torch.equal(a, b) for a, b in zip(w_plain, w_watched))
