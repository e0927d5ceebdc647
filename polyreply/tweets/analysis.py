"""Verdicts: one pre-registered test per question over seeds x prompts, controls, exploratory comparisons.

Pre-registration (fixed here and in params before any run; changing it is a new analysis):
- Q1 (diversity helps Pass@k): sft_polychromic vs sft_baseline on max@k_max, the expected best of k
  replies under the primary judge: what Pass@k measures, on the judge's scale so it cannot saturate.
- Q2 (GRPO beats SFT): grpo_baseline vs sft_baseline on the expected score (mean_score).
- Q3 (they combine): grpo_polychromic vs grpo_baseline on the expected score.
- Q4 (which is best): the ranking in params eval.q4_ranking; its first arm vs each other arm on the
  expected score. "Best" needs every comparison: an intersection-union test (p = the largest of the
  three p-values, each part at level alpha: level alpha without adjustment, Berger 1982). "Worse than
  some rival" needs only one: Bonferroni over the three parts, and the verdict names that rival. One
  of Q4's parts is Q3's comparison, which the old four-test Holm family counted twice; Q4 now stands
  outside the family: Q1-Q3 hold a family-wise error of alpha, Q4 is a separate claim at alpha (so at
  most 2 alpha over all four verdicts).
Holm runs over Q1-Q3 only; every other comparison is exploratory and says so.
A verdict needs both the Holm-adjusted sign-flip p < alpha (prompts) and a CI with seeds and prompts as
random effects (polyreply/stats.py) on the same side of zero, so one lucky seed cannot carry it. The
Q1-Q3 CIs and MDEs are at alpha/3 (Bonferroni over the three, i.e. simultaneous 98.33% intervals), the
same family the Holm p belongs to. With one training seed no verdict says "yes": training noise is unmeasured.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy import stats as scipy_stats

from .arms import ARMS, CONTROLS, EXPLORATORY, MODELS, POSITIVE_CONTROLS
from ..power import planned_se, seeds_needed, variance_components
from ..stats import compare, holm, mean_ci_across_seeds, minimum_detectable_effect

QUESTIONS = {
    "Q1": "Does diversity-aware (polychromic) SFT improve best-of-k over baseline SFT?",
    "Q2": "Does GRPO (from the baseline warm-start) beat baseline SFT?",
    "Q3": "Do diversity and RL combine (GRPO from the polychromic vs the baseline warm-start)?",
    "Q4": "Which of the four arms is best?",
}
SET_RL = ("grpo_setrl", "grpo_polychromic")   # exploratory: same warm-start, so the difference is the set advantage


def preregistered(ks, judge: str) -> dict[str, tuple[str, str, str]]:
    """Question -> (model A, model B, metric) for Q1-Q3."""
    return {"Q1": ("sft_polychromic", "sft_baseline", f"max@{max(ks)}/{judge}"),
            "Q2": ("grpo_baseline", "sft_baseline", f"mean_score/{judge}"),
            "Q3": ("grpo_polychromic", "grpo_baseline", f"mean_score/{judge}")}


class Table:
    """Per-prompt rows indexed as [seeds, prompts] matrices per (model, metric)."""

    def __init__(self, rows: list[dict]):
        self.values: dict = defaultdict(dict)
        for r in rows:
            self.values[r["model"]][(r["seed"], r["tweet_id"])] = r
        self.seeds_of = {m: sorted({s for s, _ in v}) for m, v in self.values.items()}
        self.tweets = sorted({t for v in self.values.values() for _, t in v})
        for m, v in self.values.items():
            for s in self.seeds_of[m]:
                if sorted(t for s2, t in v if s2 == s) != self.tweets:
                    raise ValueError(f"report: model {m} seed {s} was evaluated on different prompts")

    def matrix(self, model: str, metric: str, seeds: list[int]) -> np.ndarray:
        if model not in self.values:
            raise ValueError(f"report: no evaluation rows for model {model}")
        return np.array([[self.values[model][(s, t)][metric] for t in self.tweets] for s in seeds])

    def common_seeds(self, a: str, b: str) -> list[int]:
        return sorted(set(self.seeds_of[a]) & set(self.seeds_of[b]))


def verdict(test: dict, alpha: float, smallest_effect: float, p_key: str = "p_holm") -> str:
    """Plain words for one test: yes / no / inconclusive, never a bare "not significant"."""
    p, lo, hi = test[p_key], test["ci_low"], test["ci_high"]
    if p < alpha and lo > 0:
        return "yes"
    if p < alpha and hi < 0:
        return "no: significantly worse"
    if p < alpha:
        return "inconclusive: significant over prompts but not across seeds"
    if -smallest_effect < lo and hi < smallest_effect:
        return f"no: any effect is smaller than the smallest effect of interest ({smallest_effect:g})"
    if test["mde"] > smallest_effect:
        return (f"inconclusive: underpowered (minimum detectable effect {test['mde']:.3f} > smallest effect of "
                f"interest {smallest_effect:g})")
    return "inconclusive: the CI still includes effects of interest"


def analyse(rows: list[dict], cfg, injections: dict | None = None) -> dict:
    """All verdicts from per-prompt rows (model, seed, tweet_id, metrics); cfg: an EvalConfig.
    ``injections``: per seed, evaluate's injected-effect record (metrics/eval/seed*.json "injection")."""
    ks, judge, alpha = tuple(cfg.k), cfg.primary_judge, cfg.alpha
    if f"mean_score/{judge}" not in rows[0]:
        raise ValueError(f"report: primary judge {judge} has no scores in the evaluation rows")
    table = Table(rows)
    main_seeds = table.seeds_of.get("sft_baseline", [])
    for m in ("base", *CONTROLS, *ARMS):
        if m not in table.values or table.seeds_of[m] != main_seeds:
            raise ValueError(f"report: model {m} is missing from the evaluation of some seeds "
                             f"(has {table.seeds_of.get(m, [])}, expected {main_seeds})")
    n = {"seeds": len(main_seeds), "prompts": len(table.tweets)}

    def test(a, b, metric, seed=0, level=alpha, seeds=None):
        use = seeds or table.common_seeds(a, b)
        res = compare(table.matrix(a, metric, use), table.matrix(b, metric, use), samples=cfg.bootstrap_samples,
                      alpha=level, seed=seed, permutations=cfg.permutations)
        return {"model_a": a, "model_b": b, "metric": metric, "seeds": use, **res}

    family = 3   # Holm over Q1-Q3; Q4 is an intersection-union test at alpha, outside the family
    quality = f"mean_score/{judge}"
    primary = {q: test(a, b, metric, seed=i, level=alpha / family)
               for i, (q, (a, b, metric)) in enumerate(preregistered(ks, judge).items())}
    for q, p in zip(list(primary), holm([t["p"] for t in primary.values()])):
        primary[q]["p_holm"] = p
    best, *rivals = cfg.q4_ranking
    q4_parts = [test(best, r, quality, seed=10 + i, level=alpha) for i, r in enumerate(rivals)]
    # "worse than some rival" is a union claim: Bonferroni over the parts, the part that carries it shown
    worse = [t for t in q4_parts if t["p"] * len(q4_parts) < alpha and t["ci_high"] < 0]
    if worse:
        shown = min(worse, key=lambda t: t["ci_high"])
        primary["Q4"] = {**shown, "parts": q4_parts, "p_holm": min(1.0, shown["p"] * len(q4_parts)),
                         "decided_by": "worse"}
    else:   # intersection-union: "best" needs every comparison: the least favourable part and the largest p
        shown = min(q4_parts, key=lambda t: t["ci_low"])
        primary["Q4"] = {**shown, "parts": q4_parts, "p": max(t["p"] for t in q4_parts), "decided_by": "iut"}
        primary["Q4"]["p_holm"] = primary["Q4"]["p"]   # not adjusted: outside the Holm family (docstring)

    # the run as the pilot of a real study: seeds needed at this and at larger prompt counts
    n_prompts = len(table.tweets)
    options = tuple(sorted({n_prompts, 3 * n_prompts, 9 * n_prompts}))
    power = {}
    if len(main_seeds) >= 2:
        for q, t in primary.items():
            parts = t.get("parts", [t])
            power[q] = [{"model_a": x["model_a"], "model_b": x["model_b"], "metric": x["metric"],
                         **power_plan(table.matrix(x["model_a"], x["metric"], x["seeds"])
                                      - table.matrix(x["model_b"], x["metric"], x["seeds"]),
                                      cfg.smallest_effect, alpha if q == "Q4" else alpha / family,
                                      options)} for x in parts]

    answers = {}
    kmax = max(ks)
    for q, t in primary.items():
        v = verdict(t, alpha, cfg.smallest_effect)
        if v == "yes" and len(main_seeds) < 2:
            v = "inconclusive: one training seed (training noise unmeasured; add seeds)"
        elif q == "Q4" and v == "yes":
            v = f"yes: {best} beats every other arm"
        elif q == "Q4" and t["decided_by"] == "worse":
            v = f"no: {best} is significantly worse than {t['model_b']}"
        answers[q] = {"question": QUESTIONS[q], "verdict": v, "judge": judge, **n, **{k: t[k] for k in (
            "model_a", "model_b", "metric", "mean_diff", "ci_low", "ci_high", "ci_level", "p", "p_holm", "mde",
            "cohens_d", "per_seed_diff")}, **({"decided_by": t["decided_by"]} if q == "Q4" else {})}
    observed = {m: float(table.matrix(m, quality, main_seeds).mean()) for m in ARMS}
    ranking = sorted(observed.items(), key=lambda kv: -kv[1])
    tau = scipy_stats.kendalltau([cfg.q4_ranking.index(m) for m, _ in ranking], range(len(ranking))).statistic
    answers["Q4"].update({"preregistered_ranking": list(cfg.q4_ranking), "observed_ranking": ranking,
                          "kendall_tau": float(tau)})

    exploratory = []

    def explore(group, a, b, metric, seeds=None):
        exploratory.append({"group": group, **test(a, b, metric, seed=100 + len(exploratory), seeds=seeds)})
        return exploratory[-1]

    side = {}
    for q in ("Q1", "Q2", "Q3"):
        a, b = primary[q]["model_a"], primary[q]["model_b"]
        side[q] = {name: explore(f"{q} side by side", a, b, metric) for name, metric in (
            ("quality", quality), ("best-of-k", f"max@{kmax}/{judge}"), ("pass", f"pass@{kmax}/{judge}"),
            ("diversity", "semantic_diversity"), ("echo", "share_echo"))}
    controls = {
        "GRPO effect, baseline (grpo_baseline - warmstart_baseline)": explore("control", "grpo_baseline",
                                                                              "warmstart_baseline", quality),
        "GRPO effect, polychromic (grpo_polychromic - warmstart_polychromic)": explore(
            "control", "grpo_polychromic", "warmstart_polychromic", quality),
        "warm-start difference (warmstart_polychromic - warmstart_baseline)": explore(
            "control", "warmstart_polychromic", "warmstart_baseline", quality),
        "fewer SFT steps (warmstart_baseline - sft_baseline)": explore("control", "warmstart_baseline",
                                                                        "sft_baseline", quality),
    }
    # the matching control beside each verdict: how much of Q2 is GRPO itself, how much of Q3 the warm-start
    for q, label in (("Q2", "GRPO effect, baseline (grpo_baseline - warmstart_baseline)"),
                     ("Q3", "warm-start difference (warmstart_polychromic - warmstart_baseline)")):
        c = controls[label]
        answers[q]["control"] = {"label": label, **{k: c[k] for k in ("mean_diff", "ci_low", "ci_high", "p")}}
    a_a = {}
    if len(main_seeds) >= 2:  # the same arm, two training seeds: the noise floor of one-seed comparisons
        s1, s2 = main_seeds[:2]
        for m in ARMS:
            t = compare(table.matrix(m, quality, [s1]), table.matrix(m, quality, [s2]),
                        samples=cfg.bootstrap_samples, alpha=alpha, seed=200 + len(a_a), permutations=cfg.permutations)
            a_a[m] = {"model_a": f"{m} seed {s1}", "model_b": f"{m} seed {s2}", "metric": quality,
                      "seeds": [s1, s2], **t}
            exploratory.append({"group": "A/A", **a_a[m]})
    vs_base = {m: explore("vs base", m, "base", quality) for m in (*CONTROLS, *ARMS, *EXPLORATORY)
               if m in table.values}
    set_rl = {}
    if SET_RL[0] in table.values:
        set_rl = {metric: explore("set-RL", *SET_RL, metric)
                  for metric in (quality, f"max@{kmax}/{judge}", "semantic_diversity")}
    # positive control: GRPO on the ground truth from the baseline warm-start, by the verdicts' own test and
    # level (alpha/3, seeds and prompts), outside the Holm family. Trained on the judge: reward achieved, and
    # the question is only whether the analysis sees a gain that is there.
    positive = {}
    for m in POSITIVE_CONTROLS:
        if m in table.values:
            t = test(m, "warmstart_baseline", quality, seed=300, level=alpha / family)
            positive[m] = {**t, "verdict": verdict({**t, "p_holm": t["p"]}, alpha, cfg.smallest_effect),
                           "detected": bool(t["p"] < alpha and t["ci_low"] > 0)}
    # injected-effect check: a known effect planted in one model's replies, recovered by the same test
    injected = {}
    records = [r for r in (injections or {}).values() if r]
    if records and records[0]["injected_model"] in table.values:
        rec = records[0]
        t = test(rec["injected_model"], rec["model"], quality, seed=400, level=alpha / family)
        planted = float(np.mean([r["expected_effect"] for r in records]))
        injected = {**t, "share": rec["share"], "replaced_per_prompt": rec["replaced_per_prompt"],
                    "planted_effect": planted, "recovered": bool(t["ci_low"] <= planted <= t["ci_high"]),
                    "detected": bool(t["p"] < alpha and t["ci_low"] > 0)}
    base_pass = float(table.matrix("base", f"pass@{kmax}/{judge}", table.seeds_of["base"]).mean())
    return {"primary_judge": judge, "primary_tests": primary, "answers": answers, "power": power, "side_by_side": side,
            "controls": controls, "positive_controls": positive, "injected": injected, "a_a": a_a, "vs_base": vs_base, "set_rl": set_rl, "exploratory": exploratory,
            "observed_quality": observed, "saturation": {"base_pass_at_kmax": base_pass, "k": kmax,
                                                         "limit": cfg.max_base_pass,
                                                         "saturated": base_pass >= cfg.max_base_pass},
            **n}


def power_plan(diff: np.ndarray, effect: float, alpha: float, prompt_options: tuple[int, ...]) -> dict:
    """What a study would need to detect ``effect`` on this comparison, from this run as its pilot: variance
    components of diff[seeds, prompts] and, per prompt count, the seeds at which the MDE reaches ``effect``
    (None: not reachable with that many prompts; the prompt part of the SE sets a floor no seed count passes)."""
    var = variance_components(diff)
    seeds, prompts = diff.shape
    se, df = planned_se(var, seeds, prompts)
    return {"variance": var, "effect": effect, "alpha": alpha,
            "mde_now": minimum_detectable_effect(se, alpha, df=df),
            "seeds_needed": {int(p): seeds_needed(var, effect, alpha, int(p)) for p in prompt_options}}


def seed_aggregate(summaries: dict[int, dict], metrics: list[str], alpha: float) -> dict:
    """{model: {metric: mean and CI across the seeds that trained it}} from per-seed model summaries."""
    out = {}
    for m in MODELS:
        have = [s for s in sorted(summaries) if m in summaries[s]["models"]]
        if have:
            out[m] = {k: mean_ci_across_seeds([summaries[s]["models"][m][k] for s in have], alpha)
                      for k in metrics if k in summaries[have[0]]["models"][m]}
    return out
