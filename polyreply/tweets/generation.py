"""The test prompts and every model's replies to them: n seeded samples and one greedy reply per tweet."""
from __future__ import annotations

import random
from pathlib import Path

import torch

from ..core.modeling import device_of
from ..core.prompts import encode_prompts
from ..core.policy_gradient import sample_completions
from ..progress import Progress
from .config import EvalConfig, TweetPromptConfig
from .split import normalise_text


def generations_file(model: str, seed_dir: str | Path, base_file: str | Path) -> Path:
    """A model's replies in a seed's folder of generations (``<model>.jsonl``); the base model is untrained,
    so its replies are sampled once (``base_file``) and shared by every seed."""
    return Path(base_file) if model == "base" else Path(seed_dir) / f"{model}.jsonl"


def eval_prompts(rows: list[dict], max_prompts: int, seed: int) -> list[dict]:
    """A seeded random sample of max_prompts distinct test tweets, with all their human replies as references.

    Tweets are distinct by normalised text (ids sharing a text are one prompt, their replies
    pooled); the sample is drawn at random so that no topic or id range is left out (taking the
    first ids in sorted order once left three topics unevaluated). Tweets with fewer than two human
    replies are left out: the human threshold and leave-one-out reference similarity need two.
    """
    by_text: dict[str, dict] = {}
    for r in sorted(rows, key=lambda r: (r["tweet_id"], r["reply_id"])):
        entry = by_text.setdefault(normalise_text(r["tweet"]),
                                   {"tweet_id": r["tweet_id"], "tweet": r["tweet"], "references": []})
        entry["references"].append(r["reply"])
    keys = sorted((k for k in by_text if len(by_text[k]["references"]) >= 2), key=lambda k: by_text[k]["tweet_id"])
    if len(keys) < 2:
        raise ValueError(f"evaluation needs >= 2 test tweets with >= 2 human replies each; found {len(keys)} "
                         f"of {len(by_text)} test tweets")
    chosen = random.Random(seed).sample(keys, min(max_prompts, len(keys)))
    return sorted((by_text[k] for k in chosen), key=lambda p: p["tweet_id"])


@torch.no_grad()
def generate(model, tok, prompts: list[dict], cfg: EvalConfig, prompt_cfg: TweetPromptConfig, seed: int,
             progress_name: str = "generate") -> list[dict]:
    """n sampled replies (seeded) and one greedy reply per prompt, in batched generate calls."""
    torch.manual_seed(seed)
    per_call = max(1, cfg.batch_size // (cfg.n_samples + 1))
    out = []
    progress = Progress(progress_name, len(prompts), unit="prompt", every=per_call)
    tokens = 0
    for i in range(0, len(prompts), per_call):
        chunk = prompts[i:i + per_call]
        enc = encode_prompts(tok, [prompt_cfg.render(p["tweet"]) for p in chunk], prompt_cfg, device_of(model))
        # n sampled rows and the greedy row of each prompt decode together, off one prefill
        roll = sample_completions(model, tok, enc, n=cfg.n_samples, max_new_tokens=cfg.max_new_tokens,
                                  temperature=cfg.temperature, top_p=cfg.top_p, with_greedy=True)
        rows = cfg.n_samples + 1
        for j, p in enumerate(chunk):
            texts = roll.texts[j * rows:(j + 1) * rows]
            out.append({**p, "samples": texts[:-1], "greedy": texts[-1]})
        tokens += int(roll.lengths.sum())
        progress.update(len(chunk), tokens=tokens)
    return out
