"""Shared training plumbing: batches in the [prompt | reply] layout, optimiser, dvclive."""
from __future__ import annotations

import json
import random
import time
from pathlib import Path

import numpy as np
import torch

from .config import PromptConfig
from .modeling import device_of, encode_prompts


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def supervised_batch(tok, tweets: list[str], replies: list[str], prompt_cfg: PromptConfig,
                     max_reply_tokens: int, device) -> dict:
    """Left-padded prompts + right-padded reference replies (+EOS): same layout as a rollout."""
    prompts = encode_prompts(tok, tweets, prompt_cfg, device)
    tok.padding_side = "right"
    tok.truncation_side = "right"
    rep = tok([r.strip() + tok.eos_token for r in replies], return_tensors="pt", padding=True,
              truncation=True, max_length=max_reply_tokens, add_special_tokens=False)
    reply_ids = rep["input_ids"].to(device)
    reply_mask = rep["attention_mask"].to(device)
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


__all__ = ["seed_everything", "supervised_batch", "make_optimizer", "save_adapter", "open_live", "Timer",
           "device_of"]
