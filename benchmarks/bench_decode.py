"""Small-batch decoding per token (GRPO and polychromic rollouts: 4-16 rows) against its memory floor.

    .venv/bin/dvc repro base_model                     # models/base
    .venv/bin/python benchmarks/bench_decode.py        # -> benchmarks/results/decode.json

The default model in bf16 with an unmerged fp32 LoRA (r=8 on q/k/v/o, random B so it acts), as GRPO
samples it. Per row count, interleaved rounds of:
- forward only, one token step with a KV cache at ~50 context columns: transformers + PEFT under
  no_grad (the path before), the same under inference mode, and ``LlamaDecoder.step`` under inference
  mode (as ``sample_completions`` runs it);
- ``sample_completions`` end to end (prefill, sampling, 32 steps, decode of the texts) per generated
  step: the loop before this work (its code read from git), today's loop on transformers' forward
  (``lean=False``: inference mode and the prefill fix), and today's lean loop;
- the floor: every weight matrix of a step read once (the matmuls alone, same shapes, no other op;
  plain F.linear and with the weights packed as LlamaDecoder runs them), and the same bytes at the
  machine's measured read bandwidth (a sum over a tensor of that size).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

import polyreply  # noqa: F401  (offline env, allocator setting)
from polyreply.core.config import LoraConfigParams
from polyreply.core.llama_decode import LlamaDecoder
from polyreply.core.modeling import add_lora, load_base, load_tokenizer
from polyreply.core.prompts import encode_prompts
from polyreply.core.sampling import sample_completions
from polyreply.io import read_jsonl
from polyreply.tweets.config import TweetPromptConfig

OUT = Path("benchmarks/results/decode.json")
BASE = "models/base"
PROMPT = TweetPromptConfig()


def policy():
    model = add_lora(load_base(BASE), LoraConfigParams())
    torch.manual_seed(0)
    for name, p in model.named_parameters():
        if "lora_B" in name:
            p.data.normal_(0, 0.02)
    return model.eval()


def prompts(tok, n: int):
    tweets = sorted({r["tweet"] for r in read_jsonl("data/split/test.jsonl")})[:n]
    return encode_prompts(tok, [PROMPT.render(t) for t in tweets], PROMPT)


def best(f, repeats: int) -> float:
    """Median of ``repeats`` timings of f() (seconds)."""
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        out.append(time.perf_counter() - t)
    return float(np.median(out))


@torch.no_grad()
def forward_step_times(model, tok, rows: int, steps: int = 8) -> dict:
    """Seconds per one-token forward at ``rows`` rows, transformers vs lean, after a 4-row prompt prefill."""
    enc = prompts(tok, rows // 4)
    ids, mask = enc["input_ids"].repeat_interleave(4, 0), enc["attention_mask"].repeat_interleave(4, 0)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    token = torch.full((rows,), 1000)

    def hf():
        out = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, logits_to_keep=1)
        cache, attention, pos = out.past_key_values, mask, positions[:, -1:] + 1
        t = time.perf_counter()
        for _ in range(steps):
            attention = torch.cat([attention, torch.ones_like(attention[:, :1])], dim=1)
            model(input_ids=token[:, None], attention_mask=attention, position_ids=pos, past_key_values=cache,
                  use_cache=True)
            pos = pos + 1
        return (time.perf_counter() - t) / steps

    @torch.inference_mode()   # as sample_completions runs it
    def lean():
        out = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, logits_to_keep=1)
        dec = LlamaDecoder.build(model)
        dec.start(out.past_key_values, 1, mask, steps + 1)
        pos = positions[:, -1] + 1
        t = time.perf_counter()
        for s in range(steps):
            dec.step(token, pos, s)
            pos = pos + 1
        return (time.perf_counter() - t) / steps

    hf_t, hf_inference_t, lean_t = [], [], []
    for _ in range(5):
        hf_t.append(hf())
        with torch.inference_mode():
            hf_inference_t.append(hf())
        lean_t.append(lean())
    return {"context_columns": int(ids.shape[1]), "transformers_ms": 1e3 * float(np.median(hf_t)),
            "transformers_inference_mode_ms": 1e3 * float(np.median(hf_inference_t)),
            "lean_ms": 1e3 * float(np.median(lean_t))}


BEFORE = "1823981"   # the last commit before this decode work: its sampling.py is the "before" loop


def sampling_before():
    """``sample_completions`` as it was at BEFORE (transformers every token, no_grad, logits_to_keep prefill),
    read from git so that the comparison runs the old code itself, not a copy of it."""
    import types
    import subprocess
    src = subprocess.run(["git", "show", f"{BEFORE}:polyreply/core/sampling.py"], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parent).stdout
    module = types.ModuleType("sampling_before")
    sys.modules[module.__name__] = module   # its dataclass looks itself up there
    exec(compile(src, f"{BEFORE}:polyreply/core/sampling.py", "exec"), module.__dict__)
    return module.sample_completions


def sampling_times(model, tok, rows: int) -> dict:
    """sample_completions end to end, 4 samples per prompt, 32 new tokens, GRPO's temperature 1.0, top-p 0.95:
    the loop before this work, today's loop on transformers' forward, today's lean loop."""
    enc = prompts(tok, rows // 4)
    old = sampling_before()
    runs = {"before": lambda **kw: old(model, tok, enc, **kw),
            "transformers": lambda **kw: sample_completions(model, tok, enc, lean=False, **kw),
            "lean": lambda **kw: sample_completions(model, tok, enc, lean=True, **kw)}
    res = {}
    for _ in range(2):
        for key, run in runs.items():
            t = time.perf_counter()
            roll = run(n=4, max_new_tokens=32, temperature=1.0, top_p=0.95, prompt_seeds=list(range(rows // 4)))
            sec = time.perf_counter() - t
            res.setdefault(key, []).append({"seconds": sec, "steps": int(roll.completion_ids.shape[1]),
                                            "tokens": int(roll.lengths.sum()), "texts": roll.texts})
    out = {"same_texts_for_the_seed": res["lean"][0]["texts"] == res["transformers"][0]["texts"] == res["before"][0]["texts"]}
    for key, r in res.items():
        out[key] = {"ms_per_step": 1e3 * float(np.median([x["seconds"] / x["steps"] for x in r])),
                    "steps": r[0]["steps"], "generated_tokens": r[0]["tokens"]}
    return out


@torch.no_grad()
def floor(model, rows: int) -> dict:
    """The matmuls of one decode step alone (every base and LoRA weight once, at ``rows`` rows)."""
    mats = [(p.shape, p.dtype) for n, p in model.named_parameters() if p.dim() == 2 and "embed" not in n]
    lm = model.get_base_model()
    mats.append((lm.lm_head.weight.shape, lm.lm_head.weight.dtype))   # tied head: read once as the head
    weights = [torch.randn(s, dtype=d) * 0.02 for s, d in mats]
    xs = {(w.shape[1], w.dtype): torch.randn(rows, w.shape[1], dtype=w.dtype) for w in weights}

    def run():
        for w in weights:
            torch.nn.functional.linear(xs[(w.shape[1], w.dtype)], w)
    run()
    matmul = best(run, 20)
    from polyreply.core.llama_decode import frozen_linear
    packed = [(frozen_linear(w) if w.dtype == torch.bfloat16 else (lambda x, w=w: torch.nn.functional.linear(x, w)), w)
              for w in weights]

    def run_packed():
        for f, w in packed:
            f(xs[(w.shape[1], w.dtype)])
    run_packed()
    matmul_packed = best(run_packed, 20)
    nbytes = sum(w.numel() * w.element_size() for w in weights)
    big = torch.empty(nbytes // 4, dtype=torch.float32).normal_()
    read = best(lambda: big.sum(), 20)   # a sum reads every byte once, at ~1 flop per 4 bytes
    return {"weight_bytes": nbytes, "matmuls_only_ms": 1e3 * matmul, "matmuls_only_packed_ms": 1e3 * matmul_packed, "read_bandwidth_GBps": nbytes / read / 1e9,
            "bandwidth_floor_ms": 1e3 * read}


def main() -> None:
    tok = load_tokenizer(BASE)
    model = policy()
    import platform
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    out = {"torch_threads": torch.get_num_threads(), "cpu": cpu, "rows": {}}
    for rows in (4, 8, 16):
        r = {"forward": forward_step_times(model, tok, rows), "sampling": sampling_times(model, tok, rows),
             "floor": floor(model, rows)}
        f = r["forward"]
        r["forward"]["speedup"] = f["transformers_ms"] / f["lean_ms"]
        s = r["sampling"]
        s["speedup_per_step"] = s["before"]["ms_per_step"] / s["lean"]["ms_per_step"]
        for k in ("before", "transformers", "lean"):
            s[k]["floor_over_this"] = r["floor"]["bandwidth_floor_ms"] / s[k]["ms_per_step"]
        out["rows"][rows] = r
        print(rows, json.dumps(r), flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
