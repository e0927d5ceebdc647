"""Aggregate all seeds, give the pre-registered verdicts (Q1-Q4) and controls: metrics/headline.json (the DVC
metrics), metrics/report.md (first screen) and report_appendix.md, the plots page's data and the report's PNGs.

    dvc repro report          # dvc.yaml gives every path; see its cmd for a hand run
"""
import matplotlib

matplotlib.use("Agg")
from pathlib import Path  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import argparse  # noqa: E402

from polyreply.io import read_json, read_jsonl, write_json  # noqa: E402
from polyreply.stats import mean_ci_across_seeds  # noqa: E402
from polyreply.tweets.analysis import analyse, seed_aggregate  # noqa: E402
from polyreply.tweets.arms import GRPO_RUNS, JUDGES, TRAINING_RUNS, seeds_of  # noqa: E402
from polyreply.tweets.chart_data import data_card_charts, evaluation_charts, training_curves  # noqa: E402
from polyreply.tweets.config import load_params  # noqa: E402
from polyreply.tweets.generation import generations_file  # noqa: E402
from polyreply.tweets.headline import front_page, headline, reward_achieved  # noqa: E402
from polyreply.tweets.llm_judge import pooled_summary  # noqa: E402
from polyreply.tweets.report import markdown_report  # noqa: E402

KEEP = ("initial_eval_loss", "final_eval_loss", "heldout_diversity", "heldout_duplicates", "heldout_quality",
        "avg_reward_first_quarter", "avg_reward_last_quarter", "oracle_first_quarter", "oracle_last_quarter",
        "diversity_first_quarter", "diversity_last_quarter", "final_kl")


def step_curve(logs: Path, run: str, seed: int, name: str) -> np.ndarray:
    rows = Path(logs, run, f"seed{seed}", "plots/metrics/grpo", f"{name}.tsv").read_text().splitlines()[1:]
    return np.array([float(r.split("\t")[1]) for r in rows])


def reward_vs_oracle_plot(params, logs: Path, plots: Path) -> dict:
    """Training reward and oracle score of the rollouts over GRPO steps (mean over seeds)."""
    curves, summary = {}, {}
    steps = params.grpo.max_steps
    for run in GRPO_RUNS:
        for name in ("avg_reward", "oracle"):
            seeds = seeds_of(run, params)
            if not seeds or (name == "oracle" and not params.grpo.log_oracle):
                curves[(run, name)] = np.full(steps, np.nan)   # not run, or real data: the column stays empty
                continue
            curves[(run, name)] = np.mean([step_curve(logs, run, s, name) for s in seeds], axis=0)
        if not seeds_of(run, params):
            continue
        q = max(1, len(curves[(run, "avg_reward")]) // 4)
        summary[run] = {"reward_first": float(curves[(run, "avg_reward")][:q].mean()),
                        "reward_last": float(curves[(run, "avg_reward")][-q:].mean()),
                        "oracle_first": float(curves[(run, "oracle")][:q].mean()) if params.grpo.log_oracle else None,
                        "oracle_last": float(curves[(run, "oracle")][-q:].mean()) if params.grpo.log_oracle else None}
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for (run, name), c in curves.items():
        if np.isnan(c).all():
            continue
        ax = axes[0 if name == "avg_reward" else 1]
        smooth = np.convolve(c, np.ones(4) / 4, mode="valid") if len(c) >= 4 else c
        ax.plot(np.arange(len(smooth)) + (len(c) - len(smooth)), smooth, label=run)
    axes[0].set(title="training reward (reward achieved)", xlabel="GRPO step", ylabel="rollout mean, 4-step avg")
    axes[1].set(title="oracle score (true engagement)", xlabel="GRPO step")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(plots / "reward_vs_oracle.png", dpi=110)
    return summary


def gold_vs_proxy_plot(params, logs: Path, plots: Path) -> dict:
    """Ground truth of held-out replies over GRPO steps and against KL: the learned (proxy) reward's run vs the
    ground-truth (gold) run from the same warm-start (Gao et al. 2022): how much of the gold gain the proxy gets."""
    runs = {"proxy (grpo_baseline)": ("proxy", "grpo_baseline"), "gold (grpo_gold)": ("gold", "grpo_gold")}
    curves = {}
    for label, (_, run) in runs.items():
        seeds = seeds_of(run, params)
        if not seeds or not params.grpo.log_oracle:
            continue
        hist = [read_json(logs / run / f"seed{s}" / "heldout.json") for s in seeds]
        curves[label] = {k: np.mean([[h[k] for h in one] for one in hist], axis=0) for k in ("step", "oracle", "kl")}
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for label, c in curves.items():
        axes[0].plot(c["step"], c["oracle"], marker="o", label=label)
        axes[1].plot(c["kl"], c["oracle"], marker="o", label=label)
    axes[0].set(title="held-out ground truth over GRPO steps", xlabel="GRPO step", ylabel="oracle, mean over seeds")
    axes[1].set(title="against KL to the warm-start", xlabel="KL (training batch, mean over seeds)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(plots / "gold_vs_proxy.png", dpi=110)
    return {label: {"oracle_start": float(c["oracle"][0]), "oracle_end": float(c["oracle"][-1]),
                    "kl_end": float(c["kl"][-1])} for label, c in curves.items()}


def heldout_changes(params, logs: Path) -> dict:
    """Per GRPO run: held-out change (end - start, fixed validation tweets and sampling seeds) of the training
    reward and, on the demo, the ground truth; mean and 95% t-interval across the seeds that trained it."""
    out = {}
    for run in GRPO_RUNS:
        summ = [read_json(logs / run / f"seed{s}" / "metrics.json") for s in seeds_of(run, params)]
        if summ and "heldout_reward_change" in summ[0]:
            out[run] = {k: mean_ci_across_seeds([x[f"heldout_{k}_change"] for x in summ])
                        for k in ("reward", "oracle") if f"heldout_{k}_change" in summ[0]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    for path in ("--eval", "--eval-metrics", "--judge", "--judge-metrics", "--generations", "--logs",
                 "--reward-model-metrics", "--split-metrics", "--curation-metrics", "--probes", "--probe-set", "--report",
                 "--appendix", "--summary", "--comparisons", "--headline", "--plots", "--charts"):
        ap.add_argument(path, required=True, type=Path)
    args = ap.parse_args()
    params = load_params()
    cfg, seeds = params.eval, list(params.seeds)
    rows, summaries = [], {}
    for s in seeds:
        rows += read_jsonl(args.eval / f"seed{s}" / "per_prompt.jsonl")
        summaries[s] = read_json(args.eval_metrics / f"seed{s}.json")
    analysis = analyse(rows, cfg, {s: summaries[s].get("injection") for s in seeds})
    # stage judge (pairwise LLM judge): pooled over seeds, CIs clustered by prompt; {"enabled": false} when off
    llm = pooled_summary({s: read_json(args.judge_metrics / f"seed{s}.json") for s in seeds},
                         {s: read_jsonl(args.judge / f"seed{s}" / "judgments.jsonl") for s in seeds},
                         samples=cfg.bootstrap_samples, alpha=cfg.alpha)
    pj, kmax = cfg.primary_judge, max(cfg.k)
    judges = [j for j in JUDGES if f"pass@{min(cfg.k)}/{j}" in rows[0]]
    metric_names = [k for k in rows[0] if k not in ("model", "seed", "tweet_id")]
    aggregate = seed_aggregate(summaries, metric_names, cfg.alpha)

    plots = args.plots
    plots.mkdir(exist_ok=True)
    training = {"runs": {}, "grpo_curves": reward_vs_oracle_plot(params, args.logs, plots),
                "gold_vs_proxy": gold_vs_proxy_plot(params, args.logs, plots),
                "heldout_change": heldout_changes(params, args.logs)}
    for run in TRAINING_RUNS:
        for s in seeds_of(run, params):
            summ = read_json(args.logs / run / f"seed{s}" / "metrics.json")
            training["runs"][f"{run} seed {s}"] = {k: summ[k] for k in KEEP if k in summ}

    files = {m: generations_file(m, args.generations / f"seed{seeds[0]}", args.generations / "base.jsonl")
             for m in aggregate}
    gens = {m: read_jsonl(f) for m, f in files.items() if f.exists()}
    samples = [{"tweet": gens["base"][i]["tweet"], "reference": gens["base"][i]["references"][0],
                "models": {m: {"greedy": g[i]["greedy"], "sample": g[i]["samples"][0]} for m, g in gens.items()}}
               for i in range(min(cfg.samples_in_report, len(gens["base"])))]

    # the headline: per model means over seeds (the injected copy is a check, not a model)
    model_means = {m: {k: v["mean"] for k, v in aggregate[m].items()} for m in aggregate if "+" not in m}
    w = params.grpo.reward_weights
    head = headline(analysis, model_means, pj, kmax, params.grpo.reward, w)
    write_json(args.headline, head)
    training_curves(params, args.logs, args.charts)
    evaluation_charts(model_means, pj, cfg.k, lambda means: reward_achieved(means, params.grpo.reward, w), args.charts)
    data_card_charts(read_json(args.curation_metrics), args.charts)

    args.report.parent.mkdir(exist_ok=True)
    args.report.write_text(front_page(analysis, head, cfg, seeds, args.appendix.name), encoding="utf-8")
    args.appendix.write_text(markdown_report(
        analysis, aggregate, cfg, seeds, {s: summaries[s]["thresholds"] for s in seeds}, samples, training,
        read_json(args.reward_model_metrics), read_json(args.split_metrics), read_json(args.probes),
        {s: summaries[s].get("learned_reward_vs_oracle_on_model_replies", {}) for s in seeds},
        params.exploratory_seeds, llm, read_json(args.curation_metrics), read_json(args.probe_set),
        params.study_cost), encoding="utf-8")
    keep = ("mean_diff", "ci_low", "ci_high", "p", "mde")
    write_json(args.summary, {
        "primary_judge": pj, "seeds": seeds, "prompts": analysis["prompts"],
        "answers": {q: {k: v for k, v in a.items() if k != "question"} for q, a in analysis["answers"].items()},
        "models": {m: {k: aggregate[m][k]["mean"] for k in
                       list(dict.fromkeys([f"mean_score/{pj}", f"max@{kmax}/{pj}", f"pass@{kmax}/{pj}"]
                                          + [f"mean_score/{j}" for j in judges]))
                       + ["semantic_diversity", "self_bleu", "distinct_2", "share_echo", "rouge_l",
                          "mean_length_words"]} for m in aggregate},
        "controls": {label: {k: t[k] for k in keep} for label, t in analysis["controls"].items()},
        "a_a": {m: {k: t[k] for k in keep} for m, t in analysis["a_a"].items()},
        "vs_base": {m: {k: t[k] for k in keep} for m, t in analysis["vs_base"].items()},
        "set_rl_vs_grpo_polychromic": {metric: {k: t[k] for k in keep} for metric, t in analysis["set_rl"].items()},
        "saturation": analysis["saturation"],
        "reward_vs_oracle": training["grpo_curves"],
        "grpo_heldout_change": training["heldout_change"],
        "gold_vs_proxy": training["gold_vs_proxy"],
        "positive_controls": {m: {k: t[k] for k in (*keep, "detected")} for m, t in analysis["positive_controls"].items()},
        "injected_effect": ({k: analysis["injected"][k] for k in (*keep, "planted_effect", "recovered", "detected")}
                            if analysis["injected"] else {}),
        "power": analysis["power"],
        "llm_judge": llm,
    })
    write_json(args.comparisons, {"preregistered": {q: {k: v for k, v in t.items() if k != "parts"}
                                                              for q, t in analysis["primary_tests"].items()},
                                            "q4_parts": analysis["primary_tests"]["Q4"]["parts"],
                                            "exploratory": analysis["exploratory"]})

    # PNGs for the report's readers; the plots page (`dvc plots show`) draws from the long CSVs in --charts
    fig, axes = plt.subplots(1, len(judges), figsize=(5 * len(judges), 3.8), sharey=True)
    for ax, j in zip(np.atleast_1d(axes), judges):
        for m in aggregate:
            ax.plot(cfg.k, [aggregate[m][f"pass@{k}/{j}"]["mean"] for k in cfg.k], marker="o", label=m)
        ax.set(title=f"judge: {j}", xlabel="k", ylabel=f"Pass@k (threshold: {cfg.pass_quantile:.0%} of humans)")
    np.atleast_1d(axes)[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(plots / "pass_at_k.png", dpi=110)

    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    for m in aggregate:
        x, y = aggregate[m]["semantic_diversity"]["mean"], aggregate[m][f"mean_score/{pj}"]["mean"]
        ax.scatter(x, y, s=50)
        ax.annotate(m, (x, y), fontsize=8, xytext=(4, 4), textcoords="offset points")
    ax.set(xlabel="semantic diversity (mean pairwise cosine distance)", ylabel=f"mean score, primary judge ({pj})",
           title="Diversity vs quality")
    fig.tight_layout()
    fig.savefig(plots / "diversity_quality.png", dpi=110)
    for q, a in analysis["answers"].items():
        print(q, a["verdict"], f"{a['mean_diff']:+.3f} [{a['ci_low']:+.3f}, {a['ci_high']:+.3f}] p_holm={a['p_holm']:.3g}")


if __name__ == "__main__":
    main()
