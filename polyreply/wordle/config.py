"""The Wordle study's params (``wordle/params.yaml``), strict like the tweet study's (``polyreply.params``).

Model, LoRA, SFT and GRPO are the core's blocks as they are: a game needs no learned reward, oracle or
held-out reply check. The rewards' values are the game's own dataclasses (``wordle/rewards.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.config import BaseModelConfig, GrpoConfig, LoraConfigParams, PromptConfig, SftConfig
from ..params import Params, ParamsError, check, describe, load_blocks, param, seed_list
from .play import RewardConfig
from .rewards import FeedbackValues, FormatValues


@dataclass(frozen=True)
class WordsConfig:
    answers: int = param(1000, "possible secrets: the most frequent non-plural 5-letter words", gt=1)
    allowed_top_n: int = param(100000, "allowed guesses: 5-letter words among wordfreq's top N", gt=1)
    test_secrets: int = param(100, "evaluation games: never the secret of a training game", gt=1)
    val_secrets: int = param(20, "SFT validation games", gt=1)
    split_seed: int = param(0, "secret split seed")


@dataclass(frozen=True)
class WordleDataConfig:
    sft_secrets: int = param(300, "train secrets the solver plays for SFT (one row per turn)", gt=0)
    grpo_states: int = param(200, "distinct game states (random consistent play on train secrets) for GRPO",
                             gt=0)
    grpo_heldout_states: int = param(40, "distinct states on validation secrets: GRPO's held-out reward", gt=0)
    grpo_max_history: int = param(3, "states have 0 .. this many earlier guesses", ge=0, le=5)
    seed: int = param(0, "data seed")


@dataclass(frozen=True)
class WordlePromptConfig(PromptConfig):
    system: str = param("Wordle: guess the secret 5-letter word in 6 tries. Feedback: ✓ right spot, - wrong spot, "
                        "x not in the word. Answer <think>...</think> <guess>WORD</guess>.",
                        "system message; the rendered game state is the user message (50 tokens: the 74 of the "
                        "first wording made every SFT, GRPO and play token ~15% dearer)")
    max_prompt_tokens: int = param(384, "longest prompt in tokens", gt=0)


@dataclass(frozen=True)
class WordleGrpoConfig(GrpoConfig):
    top_p: float = param(1.0, "nucleus sampling mass", gt=0, le=1)
    max_new_tokens: int = param(64, "tokens per completion", gt=0)
    learning_rate: float = param(1e-4, "AdamW learning rate", gt=0)
    kl_coeff: float = param(0.04, "beta of the k3 KL to the reference", ge=0)

    def check(self, where):
        check(not self.darling and self.diversity_bonus == 0, where,
              "darling and diversity_bonus are reply-diversity terms; a game has none")


@dataclass(frozen=True)
class RewardWeights:
    format: float = param(1.0, "weight of the format reward")
    feedback: float = param(1.0, "weight of the feedback-use reward")
    information_gain: float = param(1.0, "weight of the information-gain reward")


@dataclass(frozen=True)
class WordleRewardsConfig:
    weights: RewardWeights = param(help="weights of the sum", factory=RewardWeights)
    format: FormatValues = param(help="format reward values", factory=FormatValues)
    feedback: FeedbackValues = param(help="feedback-use reward values", factory=FeedbackValues)

    def core(self) -> RewardConfig:
        return RewardConfig(format=self.format, feedback=self.feedback, format_weight=self.weights.format,
                            feedback_weight=self.weights.feedback,
                            information_weight=self.weights.information_gain)


@dataclass(frozen=True)
class WordleEvalConfig:
    max_new_tokens: int = param(48, "tokens per guess", gt=0)
    batch_size: int = param(64, "live games per decode batch", gt=0)
    alpha: float = param(0.05, "Holm across the claims", gt=0, lt=1)
    bootstrap_samples: int = param(2000, "bootstrap over games", gt=0)
    permutations: int = param(10000, "paired sign-flip permutation test", ge=999)
    random_seed: int = param(0, "the random consistent guesser's stream")
    transcripts_in_report: int = param(2, "games shown in the report", ge=0)


BLOCKS = {"words": WordsConfig, "data": WordleDataConfig, "base_model": BaseModelConfig,
          "prompt": WordlePromptConfig, "lora": LoraConfigParams, "sft": SftConfig, "grpo": WordleGrpoConfig,
          "rewards": WordleRewardsConfig, "eval": WordleEvalConfig}


def load_wordle_params(path: str | Path = "params.yaml") -> Params:
    """Parse and check every block of wordle/params.yaml (stages run with wordle/ as working dir)."""
    raw, blocks = load_blocks(path, BLOCKS)
    words, data = blocks["words"], blocks["data"]
    if data.sft_secrets > words.answers - words.test_secrets - words.val_secrets:
        raise ParamsError(f"{path}: data.sft_secrets: {data.sft_secrets} exceeds the training secrets "
                          f"(words.answers - test_secrets - val_secrets = "
                          f"{words.answers - words.test_secrets - words.val_secrets})")
    return Params(seeds=seed_list(raw, "seeds", [42], path), blocks=blocks)


if __name__ == "__main__":   # python -m polyreply.wordle.config: every key with its default, bound and help
    print("\n".join(line for name, cls in BLOCKS.items() for line in describe(cls, name)))
