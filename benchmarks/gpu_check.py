"""GPU check: the project's own CUDA path on a random SmolLM2-135M-shaped model, offline, nothing downloaded.

    bash benchmarks/gpu_check.sh                          # GPU machine with torch, transformers, peft, numpy only
    python benchmarks/gpu_check.py --device cpu --tiny --out /tmp/gpu_check.json   # the CPU smoke test
    python benchmarks/gpu_check.py --device cpu --quick   # the full architecture, few tokens: ~2 min on 2 CPU cores

Steps, each timed between torch.cuda.synchronize calls: environment (versions, GPU), build (a random model and an
in-code tokenizer saved as a models/base folder), load (back with the project's load_tokenizer and load_base), decode
with the project's LlamaDecoder (lean) and with transformers, LoRA SFT steps, GRPO steps, one SFT and one GRPO step
over a 1-process NCCL group (gloo on CPU), peak memory, imports (nothing was imported beyond what torch, transformers,
peft and numpy require, recursively). A failed step is reported and the later ones still run where they can; exit
status 1 if any step failed or the run was stopped.
JSON results go to $OUT/gpu_check.json when $OUT is set and to --out when given, rewritten before and after every
step: a run stopped by the wrapper's timeout keeps what it measured ("complete": false, "running": the step it was in).
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import re
import signal
import socket
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import peft
import torch
import torch.distributed as torch_dist
import transformers
from packaging.requirements import Requirement
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

transformers.utils.logging.disable_progress_bar()   # no tqdm bars (saving, loading weights) in the log
BASELINE = set(sys.modules)   # what the core and the steps import on top of this is checked (step_imports)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the checkout's polyreply, not an installed one
try:
    from polyreply.core import grpo, policy_gradient  # noqa: F401 (imported to be checked)
    from polyreply.core.config import BaseModelConfig, GrpoConfig, LoraConfigParams, PromptConfig, SftConfig
    from polyreply.core.distributed import SINGLE, Dist, init_distributed, prompt_seeds
    from polyreply.core.llama_decode import LlamaDecoder
    from polyreply.core.modeling import add_lora, device_of, load_base, load_tokenizer, save_base_model, storage_dtype
    from polyreply.core.prompts import encode_prompts
    from polyreply.core.sampling import sample_completions
    from polyreply.core.sft import cross_entropy
    from polyreply.core.training import make_optimizer, supervised_batch
except ImportError as exc:
    sys.exit(f"[gpu_check] FAILED step imports: {exc!r}")

FULL = dict(vocab=49152, hidden=576, inter=1536, layers=30, heads=9, kv_heads=3, prompts=16, samples=8, new_tokens=64,
            sft_rows=8, reply_tokens=48, grpo_prompts=8, generations=8, grpo_tokens=64, steps=3)
TINY = dict(vocab=512, hidden=64, inter=128, layers=2, heads=4, kv_heads=2, prompts=4, samples=4, new_tokens=8,
            sft_rows=4, reply_tokens=8, grpo_prompts=2, generations=4, grpo_tokens=8, steps=2)
# --quick: the full architecture (the real weight shapes, a 135M-parameter save and load) with the tiny workload
ARCHITECTURE = ("vocab", "hidden", "inter", "layers", "heads", "kv_heads")
QUICK = {**FULL, **{k: v for k, v in TINY.items() if k not in ARCHITECTURE}}
SIZES = {"full": FULL, "quick": QUICK, "tiny": TINY}
CORE = ("torch", "transformers", "peft", "numpy")   # all a bare GPU machine has, with what they require
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
WORDS = SPECIALS + ["user", "assistant", "system"]   # then filler words w6, w7, ... up to the vocabulary size
CHATML = ("{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n' }}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


def normalise(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()   # PEP 503: "Jinja2" and "typing_extensions" as pip spells them


def requirement_closure(roots=CORE) -> set[str]:
    """Normalised names of the installed distributions ``roots`` require, recursively, the roots included.

    Requirements behind an extra or whose marker excludes this platform or Python are left out (a bare machine does
    not have them), and so are uninstalled ones (nothing can import them)."""
    closure, todo = set(), list(roots)
    while todo:
        name = normalise(todo.pop())
        if name in closure:
            continue
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        closure.add(name)
        for text in requires:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return closure


def allowed_modules(closure: set[str], owners: dict[str, list[str]]) -> set[str]:
    """Top-level modules a bare machine can import: those of the ``closure``'s distributions (``owners``: module ->
    distributions; triton, mpmath via sympy, the nvidia-* libraries, ...), the standard library and polyreply."""
    owned = {module for module, dists in owners.items() if any(normalise(d) in closure for d in dists)}
    return owned | set(sys.stdlib_module_names) | {"polyreply"}


def unexpected_imports(since: set[str], closure: set[str]) -> list[str]:
    """Top-level packages first imported after ``since`` that a machine with only the ``closure`` installed lacks.

    A package already loaded at ``since`` is not counted: transformers imports scipy, PIL, ... where they happen to be
    installed, and its later lazy imports of them are not the core's doing. Private names that no distribution owns
    (_cython_3_2_4, _remote_module_non_scriptable) are made at run time by a module that is itself checked."""
    owners = metadata.packages_distributions()
    new = top_level(sys.modules) - top_level(since) - allowed_modules(closure, owners)
    return sorted(m for m in new if not (m.startswith("_") and m not in owners))


def top_level(modules) -> set[str]:
    return {m.split(".")[0] for m in modules}


def build_tokenizer(vocab: int) -> PreTrainedTokenizerFast:
    """A WordLevel tokenizer in code: every id decodes to a word, pad = eos = <|im_end|> as in SmolLM2."""
    words = WORDS + [f"w{i}" for i in range(len(WORDS), vocab)]
    core = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token=SPECIALS[0]))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, unk_token=SPECIALS[0], bos_token=SPECIALS[1],
                                  eos_token=SPECIALS[2], pad_token=SPECIALS[2], model_max_length=2048)
    tok.chat_template = CHATML
    return tok


class Stopped(BaseException):
    """SIGTERM (the wrapper's timeout): like KeyboardInterrupt not an Exception, so it ends the run, not one step."""


def stop(signum, _frame):
    raise Stopped(f"stopped by {signal.Signals(signum).name} (the wrapper's timeout?)")


class Check:
    """The state the steps share (model, tokenizer, policy, ...), each step's result and where they are written."""

    def __init__(self, device: str, size: str, outs: list[Path]):
        self.device, self.size, self.cfg, self.outs = torch.device(device), size, SIZES[size], outs
        self.results, self.rng, self.running, self.complete = {}, np.random.default_rng(0), None, False
        if self.device.type == "cuda" and self.device.index is None and torch.cuda.is_available():
            self.device = torch.device("cuda", torch.cuda.current_device())   # torch.cuda.set_device needs an index

    def failed(self) -> list[str]:
        return [n for n, r in self.results.items() if not r["ok"]]

    def save(self) -> None:
        """Write the JSON results as they stand; ok only once every step has run and passed."""
        result = {"ok": self.complete and not self.failed(), "complete": self.complete, "running": self.running,
                  "failed": self.failed(), "size": self.size, "tiny": self.size == "tiny", "config": self.cfg,
                  "steps": self.results}
        text = json.dumps(result, indent=2, default=str)
        for path in self.outs:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(text)
            os.replace(tmp, path)   # atomic: a kill mid-write leaves the previous JSON, never half of one

    def sync(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def timed(self, fn):
        """(fn(), its seconds), with the GPU's queued work finished before and after."""
        self.sync()
        start = time.perf_counter()
        out = fn()
        self.sync()
        return out, time.perf_counter() - start

    def run(self, name: str, fn, needs: str | None = None):
        self.running = name
        self.save()
        if needs is not None and not hasattr(self, needs):
            self.results[name] = {"ok": False, "skipped": True, "error": f"no {needs}: an earlier step failed"}
        else:
            try:
                details, seconds = self.timed(fn)
                self.results[name] = {"ok": True, "seconds": seconds, **details}
            except Exception as exc:   # noqa: BLE001 - reported at the end; the later steps still run
                traceback.print_exc()
                self.results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        self.running = None
        self.save()
        print(f"[gpu_check] {name}: {status(self.results[name])}", flush=True)

    def text(self, lo: int, hi: int) -> str:
        return " ".join(f"w{i}" for i in self.rng.integers(len(WORDS), self.cfg["vocab"], self.rng.integers(lo, hi)))


def step_environment(ck: Check) -> dict:
    info = {"python": sys.version.split()[0], "torch": torch.__version__, "transformers": transformers.__version__,
            "peft": peft.__version__, "numpy": np.__version__, "device": str(ck.device)}
    if ck.device.type == "cuda":
        info.update(gpu=torch.cuda.get_device_name(ck.device), cuda=torch.version.cuda,
                    bf16=torch.cuda.is_bf16_supported())
    return info


def step_build(ck: Check) -> dict:
    """A random SmolLM2-shaped model and the in-code tokenizer, saved as the base_model stage saves models/base."""
    c, tok = ck.cfg, build_tokenizer(ck.cfg["vocab"])
    config = LlamaConfig(vocab_size=c["vocab"], hidden_size=c["hidden"], intermediate_size=c["inter"],
                         num_hidden_layers=c["layers"], num_attention_heads=c["heads"], num_key_value_heads=c["kv_heads"],
                         tie_word_embeddings=True, rope_theta=100000.0, max_position_embeddings=2048, rms_norm_eps=1e-5,
                         bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    # params.yaml's dtype "auto": stored fp32, loaded in bf16 where bf16 is native (CUDA with bf16, as on H100/H200)
    base = BaseModelConfig(source="local", name_or_path="random (gpu_check)", dtype="auto", max_length=512)
    torch.manual_seed(0)
    model, build_s = ck.timed(lambda: LlamaForCausalLM(config).to(storage_dtype(base.dtype)))
    folder = ck.tmp / "base"
    _, save_s = ck.timed(lambda: save_base_model(model, tok, folder, base))
    ck.base_dir = folder
    return {"parameters_m": sum(p.numel() for p in model.parameters()) / 1e6, "build_s": build_s, "save_s": save_s,
            "folder_mb": sum(f.stat().st_size for f in folder.iterdir()) / 2**20}


def step_load(ck: Check) -> dict:
    """models/base back from disk as train_sft loads it (safetensors, polyreply_base.json), then onto the device."""
    ck.tok, tok_s = ck.timed(lambda: load_tokenizer(ck.base_dir))
    model, load_s = ck.timed(lambda: load_base(ck.base_dir, for_training=True))   # on CUDA already where available
    ck.model, move_s = ck.timed(lambda: model.to(ck.device).eval())
    dtype = next(ck.model.parameters()).dtype
    return {"dtype": str(dtype).removeprefix("torch."), "tokenizer_s": tok_s, "load_s": load_s, "to_device_s": move_s}


def step_decode(ck: Check, lean: bool) -> dict:
    if lean and LlamaDecoder.build(ck.model) is None:
        raise RuntimeError("LlamaDecoder.build refused the model: lean=True would silently decode with transformers")
    c = ck.cfg
    enc = encode_prompts(ck.tok, [ck.text(5, 40) for _ in range(c["prompts"])], PromptConfig(), ck.device)
    # per-prompt seeds as grpo_step passes them: each row draws its uniforms from its own CPU torch.Generator
    kw = dict(n=c["samples"], temperature=1.0, top_p=0.95, prompt_seeds=prompt_seeds(0, 0, c["prompts"]), lean=lean)
    # warm-up (kernels, allocator) on prompts of one length: no padding, so LlamaDecoder takes its unmasked SDPA call
    same = encode_prompts(ck.tok, [ck.text(20, 21) for _ in range(c["prompts"])], PromptConfig(), ck.device)
    sample_completions(ck.model, ck.tok, same, max_new_tokens=4, **kw)
    out, seconds = ck.timed(lambda: sample_completions(ck.model, ck.tok, enc, max_new_tokens=c["new_tokens"], **kw))
    tokens = int(out.lengths.sum())
    return {"rows": out.input_ids.shape[0], "tokens": tokens, "decode_s": seconds, "tokens_per_s": tokens / seconds}


def sft_step(policy, tok, opt, sched, rows: list[dict], cfg: SftConfig, dist: Dist) -> tuple[float, int]:
    """One step of train_sft's loop (polyreply/core/sft.py) without its logging and evaluation: (loss, tokens)."""
    local = dist.shard(rows, "sft.batch_size")
    batch = supervised_batch(tok, [r["prompt"] for r in local], [r["completion"] for r in local], PromptConfig(),
                             cfg.max_reply_tokens, device_of(policy))
    loss = cross_entropy(policy, batch, dist)
    trainable = [p for p in policy.parameters() if p.requires_grad]
    opt.zero_grad(set_to_none=True)
    loss.backward()
    dist.sum_gradients(trainable)
    torch.nn.utils.clip_grad_norm_(trainable, cfg.grad_clip)
    opt.step()
    sched.step()
    if not math.isfinite(value := dist.sum(loss.item())):
        raise FloatingPointError(f"SFT loss is {value}")
    return value, int(batch["attention_mask"].sum())


def step_sft(ck: Check, dist: Dist = SINGLE, steps: int | None = None) -> dict:
    if not hasattr(ck, "policy"):   # the GRPO reference: the same base and (zero-init) LoRA, frozen, as stages/grpo.py
        ck.reference = add_lora(copy.deepcopy(ck.model), LoraConfigParams()).eval().requires_grad_(False)
        ck.policy = add_lora(ck.model, LoraConfigParams())
    cfg = SftConfig(batch_size=ck.cfg["sft_rows"], max_reply_tokens=ck.cfg["reply_tokens"])
    opt, sched = make_optimizer(ck.policy, cfg.learning_rate, cfg.weight_decay, cfg.warmup_steps, cfg.max_steps)
    rows = [{"prompt": ck.text(5, 40), "completion": ck.text(3, 60)} for _ in range(cfg.batch_size)]
    ck.policy.train()   # LoRA dropout on, as in train_sft
    runs = [ck.timed(lambda: sft_step(ck.policy, ck.tok, opt, sched, rows, cfg, dist))
            for _ in range(steps or ck.cfg["steps"])]
    seconds = float(np.mean([s for _, s in runs[1:] or runs]))   # the first step pays for warm-up
    (loss, tokens), _ = runs[-1]
    return {"loss": loss, "tokens": tokens, "step_s": seconds, "first_step_s": runs[0][1], "tokens_per_s": tokens / seconds}


def distinct_words(prompts, completions, *, target, **_) -> np.ndarray:
    """A RewardFn (core/rewards.py): distinct words in the reply, capped at the row's ``target`` column."""
    return np.array([min(len(set(c.split())), t) for c, t in zip(completions, target)], dtype=np.float64)


def step_grpo(ck: Check, dist: Dist = SINGLE, steps: int | None = None) -> dict:
    c = ck.cfg
    cfg = GrpoConfig(prompts_per_step=c["grpo_prompts"], num_generations=c["generations"], max_new_tokens=c["grpo_tokens"])
    ck.policy.eval()   # as train_grpo: dropout off, so ratio and KL compare one function
    opt = torch.optim.AdamW([p for p in ck.policy.parameters() if p.requires_grad], lr=cfg.learning_rate)
    runs = []
    for step in range(1, (steps or c["steps"]) + 1):
        rows = [{"prompt": ck.text(5, 40), "target": int(ck.rng.integers(2, 40))} for _ in range(cfg.prompts_per_step)]
        seeds = prompt_seeds(0, step, len(rows))
        runs.append(ck.timed(lambda: grpo.grpo_step(ck.policy, ck.reference, ck.tok, rows, cfg, PromptConfig(),
                                                    distinct_words, opt, cfg.kl_coeff, step, seeds=seeds, dist=dist)))
        if not math.isfinite(runs[-1][0].loss):
            raise FloatingPointError(f"GRPO loss is {runs[-1][0].loss} at step {step}")
    seconds = float(np.mean([s for _, s in runs[1:] or runs]))
    tokens = float(np.mean([st.generated_tokens for st, _ in runs[1:] or runs]))
    return {"step_s": seconds, "first_step_s": runs[0][1], "tokens_per_s": tokens / seconds, "telemetry": asdict(runs[-1][0])}


@dataclass(frozen=True)
class GroupOfOne(Dist):
    """The project's Dist over a real process group of one rank. Dist skips every collective at world 1 (a plain
    run stays unchanged), so this one says world=2 to run them, keeps the whole batch (``shard``) and averages over
    the group's real size (``mean``): all-reduces over one rank are identities, the figures stay one-process ones."""
    world: int = 2

    def shard(self, items, what="batch"):
        return items

    def mean(self, value):
        return None if value is None else self.sum(value) / torch_dist.get_world_size()


def step_distributed(ck: Check) -> dict:
    cuda = ck.device.type == "cuda"
    with socket.socket() as s:   # a free port for the rendezvous
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK="0", WORLD_SIZE="1", LOCAL_RANK="0")
    plain = init_distributed()   # at world 1 the project's path is SINGLE, with no process group
    if cuda:
        torch.cuda.set_device(ck.device)
    torch_dist.init_process_group("nccl" if cuda else "gloo", rank=0, world_size=1)   # NCCL reduces CUDA tensors only
    reduce, reduced = torch_dist.all_reduce, []

    def counted(tensor, *args, **kwargs):   # Dist calls torch_dist.all_reduce: count its calls and their sizes
        reduced.append(tensor.numel())
        return reduce(tensor, *args, **kwargs)

    torch_dist.all_reduce = counted
    try:
        dist = GroupOfOne(device=str(ck.device) if cuda else "cpu")
        out = {"backend": torch_dist.get_backend(), "world_size": torch_dist.get_world_size(),
               "init_distributed_single": plain is SINGLE, "sft": step_sft(ck, dist, 1), "grpo": step_grpo(ck, dist, 1)}
        dist.finish()   # barrier, destroy_process_group
    finally:
        torch_dist.all_reduce = reduce
        if torch_dist.is_initialized():
            torch_dist.destroy_process_group()
    if not reduced:
        raise RuntimeError("no all-reduce ran: the step did not exercise the collectives")
    if not cuda:
        print("[gpu_check] distributed: --device cpu, so backend gloo instead of nccl")
    return {**out, "all_reduce_calls": len(reduced), "all_reduce_max_numel": max(reduced),
            "tokens_per_s": out["grpo"]["tokens_per_s"]}


def step_memory(ck: Check) -> dict:
    if ck.device.type == "cuda":
        return {"peak_allocated_mb": torch.cuda.max_memory_allocated(ck.device) / 2**20,
                "peak_reserved_mb": torch.cuda.max_memory_reserved(ck.device) / 2**20}
    import resource
    return {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def step_imports(ck: Check) -> dict:
    """Everything imported since torch, transformers, peft and numpy were (the core at import time, the steps lazily:
    CUDA kernels, tokenizer loading, ...) must be installed on a bare machine: in their requirements' closure."""
    closure = requirement_closure()
    if extra := unexpected_imports(BASELINE, closure):
        raise RuntimeError(f"imported beyond what torch/transformers/peft/numpy require: {extra}")
    new = top_level(sys.modules) - top_level(BASELINE) - set(sys.stdlib_module_names)
    return {"distributions": len(closure), "new_packages": sorted(m for m in new if not m.startswith("_"))}


def status(result: dict) -> str:
    return "ok" if result["ok"] else "SKIPPED" if result.get("skipped") else "FAILED"


def brief(value):
    """Floats to 4 significant digits, in nested dicts too (the table's details)."""
    if isinstance(value, dict):
        return {k: brief(v) for k, v in value.items()}
    return float(f"{value:.4g}") if isinstance(value, float) else value


def report(results: dict) -> None:
    print(f"\n{'step':<20} {'status':<7} {'seconds':>9} {'tokens/s':>10}  details")
    for name, r in results.items():
        tps = f"{r['tokens_per_s']:.0f}" if "tokens_per_s" in r else "-"
        details = r.get("error") or json.dumps(brief({k: v for k, v in r.items() if k not in ("ok", "seconds")}))
        print(f"{name:<20} {status(r):<7} {r.get('seconds', math.nan):>9.3f} {tps:>10}  {details}")


def run_steps(ck: Check) -> None:
    ck.run("environment", lambda: step_environment(ck))
    ck.run("build", lambda: step_build(ck))
    ck.run("load", lambda: step_load(ck), needs="base_dir")
    ck.run("decode_lean", lambda: step_decode(ck, lean=True), needs="model")
    ck.run("decode_transformers", lambda: step_decode(ck, lean=False), needs="model")
    ck.run("sft", lambda: step_sft(ck), needs="model")
    ck.run("grpo", lambda: step_grpo(ck), needs="policy")
    ck.run("distributed", lambda: step_distributed(ck), needs="policy")
    ck.run("memory", lambda: step_memory(ck))
    ck.run("imports", lambda: step_imports(ck))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--tiny", action="store_const", dest="size", const="tiny",
                      help="hidden 64, 2 layers, vocab 512, few tokens (CPU smoke test)")
    size.add_argument("--quick", action="store_const", dest="size", const="quick",
                      help="the full architecture with --tiny's few prompts, tokens and steps")
    ap.add_argument("--out", type=Path, help="JSON results (also $OUT/gpu_check.json when $OUT is set)")
    args = ap.parse_args()
    outs = [Path(os.environ["OUT"]) / "gpu_check.json"] if os.environ.get("OUT") else []
    outs += [args.out] if args.out else []
    ck = Check(args.device, args.size or "full", outs)
    signal.signal(signal.SIGTERM, stop)
    try:
        with tempfile.TemporaryDirectory(prefix="gpu_check_") as tmp:
            ck.tmp = Path(tmp)
            run_steps(ck)
        ck.complete = True
    except (Stopped, KeyboardInterrupt) as exc:   # keep the figures so far, mark the step it was in
        ck.results[ck.running or "stopped"] = {"ok": False, "error": str(exc) or type(exc).__name__}
        ck.running = None
    ck.save()
    report(ck.results)
    for path in outs:
        print(f"[gpu_check] wrote {path}")
    for name in ck.failed():
        print(f"[gpu_check] {status(ck.results[name])} step {name}: {ck.results[name]['error']}", file=sys.stderr)
    if not ck.complete:
        print("[gpu_check] INCOMPLETE: the run stopped before its last step", file=sys.stderr)
    return 0 if ck.complete and not ck.failed() else 1


if __name__ == "__main__":
    sys.exit(main())
