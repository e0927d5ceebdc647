"""Aggregate per-prompt evaluation over seeds, answer Q1-Q4 with paired statistics, write the report."""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from .evaluation import JUDGES, MODELS, TRAINING_REWARD_JUDGES
from .stats import compare, holm, mean_ci_across_seeds

QUESTIONS = {
    "Q1": ("Does diversity-aware (polychromic) SFT improve Pass@k over baseline SFT?", "sft_polychromic", "sft_baseline"),
    "Q2": ("Does GRPO improve over SFT only?", "grpo_baseline", "sft_baseline"),
    "Q3": ("Do diversity and RL combine (polychromic warm-start -> GRPO vs baseline warm-start -> GRPO)?",
           "grpo_polychromic", "grpo_baseline"),
}
TRAINED = MODELS[1:]
# The fifth arm against GRPO from the same (polychromic) warm-start: the effect of the set-RL advantage.
SET_RL = ("grpo_setrl", "grpo_polychromic")


def primary_judge(rows: list[dict], ks) -> str:
    """The oracle where the data has one (demo data), else reference similarity: never a training reward."""
    return "oracle" if f"pass@{min(ks)}/oracle" in rows[0] else "reference_similarity"


def add_derived_metrics(rows: list[dict], ks, judge: str = "oracle") -> str:
    """The primary metric: Pass@k under the oracle (the demo world's true engagement, independent
    of every training reward) averaged over every k in eval.k (area under the Pass@k curve), which
    rewards both a good first reply (k=1, where RL helps) and a good best-of-k (where diversity
    helps). The learned and heuristic rewards are GRPO's training reward: a judge that is the
    training reward is not evidence, so they are reported as "reward achieved" only."""
    primary = f"pass@k_mean/{judge}"
    for r in rows:
        r[primary] = float(np.mean([r[f"pass@{k}/{judge}"] for k in ks]))
    return primary


def per_prompt_means(rows: list[dict]) -> dict[str, dict[str, dict[str, float]]]:
    """{model: {tweet_id: {metric: mean over seeds}}}."""
    acc: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for r in rows:
        for k, v in r.items():
            if k not in ("model", "seed", "tweet_id"):
                acc[r["model"]][r["tweet_id"]][k].append(v)
    return {m: {t: {k: float(np.mean(v)) for k, v in d.items()} for t, d in by_t.items()} for m, by_t in acc.items()}


def aligned(means: dict, model: str, metric: str, tweets: list[str]) -> np.ndarray:
    return np.array([means[model][t][metric] for t in tweets])


def comparison_metrics(ks, judge: str) -> list[str]:
    kmin, kmax = min(ks), max(ks)
    out = [f"pass@k_mean/{judge}", f"pass@{kmin}/{judge}", f"pass@{kmax}/{judge}", f"mean_score/{judge}",
           f"pass@{kmax}/reference_similarity", "semantic_diversity", "share_echo"]
    return list(dict.fromkeys(out))


def verdict(test: dict, alpha: float) -> str:
    if test["wilcoxon_p_holm"] < alpha:
        return "yes" if test["mean_diff"] > 0 else "no: significantly worse"
    return "no significant difference at this sample size"


def analyse(rows: list[dict], ks, *, bootstrap_samples: int, alpha: float) -> dict:
    judge = primary_judge(rows, ks)
    PRIMARY = add_derived_metrics(rows, ks, judge)
    kmin, kmax = min(ks), max(ks)
    means = per_prompt_means(rows)
    tweets = sorted(next(iter(means.values())))
    for m in MODELS:
        if m not in means or sorted(means[m]) != tweets:
            raise ValueError(f"report: model {m} is missing or was evaluated on different prompts")
    model_primary = {m: float(aligned(means, m, PRIMARY, tweets).mean()) for m in TRAINED}
    best = max(model_primary, key=model_primary.get)
    planned = [(q, a, b) for q, (_, a, b) in QUESTIONS.items()] + [("Q4", best, o) for o in TRAINED if o != best]
    tests = []
    for q, a, b in planned:
        for metric in comparison_metrics(ks, judge):
            res = compare(aligned(means, a, metric, tweets), aligned(means, b, metric, tweets),
                          samples=bootstrap_samples, alpha=alpha, seed=len(tests))
            tests.append({"question": q, "model_a": a, "model_b": b, "metric": metric, **res})
    for t, p in zip(tests, holm([t["wilcoxon_p"] for t in tests])):  # Holm across *all* comparisons
        t["wilcoxon_p_holm"] = p
    answers = {}
    def side(t):
        return {"mean_diff": t["mean_diff"], "ci": [t["ci_low"], t["ci_high"]], "p": t["wilcoxon_p"]}

    for q in ("Q1", "Q2", "Q3"):
        by_metric = {t["metric"]: t for t in tests if t["question"] == q}
        t = by_metric[PRIMARY]
        # Quality and diversity side by side: a model that gains diversity and loses quality shows both.
        effects = {"quality": side(by_metric[f"mean_score/{judge}"]), "diversity": side(by_metric["semantic_diversity"]),
                   "echo": side(by_metric["share_echo"])}
        answers[q] = {"question": QUESTIONS[q][0], "verdict": verdict(t, alpha), "model_a": t["model_a"],
                      "model_b": t["model_b"], "metric": PRIMARY, "mean_diff": t["mean_diff"],
                      "ci": [t["ci_low"], t["ci_high"]], "p_holm": t["wilcoxon_p_holm"], "cohens_d": t["cohens_d"],
                      "effects": effects, "quality_metric": f"mean_score/{judge}",
                      "at_k": {k: {"verdict": verdict(by_metric[f"pass@{k}/{judge}"], alpha),
                                   "mean_diff": by_metric[f"pass@{k}/{judge}"]["mean_diff"],
                                   "p_holm": by_metric[f"pass@{k}/{judge}"]["wilcoxon_p_holm"]}
                               for k in sorted({kmin, kmax})}}
    prim = [t for t in tests if t["question"] == "Q4" and t["metric"] == PRIMARY]
    weakest = max(prim, key=lambda t: t["wilcoxon_p_holm"])
    if all(t["wilcoxon_p_holm"] < alpha and t["mean_diff"] > 0 for t in prim):
        text = f"{best} is best on {PRIMARY} and significantly better than every other trained model"
    else:
        text = (f"{best} ranks first on {PRIMARY}, but not significantly better than {weakest['model_b']} "
                f"(Holm p={weakest['wilcoxon_p_holm']:.3g}, d={weakest['cohens_d']:.2f})")
    answers["Q4"] = {"question": QUESTIONS_Q4, "best": best, "verdict": text,
                     "ranking": sorted(model_primary.items(), key=lambda kv: -kv[1])}
    # The untuned base is the floor every trained model must clear (exploratory: not in the Holm family).
    vs_base = {m: compare(aligned(means, m, PRIMARY, tweets), aligned(means, "base", PRIMARY, tweets),
                          samples=bootstrap_samples, alpha=alpha, seed=1000 + i) for i, m in enumerate(TRAINED)}
    set_rl = {metric: compare(aligned(means, SET_RL[0], metric, tweets), aligned(means, SET_RL[1], metric, tweets),
                              samples=bootstrap_samples, alpha=alpha, seed=2000 + i)
              for i, metric in enumerate([PRIMARY, f"mean_score/{judge}", "semantic_diversity"])}
    return {"primary_metric": PRIMARY, "primary_judge": judge, "prompts": len(tweets), "tests": tests, "answers": answers,
            "model_primary": model_primary, "base_primary": float(aligned(means, "base", PRIMARY, tweets).mean()),
            "vs_base": vs_base, "set_rl": set_rl}


QUESTIONS_Q4 = f"Which of the {len(TRAINED)} trained models is best overall?"


def seed_aggregate(summaries: dict[int, dict], metrics: list[str], alpha: float) -> dict:
    """{model: {metric: mean and CI across seeds}} from per-seed model summaries."""
    out = {}
    for m in MODELS:
        out[m] = {k: mean_ci_across_seeds([summaries[s]["models"][m][k] for s in sorted(summaries)], alpha)
                  for k in metrics}
    return out


def fmt(x, digits=3):
    if x is None:
        return "n/a"
    return f"{x:.{digits}f}"


def probe_lines(probes: dict, vs_oracle_by_seed: dict) -> list[str]:
    """Reward-robustness section: adversarial probes per scorer, and the learned reward vs the oracle."""
    scorers = list(probes["scorers"])
    kinds = list(next(iter(probes["scorers"].values()))["probes"])
    L = ["## Reward robustness", "",
         f"Share of adversarial replies scoring above the median human reply of the same tweet "
         f"({probes['prompts']} held-out tweets; 0 is what a sound reward shows; `metrics/reward_probes.json`):", "",
         "| probe | " + " | ".join(scorers) + " |", "|---" * (len(scorers) + 1) + "|"]
    for k in kinds:
        L.append(f"| {k} | " + " | ".join(fmt(probes["scorers"][s]["probes"][k]["share_above_median_human"], 2)
                                         for s in scorers) + " |")
    if not any(vs_oracle_by_seed.values()):
        return L + [""]
    L += ["", "Learned reward vs oracle on each model's own sampled replies (Pearson / Spearman):", "",
          "| seed | " + " | ".join(MODELS) + " |", "|---" * (len(MODELS) + 1) + "|"]
    for seed, v in vs_oracle_by_seed.items():
        L.append(f"| {seed} | " + " | ".join(f"{fmt(v[m]['pearson'], 2)} / {fmt(v[m]['spearman'], 2)}"
                                             for m in MODELS) + " |")
    return L + [""]


def markdown_report(analysis: dict, aggregate: dict, ks, seeds, thresholds_by_seed: dict, samples: list[dict],
                    training: dict, reward_metrics: dict, split_stats: dict, probes: dict | None = None,
                    vs_oracle_by_seed: dict | None = None) -> str:
    kmax = max(ks)
    L = ["# Results: polychromic SFT + GRPO for tweet replies", "",
         f"Seeds: {list(seeds)}; held-out test prompts: {analysis['prompts']} (tweets never seen in training); "
         f"primary metric: `{analysis['primary_metric']}` (Pass@k under the "
         + ("oracle judge, the demo data's true engagement," if analysis["primary_judge"] == "oracle" else
            "reference-similarity judge (this data has no oracle),")
         + f" averaged over k in {list(ks)}; a sample passes when it beats the median human reply).",
         "The learned and heuristic rewards are GRPO's training reward: their columns are **reward achieved**, "
         "not evidence of quality.",
         "Paired tests over prompts (per-prompt values averaged over seeds): Wilcoxon signed-rank (Holm-corrected "
         "across all comparisons), Mann-Whitney U, Cohen's d_z, bootstrap 95% CI of the mean difference.", "",
         "> Data note: the default dataset is SYNTHETIC (see README). Figures measure the pipeline on it, not real "
         "Twitter engagement.", "", "## Answers", ""]
    for q, a in analysis["answers"].items():
        if q == "Q4":
            L.append(f"**{q}. {a['question']}** {a['verdict']}. Ranking: "
                     + ", ".join(f"{m} {v:.3f}" for m, v in a["ranking"]) + ".")
        else:
            L.append(f"**{q}. {a['question']}** Answer: **{a['verdict']}** — {a['model_a']} minus {a['model_b']} "
                     f"on {a['metric']}: {a['mean_diff']:+.3f} (95% CI {a['ci'][0]:+.3f} to {a['ci'][1]:+.3f}), "
                     f"Holm p={a['p_holm']:.3g}, d={a['cohens_d']:.2f}. "
                     + "; ".join(f"At Pass@{k} ({analysis['primary_judge']}): {v['verdict']} ({v['mean_diff']:+.3f}, "
                                 f"Holm p={v['p_holm']:.3g})" for k, v in a["at_k"].items()) + ".")
            e = a["effects"]
            L.append("")
            L.append(f"  Side by side ({a['model_a']} minus {a['model_b']}, bootstrap 95% CI, uncorrected p): "
                     + "; ".join(f"**{name}** ({label}) {e[name]['mean_diff']:+.3f} [{e[name]['ci'][0]:+.3f}, "
                                 f"{e[name]['ci'][1]:+.3f}], p={e[name]['p']:.3g}"
                                 for name, label in (("quality", a["quality_metric"]),
                                                     ("diversity", "semantic_diversity"),
                                                     ("echo", "share of samples echoing the tweet"))) + ".")
        L.append("")
    if "vs_base" in analysis:
        worse = [m for m, t in analysis["vs_base"].items() if t["mean_diff"] < 0]
        L.append(f"**Against the untuned base model** ({analysis['primary_metric']} {analysis['base_primary']:.3f}; "
                 "exploratory, Wilcoxon p not corrected): "
                 + "; ".join(f"{m} {t['mean_diff']:+.3f} [{t['ci_low']:+.3f}, {t['ci_high']:+.3f}], p={t['wilcoxon_p']:.3g}"
                             for m, t in analysis["vs_base"].items()) + "."
                 + (f" **{len(worse)} of {len(analysis['vs_base'])} trained models score below the base.**" if worse else ""))
        L.append("")
    if "set_rl" in analysis:
        a, b = SET_RL
        L.append(f"**Fifth arm, set-RL GRPO** ({a} minus {b}, same polychromic warm-start, so the difference is the "
                 "set-level advantage; exploratory, uncorrected): "
                 + "; ".join(f"{metric} {t['mean_diff']:+.3f} [{t['ci_low']:+.3f}, {t['ci_high']:+.3f}], "
                             f"p={t['wilcoxon_p']:.3g}" for metric, t in analysis["set_rl"].items()) + ".")
        L.append("")
    L += ["## Main table (mean over seeds; CI across seeds when >1 seed)", ""]
    pj = analysis["primary_judge"]
    cols = (list(dict.fromkeys([f"mean_score/{pj}", f"pass@{kmax}/{pj}", f"pass@{kmax}/reference_similarity"]))
            + [f"pass@{kmax}/{j}" for j in TRAINING_REWARD_JUDGES]
            + ["semantic_diversity", "self_bleu", "distinct_2", "share_echo", "rouge_l", "bertscore_f1"])
    L.append("The two `learned_reward`/`heuristic_reward` columns are reward achieved (GRPO's training reward).")
    L.append("")
    L.append("| model | " + " | ".join(c.replace("/", " ") for c in cols) + " |")
    L.append("|---" * (len(cols) + 1) + "|")
    for m in MODELS:
        cells = []
        for c in cols:
            a = aggregate[m][c]
            ci = f" [{fmt(a['ci_low'])}, {fmt(a['ci_high'])}]" if a["ci_low"] is not None else ""
            cells.append(fmt(a["mean"]) + ci)
        L.append(f"| {m} | " + " | ".join(cells) + " |")
    L += ["", "## Pass@k by judge (mean over seeds)", ""]
    for j in [j for j in JUDGES if j in thresholds_by_seed[seeds[0]]]:
        role = " — reward achieved (training reward), not evidence" if j in TRAINING_REWARD_JUDGES else ""
        L.append(f"**{j}**{role} (threshold = median score of the human replies: "
                 + ", ".join(f"seed {s}: {t[j]:.3f}" for s, t in thresholds_by_seed.items()) + ")")
        L.append("")
        L.append("| model | " + " | ".join(f"pass@{k}" for k in ks) + " |")
        L.append("|---" * (len(ks) + 1) + "|")
        for m in MODELS:
            L.append(f"| {m} | " + " | ".join(fmt(aggregate[m][f'pass@{k}/{j}']['mean']) for k in ks) + " |")
        L.append("")
    L += ["## Reward-hacking signals", "",
          "| model | mean length (words) | share <= short | share generic | share echoing the tweet | greedy echoes |",
          "|---|---|---|---|---|---|"]
    for m in MODELS:
        L.append(f"| {m} | {fmt(aggregate[m]['mean_length_words']['mean'], 1)} | "
                 f"{fmt(aggregate[m]['share_short']['mean'])} | {fmt(aggregate[m]['share_generic']['mean'])} | "
                 f"{fmt(aggregate[m]['share_echo']['mean'])} | {fmt(aggregate[m]['greedy_echo']['mean'])} |")
    L.append("")
    if probes is not None:
        L += probe_lines(probes, vs_oracle_by_seed or {})
    L += ["## All paired comparisons", "",
          "| Q | A vs B | metric | mean A | mean B | diff [95% CI] | Wilcoxon p (Holm) | MWU p | d |",
          "|---|---|---|---|---|---|---|---|---|"]
    for t in analysis["tests"]:
        L.append(f"| {t['question']} | {t['model_a']} vs {t['model_b']} | {t['metric']} | {fmt(t['mean_a'])} | "
                 f"{fmt(t['mean_b'])} | {t['mean_diff']:+.3f} [{t['ci_low']:+.3f}, {t['ci_high']:+.3f}] | "
                 f"{t['wilcoxon_p']:.3g} ({t['wilcoxon_p_holm']:.3g}) | {t['mannwhitney_p']:.3g} | {t['cohens_d']:.2f} |")
    L += ["", "## Training", "", f"Reward model on held-out test pairs: Pearson {fmt(reward_metrics.get('test_pearson'))}, "
          f"Spearman {fmt(reward_metrics.get('test_spearman'))} vs relative likes; Pearson "
          f"{fmt(reward_metrics.get('oracle_pearson'))}, Spearman {fmt(reward_metrics.get('oracle_spearman'))} "
          "vs the oracle (human replies). On model-written replies: see `metrics/eval/seed*.json` "
          "(`learned_reward_vs_oracle_on_model_replies`); adversarial probes: `metrics/reward_probes.json`.",
          f"Split (pairs): {split_stats.get('pairs')}; stratum chi-square p = "
          f"{fmt(split_stats.get('stratum_chi_square', {}).get('p_value'))}.", "",
          "| run | summary |", "|---|---|"]
    for name, summ in sorted(training.items()):
        L.append(f"| {name} | " + ", ".join(f"{k}={fmt(v) if isinstance(v, float) else v}" for k, v in summ.items()) + " |")
    L += ["", "## Sample replies (seed " + str(seeds[0]) + ", greedy and first sample)", ""]
    for s in samples:
        L.append(f"**Tweet:** {s['tweet']}  ")
        L.append(f"*Human reply:* {s['reference']}  ")
        for m in MODELS:
            L.append(f"- `{m}` greedy: {s[m]['greedy'] or '(empty)'} | sample: {s[m]['sample'] or '(empty)'}")
        L.append("")
    return "\n".join(L) + "\n"
