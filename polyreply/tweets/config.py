"""The tweet study's params (``params.yaml``): its own blocks plus the core's, extended where the study adds
fields (prompt instruction, SFT held-out check, GRPO reward). Loaded once per stage by ``load_params``."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from ..core.config import (BaseModelConfig, DistributedConfig, GrpoConfig, LoraConfigParams, PolychromicConfig,
                           PromptConfig, SftConfig)
from ..core.prompts import Prompt
from ..params import Params, ParamsError, check, describe, load_blocks, param, seed_list
from .arms import ARMS, EXPLORATORY, MODELS, POSITIVE_CONTROLS


@dataclass(frozen=True)
class DataConfig:
    raw_path: str = param("data/demo/synthetic_tweet_replies.jsonl", "the raw JSONL (SYNTHETIC demo by default)")
    oracle: Literal["demo", "none"] = param(
        "demo", "demo: the synthetic demo world, whose true engagement (tweets/oracle.py) judges replies; "
        "none: real data, no oracle anywhere")


@dataclass(frozen=True)
class ValidateConfig:
    on_error: Literal["fail", "quarantine"] = param("fail", "quarantine: keep good rows, list bad ones")
    extra_fields: Literal["ignore", "error"] = param("ignore", "unknown fields: counted, or an error")
    max_text_chars: int = param(2000, "longest tweet or reply", gt=0)
    max_errors_shown: int = param(20, "errors listed in the failure message", gt=0)


@dataclass(frozen=True)
class CurateConfig:
    """The collection filters for the pairs SFT and the warm-starts imitate (tweets/curation.py); bounds inclusive."""
    min_reply_likes: int = param(5, "fewest likes of a kept reply", ge=0)
    max_reply_likes: int = param(500, "most likes of a kept reply (0 = no upper bound)", ge=0)
    min_followers: int = param(200, "fewest followers of a kept reply's author", ge=0)
    max_followers: int = param(20000, "most followers of a kept reply's author (0 = no upper bound)", ge=0)
    min_chars: int = param(30, "shortest kept reply, characters", ge=0)
    max_chars: int = param(280, "longest kept reply, characters (0 = no upper bound)", ge=0)
    min_unique_words: int = param(8, "fewest distinct words of a kept reply (0 = off)", ge=0)
    max_reply_delay_s: float = param(0.0, "latest kept reply, seconds after the tweet (0 = off)", ge=0)
    languages: tuple[str, ...] = param((), "keep replies whose reply_lang is one of these, e.g. [en] (empty = off)")
    drop_urls: bool = param(False, "drop replies that contain a URL (link spam, ads, 'read this' replies)")
    drop_duplicates: bool = param(False, "keep one row per reply text (leading @handles, case and spacing ignored), "
                                  "the most liked, across tweets: copy-paste spam from several accounts")
    max_replies_per_author: int = param(0, "most kept rows per reply author, most liked first (0 = off)", ge=0)
    top_per_tweet: int = param(0, "keep only each tweet's N most-liked kept replies (0 = off)", ge=0)

    def check(self, where):
        for lo, hi in (("min_reply_likes", "max_reply_likes"), ("min_followers", "max_followers"),
                       ("min_chars", "max_chars")):
            low, high = getattr(self, lo), getattr(self, hi)
            check(high == 0 or low <= high, f"{where}.{lo}", f"{low} must be <= {hi}={high} (or set {hi}: 0)")


@dataclass(frozen=True)
class SplitConfig:
    seed: int = param(42, "split seed")
    test_fraction: float = param(0.15, "share of tweets held out for the test set")
    val_fraction: float = param(0.08, "share of tweets for validation")
    phase1_fraction: float = param(0.5, "share of train tweets for the SFT warm-starts (rest: GRPO)")
    strata: int = param(4, "engagement quantile strata", ge=1)

    def check(self, where):
        for name in ("test_fraction", "val_fraction", "phase1_fraction"):
            v = getattr(self, name)
            check(0.0 < v < 1.0, f"{where}.{name}", f"must be strictly between 0 and 1, got {v}")
        check(self.test_fraction + self.val_fraction < 0.9, f"{where}.test_fraction",
              "test_fraction + val_fraction must leave at least 10% of tweets for training")


@dataclass(frozen=True)
class TweetPromptConfig(PromptConfig):
    system: str = param("You write short, specific, friendly replies to tweets.", "system message")
    instruction: str = param("Reply to this tweet:\n{tweet}", "the user message; {tweet} is the tweet's text")

    def check(self, where):
        check(self.instruction.count("{tweet}") == 1, f"{where}.instruction",
              "must contain the placeholder {tweet} exactly once")
        words = self.instruction.replace("{tweet}", "")
        check("{" not in words and "}" not in words, f"{where}.instruction",
              "braces other than the placeholder {tweet} are not allowed (the instruction is used as written)")

    def render(self, tweet: str) -> Prompt:
        """A tweet as the core's prompt: the instruction's words around the tweet, which is data (never special
        tokens; the part shortened when the prompt is over prompt.max_prompt_tokens)."""
        head, tail = self.instruction.split("{tweet}")
        return Prompt(head, tweet.strip(), tail)


@dataclass(frozen=True)
class TweetSftConfig(SftConfig):
    heldout_prompts: int = param(24, "after training: validation tweets sampled for diversity and quality", gt=0)
    heldout_samples: int = param(8, "samples per held-out tweet (pairwise diversity needs 2)", ge=2)


@dataclass(frozen=True)
class WarmstartConfig:
    max_steps: int = param(24, "phase-1 warm-start steps; every other setting from `sft`", gt=0)


@dataclass(frozen=True)
class RewardModelConfig:
    hidden_size: int = param(128, "MLP hidden size", gt=0)
    dropout: float = param(0.1, "MLP dropout", ge=0, lt=1)
    epochs: int = param(300, "full-batch epochs (early stopping on patience)", gt=0)
    learning_rate: float = param(1e-3, "AdamW learning rate", gt=0)
    weight_decay: float = param(1e-4, "AdamW weight decay", ge=0)
    val_fraction: float = param(0.15, "train tweets held out for early stopping", gt=0, lt=0.5)
    patience: int = param(30, "epochs without improvement before stopping", gt=0)
    seed: int = param(0, "initialisation and split seed")
    encode_batch_size: int = param(64, "sentence-encoder batch", gt=0)


@dataclass(frozen=True)
class HeuristicWeights:
    relevance: float = param(0.35, "shared content words with the tweet", ge=0)
    length: float = param(0.2, "inside [ideal_words_min, ideal_words_max]", ge=0)
    sentiment: float = param(0.1, "polarity alignment and friendliness", ge=0)
    lexical_variety: float = param(0.1, "type/token ratio", ge=0)
    punctuation: float = param(0.05, "no shouting, a sentence end", ge=0)
    genericness: float = param(0.2, "not a stock phrase", ge=0)

    def check(self, where):
        check(sum(asdict(self).values()) > 0, where, "at least one weight must be > 0")


@dataclass(frozen=True)
class HeuristicConfig:
    ideal_words_min: int = param(8, "shortest reply of full length score", gt=0)
    ideal_words_max: int = param(30, "longest reply of full length score", gt=0)
    echo_penalty: float = param(1.0, "reward x (1 - penalty x echo): 1 = a copy of the tweet scores 0", ge=0, le=1)
    weights: HeuristicWeights = param(help="weights of the components", factory=HeuristicWeights)

    def check(self, where):
        check(self.ideal_words_min <= self.ideal_words_max, f"{where}.ideal_words_min",
              "need 0 < ideal_words_min <= ideal_words_max")


@dataclass(frozen=True)
class RewardMix:
    learned: float = param(0.7, "weight of the learned engagement reward")
    heuristic: float = param(0.3, "weight of the heuristic reward")


@dataclass(frozen=True)
class TweetGrpoConfig(GrpoConfig):
    reward: Literal["learned", "heuristic", "hybrid"] = param("hybrid", "GRPO's (and the set term's) task reward")
    reward_weights: RewardMix = param(help="hybrid: the mix", factory=RewardMix)
    log_oracle: bool = param(False, "demo data: log the oracle score of rollouts (monitoring, never in the loss)")


# The pairwise LLM judge's default rubric (tweets/llm_judge.py uses it).
DEFAULT_JUDGE_RUBRIC = (
    "You compare two replies to the same tweet. Judge which reply a thoughtful reader would rather see: "
    "specific to the tweet, friendly, adds something, not a copy of the tweet, not generic filler. "
    "Ignore the order in which the replies are shown. Explain in one or two sentences, then end with "
    "one line exactly 'Winner: A', 'Winner: B' or 'Winner: tie'.")


# every model but the exploratory arm and the positive control, which exist for some seeds only
JudgeBaseline = Literal[tuple(m for m in MODELS if m not in EXPLORATORY + POSITIVE_CONTROLS)]


@dataclass(frozen=True)
class JudgeConfig:
    """eval.judge: the pairwise LLM judge (stage `judge`, tweets/llm_judge.py); off with backend none."""
    backend: Literal["none", "openai", "transformers"] = param("none", "openai: any OpenAI-compatible server; "
                                                                      "transformers: a local model folder")
    base_url: str = param("", "openai: the endpoint, e.g. http://localhost:8000/v1")
    model: str = param("", "openai: the served model name")
    api_key_env: str = param("", "NAME of the environment variable holding the API key ('' = none), never the key")
    local_path: str = param("", "transformers: a local model folder (nothing is downloaded)")
    baseline: JudgeBaseline = param(
        "base", "every other model is judged against this one's samples")
    rubric: str = param(DEFAULT_JUDGE_RUBRIC, "must ask for a last line 'Winner: A|B|tie'")
    temperature: float = param(0.0, "openai only (transformers is greedy)", ge=0)
    max_tokens: int = param(256, "answer length", gt=0)
    timeout_s: float = param(60.0, "per request", gt=0)
    max_retries: int = param(4, "on connection errors, 408, 429 and 5xx", ge=0)
    backoff_s: float = param(1.0, "first wait; doubles on each retry", ge=0)
    max_unparseable: float = param(0.05, "the stage fails when more of a model's pairs lack a verdict", ge=0, lt=1)

    def check(self, where):
        if self.backend == "openai":
            check(bool(self.base_url.strip()), f"{where}.base_url",
                  "backend openai needs a base_url, e.g. http://localhost:8000/v1")
            check(self.base_url.startswith(("http://", "https://")), f"{where}.base_url",
                  f"must start with http:// or https://, got {self.base_url!r}")
            check(bool(self.model.strip()), f"{where}.model", "backend openai needs the served model name")
        if self.backend == "transformers":
            check(bool(self.local_path.strip()), f"{where}.local_path",
                  "backend transformers needs a local model folder")
        check(self.api_key_env == "" or self.api_key_env.replace("_", "").isalnum(), f"{where}.api_key_env",
              "must be the NAME of an environment variable (letters, digits, _), not the key itself")
        check("winner:" in self.rubric.lower(), f"{where}.rubric",
              "must ask for a final line 'Winner: A', 'Winner: B' or 'Winner: tie' (the only verdict parsed)")


@dataclass(frozen=True)
class EvalConfig:
    n_samples: int = param(10, "sampled replies per test tweet", ge=2)
    k: tuple[int, ...] = param((1, 3, 5, 10), "k of pass@k and max@k (each <= n_samples)")
    temperature: float = param(0.9, "sampling temperature", gt=0)
    top_p: float = param(0.95, "nucleus sampling mass", gt=0, le=1)
    max_new_tokens: int = param(32, "tokens per reply", gt=0)
    max_prompts: int = param(40, "test tweets evaluated (a seeded random sample)", gt=1)
    prompt_seed: int = param(0, "which test tweets are evaluated")
    batch_size: int = param(64, "rows per decode batch", gt=0)
    bootstrap_samples: int = param(2000, "bootstrap over prompts", gt=0)
    permutations: int = param(10000, "paired sign-flip permutation test", ge=999)
    alpha: float = param(0.05, "Holm across the pre-registered tests", gt=0, lt=1)
    primary_judge: Literal["oracle", "reference_similarity", "llm_judge", "learned_reward",
                           "heuristic_reward"] = param(
        "oracle", "the judge behind every verdict; never a component of the training reward")
    pass_quantile: float = param(0.75, "pass = beat this quantile of the human replies' scores", gt=0, lt=1)
    max_base_pass: float = param(0.95, "the report flags pass@k as saturated at this base pass rate", gt=0, le=1)
    smallest_effect: float = param(0.1, "smallest difference of interest, in primary-judge units", gt=0)
    q4_ranking: tuple[str, ...] = param(("grpo_polychromic", "grpo_baseline", "sft_polychromic", "sft_baseline"),
                                        "pre-registered ranking of the four arms, best first")
    bertscore: bool = param(False, "BERTScore (shares the reward model's encoder; slow)")
    short_reply_words: int = param(3, "a reply of at most this many words counts as short", ge=0)
    samples_in_report: int = param(3, "test tweets whose replies the report shows", ge=0)
    judge: JudgeConfig = param(help="pairwise LLM judge (stage judge)", factory=JudgeConfig)
    injection_model: str = param("sft_baseline", "the injected-effect check: this model's replies with a known "
                                 "share replaced by each tweet's best human reply (tweets/injection.py)")
    injection_share: float = param(0.25, "share of each prompt's samples replaced (rounded to whole samples)",
                                   gt=0, le=1)

    def check(self, where):
        check(self.injection_model in ARMS or self.injection_model in ("base", "warmstart_baseline",
                                                                       "warmstart_polychromic"),
              f"{where}.injection_model", f"must be a model every seed has, got {self.injection_model!r}")
        check(len(self.k) > 0, f"{where}.k", "must list at least one k")
        for k in self.k:
            check(1 <= k <= self.n_samples, f"{where}.k", f"k={k} must be between 1 and n_samples={self.n_samples}")
        check(sorted(self.q4_ranking) == sorted(ARMS), f"{where}.q4_ranking",
              f"must order the four arms {sorted(ARMS)}, each once")


@dataclass(frozen=True)
class StudyCostConfig:
    """The power table's cost model (report only): CPU time of a study of S seeds x P test prompts."""
    seed_cpu_minutes: float = param(10.0, "training one seed of every arm and control (metrics/timing)", gt=0)
    prompt_cpu_seconds: float = param(3.0, "generating and scoring one test prompt for every model of one seed",
                                      gt=0)


@dataclass(frozen=True)
class ProbesConfig:
    max_prompts: int = param(100, "held-out tweets probed (seeded sample, eval.prompt_seed)", ge=2)


BLOCKS: dict[str, type] = {
    "data": DataConfig,
    "validate": ValidateConfig,
    "curate": CurateConfig,
    "split": SplitConfig,
    "base_model": BaseModelConfig,
    "prompt": TweetPromptConfig,
    "lora": LoraConfigParams,
    "sft": TweetSftConfig,
    "warmstart": WarmstartConfig,
    "polychromic": PolychromicConfig,
    "reward_model": RewardModelConfig,
    "heuristic": HeuristicConfig,
    "grpo": TweetGrpoConfig,
    "eval": EvalConfig,
    "probes": ProbesConfig,
    "study_cost": StudyCostConfig,
    "distributed": DistributedConfig,
}


def load_params(path: str | Path = "params.yaml") -> Params:
    """Parse and check *every* block and the rules between blocks, so any bad key fails before work."""
    raw, blocks = load_blocks(path, BLOCKS, extra_keys=("seeds", "exploratory_seeds", "positive_control_seeds"))
    seeds = seed_list(raw, "seeds", [42], path)
    exploratory = seed_list(raw, "exploratory_seeds", [], path, allow_empty=True)
    if not set(exploratory) <= set(seeds):
        raise ParamsError(f"{path}: exploratory_seeds: must be a list of distinct seeds from `seeds` "
                          f"{list(seeds)} ([] = no set-RL arm), got {list(exploratory)}")
    gold = seed_list(raw, "positive_control_seeds", [], path, allow_empty=True)
    if not set(gold) <= set(seeds):
        keep = ",".join(str(s) for s in gold if s in seeds)
        raise ParamsError(f"{path}: positive_control_seeds: must be seeds from `seeds` {list(seeds)}, got {list(gold)} "
                          f"(with fewer seeds: -S 'positive_control_seeds=[{keep}]'; [] skips the gold-reward control)")
    check_real_data(blocks, gold, path)
    check_primary_judge(blocks, path)
    check_process_count(blocks, path)
    grpo, poly = blocks["grpo"], blocks["polychromic"]
    if poly.set_size >= grpo.num_generations:
        raise ParamsError(f"{path}: polychromic.set_size: {poly.set_size} must be < grpo.num_generations="
                          f"{grpo.num_generations} (the set-RL arm forms sets from each GRPO group; one set "
                          "has zero spread and every advantage would be 0)")
    return Params(seeds=seeds, blocks=blocks, exploratory_seeds=exploratory, positive_control_seeds=gold)


def check_real_data(blocks: dict, gold: tuple[int, ...], path) -> None:
    """data.oracle: none: every setting that needs the demo world's oracle, named in one error (one edit)."""
    if blocks["data"].oracle != "none":
        return
    fixes = [fix for bad, fix in (
        (blocks["grpo"].log_oracle, "grpo.log_oracle: false (it logs the oracle's view of GRPO rollouts)"),
        (bool(gold), "positive_control_seeds: [] (the gold-reward control trains on the oracle)"),
        (blocks["eval"].primary_judge == "oracle", "eval.primary_judge: reference_similarity or llm_judge"))
        if bad]
    if fixes:
        raise ParamsError(f"{path}: data.oracle: none (real data has no oracle) needs " + "; ".join(fixes)
                          + " (README, 'Your own data')")


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
    # The LLM judge is independent of the training reward, so it may be primary on real data too.
    if judge == "llm_judge" and blocks["eval"].judge.backend == "none":
        raise ParamsError(f"{path}: eval.primary_judge: llm_judge needs a configured judge, but eval.judge.backend "
                          "is none; configure eval.judge (backend openai with base_url and model, or transformers "
                          "with local_path) or choose another primary judge")


if __name__ == "__main__":   # python -m polyreply.tweets.config: every key with its default, bound and help
    print("\n".join(line for name, cls in BLOCKS.items() for line in describe(cls, name)))
