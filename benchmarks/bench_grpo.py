"""One GRPO step, this project vs TRL at its best on this machine, at equal generated tokens.

    .venv/bin/dvc repro base_model reward_model     # models/base, models/reward_model
    bash benchmarks/make_trl_env.sh                 # TRL in benchmarks/.venv-trl (the speed anchor only)
    .venv/bin/python benchmarks/bench_grpo.py       # -> benchmarks/results/grpo_vs_trl.json

The default GRPO config (4 prompts x 4 generations x <= 32 new tokens, LoRA r=8 on q/k/v/o, beta
0.05, the hybrid reward, temperature 0.9, top-p 1.0), from the base model with a fresh LoRA. Each
variant runs ``--steps`` timed steps after one warm-up step in its own process; ``--rounds`` rounds
interleave the variants so that a slow spell of the machine hits them all. TRL variants: the model
loaded in fp32 with ``bf16=True`` (autocast; what BENCHMARKS.md called TRL's best before), loaded in
bf16, and bf16 with each setting that could make it faster on CPU (``torch_compile``, a static KV
cache for generation, continuous batching, Liger kernels); a variant that fails says why.
Every result carries the generated tokens per step, so per-token figures compare equal work.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "results" / "grpo_vs_trl.json"
TRL_PYTHON = HERE / ".venv-trl" / "bin" / "python"
OURS = {"ours_bf16": {"lean": True, "shared_prompt": True},
        "ours_bf16_before": {"lean": False, "shared_prompt": False},   # transformers decode, full log-prob passes
        "ours_bf16_transformers_decode": {"lean": False, "shared_prompt": True}}
TRL = {
    "trl_fp32_load_bf16_autocast": {"load": "float32"},
    "trl_bf16": {"load": "bfloat16"},
    "trl_bf16_torch_compile": {"load": "bfloat16", "args": {"torch_compile": True}},
    "trl_bf16_static_cache": {"load": "bfloat16", "args": {"cache_implementation": "static"}},
    "trl_bf16_continuous_batching": {"load": "bfloat16", "args": {"use_transformers_continuous_batching": True}},
    "trl_bf16_liger": {"load": "bfloat16", "args": {"use_liger_kernel": True}},
}


def run_ours(spec: dict, steps: int) -> dict:
    import torch
    from bench_speed import PROMPT, grpo_rows, grpo_setup, load
    from polyreply.core.config import LoraConfigParams
    from polyreply.core.grpo import grpo_step
    from polyreply.core.modeling import add_lora, load_tokenizer
    from polyreply.core import sampling
    from polyreply.tweets.rewards import task_reward

    cfg, reward_fn, tweets = grpo_setup()
    tok = load_tokenizer("models/base")
    reward_fn(tweets[:2], ["warm-up", "warm-up"])   # the encoder loads outside the timings
    torch.manual_seed(0)
    policy = add_lora(load(torch.bfloat16), LoraConfigParams(dropout=0.0))
    reference = load(torch.bfloat16)
    opt = torch.optim.AdamW([p for p in policy.parameters() if p.requires_grad], lr=cfg.learning_rate)
    import polyreply.core.grpo as grpo_module
    if not spec["lean"]:
        original = sampling.sample_completions
        grpo_module.sample_completions = lambda *a, **k: original(*a, **k, lean=False)
    if not spec["shared_prompt"]:
        full_pass = grpo_module.completion_logprobs
        grpo_module.completion_logprobs = lambda *a, group=1, **k: full_pass(*a, **k)
    times, tokens = [], []
    for s in range(steps + 1):
        st = grpo_step(policy, reference, tok, grpo_rows(tweets[s * 4:(s + 1) * 4]), cfg, PROMPT,
                       task_reward(reward_fn), opt, cfg.kl_coeff, s)
        times.append(st.step_seconds)
        tokens.append(st.generated_tokens)
    return {"step_seconds": times[1:], "generated_tokens": tokens[1:]}


def run_trl(spec: dict, steps: int) -> dict:
    import datasets
    import torch
    from bench_speed import PROMPT, grpo_setup
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer
    from polyreply.core.modeling import load_tokenizer

    cfg, reward_fn, tweets = grpo_setup()
    tok = load_tokenizer("models/base")
    data = datasets.Dataset.from_list([{"prompt": [{"role": "system", "content": PROMPT.system},
                                                   {"role": "user", "content": PROMPT.instruction.format(tweet=t)}],
                                        "tweet": t} for t in tweets[:4 * (steps + 2)]])

    def reward(prompts, completions, tweet, **_):
        texts = [c[-1]["content"] if isinstance(c, list) else c for c in completions]
        return [float(x) for x in reward_fn(list(tweet), texts)]

    reward_fn(tweets[:2], ["warm-up", "warm-up"])
    times = []

    class Clock(TrainerCallback):
        def on_step_begin(self, *a, **k):
            self.t = time.perf_counter()

        def on_step_end(self, *a, **k):
            times.append(time.perf_counter() - self.t)

    args = GRPOConfig(output_dir="/tmp/trl_bench", use_cpu=True, bf16=spec.get("bf16", True), max_steps=steps + 1,
                      per_device_train_batch_size=cfg.prompts_per_step * cfg.num_generations,
                      num_generations=cfg.num_generations, max_completion_length=cfg.max_new_tokens,
                      temperature=cfg.temperature, top_p=cfg.top_p, top_k=0, beta=cfg.kl_coeff,
                      learning_rate=cfg.learning_rate, loss_type="dapo", num_iterations=1, logging_steps=1,
                      report_to=[], save_strategy="no", disable_dropout=True, seed=0, **spec.get("args", {}))
    model = AutoModelForCausalLM.from_pretrained("models/base", dtype=getattr(torch, spec["load"]))
    trainer = GRPOTrainer(model=model, reward_funcs=reward, args=args, train_dataset=data, processing_class=tok,
                          peft_config=LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0,
                                                 target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
                                                 task_type="CAUSAL_LM"),
                          callbacks=[Clock()])
    trainer.train()
    lengths = [h["completions/mean_length"] for h in trainer.state.log_history if "completions/mean_length" in h]
    n = cfg.prompts_per_step * cfg.num_generations
    return {"step_seconds": times[1:], "generated_tokens": [round(m * n) for m in lengths[1:]]}


def child(name: str, steps: int) -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(HERE))
    spec = {**OURS, **TRL}[name]
    res = run_ours(spec, steps) if name in OURS else run_trl(spec, steps)
    print("RESULT " + json.dumps(res), flush=True)


def measure(name: str, steps: int) -> dict:
    python = sys.executable if name in OURS else str(TRL_PYTHON)
    if name in TRL and not TRL_PYTHON.exists():
        return {"failed": f"{TRL_PYTHON} missing: run bash benchmarks/make_trl_env.sh"}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([python, __file__, "--child", name, "--steps", str(steps)], capture_output=True,
                         text=True, env=env, cwd=ROOT)
    line = [x for x in res.stdout.splitlines() if x.startswith("RESULT ")]
    if not line:
        tail = [x for x in res.stderr.strip().splitlines() if x.strip()][-3:]
        return {"failed": " | ".join(tail)[-600:]}
    return json.loads(line[-1][len("RESULT "):])


def summarise(runs: list[dict]) -> dict:
    ok = [r for r in runs if "step_seconds" in r]
    if not ok:
        return {"failed": runs[-1]["failed"]}
    secs = [s for r in ok for s in r["step_seconds"]]
    toks = [t for r in ok for t in r["generated_tokens"]]
    # the median: TRL's torch_compile recompiles on its first timed step (280 s once), then runs steady
    return {"step_seconds_median": float(np.median(secs)), "step_seconds_mean": float(np.mean(secs)),
            "step_seconds_per_round": [float(np.median(r["step_seconds"])) for r in ok],
            "generated_tokens_per_step": float(np.mean(toks)),
            "ms_per_generated_token": 1e3 * float(np.median(secs)) / float(np.mean(toks))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated variant names (default: all)")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.steps)
        return
    names = [n for n in {**OURS, **TRL} if not args.only or n in args.only.split(",")]
    runs: dict[str, list] = {n: [] for n in names}
    for r in range(args.rounds):
        for name in names:
            if r > 0 and "failed" in runs[name][0]:
                continue
            runs[name].append(measure(name, args.steps))
            print(r, name, json.dumps(runs[name][-1])[:300], flush=True)
    out = {"steps_timed_per_round": args.steps, "rounds": args.rounds, "runs": runs,
           "summary": {n: summarise(v) for n, v in runs.items()}}
    ours = out["summary"].get("ours_bf16", {}).get("step_seconds_median")
    trl_times = {n: s["step_seconds_median"] for n, s in out["summary"].items() if n in TRL and "step_seconds_median" in s}
    if ours and trl_times:
        best = min(trl_times, key=trl_times.get)
        out["trl_best"] = best
        out["trl_best_over_ours"] = trl_times[best] / ours
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out["summary"], indent=2), out.get("trl_best"), out.get("trl_best_over_ours"))


if __name__ == "__main__":
    main()
