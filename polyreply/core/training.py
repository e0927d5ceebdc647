"""Shared training plumbing: batches in the [prompt | reply] layout, optimiser, dvclive."""
from __future__ import annotations

import json
import random
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from .config import PromptConfig
from .modeling import device_of
from .prompts import Prompt, encode_data, encode_prompts


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def supervised_batch(tok, prompts: list[Prompt | str], completions: list[str], prompt_cfg: PromptConfig,
                     max_completion_tokens: int, device) -> dict:
    """Left-padded prompts + right-padded target completions (+EOS): same layout as a rollout.
    A completion is data (``encode_data``: a reply holding "<|im_end|>" stays text); EOS is cut with it
    when the reply is longer than ``max_completion_tokens``."""
    prompts = encode_prompts(tok, prompts, prompt_cfg, device)
    replies = [(encode_data(tok, c.strip()) + [tok.eos_token_id])[:max_completion_tokens] for c in completions]
    width = max(len(r) for r in replies)
    reply_ids = torch.tensor([r + [tok.pad_token_id] * (width - len(r)) for r in replies], device=device)
    reply_mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in replies], device=device)
    return {
        "input_ids": torch.cat([prompts["input_ids"], reply_ids], dim=1),
        "attention_mask": torch.cat([prompts["attention_mask"], reply_mask], dim=1),
        "completion_mask": reply_mask,
        "prompt_len": prompts["input_ids"].shape[1],
    }


def make_optimizer(model, lr: float, weight_decay: float, warmup_steps: int, total_steps: int):
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise RuntimeError("model has no trainable parameters (LoRA not attached?)")
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)

    def schedule(step: int) -> float:  # linear warm-up, then linear decay to 10%
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        frac = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return max(0.1, 1.0 - 0.9 * frac)

    return opt, torch.optim.lr_scheduler.LambdaLR(opt, schedule)


def save_adapter(model, out_dir: Path, extra_json: dict[str, object]) -> None:
    """Save a LoRA adapter so that the same seed gives a byte-identical folder (same DVC hash).

    PEFT writes ``target_modules`` from a Python set, whose order follows PYTHONHASHSEED: sort it.
    Wall-clock figures go to metrics/timing/ (see the stages), never into a model folder.
    """
    model.save_pretrained(out_dir)
    cfg_path = out_dir / "adapter_config.json"
    cfg = json.loads(cfg_path.read_text())
    if isinstance(cfg.get("target_modules"), list):
        cfg["target_modules"] = sorted(cfg["target_modules"])
    cfg_path.write_text(json.dumps(cfg, indent=2, sort_keys=True))
    for name, obj in extra_json.items():
        (out_dir / name).write_text(json.dumps(obj, indent=2, sort_keys=True))


def finish_run(model, out_dir, live, summary: dict, timing_path, timing: dict, files: dict[str, object]) -> None:
    """End a training stage: the run's summary into its dvclive log, wall-clock figures to ``timing_path``
    (kept apart so the log and the adapter stay reproducible), the adapter and ``files`` (JSON) to ``out_dir``."""
    from ..io import atomic_dir, write_json
    for k, v in summary.items():
        live.summary[k] = v
    live.make_summary()
    live.end()
    write_json(timing_path, timing)
    with atomic_dir(Path(out_dir)) as out:
        save_adapter(model, out, files)


def grpo_history(history) -> list[dict]:
    """GRPO's per-step statistics as saved beside the adapter (wall-clock left out: reproducible)."""
    return [{k: v for k, v in asdict(h).items() if k != "step_seconds"} for h in history]


def open_live(log_dir):
    """dvclive writer that never touches dvc.yaml (its outputs are declared in the stage)."""
    from dvclive import Live
    return Live(str(log_dir), dvcyaml=None, save_dvc_exp=False, report=None)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


__all__ = ["seed_everything", "supervised_batch", "make_optimizer", "save_adapter", "finish_run", "grpo_history",
           "open_live", "Timer", "device_of"]
