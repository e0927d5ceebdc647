"""Speed benchmarks (not tests), one script; writes benchmarks/results/speed.json.

    bash install.sh && .venv/bin/dvc repro base_model reward_model   # models/base, models/reward_model
    bash benchmarks/make_trl_env.sh                                  # TRL, only for the comparison
    .venv/bin/python benchmarks/bench_speed.py     # --reuse trl,numerics,quality: keep those parts of speed.json

Measures, on the default model (SmolLM2-135M-Instruct, LoRA r=8 on q/k/v/o):
- bf16 vs fp32 matmul rate, and the compute bound of generation (rate / 2 x params FLOPs per token);
- generation at the eval setting (10 samples + 1 greedy per tweet, 32 new tokens): the previous
  path (two `model.generate` calls per chunk, fp32) vs this project's decode loop, in fp32 and bf16;
- one SFT step (8 x ~110 tokens) in fp32 and bf16;
- one GRPO step (4 prompts x 4 generations x 32 tokens, beta 0.05, the hybrid reward): this project
  in fp32 and bf16, a naive per-sample loop, and TRL's GRPOTrainer (fp32 and bf16=True), run in
  benchmarks/.venv-trl by this script (`--trl` mode);
- numerics: 20 SFT steps and 8 GRPO steps in bf16 vs fp32 from one seed (loss and reward curves),
  and the GRPO reward of 800 base-model replies sampled in bf16 vs fp32 (does bf16 write worse replies?).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np
import torch

import polyreply  # noqa: F401  (offline env, quiet logs)
from polyreply.core.config import LoraConfigParams
from polyreply.core.grpo import grpo_step
from polyreply.core.modeling import add_lora, load_tokenizer
from polyreply.core.prompts import encode_prompts
from polyreply.core.policy_gradient import completion_logprobs, group_advantages, policy_gradient_loss
from polyreply.core.sampling import completion_mask_from_ids, sample_completions
from polyreply.core.sft import cross_entropy
from polyreply.core.training import make_optimizer, supervised_batch
from polyreply.io import read_jsonl
from polyreply.tweets.config import HeuristicConfig, TweetGrpoConfig, TweetPromptConfig
from polyreply.tweets.reward_model import EngagementRewardModel
from polyreply.tweets.rewards import make_reward_fn, task_reward

OUT = Path("benchmarks/results/speed.json")
TRL_PYTHON = Path("benchmarks/.venv-trl/bin/python")
BASE = "models/base"
PROMPT = TweetPromptConfig()  # the default tweet prompt


def tweet_prompts(tweets: list[str]) -> list[str]:
    """Tweets as the core's prompts (the user message)."""
    return [PROMPT.render(t) for t in tweets]


def grpo_rows(tweets: list[str]) -> list[dict]:
    """GRPO rows: the prompt, and the tweet for the reward."""
    return [{"prompt": PROMPT.render(t), "tweet": t} for t in tweets]


def load(dtype):
    from transformers import AutoModelForCausalLM
    return AutoModelForCausalLM.from_pretrained(BASE, dtype=dtype).eval()


def matmul_rate(dtype, repeats: int = 20) -> float:
    a, b = torch.randn(1024, 576, dtype=dtype), torch.randn(576, 1536, dtype=dtype)
    for _ in range(3):
        a @ b
    t = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * 1024 * 576 * 1536 * repeats / (time.perf_counter() - t)


@torch.no_grad()
def previous_generate(model, tok, enc, n, max_new_tokens, temperature, top_p) -> int:
    """The path this project used before: one generate call for the samples, one for the greedy reply."""
    out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=True, temperature=temperature,
                         top_p=top_p, top_k=0, num_return_sequences=n, pad_token_id=tok.pad_token_id)
    greedy = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tok.pad_token_id)
    p = enc["input_ids"].shape[1]
    return int(completion_mask_from_ids(out[:, p:], tok.eos_token_id).sum()
               + completion_mask_from_ids(greedy[:, p:], tok.eos_token_id).sum())


def bench_generation(tok, tweets, prompts_per_call_old=7, prompts_per_call_new=16) -> dict:
    n, new_tokens, temperature, top_p = 10, 32, 0.9, 0.95
    results = {"setting": f"{len(tweets)} test tweets x (10 samples + 1 greedy) x <= 32 new tokens"}
    for label, dtype, per_call, fn in (
            ("previous_generate_fp32", torch.float32, prompts_per_call_old, "previous"),
            ("decode_loop_fp32", torch.float32, prompts_per_call_new, "ours"),
            ("decode_loop_bf16", torch.bfloat16, prompts_per_call_new, "ours")):
        model = load(dtype)
        torch.manual_seed(0)
        start, tokens = time.perf_counter(), 0
        for i in range(0, len(tweets), per_call):
            enc = encode_prompts(tok, tweet_prompts(tweets[i:i + per_call]), PROMPT)
            if fn == "previous":
                tokens += previous_generate(model, tok, enc, n, new_tokens, temperature, top_p)
            else:
                tokens += int(sample_completions(model, tok, enc, n=n, max_new_tokens=new_tokens, temperature=temperature,
                                                 top_p=top_p, with_greedy=True).lengths.sum())
        seconds = time.perf_counter() - start
        results[label] = {"seconds": seconds, "tokens": tokens, "tokens_per_second": tokens / seconds,
                          "prompts_per_call": per_call}
        print(label, results[label], flush=True)
    return results


def bench_sft(tok, rows, steps: int = 4) -> dict:
    out = {}
    batch = supervised_batch(tok, tweet_prompts([r["tweet"] for r in rows[:8]]), [r["reply"] for r in rows[:8]],
                             PROMPT, 48, "cpu")
    for label, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        torch.manual_seed(0)
        model = add_lora(load(dtype), LoraConfigParams()).train()
        opt, _ = make_optimizer(model, 3e-4, 0.0, 0, steps + 1)
        times = []
        for _ in range(steps + 1):
            t = time.perf_counter()
            loss = cross_entropy(model, batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
            times.append(time.perf_counter() - t)
        out[label] = {"step_seconds": float(np.mean(times[1:])), "tokens_per_step": int(batch["input_ids"].numel())}
        print("sft", label, out[label], flush=True)
    return out


def naive_grpo_step(policy, reference, tok, tweets, cfg, prompt_cfg, reward_fn, optimizer):
    """Per-sample loop (the predecessor's pattern): one sample and one forward/backward per reply."""
    start = time.perf_counter()
    rollouts, rewards = [], []
    for t in tweets:
        enc = encode_prompts(tok, [prompt_cfg.render(t)], prompt_cfg)
        for _ in range(cfg.num_generations):
            r = sample_completions(policy, tok, enc, n=1, max_new_tokens=cfg.max_new_tokens,
                                   temperature=cfg.temperature, top_p=cfg.top_p)
            rollouts.append(r)
            rewards.append(float(reward_fn([t], r.texts)[0]))
    adv = group_advantages(torch.tensor(rewards).view(len(tweets), cfg.num_generations)).flatten()
    optimizer.zero_grad()
    for r, a in zip(rollouts, adv):
        with torch.no_grad():
            ref = completion_logprobs(reference, r.input_ids, r.attention_mask, r.prompt_len, cfg.temperature)
        logp = completion_logprobs(policy, r.input_ids, r.attention_mask, r.prompt_len, cfg.temperature)
        loss, _ = policy_gradient_loss(logp, logp.detach(), ref, a.view(1), r.completion_mask, kl_coeff=cfg.kl_coeff)
        (loss / len(rollouts)).backward()
    optimizer.step()
    return time.perf_counter() - start


def grpo_setup():
    """The GRPO config, the (tweets, replies) scorer and the phase-2 tweets."""
    cfg = TweetGrpoConfig()  # defaults: 4 prompts x 4 generations x 32 new tokens, beta 0.05, hybrid reward
    reward_fn = make_reward_fn(cfg, HeuristicConfig(), EngagementRewardModel.load("models/reward_model"))
    tweets = sorted({r["tweet"] for r in read_jsonl("data/split/phase2.jsonl")})
    return cfg, reward_fn, tweets


def bench_grpo(tok, steps: int = 3) -> dict:
    cfg, reward_fn, tweets = grpo_setup()
    reward_fn(tweets[:2], ["warm-up", "warm-up"])  # load the encoder outside the timings
    out = {}
    for label, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        torch.manual_seed(0)
        policy = add_lora(load(dtype), LoraConfigParams(dropout=0.0))
        reference = load(dtype)
        opt = torch.optim.AdamW([p for p in policy.parameters() if p.requires_grad], lr=cfg.learning_rate)
        times, tokens = [], []
        for s in range(steps + 1):
            batch = grpo_rows(tweets[s * 4:(s + 1) * 4])
            st = grpo_step(policy, reference, tok, batch, cfg, PROMPT, task_reward(reward_fn), opt, cfg.kl_coeff, s)
            times.append(st.step_seconds)
            tokens.append(st.generated_tokens)
        out[label] = {"step_seconds": float(np.mean(times[1:])), "generated_tokens_per_step": float(np.mean(tokens[1:]))}
        print("grpo", label, out[label], flush=True)
        if label == "bf16":
            naive = [naive_grpo_step(policy, reference, tok, tweets[40 + 4 * s:44 + 4 * s], cfg, PROMPT,
                                     reward_fn, opt) for s in range(2)]
            out["naive_per_sample_loop_bf16"] = {"step_seconds": float(np.mean(naive))}
            print("grpo naive", out["naive_per_sample_loop_bf16"], flush=True)
    return out


def numerics(tok, sft_steps: int = 20, grpo_steps: int = 8) -> dict:
    """Default model, one seed: SFT loss and GRPO reward curves in bf16 vs fp32 (same data, same seed)."""
    rows = read_jsonl("data/split/train.jsonl")
    cfg, reward_fn, tweets = grpo_setup()
    curves = {}
    for label, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        torch.manual_seed(0)
        model = add_lora(load(dtype), LoraConfigParams(dropout=0.0)).train()
        opt, _ = make_optimizer(model, 3e-4, 0.0, 2, sft_steps)
        sft = []
        for s in range(sft_steps):
            chunk = rows[8 * s:8 * (s + 1)]
            batch = supervised_batch(tok, tweet_prompts([r["tweet"] for r in chunk]), [r["reply"] for r in chunk],
                                     PROMPT, 48, "cpu")
            loss = cross_entropy(model, batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sft.append(loss.item())
        torch.manual_seed(0)
        policy = add_lora(load(dtype), LoraConfigParams(dropout=0.0))
        reference = load(dtype)
        opt = torch.optim.AdamW([p for p in policy.parameters() if p.requires_grad], lr=cfg.learning_rate)
        grpo = [grpo_step(policy, reference, tok, grpo_rows(tweets[4 * s:4 * (s + 1)]), cfg, PROMPT,
                          task_reward(reward_fn), opt, cfg.kl_coeff, s) for s in range(grpo_steps)]
        curves[label] = {"sft_loss": sft, "grpo_reward": [g.avg_reward for g in grpo], "grpo_kl": [g.kl for g in grpo]}
        print("numerics", label, {k: np.round(v, 4).tolist() for k, v in curves[label].items()}, flush=True)
    f, b = curves["fp32"], curves["bf16"]
    return {"curves": curves,
            "sft_loss_max_abs_diff": float(np.max(np.abs(np.array(f["sft_loss"]) - np.array(b["sft_loss"])))),
            "sft_loss_final_mean_last5": {k: float(np.mean(v["sft_loss"][-5:])) for k, v in curves.items()},
            "grpo_reward_mean": {k: float(np.mean(v["grpo_reward"])) for k, v in curves.items()},
            "grpo_reward_mean_abs_diff": float(abs(np.mean(f["grpo_reward"]) - np.mean(b["grpo_reward"])))}


def sampling_quality(tok, n_tweets: int = 40, seeds=(0, 1)) -> dict:
    """Does bf16 sampling write worse replies? Base model, 10 samples per test tweet, scored by the
    GRPO reward (hybrid: learned + heuristic), fp32 vs bf16, with the standard error of the difference."""
    _, reward_fn, _ = grpo_setup()
    tweets = sorted({r["tweet"] for r in read_jsonl("data/split/test.jsonl")})[:n_tweets]
    scores = {}
    for label, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        model, per_label = load(dtype), []
        for seed in seeds:
            torch.manual_seed(seed)
            for i in range(0, len(tweets), 16):
                chunk = tweets[i:i + 16]
                roll = sample_completions(model, tok, encode_prompts(tok, tweet_prompts(chunk), PROMPT), n=10,
                                          max_new_tokens=32, temperature=0.9, top_p=0.95)
                per_label.extend(reward_fn([t for t in chunk for _ in range(10)], roll.texts).tolist())
        scores[label] = np.array(per_label)
    diff = scores["bf16"].mean() - scores["fp32"].mean()
    se = float(np.sqrt(scores["bf16"].var(ddof=1) / len(scores["bf16"]) + scores["fp32"].var(ddof=1) / len(scores["fp32"])))
    out = {"replies_per_dtype": len(scores["fp32"]), "mean_reward": {k: float(v.mean()) for k, v in scores.items()},
           "bf16_minus_fp32": float(diff), "standard_error": se}
    print("sampling quality", out, flush=True)
    return out


def trl_grpo(bf16: bool, steps: int = 3) -> dict:
    """TRL GRPOTrainer on the identical config, model loaded in fp32 (runs inside benchmarks/.venv-trl);
    bench_grpo.py holds the trainer set-up and TRL's faster settings."""
    from bench_grpo import run_trl
    res = run_trl({"load": "float32", "bf16": bf16}, steps)
    return {"step_seconds": float(np.mean(res["step_seconds"])), "steps_timed": steps, "bf16": bf16}


def bench_trl() -> dict:
    if not TRL_PYTHON.exists():
        return {"skipped": f"{TRL_PYTHON} missing: run bash benchmarks/make_trl_env.sh"}
    out = {}
    for bf16 in (False, True):
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}  # this checkout's polyreply
        res = subprocess.run([str(TRL_PYTHON), __file__, "--trl", "--bf16" if bf16 else "--fp32"],
                             capture_output=True, text=True, env=env)
        line = [x for x in res.stdout.splitlines() if x.startswith("TRL_RESULT ")]
        out["bf16" if bf16 else "fp32"] = (json.loads(line[-1][len("TRL_RESULT "):]) if line
                                           else {"failed": res.stderr[-2000:]})
        print("trl", out, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trl", action="store_true")
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--fp32", action="store_true")
    ap.add_argument("--quality", action="store_true", help="only the bf16-vs-fp32 reply-quality check")
    ap.add_argument("--reuse", default="", help="comma-separated parts copied from the existing speed.json "
                    "instead of measured again (trl, numerics, quality); the file records which")
    args = ap.parse_args()
    reuse = {p for p in args.reuse.split(",") if p}
    unknown = reuse - {"trl", "numerics", "quality"}
    if unknown:
        ap.error(f"--reuse: unknown parts {sorted(unknown)} (choose from trl, numerics, quality)")
    previous = json.loads(OUT.read_text()) if reuse else {}
    if args.quality:  # just this check, added to an existing speed.json
        results = json.loads(OUT.read_text())
        results["sampling_quality_bf16_vs_fp32"] = sampling_quality(load_tokenizer(BASE))
        OUT.write_text(json.dumps(results, indent=2) + "\n")
        return
    if args.trl:
        import trl
        print("TRL_RESULT " + json.dumps({**trl_grpo(bf16=args.bf16), "trl_version": trl.__version__}))
        return
    tok = load_tokenizer(BASE)
    params = sum(p.numel() for p in load(torch.float32).parameters())
    rates = {"fp32": matmul_rate(torch.float32), "bf16": matmul_rate(torch.bfloat16)}
    bound = rates["bf16"] / (2 * params)
    test_tweets = sorted({r["tweet"] for r in read_jsonl("data/split/test.jsonl")})[:32]
    gen = bench_generation(tok, test_tweets)
    for k in ("previous_generate_fp32", "decode_loop_fp32", "decode_loop_bf16"):
        gen[k]["fraction_of_bf16_compute_bound"] = gen[k]["tokens_per_second"] / bound
    results = {
        "torch_threads": torch.get_num_threads(),
        "parameters": params,
        "matmul_gflops": {k: v / 1e9 for k, v in rates.items()},
        "generation_compute_bound_tokens_per_second": bound,
        "generation": gen,
        "sft_step": bench_sft(tok, read_jsonl("data/split/train.jsonl")),
        "grpo_step": bench_grpo(tok),
        "numerics_bf16_vs_fp32": previous["numerics_bf16_vs_fp32"] if "numerics" in reuse else numerics(tok),
        "sampling_quality_bf16_vs_fp32": (previous["sampling_quality_bf16_vs_fp32"] if "quality" in reuse
                                          else sampling_quality(tok)),
    }
    results["trl_grpo_step"] = previous["trl_grpo_step"] if "trl" in reuse else bench_trl()
    results["reused_from_previous_run"] = sorted(reuse)
    ours = results["grpo_step"]["bf16"]["step_seconds"]
    for k, v in results["trl_grpo_step"].items():
        if "step_seconds" in v:
            results[f"trl_{k}_over_ours_bf16"] = v["step_seconds"] / ours
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
