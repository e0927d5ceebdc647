"""Throughput benchmarks (not tests): batched trainer vs a naive per-sample loop, batched vs
per-example reward scoring. Writes benchmarks/results/throughput.json.

    .venv/bin/python benchmarks/bench_throughput.py      # needs models/base, models/reward_model (dvc repro)

Naive baseline = what the predecessor did: one generate and one forward per reply.
"""
import json
import time
from pathlib import Path

import numpy as np
import torch

from polyreply.config import GrpoConfig, HeuristicConfig, LoraConfigParams, PromptConfig
from polyreply.grpo import grpo_step, make_reward_fn
from polyreply.io import read_jsonl
from polyreply.modeling import add_lora, encode_prompts, load_base, load_tokenizer
from polyreply.policy_gradient import (completion_logprobs, group_advantages, policy_gradient_loss,
                                       sample_completions)
from polyreply.rewards import EngagementRewardModel

OUT = Path("benchmarks/results/throughput.json")


def naive_grpo_step(policy, reference, tok, tweets, cfg, prompt_cfg, reward_fn, optimizer):
    """Per-sample loop: generate one reply at a time, score, forward/backward one reply at a time."""
    start = time.perf_counter()
    rollouts, rewards, tokens = [], [], 0
    for t in tweets:
        enc = encode_prompts(tok, [t], prompt_cfg)
        for _ in range(cfg.num_generations):
            r = sample_completions(policy, tok, enc, n=1, max_new_tokens=cfg.max_new_tokens,
                                   temperature=cfg.temperature, top_p=cfg.top_p)
            rollouts.append(r)
            rewards.append(float(reward_fn([t], r.texts)[0]))
            tokens += int(r.lengths.sum())
    adv = group_advantages(torch.tensor(rewards).view(len(tweets), cfg.num_generations)).flatten()
    optimizer.zero_grad()
    n = len(rollouts)
    for r, a in zip(rollouts, adv):
        with torch.no_grad():
            ref = completion_logprobs(reference, r.input_ids, r.attention_mask, r.prompt_len, cfg.temperature)
        logp = completion_logprobs(policy, r.input_ids, r.attention_mask, r.prompt_len, cfg.temperature)
        loss, _ = policy_gradient_loss(logp, logp.detach(), ref, a.view(1), r.completion_mask,
                                       kl_coeff=cfg.kl_coeff)
        (loss / n).backward()
    optimizer.step()
    return time.perf_counter() - start, tokens


def bench_grpo(repeats: int = 2) -> dict:
    torch.manual_seed(0)
    tok = load_tokenizer("models/base")
    policy = add_lora(load_base("models/base"), LoraConfigParams()).eval()
    reference = load_base("models/base").eval()
    cfg = GrpoConfig()  # the defaults: 4 prompts x 4 generations x 32 new tokens
    reward_model = EngagementRewardModel.load("models/reward_model")
    reward_fn = make_reward_fn(cfg, HeuristicConfig(), reward_model)
    tweets = sorted({r["tweet"] for r in read_jsonl("data/split/phase2.jsonl")})[:cfg.prompts_per_step]
    opt = torch.optim.AdamW([p for p in policy.parameters() if p.requires_grad], lr=cfg.learning_rate)
    prompt = PromptConfig()
    batched, naive = [], []
    for _ in range(repeats):
        st = grpo_step(policy, reference, tok, tweets, cfg, prompt, reward_fn, opt, cfg.kl_coeff, 0)
        batched.append((st.step_seconds, st.generated_tokens))
        naive.append(naive_grpo_step(policy, reference, tok, tweets, cfg, prompt, reward_fn, opt))
    b_s = float(np.mean([s for s, _ in batched]))
    n_s = float(np.mean([s for s, _ in naive]))
    b_tps = float(sum(t for _, t in batched) / sum(s for s, _ in batched))
    n_tps = float(sum(t for _, t in naive) / sum(s for s, _ in naive))
    return {"config": f"{cfg.prompts_per_step} prompts x {cfg.num_generations} generations x "
                      f"{cfg.max_new_tokens} max new tokens, SmolLM2-135M + LoRA r=8, CPU",
            "repeats": repeats, "batched_step_seconds": b_s, "naive_step_seconds": n_s,
            "step_time_ratio_naive_over_batched": n_s / b_s,
            "batched_generated_tokens_per_second": b_tps, "naive_generated_tokens_per_second": n_tps,
            "tokens_per_second_ratio": b_tps / n_tps}


def bench_reward(n_pairs: int = 256) -> dict:
    rm = EngagementRewardModel.load("models/reward_model")
    rows = read_jsonl("data/split/test.jsonl")[:n_pairs]
    tweets, replies = [r["tweet"] for r in rows], [r["reply"] for r in rows]
    rm.score(tweets[:8], replies[:8])  # warm-up (encoder load)
    t = time.perf_counter()
    batched = rm.score(tweets, replies)
    b = time.perf_counter() - t
    t = time.perf_counter()
    single = np.array([rm.score([a], [c])[0] for a, c in zip(tweets, replies)])
    s = time.perf_counter() - t
    return {"pairs": len(rows), "batched_pairs_per_second": len(rows) / b, "per_example_pairs_per_second": len(rows) / s,
            "ratio": s / b, "max_abs_difference": float(np.abs(batched - single).max())}


if __name__ == "__main__":
    torch.set_num_threads(torch.get_num_threads())
    results = {"grpo_step": bench_grpo(), "reward_scoring": bench_reward(),
               "torch_threads": torch.get_num_threads()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
