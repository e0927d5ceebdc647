"""Pairwise LLM judge: blind, both orders, cached, retried, strict parsing.

For each test tweet, a model's reply and a baseline's reply are shown to the judge twice, once in
each order, labelled only "Reply A" / "Reply B" (the judge never sees model names). A pair is a win
only when both orders prefer the model's reply, a loss when both prefer the baseline's, otherwise a
tie (position bias shows up as ties, not as wins: Zheng et al. 2023, "Judging LLM-as-a-judge").
An answer without a parsable verdict line is counted as ``unparseable`` and reported, never turned
into a tie. Judgments are cached by the exact request, so a rerun costs no calls.

Backends: any OpenAI-compatible chat endpoint (a hosted API, or a local vLLM / llama.cpp server),
using only the standard library; and a local transformers model (greedy). The DVC stage `judge`
(stages/judge.py, params eval.judge) runs it for every model against eval.judge.baseline; the
evaluate stage turns its outcomes into the `llm_judge` scores (+1 win, 0 tie, -1 loss).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..core.config import PromptConfig
from ..core.prompts import Prompt, prompt_ids
from .config import DEFAULT_JUDGE_RUBRIC as DEFAULT_RUBRIC  # params eval.judge.rubric defaults to it
_VERDICT = re.compile(r"^\s*winner\s*:\s*\**\s*(a|b|tie)\s*\**\s*\.?\s*$", re.I | re.M)


def judge_messages(rubric: str, tweet: str, reply_a: str, reply_b: str) -> list[dict]:
    """The blind prompt: the rubric, the tweet, two unnamed replies."""
    return [{"role": "system", "content": rubric},
            {"role": "user", "content": f"Tweet:\n{tweet.strip()}\n\nReply A:\n{reply_a.strip()}\n\n"
                                        f"Reply B:\n{reply_b.strip()}"}]


def parse_verdict(text: str) -> str | None:
    """'A', 'B' or 'tie' from the last 'Winner: ...' line; None when there is none."""
    found = _VERDICT.findall(text or "")
    if not found:
        return None
    last = found[-1].lower()
    return "tie" if last == "tie" else last.upper()


def combine_orders(model_first: str | None, model_second: str | None) -> str:
    """Outcome for the model from the two orders (model as A, then model as B)."""
    if model_first is None or model_second is None:
        return "unparseable"
    if model_first == "A" and model_second == "B":
        return "win"
    if model_first == "B" and model_second == "A":
        return "loss"
    return "tie"


class Backend(Protocol):
    name: str

    def complete(self, messages: list[dict]) -> str: ...


class JudgeError(RuntimeError):
    """The judge endpoint kept failing after every retry."""


@dataclass
class OpenAICompatibleBackend:
    """POST {base_url}/chat/completions with retries and exponential backoff on errors, 429 and 5xx."""
    base_url: str
    model: str
    api_key_env: str = ""            # name of the environment variable holding the key ("" = none)
    temperature: float = 0.0
    max_tokens: int = 256
    timeout_s: float = 60.0
    max_retries: int = 4
    backoff_s: float = 1.0

    @property
    def name(self) -> str:
        # part of every cache key: a changed setting (e.g. max_tokens after cut-off verdicts) asks again
        return f"openai:{self.base_url}:{self.model}:temperature={self.temperature}:max_tokens={self.max_tokens}"

    def complete(self, messages: list[dict]) -> str:
        body = json.dumps({"model": self.model, "messages": messages, "temperature": self.temperature,
                           "max_tokens": self.max_tokens}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key_env:
            key = os.environ.get(self.api_key_env)
            if not key:
                raise JudgeError(f"judge: environment variable {self.api_key_env} (the API key) is not set")
            headers["Authorization"] = f"Bearer {key}"
        url = self.base_url.rstrip("/") + "/chat/completions"
        last = None
        for attempt in range(self.max_retries + 1):
            try:
                req = urllib.request.Request(url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                    return json.loads(resp.read())["choices"][0]["message"]["content"] or ""
            except urllib.error.HTTPError as exc:
                if exc.code not in (408, 429) and exc.code < 500:
                    raise JudgeError(f"judge: {url} answered HTTP {exc.code}: {exc.read()[:200]!r}") from exc
                last = exc
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = exc
            if attempt < self.max_retries:
                time.sleep(self.backoff_s * 2 ** attempt)
        raise JudgeError(f"judge: {url} failed {self.max_retries + 1} times; last error: {last}")


class TransformersBackend:
    """A local chat model from a folder (greedy, so a judgment is a deterministic function of the request)."""

    def __init__(self, model_dir: str, max_new_tokens: int = 128):
        from transformers import AutoModelForCausalLM, AutoTokenizer
        self.name = f"transformers:{model_dir}:max_new_tokens={max_new_tokens}"   # part of every cache key
        self.tok = AutoTokenizer.from_pretrained(model_dir)
        self.model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
        self.max_new_tokens = max_new_tokens

    def complete(self, messages: list[dict]) -> str:
        import torch
        # the tweet and replies are data: a reply holding "<|im_end|>" must not end the judge's user turn
        if not self.tok.chat_template:
            raise JudgeError(f"judge: {self.name} has no chat template; eval.judge.local_path must be a chat model")
        roles = [m["role"] for m in messages]
        if roles not in (["user"], ["system", "user"]):
            raise JudgeError(f"judge: expected an optional system turn and one user turn, got {roles}")
        system, user = (messages[0]["content"] if len(messages) == 2 else ""), messages[-1]["content"]
        ids, _ = prompt_ids(self.tok, Prompt("", user), PromptConfig(system=system, max_prompt_tokens=1 << 30))
        enc = {"input_ids": torch.tensor([ids]), "attention_mask": torch.ones(1, len(ids), dtype=torch.long)}
        with torch.no_grad():
            out = self.model.generate(**enc, max_new_tokens=self.max_new_tokens, do_sample=False,
                                      pad_token_id=self.tok.pad_token_id or self.tok.eos_token_id)
        return self.tok.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True)


class JudgmentCache:
    """Append-only JSONL of request hash -> answer (a DVC output: reruns read it instead of calling)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.entries: dict[str, str] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                self.entries[row["key"]] = row["answer"]

    @staticmethod
    def key(backend: str, messages: list[dict]) -> str:
        return hashlib.sha256(json.dumps([backend, messages], sort_keys=True).encode()).hexdigest()

    def ask(self, backend: Backend, messages: list[dict]) -> str:
        k = self.key(backend.name, messages)
        if k not in self.entries:
            self.entries[k] = backend.complete(messages)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"key": k, "answer": self.entries[k]}) + "\n")
        return self.entries[k]


def judge_pairs(pairs: list[dict], backend: Backend, cache: JudgmentCache, rubric: str = DEFAULT_RUBRIC) -> list[dict]:
    """pairs: {"tweet", "model", "baseline"} (one reply each). Returns one outcome per pair, with both answers."""
    out = []
    for p in pairs:
        first = cache.ask(backend, judge_messages(rubric, p["tweet"], p["model"], p["baseline"]))
        second = cache.ask(backend, judge_messages(rubric, p["tweet"], p["baseline"], p["model"]))
        v1, v2 = parse_verdict(first), parse_verdict(second)
        out.append({"outcome": combine_orders(v1, v2), "model_as_a": v1, "model_as_b": v2})
    return out


def win_tie_loss(outcomes: list[str], *, samples: int = 2000, alpha: float = 0.05, seed: int = 0,
                 groups: list | None = None) -> dict:
    """Rates over parsed pairs with bootstrap CIs; unparseable pairs counted, not in the rates.

    groups=None: the bootstrap resamples pairs. groups (one label per outcome, e.g. the tweet_id): it
    resamples groups with replacement (a cluster bootstrap; the pairs of one prompt are not independent)
    and a rate is the parsed pairs of the drawn groups that are wins (ties, losses) over all their parsed pairs.
    """
    ok = np.array([o != "unparseable" for o in outcomes], bool)
    parsed = np.array([o for o in outcomes if o != "unparseable"])
    result = {"pairs": len(outcomes), "unparseable": len(outcomes) - len(parsed)}
    if groups is not None:
        if len(groups) != len(outcomes):
            raise ValueError(f"win_tie_loss: {len(groups)} groups for {len(outcomes)} outcomes")
        labels, inverse = np.unique(np.asarray([str(g) for g in groups]), return_inverse=True)
        result["groups"] = len(labels)
    if len(parsed) == 0:
        return {**result, **{f"{k}_rate": None for k in ("win", "tie", "loss")}}
    rng = np.random.default_rng(seed)
    if groups is None:
        idx = rng.integers(0, len(parsed), size=(samples, len(parsed)))
    else:
        draw = rng.integers(0, len(labels), size=(samples, len(labels)))
        counts = np.zeros((samples, len(labels)))        # times each group is drawn in each resample
        np.add.at(counts, (np.arange(samples)[:, None], draw), 1.0)
        parsed_per_group = np.bincount(inverse[ok], minlength=len(labels)).astype(float)
        denom = counts @ parsed_per_group
    for k in ("win", "tie", "loss"):
        hits = (parsed == k).astype(float)
        if groups is None:
            boot = hits[idx].mean(axis=1)
        else:
            hits_per_group = np.bincount(inverse[ok], weights=hits, minlength=len(labels))
            with np.errstate(invalid="ignore", divide="ignore"):
                boot = (counts @ hits_per_group) / denom   # a resample of only unparseable groups: nan, left out
            boot = boot[np.isfinite(boot)]
        result[f"{k}_rate"] = float(hits.mean())
        result[f"{k}_ci"] = [float(np.quantile(boot, alpha / 2)), float(np.quantile(boot, 1 - alpha / 2))]
    return result


def pooled_summary(metrics_by_seed: dict, judgments_by_seed: dict, *, samples: int = 2000,
                   alpha: float = 0.05) -> dict:
    """The report's view of stage judge: per model vs the baseline, pooled over seeds, CIs clustered by prompt."""
    on = [s for s, m in metrics_by_seed.items() if m.get("enabled")]
    if not on:
        return {"enabled": False, "backend": "none"}
    if len(on) != len(metrics_by_seed):
        raise ValueError(f"llm judge: on for seeds {on} only, of {sorted(metrics_by_seed)}; rerun stage judge")
    first = metrics_by_seed[on[0]]
    outcomes: dict[str, tuple[list, list]] = {}
    for s in on:
        for r in judgments_by_seed[s]:
            o, g = outcomes.setdefault(r["model"], ([], []))
            o.append(r["outcome"])
            g.append(r["tweet_id"])   # the same prompt in every seed is one cluster
    return {"enabled": True, "backend": first["backend"], "judge": first["judge"], "baseline": first["baseline"],
            "seeds": on, "ci_level": 1 - alpha, "calls": sum(metrics_by_seed[s]["calls"] for s in on),
            "cached": sum(metrics_by_seed[s]["cached"] for s in on),
            "models": {m: win_tie_loss(o, groups=g, samples=samples, alpha=alpha) for m, (o, g) in outcomes.items()}}


def make_backend(cfg) -> Backend | None:
    """The backend of params eval.judge (a config.JudgeConfig); None when the judge is off."""
    if cfg.backend == "none":
        return None
    if cfg.backend == "openai":
        return OpenAICompatibleBackend(cfg.base_url, cfg.model, api_key_env=cfg.api_key_env,
                                       temperature=cfg.temperature, max_tokens=cfg.max_tokens,
                                       timeout_s=cfg.timeout_s, max_retries=cfg.max_retries, backoff_s=cfg.backoff_s)
    if cfg.backend == "transformers":
        if not Path(cfg.local_path).is_dir():
            raise JudgeError(f"eval.judge.local_path: {cfg.local_path!r} is not a folder (nothing is downloaded)")
        return TransformersBackend(cfg.local_path, max_new_tokens=cfg.max_tokens)
    raise ValueError(f"eval.judge.backend: unknown backend {cfg.backend!r}")


def pair_generations(model: str, gens: list[dict], baseline: list[dict], n_samples: int) -> list[dict]:
    """One pair per (prompt, sample index j): the model's sample j against the baseline's sample j."""
    if [g["tweet_id"] for g in gens] != [g["tweet_id"] for g in baseline]:
        raise ValueError(f"judge: model {model} and the baseline were generated for different prompts")
    pairs = []
    for g, b in zip(gens, baseline):
        if len(g["samples"]) != n_samples or len(b["samples"]) != n_samples:
            raise ValueError(f"judge: tweet {g['tweet_id']}: expected {n_samples} samples (eval.n_samples) from "
                             f"{model} and the baseline, got {len(g['samples'])} and {len(b['samples'])}")
        pairs += [{"tweet_id": g["tweet_id"], "sample": j, "tweet": g["tweet"], "model": s, "baseline": t}
                  for j, (s, t) in enumerate(zip(g["samples"], b["samples"]))]
    return pairs


def too_unparseable(rates_by_model: dict[str, dict], max_share: float) -> list[str]:
    """'model: u of n pairs (x%)' for each model whose unparseable share exceeds max_share."""
    return [f"{m}: {r['unparseable']} of {r['pairs']} pairs ({r['unparseable'] / r['pairs']:.1%})"
            for m, r in rates_by_model.items() if r["pairs"] and r["unparseable"] / r["pairs"] > max_share]
