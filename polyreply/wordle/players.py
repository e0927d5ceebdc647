"""A language model as a Wordle player, through the core's prompt template (the rendered game state is
the whole user message) and batched sampling."""
from __future__ import annotations

from ..core.modeling import device_of
from ..core.prompts import encode_prompts
from ..core.config import PromptConfig
from ..core.sampling import sample_completions
from .play import History, Player


def model_player(model, tok, prompt_cfg: PromptConfig, max_new_tokens: int, batch_size: int) -> Player:
    """Greedy guesses (deterministic: one model, one result), every live game of a turn batched."""
    def play(prompts: list[str], histories: list[History]) -> list[str]:
        out = []
        for start in range(0, len(prompts), batch_size):
            enc = encode_prompts(tok, prompts[start:start + batch_size], prompt_cfg, device_of(model))
            out += sample_completions(model, tok, enc, n=1, max_new_tokens=max_new_tokens, greedy=True).texts
        return out
    return play
