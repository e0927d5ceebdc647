"""Behaviour of the two policy-gradient users: polychromic SFT and GRPO."""
import copy

import numpy as np
import pytest
import torch

from polyreply.core.config import GrpoConfig, LoraConfigParams, PolychromicConfig, PromptConfig, SftConfig
from polyreply.core.grpo import KLDivergenceError, grpo_step, train_grpo
from polyreply.tweets.metrics import pairwise_lexical_distance
from polyreply.core.modeling import add_lora
from polyreply.core.prompts import encode_prompts
from polyreply.core.policy_gradient import completion_logprobs, sample_completions
from polyreply.core.polychromic import polychromic_advantages
from polyreply.core.sft import cross_entropy, polychromic_loss
from polyreply.core.training import supervised_batch

COLLAPSE_STEPS = 12
TOY_PROMPT = PromptConfig(system="", max_prompt_tokens=8)   # the prompt is the whole user message


def grads(model):
    return torch.cat([p.grad.flatten() if p.grad is not None else torch.zeros(p.numel())
                      for p in model.parameters() if p.requires_grad])


def no_g(prompts, completions, **_):
    """Toy task reward: +1 for a reply without the token "g", -1 with it (many replies are good)."""
    return np.array([-1.0 if "g" in r.split() else 1.0 for r in completions])


def lexical_distances(texts, group_size):
    return np.stack([pairwise_lexical_distance(texts[g:g + group_size]) for g in range(0, len(texts), group_size)])


def test_polychromic_term_changes_the_gradient(tiny_lm):
    base, tok = tiny_lm
    model = add_lora(copy.deepcopy(base), LoraConfigParams(r=4, dropout=0.0))
    # non-zero LoRA B so both LoRA matrices receive gradient
    for n, p in model.named_parameters():
        if "lora_B" in n:
            torch.nn.init.normal_(p, std=0.02)
    prompt = PromptConfig()
    prompts, refs = ["Just planted tomatoes", "Finished my first marathon"], ["Good luck!", "Congrats, well done!"]
    batch = supervised_batch(tok, prompts, refs, prompt, 16, "cpu")
    cfg = PolychromicConfig(n_samples=4, set_size=2, max_new_tokens=6)

    model.zero_grad()
    cross_entropy(model, batch).backward()
    g_ce = grads(model)

    model.zero_grad()
    torch.manual_seed(0)
    reward = lambda prompts, completions, **_: np.array([len(x) / 10 for x in completions])  # noqa: E731
    rows = [{"prompt": p} for p in prompts]
    surrogate, stats = polychromic_loss(model, tok, rows, cfg, prompt, reward)  # real sentence encoder
    (cross_entropy(model, batch) + 0.5 * surrogate).backward()
    g_poly = grads(model)
    assert not torch.allclose(g_poly, g_ce, atol=1e-7), "lambda > 0 must change the parameter gradient"
    assert 0.0 <= stats["diversity_score"] <= 1.0 and 0.0 < stats["sample_quality"] < 1.0


def sample_logprobs(model, tok, roll):
    """Mean per-token log-prob of each sampled reply under ``model`` (no grad)."""
    with torch.no_grad():
        lp = completion_logprobs(model, roll.input_ids, roll.attention_mask, roll.prompt_len)
    m = roll.completion_mask.float()
    return ((lp * m).sum(1) / m.sum(1).clamp(min=1)).numpy()


def direction_check(model, tok, corrupt, monkeypatch):
    """One SGD step on the polychromic surrogate: does each reply's log-prob move with its advantage?

    Returns the Spearman correlation between the set advantages and the change of log-prob.
    ``corrupt`` replaces the advantages the loss uses by random noise or their negation (the
    defects a direction test must catch)."""
    from scipy.stats import spearmanr

    import polyreply.core.sft as sft
    cfg = PolychromicConfig(n_samples=6, set_size=2, max_new_tokens=4, normalize_advantages=True)
    rows = [{"prompt": "tweet"}] * 3
    torch.manual_seed(3)
    roll = sample_completions(model, tok, encode_prompts(tok, [r["prompt"] for r in rows], TOY_PROMPT), n=cfg.n_samples,
                              max_new_tokens=cfg.max_new_tokens, temperature=cfg.temperature, top_p=cfg.top_p)
    true_adv, _ = polychromic_advantages(no_g(None, roll.texts).reshape(3, -1),
                                         lexical_distances(roll.texts, cfg.n_samples), cfg.set_size,
                                         cfg.reward_temperature)
    if corrupt is not None:
        real = sft.polychromic_advantages

        def broken(*a, **k):
            adv, st = real(*a, **k)
            return (-adv if corrupt == "flip" else torch.randn(adv.shape, generator=torch.Generator().manual_seed(9))), st
        monkeypatch.setattr(sft, "polychromic_advantages", broken)
    before = sample_logprobs(model, tok, roll)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    torch.manual_seed(3)  # the loss draws the same rollout
    loss, _ = polychromic_loss(model, tok, rows, cfg, TOY_PROMPT, no_g, lexical_distances)
    opt.zero_grad()
    loss.backward()
    opt.step()
    change = sample_logprobs(model, tok, roll) - before
    return spearmanr(true_adv.numpy(), change).statistic


@pytest.mark.parametrize("corrupt", [None, "flip", "random"])
def test_polychromic_gradient_follows_the_set_advantage(toy_vocab_lm, corrupt, monkeypatch):
    """Replies with a positive set advantage gain log-prob, negative ones lose it. The same check
    on sign-flipped or random advantages must fail, so this test can catch the defect it is named after."""
    model, tok = toy_vocab_lm
    rho = direction_check(model, tok, corrupt, monkeypatch)
    print("spearman(advantage, change of log-prob):", corrupt, rho)
    if corrupt is None:
        assert rho > 0.5, rho
    else:
        assert not rho > 0.5, f"the direction check passed with {corrupt} advantages: it cannot catch them"


def toy_rollout_stats(model, tok, n=8, seed=0):
    enc = encode_prompts(tok, ["tweet"], TOY_PROMPT)
    roll = sample_completions(model, tok, enc, n=n, max_new_tokens=4, seed=seed)
    d = pairwise_lexical_distance(roll.texts)
    return float(d.sum() / (n * (n - 1))), float(no_g(None, roll.texts).mean())


def test_polychromic_objective_raises_set_diversity_at_held_reward_on_toy(toy_vocab_lm):
    model, tok = toy_vocab_lm
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    # 1) collapse the policy: supervised on one fixed reply (which has the top reward)
    batch = supervised_batch(tok, ["tweet"] * 4, ["a a a a"] * 4, TOY_PROMPT, 8, "cpu")
    for _ in range(COLLAPSE_STEPS):
        opt.zero_grad()
        cross_entropy(model, batch).backward()
        opt.step()
    before = np.mean([toy_rollout_stats(model, tok, seed=s) for s in range(3)], axis=0)
    # 2) the polychromic term alone: f(S) = mean sigmoid(R) x distinctness
    cfg = PolychromicConfig(n_samples=6, set_size=3, max_new_tokens=4, reward_temperature=0.5, distinct_distance=1.0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    torch.manual_seed(1)
    for _ in range(40):
        loss, _ = polychromic_loss(model, tok, [{"prompt": "tweet"}] * 2, cfg, TOY_PROMPT, no_g, lexical_distances)
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = np.mean([toy_rollout_stats(model, tok, seed=s) for s in range(3)], axis=0)
    print("toy (distinctness, mean reward) before/after:", before, after)
    assert before[0] < 0.35
    assert after[0] > before[0] + 0.2, (before, after)          # diversity of sampled sets rises
    assert after[1] >= before[1] - 0.1, (before, after)         # while mean reward does not fall


def test_set_rl_and_darling_give_signal_where_group_advantages_give_none(toy_vocab_lm):
    """With a constant reward, GRPO's group advantages are 0 (no update); the set-RL advantage and
    DARLING still rank replies by what they add to the group's diversity, so the policy moves."""
    model, tok = toy_vocab_lm
    constant = lambda prompts, completions, **_: np.ones(len(completions))  # noqa: E731
    poly = PolychromicConfig(n_samples=4, set_size=2, distinct_distance=1.0)
    moved = {}
    for name, kwargs, cfg in (("group", {}, GrpoConfig(num_generations=4, max_new_tokens=4)),
                              ("set_rl", {"set_rl": True}, GrpoConfig(num_generations=4, max_new_tokens=4)),
                              ("darling", {}, GrpoConfig(num_generations=4, max_new_tokens=4, darling=True))):
        policy, reference = copy.deepcopy(model), copy.deepcopy(model).eval()
        before = [p.detach().clone() for p in policy.parameters()]
        opt = torch.optim.SGD(policy.parameters(), lr=0.1)
        torch.manual_seed(0)
        st = grpo_step(policy, reference, tok, [{"prompt": "tweet"}], cfg, TOY_PROMPT, constant, opt, 0.0, 1,
                       poly=poly, distance_fn=lexical_distances, **kwargs)
        moved[name] = max(float((p.detach() - b).abs().max()) for p, b in zip(policy.parameters(), before))
        assert st.diversity is not None and 0.0 <= st.diversity <= 1.0
    assert moved["group"] == 0.0
    assert moved["set_rl"] > 1e-4 and moved["darling"] > 1e-4, moved
    with pytest.raises(ValueError, match="polychromic set parameters"):
        grpo_step(model, model, tok, [{"prompt": "tweet"}], GrpoConfig(num_generations=4, max_new_tokens=4), TOY_PROMPT,
                  constant, torch.optim.SGD(model.parameters(), lr=0.1), 0.0, 1, set_rl=True)


def count_g(prompts, completions, **_):
    return np.array([r.split().count("g") / max(1, len(r.split())) for r in completions])


def test_grpo_average_reward_rises_on_toy(toy_vocab_lm):
    model, tok = toy_vocab_lm
    reference = copy.deepcopy(model).eval()
    cfg = GrpoConfig(num_generations=8, max_new_tokens=4, kl_coeff=0.0, learning_rate=1e-2)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    torch.manual_seed(0)
    history = [grpo_step(model, reference, tok, [{"prompt": "tweet"}] * 2, cfg, TOY_PROMPT, count_g, opt, 0.0, s)
               for s in range(30)]
    first = np.mean([h.avg_reward for h in history[:5]])
    last = np.mean([h.avg_reward for h in history[-5:]])
    assert last > first + 0.3, (first, last)
    assert history[-1].kl == 0.0 or history[-1].kl > 0  # logged
    assert all(h.generated_tokens > 0 for h in history)


def test_rewards_get_every_row_column_aligned_with_the_completions(toy_vocab_lm):
    """The core's reward contract (TRL's): reward_fn(prompts, completions, **columns), one value per completion,
    the rows' other columns as keyword lists; train_grpo draws from the distinct prompts (first row of each)."""
    model, tok = toy_vocab_lm
    seen = []

    def reward(prompts, completions, tag, **rest):
        seen.append((list(prompts), list(tag), rest, len(completions)))
        return np.zeros(len(completions))
    cfg = GrpoConfig(num_generations=3, max_new_tokens=2, prompts_per_step=2, max_steps=1)
    rows = [{"prompt": "tweet b", "tag": "B", "n": 2}, {"prompt": "tweet a", "tag": "A", "n": 1}]
    policy = copy.deepcopy(model)
    grpo_step(policy, copy.deepcopy(model).eval(), tok, rows, cfg, TOY_PROMPT, reward,
              torch.optim.SGD(policy.parameters(), lr=0.0), 0.0, 1)
    assert seen[-1] == (["tweet b"] * 3 + ["tweet a"] * 3, ["B"] * 3 + ["A"] * 3, {"n": [2, 2, 2, 1, 1, 1]}, 6)
    seen.clear()
    dup = [{"prompt": "tweet b", "tag": "B1"}, {"prompt": "tweet a", "tag": "A"}, {"prompt": "tweet b", "tag": "B2"}]
    train_grpo(copy.deepcopy(model), copy.deepcopy(model), tok, dup, cfg, TOY_PROMPT, reward, seed=0)
    prompts, tags, _, _ = seen[0]
    assert sorted(set(zip(prompts, tags))) == [("tweet a", "A"), ("tweet b", "B1")]   # one row per prompt, the first


def test_grpo_step_moves_lora_parameters(tiny_lm):
    base, tok = tiny_lm
    policy = add_lora(copy.deepcopy(base), LoraConfigParams(r=4, dropout=0.0))
    reference = copy.deepcopy(base).eval()
    before = {n: p.detach().clone() for n, p in policy.named_parameters() if p.requires_grad}
    cfg = GrpoConfig(num_generations=4, max_new_tokens=6, learning_rate=1e-2)
    opt = torch.optim.AdamW([p for p in policy.parameters() if p.requires_grad], lr=cfg.learning_rate)
    torch.manual_seed(0)
    rows = [{"prompt": "Just planted tomatoes"}, {"prompt": "New album out"}]
    st = grpo_step(policy, reference, tok, rows, cfg, PromptConfig(),
                   lambda prompts, completions, **_: np.array([len(x) for x in completions], float), opt,
                   cfg.kl_coeff, 1)
    assert st.kl == pytest.approx(0.0, abs=1e-6)  # LoRA B starts at zero: policy == reference
    moved = [n for n, p in policy.named_parameters() if p.requires_grad and not torch.equal(p, before[n])]
    assert any("lora_B" in n for n in moved), "the policy gradient must reach the LoRA weights"


def test_kl_guard_stops_with_clear_message(toy_vocab_lm):
    model, tok = toy_vocab_lm
    reference = copy.deepcopy(model)
    cfg = GrpoConfig(num_generations=4, max_new_tokens=4, prompts_per_step=1, learning_rate=0.5, max_kl=1e-6,
                     max_steps=10)
    with pytest.raises(KLDivergenceError, match=r"grpo\.max_kl=1e-06"):
        train_grpo(model, reference, tok, [{"prompt": "tweet"}], cfg, TOY_PROMPT, count_g, seed=0)


def test_oracle_monitor_is_logged_and_never_touches_the_update(toy_vocab_lm):
    """grpo.log_oracle: the monitor sees the rollouts; the weights are those of a run without it."""
    model, tok = toy_vocab_lm
    cfg = GrpoConfig(num_generations=4, max_new_tokens=4, prompts_per_step=1, learning_rate=1e-2, max_steps=3)
    runs = []
    for monitor in (None, lambda prompts, completions, **_: -count_g(prompts, completions)):
        policy, reference = copy.deepcopy(model), copy.deepcopy(model).eval()
        torch.manual_seed(0)
        hist = train_grpo(policy, reference, tok, [{"prompt": "tweet"}], cfg, TOY_PROMPT, count_g, seed=0,
                          monitor_fn=monitor).history
        runs.append((hist, [p.detach().clone() for p in policy.parameters()]))
    (plain, w_plain), (watched, w_watched) = runs
    assert all(h.oracle is None for h in plain)
    assert [h.oracle for h in watched] == pytest.approx([-h.avg_reward for h in watched])
    assert all(torch.equal(a, b) for a, b in zip(w_plain, w_watched))


def test_sft_runs_the_tasks_heldout_check_with_each_validation_loss(toy_vocab_lm):
    """train_sft trains on prompt/completion rows; the task's held-out check runs beside the validation loss
    (step 0, every eval_every, the last step) and its last figures come back in the result."""
    from polyreply.core.sft import train_sft, validation_loss
    model, tok = toy_vocab_lm
    rows = [{"prompt": p, "completion": c} for p, c in (("tweet", "a b"), ("tweet a", "c d"), ("tweet b", "e f"),
                                                        ("tweet c", "a c"))]
    cfg = SftConfig(batch_size=2, max_steps=3, eval_every=2, eval_examples=4, warmup_steps=0, learning_rate=1e-2)
    steps = []

    def check(m, step):
        steps.append(step)
        return {"calls": float(len(steps))}
    before = validation_loss(model, tok, rows, cfg, TOY_PROMPT)
    result = train_sft(model, tok, rows, rows, cfg, cfg.max_steps, TOY_PROMPT, None, seed=0, heldout_check=check)
    assert steps == [0, 2, 3] and result.final_checks == {"calls": 3.0} and result.steps == 3
    assert result.initial_eval_loss == pytest.approx(before)
    assert result.final_eval_loss == pytest.approx(validation_loss(model, tok, rows, cfg, TOY_PROMPT))
    assert result.final_eval_loss < before
    with pytest.raises(ValueError, match="polychromic SFT needs reward_fn"):
        train_sft(model, tok, rows, rows, cfg, 1, TOY_PROMPT, PolychromicConfig(), seed=0)


def test_heldout_telemetry_scores_fixed_prompts_with_fixed_seeds_and_sees_learning(toy_vocab_lm):
    """Held-out scores at step 0, every heldout_every steps and the last; the same random numbers each time, so
    an unchanged policy scores the same and a learning one rises (the toy reward counts the token g)."""
    from polyreply.core.grpo import heldout_score
    model, tok = toy_vocab_lm
    cfg = GrpoConfig(num_generations=8, max_new_tokens=4, kl_coeff=0.0, learning_rate=1e-2, max_steps=30,
                     prompts_per_step=2, heldout_every=10, heldout_prompts=2, heldout_generations=8)
    heldout = [{"prompt": "tweet"}, {"prompt": "held"}]
    policy, reference = copy.deepcopy(model), copy.deepcopy(model).eval()
    a = heldout_score(policy, tok, heldout, cfg, TOY_PROMPT, count_g, None, 0)
    b = heldout_score(policy, tok, heldout, cfg, TOY_PROMPT, count_g, None, 0)
    assert a == b                                                       # common random numbers
    class Live:   # dvclive's interface: log_metric at the current step, next_step advances
        step, logged = 0, []

        def log_metric(self, name, value):
            self.logged.append((self.step, name, value))

        def next_step(self):
            self.step += 1

    live = Live()
    torch.manual_seed(0)
    run = train_grpo(policy, reference, tok, [{"prompt": "tweet"}, {"prompt": "other"}], cfg, TOY_PROMPT,
                     count_g, seed=0, heldout_rows=heldout, monitor_fn=lambda p, c, **_: -count_g(p, c), live=live)
    assert [h.step for h in run.heldout] == [0, 10, 20, 30] and len(run.history) == 30
    # the dvclive x axis counts updates: held-out points at 0 (the warm-start), 10, 20, 30; training at 1..30
    assert [(s, v) for s, n, v in live.logged if n == "heldout/reward"] == [(h.step, h.reward) for h in run.heldout]
    assert [s for s, n, _ in live.logged if n == "grpo/avg_reward"] == list(range(1, 31))
    assert run.heldout[0].reward == a.reward and run.heldout[0].oracle == pytest.approx(-a.reward)
    assert run.heldout[-1].reward > run.heldout[0].reward + 0.3, [h.reward for h in run.heldout]
    assert all(h.entropy > 0 for h in run.history)
    off = train_grpo(copy.deepcopy(model), copy.deepcopy(model).eval(), tok, [{"prompt": "tweet"}],
                     GrpoConfig(num_generations=4, max_new_tokens=4, max_steps=2, heldout_every=0), TOY_PROMPT,
                     count_g, seed=0, heldout_rows=heldout)
    assert off.heldout == []
