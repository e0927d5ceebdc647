"""The headline metrics (metrics/headline.json): the few numbers `dvc metrics diff` and `dvc exp show` compare.

Names are short and stable ("sft_baseline.score", "q2.effect"): a column of `dvc exp show` must mean the same in
every experiment, so the judge and k live in params (eval.primary_judge, eval.k), never in a name. Everything else
(per-seed metrics, every judge's pass@k, probes, power) stays in the other JSON files, which are outputs, not
DVC metrics. `dvc metrics diff` fits 80 columns: values rounded to 3 decimals, field names of at most 6 letters
("div" = semantic diversity), one-word verdicts (yes / no / worse = significantly the opposite / open = the
report's "inconclusive").
"""
from polyreply.stats import verdict_word
from polyreply.tweets.arms import POSITIVE_CONTROLS
from polyreply.tweets.report import ci, fmt

DIGITS = 3   # as the report; a 4th decimal made `dvc metrics diff` 82 columns wide
MODEL_FIELDS = ("score", "max_k", "pass_k", "div", "echo", "reward")   # per model, see model_row


def reward_achieved(means: dict, reward: str, weights) -> float:
    """Mean training reward of a model's replies (grpo.reward; hybrid is linear, so its mean is the weighted
    sum of the two components' means)."""
    if reward == "learned":
        return means["mean_score/learned_reward"]
    if reward == "heuristic":
        return means["mean_score/heuristic_reward"]
    return weights.learned * means["mean_score/learned_reward"] + weights.heuristic * means["mean_score/heuristic_reward"]


def model_row(means: dict, judge: str, kmax: int, reward: str, weights) -> dict:
    """One model, means over its seeds: primary judge's expected score, max@k and pass@k at the largest k,
    semantic diversity, share of echo replies, and the training reward ("reward achieved", not evidence)."""
    row = {"score": means[f"mean_score/{judge}"], "max_k": means[f"max@{kmax}/{judge}"],
           "pass_k": means[f"pass@{kmax}/{judge}"], "div": means["semantic_diversity"],
           "echo": means["share_echo"], "reward": reward_achieved(means, reward, weights)}
    return {k: round(float(v), DIGITS) for k, v in row.items()}


def effect(test: dict) -> dict:
    return {"effect": round(float(test["mean_diff"]), DIGITS), "ci_low": round(float(test["ci_low"]), DIGITS),
            "ci_high": round(float(test["ci_high"]), DIGITS)}


def headline(analysis: dict, model_means: dict[str, dict], judge: str, kmax: int, reward: str, weights) -> dict:
    """``model_means``: model -> metric -> mean over seeds (the injected copy is left out: it is a check).
    Gold-reward GRPO appears only as its control's effect (it trains on the judge)."""
    out = {m: model_row(means, judge, kmax, reward, weights) for m, means in model_means.items()
           if "+" not in m and m not in POSITIVE_CONTROLS}
    for q, a in analysis["answers"].items():
        out[q.lower()] = {**effect(a), "verdict": verdict_word(a["verdict"])}
    for m, t in analysis["positive_controls"].items():
        out[m.removeprefix("grpo_")] = {"effect": round(float(t["mean_diff"]), DIGITS),
                                                     "detected": bool(t["detected"])}
    if analysis["injected"]:
        inj = analysis["injected"]
        out["injected"] = {"planted": round(float(inj["planted_effect"]), DIGITS),
                           "effect": round(float(inj["mean_diff"]), DIGITS), "recovered": bool(inj["recovered"])}
    return out


def count_values(tree) -> int:
    """Leaves of a nested dict: what `dvc metrics show` prints as columns."""
    return sum(count_values(v) for v in tree.values()) if isinstance(tree, dict) else 1



def front_page(analysis: dict, head: dict, cfg, seeds, appendix: str) -> str:
    """metrics/report.md: what fits a screen (verdicts, positive controls, one model table); every other table,
    the method and the samples are in the appendix file next to it."""
    pj, kmax = analysis["primary_judge"], max(cfg.k)
    L = ["# Results: polychromic SFT + GRPO for tweet replies", "",
         f"Primary judge **{pj}** (independent of GRPO's training reward); seeds {list(seeds)} x "
         f"{analysis['prompts']} held-out test tweets x {cfg.n_samples} samples. Method, controls, power, every "
         f"judge and sample replies: [{appendix}]({appendix}).", ""]
    if pj == "oracle":   # only the demo world has a ground truth
        L += ["> The default data are SYNTHETIC (README): these figures measure the pipeline, not real engagement.", ""]
    sat = analysis.get("saturation", {})
    if sat.get("saturated"):
        L += [f"**pass@{kmax} is saturated** (the base model reaches {sat['base_pass_at_kmax']:.3f}): read max@k and "
              "the expected score.", ""]
    L += ["## Verdicts (pre-registered)", "",
         "| | question | verdict | comparison | effect [CI] | p | MDE |", "|---|---|---|---|---|---|---|"]
    for q, a in analysis["answers"].items():
        L.append(f"| {q} | {a['question']} | **{a['verdict']}** | {a['model_a']} - {a['model_b']} (`{a['metric']}`) | "
                 f"{ci(a)} ({a['ci_level']:.2%}) | {a['p_holm']:.3g} | {a['mde']:.3f} |")
    L += ["", f"Holm over Q1-Q3 (CIs at alpha/3); Q4 is a separate claim at alpha = {cfg.alpha:g}. A verdict needs "
          f"p < alpha and the CI on one side of zero; smallest effect of interest {cfg.smallest_effect:g}.", "",
          "## Positive controls (would the analysis see an effect that is there?)", ""]
    for m, t in analysis["positive_controls"].items():
        L.append(f"- Gold reward ({m} - warmstart_baseline, GRPO trained on the ground truth): {ci(t)}: "
                 f"**{'detected' if t['detected'] else 'not detected'}**.")
    if not analysis["positive_controls"]:
        L.append("- Gold reward: not run (positive_control_seeds is empty, or real data without a ground truth).")
    inj = analysis["injected"]
    if inj:
        L.append(f"- Injected effect (best human reply planted in {inj['model_b']}): planted {inj['planted_effect']:+.3f}, "
                 f"measured {ci(inj)}: **{'recovered' if inj['recovered'] else 'not recovered'}**.")
    if analysis["a_a"]:
        sig = sum(t["p"] < cfg.alpha for t in analysis["a_a"].values())
        L.append(f"- A/A (one arm, two seeds): {sig} of {len(analysis['a_a'])} arms differ 'significantly' from "
                 "themselves over prompts alone: one seed is never evidence.")
    L += ["", "## Models (mean over seeds; `metrics/headline.json`)", "",
          f"score: expected {pj} score; max@{kmax}, pass@{kmax}: best of / pass rate of {kmax} samples; diversity "
          "(`div`): mean pairwise cosine distance; echo: share of replies copying the tweet; reward achieved: GRPO's "
          "training reward (not evidence).", "",
          f"| model | score | max@{kmax} | pass@{kmax} | diversity | echo | reward achieved |", "|---" * 7 + "|"]
    for m, r in head.items():
        if set(MODEL_FIELDS) <= set(r):
            L.append(f"| {m} | " + " | ".join(fmt(r[f]) for f in MODEL_FIELDS) + " |")
    return "\n".join(L) + "\n"
