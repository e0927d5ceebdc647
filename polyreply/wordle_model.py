"""A language model as a Wordle player and the GRPO reward over game states (issue 16).

Both go through the shared core: the prompt template (``modeling.encode_prompts``; the rendered
game state is the whole user message) and batched sampling (``sampling.sample_completions``).
"""
from __future__ import annotations

import numpy as np

from .config import PromptConfig
from .modeling import device_of, encode_prompts
from .sampling import sample_completions
from .wordle_play import History, Player, RewardConfig, guess_rewards


def model_player(model, tok, prompt_cfg: PromptConfig, max_new_tokens: int, batch_size: int) -> Player:
    """Greedy guesses (deterministic: one model, one result), every live game of a turn batched."""
    def play(prompts: list[str], histories: list[History]) -> list[str]:
        out = []
        for start in range(0, len(prompts), batch_size):
            enc = encode_prompts(tok, prompts[start:start + batch_size], prompt_cfg, device_of(model))
            out += sample_completions(model, tok, enc, n=1, max_new_tokens=max_new_tokens, greedy=True).texts
        return out
    return play


def state_reward_fn(rows: list[dict], allowed: set[str], candidates: list[str], cfg: RewardConfig):
    """GRPO's reward_fn(prompts, completions) for rows {"tweet": rendered state, "history": [[guess, marks]]}.

    The core passes the prompt text back; the state's history is looked up by it (states are
    deduplicated by rendered text, so the lookup is unambiguous). The rewards need the history and
    the candidates, never the secret.
    """
    histories = {r["tweet"]: [(g, tuple(m)) for g, m in r["history"]] for r in rows}

    def reward(prompts: list[str], completions: list[str]) -> np.ndarray:
        return np.array([guess_rewards(c, histories[p], allowed, candidates, cfg)["total"]
                         for p, c in zip(prompts, completions)])
    return reward
