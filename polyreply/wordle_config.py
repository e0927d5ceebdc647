"""Typed params for the Wordle pipeline (``wordle/params.yaml``), strict like ``polyreply.config``.

Model, LoRA and SFT blocks are the tweet pipeline's own dataclasses; GRPO exposes only the fields
that mean something for a game (no learned reward, oracle or diversity terms) and is turned into the
shared core's ``GrpoConfig`` by ``core_grpo``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import yaml

from .config import BaseModelConfig, GrpoConfig, LoraConfigParams, ParamsError, PromptConfig, SftConfig, \
    _coerce, _require, build
from .wordle_play import RewardConfig
from .wordle_rewards import FeedbackValues, FormatValues


@dataclass(frozen=True)
class WordsConfig:
    answers: int = 1000          # possible secrets: the most frequent non-plural 5-letter words
    allowed_top_n: int = 100000  # allowed guesses: 5-letter words among wordfreq's top N
    test_secrets: int = 40
    val_secrets: int = 20
    split_seed: int = 0

    def check(self, where):
        for name in ("answers", "allowed_top_n", "test_secrets", "val_secrets"):
            _require(getattr(self, name) > 1, f"{where}.{name}", "must be > 1")


@dataclass(frozen=True)
class WordleDataConfig:
    sft_secrets: int = 300    # train secrets the solver plays for SFT (one row per turn)
    grpo_states: int = 200    # distinct game states (random consistent play on train secrets) for GRPO
    grpo_max_history: int = 3  # states have 0 .. this many earlier guesses (the empty state is one state)
    seed: int = 0

    def check(self, where):
        _require(self.sft_secrets > 0 and self.grpo_states > 0, where, "sft_secrets and grpo_states must be > 0")
        _require(0 <= self.grpo_max_history < 6, f"{where}.grpo_max_history", "must be in [0, 5]")


@dataclass(frozen=True)
class WordlePromptConfig:
    system: str = ("You are playing Wordle. Guess the secret 5-letter English word in at most 6 guesses. "
                   "Feedback per letter: (✓) right letter, right spot; (-) in the word, wrong spot; "
                   "(x) not in the word. Reason briefly in <think>...</think>, then answer <guess>WORD</guess>.")
    max_prompt_tokens: int = 384

    def core(self) -> PromptConfig:
        """The shared template's PromptConfig: the game state is the whole user message."""
        return PromptConfig(system=self.system, instruction="{tweet}", max_prompt_tokens=self.max_prompt_tokens)


@dataclass(frozen=True)
class WordleGrpoConfig:
    max_steps: int = 16
    prompts_per_step: int = 4
    num_generations: int = 4
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 64
    learning_rate: float = 1e-4
    kl_coeff: float = 0.04
    clip_eps: float = 0.2
    num_iterations: int = 1
    scale_rewards: bool = True
    advantage_clip: Optional[float] = 5.0
    max_kl: float = 5.0
    grad_clip: float = 1.0

    def check(self, where):
        for name in ("learning_rate", "grad_clip"):
            _require(getattr(self, name) > 0, f"{where}.{name}", "must be > 0")
        self.core().check(where)  # the shared GRPO config's checks: steps, tokens, kl, clip, temperature, top_p

    def core(self) -> GrpoConfig:
        """The shared core's config (the reward fields are unused: Wordle passes its own reward_fn)."""
        return GrpoConfig(**asdict(self), reward="heuristic", log_oracle=False)


@dataclass(frozen=True)
class RewardWeights:
    format: float = 1.0
    feedback: float = 1.0
    information_gain: float = 1.0


@dataclass(frozen=True)
class WordleRewardsConfig:
    weights: RewardWeights = field(default_factory=RewardWeights)
    format: FormatValues = field(default_factory=FormatValues)
    feedback: FeedbackValues = field(default_factory=FeedbackValues)

    def core(self) -> RewardConfig:
        return RewardConfig(format=self.format, feedback=self.feedback, format_weight=self.weights.format,
                            feedback_weight=self.weights.feedback,
                            information_weight=self.weights.information_gain)


@dataclass(frozen=True)
class WordleEvalConfig:
    max_new_tokens: int = 48
    batch_size: int = 64
    alpha: float = 0.05
    bootstrap_samples: int = 2000
    permutations: int = 10000
    random_seed: int = 0         # the random consistent guesser's stream
    transcripts_in_report: int = 2

    def check(self, where):
        _require(0 < self.alpha < 1, f"{where}.alpha", "must be in (0, 1)")


BLOCKS = {"words": WordsConfig, "data": WordleDataConfig, "base_model": BaseModelConfig,
          "prompt": WordlePromptConfig, "lora": LoraConfigParams, "sft": SftConfig, "grpo": WordleGrpoConfig,
          "rewards": WordleRewardsConfig, "eval": WordleEvalConfig}


@dataclass(frozen=True)
class WordleParams:
    seeds: tuple[int, ...]
    blocks: dict

    def __getattr__(self, name):
        try:
            return self.blocks[name]
        except KeyError:
            raise AttributeError(name) from None


def load_wordle_params(path: str | Path = "params.yaml") -> WordleParams:
    """Parse and check every block of wordle/params.yaml (stages run with wordle/ as working dir)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParamsError(f"{path}: file not found") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: top level must be a mapping")
    allowed = set(BLOCKS) | {"seeds"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ParamsError(f"{path}: {unknown[0]}: unknown top-level key (allowed: {', '.join(sorted(allowed))})")
    seeds = _coerce(list[int], raw.get("seeds", [42]), "seeds")
    if not seeds or len(set(seeds)) != len(seeds):
        raise ParamsError(f"{path}: seeds: must be a non-empty list of distinct integers")
    blocks = {name: build(cls, raw.get(name), name) for name, cls in BLOCKS.items()}
    words, data = blocks["words"], blocks["data"]
    if data.sft_secrets > words.answers - words.test_secrets - words.val_secrets:
        raise ParamsError(f"{path}: data.sft_secrets: {data.sft_secrets} exceeds the training secrets "
                          f"(words.answers - test_secrets - val_secrets = "
                          f"{words.answers - words.test_secrets - words.val_secrets})")
    return WordleParams(seeds=seeds, blocks=blocks)
