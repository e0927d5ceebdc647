"""Aggregate all seeds, answer Q1-Q4 with paired statistics, write plots and metrics/report.md.

    dvc repro report          # or: tools/python stages/report.py
"""
import matplotlib

matplotlib.use("Agg")
import csv  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402

from polyreply.config import load_params  # noqa: E402
from polyreply.evaluation import JUDGES, MODELS  # noqa: E402
from polyreply.io import read_json, read_jsonl, write_json  # noqa: E402
from polyreply.report import analyse, markdown_report, seed_aggregate  # noqa: E402

TRAINING_RUNS = ("sft_baseline", "sft_polychromic", "warmstart_baseline", "warmstart_polychromic",
                 "grpo_baseline", "grpo_polychromic", "grpo_setrl")


def main() -> None:
    params = load_params()
    cfg, seeds = params.eval, list(params.seeds)
    rows, summaries = [], {}
    for s in seeds:
        rows += read_jsonl(Path("data/eval") / f"seed{s}" / "per_prompt.jsonl")
        summaries[s] = read_json(Path("metrics/eval") / f"seed{s}.json")
    analysis = analyse(rows, cfg.k, bootstrap_samples=cfg.bootstrap_samples, alpha=cfg.alpha)
    pj = analysis["primary_judge"]
    judges = [j for j in JUDGES if f"pass@{min(cfg.k)}/{j}" in rows[0]]
    metric_names = [k for k in rows[0] if k not in ("model", "seed", "tweet_id")]
    for s in seeds:  # metrics derived by analyse() (the primary metric), per seed, for the aggregate
        for m in MODELS:
            mine = [r for r in rows if r["seed"] == s and r["model"] == m]
            for k in metric_names:
                summaries[s]["models"][m].setdefault(k, sum(r[k] for r in mine) / len(mine))
    aggregate = seed_aggregate(summaries, metric_names, cfg.alpha)

    training = {}
    for run in TRAINING_RUNS:
        for s in seeds:
            summ = read_json(Path("logs") / run / f"seed{s}" / "metrics.json")
            keep = ("initial_eval_loss", "final_eval_loss", "heldout_diversity", "heldout_duplicates",
                    "heldout_quality", "avg_reward_first_quarter", "avg_reward_last_quarter", "oracle_first_quarter",
                    "oracle_last_quarter", "diversity_first_quarter", "diversity_last_quarter", "final_kl")
            training[f"{run} seed {s}"] = {k: summ[k] for k in keep if k in summ}

    gens = {m: read_jsonl(Path("data/generations") / f"seed{seeds[0]}" / f"{m}.jsonl") for m in MODELS}
    samples = []
    for i in range(min(cfg.samples_in_report, len(gens["base"]))):
        entry = {"tweet": gens["base"][i]["tweet"], "reference": gens["base"][i]["references"][0]}
        for m in MODELS:
            entry[m] = {"greedy": gens[m][i]["greedy"], "sample": gens[m][i]["samples"][0]}
        samples.append(entry)

    Path("metrics").mkdir(exist_ok=True)
    Path("metrics/report.md").write_text(markdown_report(
        analysis, aggregate, cfg.k, seeds, {s: summaries[s]["thresholds"] for s in seeds}, samples, training,
        read_json("metrics/reward_model.json"), read_json("metrics/split.json"), read_json("metrics/reward_probes.json"),
        {s: summaries[s]["learned_reward_vs_oracle_on_model_replies"] for s in seeds}), encoding="utf-8")
    kmax = max(cfg.k)
    write_json("metrics/summary.json", {
        "primary_metric": analysis["primary_metric"],
        "models": {m: {k: aggregate[m][k]["mean"] for k in
                       list(dict.fromkeys([analysis["primary_metric"], f"pass@{min(cfg.k)}/{pj}", f"mean_score/{pj}"]
                                          + [f"pass@{kmax}/{j}" for j in judges]))
                       + ["predicted_engagement", "semantic_diversity", "self_bleu", "distinct_2", "share_echo",
                          "rouge_l", "bertscore_f1", "mean_length_words"]} for m in MODELS},
        "answers": {q: {k: v for k, v in a.items() if k != "question"} for q, a in analysis["answers"].items()},
        "vs_base": {m: {k: t[k] for k in ("mean_diff", "ci_low", "ci_high", "wilcoxon_p")}
                    for m, t in analysis["vs_base"].items()},
        "set_rl_vs_grpo_polychromic": {metric: {k: t[k] for k in ("mean_diff", "ci_low", "ci_high", "wilcoxon_p")}
                                       for metric, t in analysis["set_rl"].items()},
    })
    write_json("metrics/comparisons.json", analysis["tests"])

    Path("plots").mkdir(exist_ok=True)
    # DVC plot data (wide CSV: one line per model) and PNGs for people.
    for j in set(JUDGES) - set(judges):  # a declared plot output: header only when the judge is off (no oracle)
        Path(f"plots/pass_at_k_{j}.csv").write_text("k," + ",".join(MODELS) + "\n")
    fig, axes = plt.subplots(1, len(judges), figsize=(5 * len(judges), 3.8), sharey=True)
    for ax, j in zip(axes, judges):
        with open(f"plots/pass_at_k_{j}.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["k", *MODELS])
            for k in cfg.k:
                w.writerow([k, *(round(aggregate[m][f"pass@{k}/{j}"]["mean"], 6) for m in MODELS)])
        for m in MODELS:
            ax.plot(cfg.k, [aggregate[m][f"pass@{k}/{j}"]["mean"] for k in cfg.k], marker="o", label=m)
        ax.set(title=f"judge: {j}", xlabel="k", ylabel="Pass@k")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig("plots/pass_at_k.png", dpi=110)

    with open("plots/diversity_quality.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["model", "semantic_diversity", "primary_judge_mean_score", "bertscore_f1", "predicted_engagement"])
        for m in MODELS:
            w.writerow([m, *(round(aggregate[m][k]["mean"], 6) for k in
                             ("semantic_diversity", f"mean_score/{pj}", "bertscore_f1", "predicted_engagement"))])
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    for m in MODELS:
        x, y = aggregate[m]["semantic_diversity"]["mean"], aggregate[m][f"mean_score/{pj}"]["mean"]
        ax.scatter(x, y, s=50)
        ax.annotate(m, (x, y), fontsize=8, xytext=(4, 4), textcoords="offset points")
    ax.set(xlabel="semantic diversity (mean pairwise cosine distance)", ylabel=f"mean score, primary judge ({pj})",
           title="Diversity vs quality")
    fig.tight_layout()
    fig.savefig("plots/diversity_quality.png", dpi=110)
    for q, a in analysis["answers"].items():
        print(q, a["verdict"])


if __name__ == "__main__":
    main()
