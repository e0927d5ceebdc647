"""metrics/report_appendix.md, the full report (the first screen, metrics/report.md, is headline.front_page):
verdicts with the method, then controls, power and every table."""
from __future__ import annotations

from .arms import JUDGES, MODELS, TRAINING_REWARD_JUDGES
from .config import StudyCostConfig


def fmt(x, digits=3):
    return "n/a" if x is None else f"{x:.{digits}f}"


def ci(t) -> str:
    return f"{t['mean_diff']:+.3f} [{t['ci_low']:+.3f}, {t['ci_high']:+.3f}]"


def verdict_line(q: str, a: dict) -> str:
    """One line per question: effect, CI, p, judge, seeds and prompts."""
    seeds = "; per seed " + ", ".join(f"{d:+.3f}" for d in a["per_seed_diff"]) if len(a["per_seed_diff"]) > 1 else ""
    line = (f"**{q}. {a['question']}** **{a['verdict']}.** {a['model_a']} minus {a['model_b']} on `{a['metric']}`: "
            f"{ci(a)} ({a['ci_level']:.2%} CI, seeds and prompts{seeds}), "
            f"{ {'worse': 'Bonferroni', 'iut': 'intersection-union'}.get(a.get('decided_by'), 'Holm')} "
            f"p={a['p_holm']:.3g} (sign-flip "
            f"p={a['p']:.3g}), MDE {a['mde']:.3f}; judge {a['judge']}, {a['seeds']} seeds, {a['prompts']} prompts.")
    if "control" in a:
        c = a["control"]
        line += f" Control, {c['label']}: {ci(c)}, p={c['p']:.3g} (95% CI)."
    if q == "Q4":
        line += (f" Pre-registered ranking: {' > '.join(a['preregistered_ranking'])}; observed (mean score): "
                 + ", ".join(f"{m} {v:.3f}" for m, v in a["observed_ranking"])
                 + f" (Kendall tau {a['kendall_tau']:+.2f}). "
                 + ("The effect shown is the rival it is significantly worse than; the p is Bonferroni over the three "
                    "rivals (Q4 is outside the Holm family)." if a.get("decided_by") == "worse" else
                    "The effect shown is the least favourable rival's (lowest CI bound); the p is the largest of the "
                    "three (intersection-union test: 'best' needs every comparison; Q4 is outside the Holm family)."))
    return line


def test_line(label: str, t: dict) -> str:
    return f"- {label}: {ci(t)}, p={t['p']:.3g}, MDE {t['mde']:.3f} (seeds {t.get('seeds', '')})"


def study_hours(seeds: int, prompts: int, cost) -> float:
    """CPU hours of a study (2 cores, the default budget per step) from params study_cost."""
    return seeds * (cost.seed_cpu_minutes / 60 + prompts * cost.prompt_cpu_seconds / 3600)


def power_lines(power: dict, seeds: int, prompts: int, cost) -> list[str]:
    """Section "Power": per question the seeds needed at the observed variances (this run as the pilot)."""
    if not power:
        return ["## Power", "", "Needs >= 2 seeds (params `seeds`): with one seed the seed variance is unknown.", ""]
    first = next(iter(power.values()))[0]
    options = list(first["seeds_needed"])
    L = ["## Power (this run as the pilot of a study)", "",
         f"Seeds needed for 80% power to detect the smallest effect of interest ({first['effect']:g}) at the verdicts' "
         f"level (alpha/3 = {first['alpha']:.4g} for Q1-Q3, alpha for Q4's parts), from this run's seed, prompt and residual variances (two-way "
         f"method of moments; with {seeds} seeds the seed variance rests on {seeds - 1} df, so read these as "
         f"estimates; a variance estimated below zero is set to zero, so a row with seed variance 0.0000 "
         f"understates the seeds needed). Q4 needs every one of its rows: read its largest. Now: {seeds} seeds x "
         f"{prompts} prompts. '-' = not reachable with that many prompts. In "
         f"brackets: CPU hours on 2 cores at the default budget ({cost.seed_cpu_minutes:g} min of training per "
         f"seed, {cost.prompt_cpu_seconds:g} s of generation and scoring per test prompt and seed; params "
         "study_cost, measured on the default run).", "",
         "| question | comparison | MDE now | var seed / prompt / residual | "
         + " | ".join(f"seeds needed at {p} prompts" for p in options) + " |",
         "|---" * (4 + len(options)) + "|"]
    for q, parts in power.items():
        for x in parts:
            v = x["variance"]
            L.append(f"| {q} | {x['model_a']} - {x['model_b']} (`{x['metric']}`) | {x['mde_now']:.3f} | "
                     f"{v['seed']:.4f} / {v['prompt']:.4f} / {v['residual']:.4f} | "
                     + " | ".join("-" if n is None else f"{n} ({study_hours(n, p, cost):.1f} h)"
                                  for p, n in x["seeds_needed"].items()) + " |")
    return L + [""]


def heldout_lines(changes: dict, gold_vs_proxy: dict) -> list[str]:
    """GRPO on fixed validation tweets with fixed sampling seeds: change from step 0 to the end, CI across seeds."""
    if not changes:
        return []
    def cell(c):
        return "-" if c is None else fmt(c["mean"]) + (f" [{fmt(c['ci_low'])}, {fmt(c['ci_high'])}]"
                                                       if c["ci_low"] is not None else " (one seed)")
    L = ["", "Held-out telemetry (`logs/<run>/seed*/heldout.json`, dvclive `heldout/*`): the policy scored on fixed "
         "validation tweets with fixed sampling seeds before step 1 and every few steps; change from the start to "
         "the end, mean and 95% t-interval across seeds. Training reward = reward achieved; ground truth = the demo "
         "world's engagement (for grpo_gold also its training reward).", "",
         "| run | seeds | held-out training reward change | held-out ground truth change |", "|---|---|---|---|"]
    for run, c in changes.items():
        L.append(f"| {run} | {c['reward']['n_seeds']} | {cell(c['reward'])} | {cell(c.get('oracle'))} |")
    if len(gold_vs_proxy) == 2:
        (pl, p), (gl, g) = gold_vs_proxy.items()
        gain_p, gain_g = p["oracle_end"] - p["oracle_start"], g["oracle_end"] - g["oracle_start"]
        L += ["", f"Gold vs proxy (`plots/gold_vs_proxy.png`, ground truth against steps and KL): the gold run raises "
              f"the held-out ground truth by {gain_g:+.3f} (KL {g['kl_end']:.3f}), the learned-reward run by "
              f"{gain_p:+.3f} (KL {p['kl_end']:.3f})"
              + (": the gold run gained nothing, so no share is defined." if gain_g <= 0 else
                 f": the proxy captures {gain_p / gain_g:.0%} of the gold gain." if gain_p > 0 else
                 ": the proxy captures none of the gold gain (its reward rose while the ground truth did not).")]
    return L


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
    models = [m for m in MODELS if any(m in v for v in vs_oracle_by_seed.values())]
    L += ["", "Learned reward vs oracle on each model's own sampled replies (Pearson / Spearman):", "",
          "| seed | " + " | ".join(models) + " |", "|---" * (len(models) + 1) + "|"]
    for seed, v in vs_oracle_by_seed.items():
        L.append(f"| {seed} | " + " | ".join(f"{fmt(v[m]['pearson'], 2)} / {fmt(v[m]['spearman'], 2)}"
                                             if m in v else "-" for m in models) + " |")
    return L + [""]


def probe_set_lines(table: dict | None) -> list[str]:
    """The labelled set of real model output under every judge and reward (metrics/probe_set.json)."""
    if not table:
        return []
    if "skipped" in table:
        return ["## Judges and rewards on real model output", "", f"Labelled set: not scored ({table['skipped']}).",
                ""]
    scorers, classes = list(table["scorers"]), list(next(iter(table["scorers"].values()))["classes"])
    labels = ", ".join(f"{c} {n}" for c, n in table["labels"].items())
    L = ["## Judges and rewards on real model output", "",
         f"Labelled replies (`data/probes/labelled_replies.jsonl`: {labels}). AUC of good human replies vs each "
         "class, and in brackets the share of the class above the good replies' median (a judge of model "
         "output needs AUC >= 0.95 and <= 5%; `metrics/probe_set.json`):", "",
         "| class | " + " | ".join(scorers) + " |", "|---" * (len(scorers) + 1) + "|"]
    for c in classes:
        cells = [table["scorers"][s]["classes"][c] for s in scorers]
        name = c if c in table["failure_classes"] else f"{c} (not a failure)"
        L.append(f"| {name} | " + " | ".join(f"{fmt(x['auc'], 2)} ({x['share_above_good_median']:.0%})"
                                            for x in cells) + " |")
    return L + [""]


def curation_lines(card: dict | None) -> list[str]:
    """Section "Training data (curation)" from metrics/curation.json (tweets/curation.py's data card)."""
    if not card:
        return []
    L = ["## Training data (curation)", "",
         f"SFT and the warm-starts imitate the {card['rows_kept']} of {card['rows_in']} validated pairs "
         f"({card['kept_share']:.1%}; {card['tweets_with_kept']} of {card['tweets_in']} tweets) that pass the `curate` "
         "filters; the reward model, GRPO's prompts and the test references use every reply "
         "(`metrics/curation.json`)."
         + (f" Oracle mean (true engagement): all pairs {fmt(card['oracle_mean']['all'])}, kept "
            f"{fmt(card['oracle_mean']['kept'])}." if "oracle_mean" in card else ""), "",
         "| rule | setting | removes on its own | removed (first failing rule) |", "|---|---|---|---|"]
    order = card.get("rule_order", list(card["rules"]))   # the JSON file's keys are sorted: keep the rule order
    on = [k for k in order if card["rules"][k]["rule"] != "off"]
    L += [f"| {k} | {card['rules'][k]['rule']} | {card['rules'][k]['removed_alone']} | "
          f"{card['rules'][k]['removed_first']} |" for k in on]
    off = [k for k in order if k not in on]
    L += [f"| **all** | | | {card['rows_removed']} |", ""] + ([f"Off: {', '.join(off)}.", ""] if off else [])
    if "style_mix" in card:
        mix = card["style_mix"]
        L += ["Style mix (share of pairs, all -> kept): " + ", ".join(
            f"{k} {v:.2f} -> {mix['kept'].get(k, 0.0):.2f}" for k, v in mix["all"].items()) + ".", ""]
    return L


def llm_judge_lines(s: dict | None) -> list[str]:
    """Section "Pairwise LLM judge" from llm_judge.pooled_summary: one line when off, rates with CIs when on."""
    L = ["## Pairwise LLM judge", ""]
    if not s or not s.get("enabled"):
        return L + ["LLM judge: off (`eval.judge.backend: none`) — no pairwise LLM judgments in this run; on real "
                    "data (no oracle) configure `eval.judge` and consider `eval.primary_judge: llm_judge`.", ""]
    L += [f"Judge `{s['judge']}` (backend {s['backend']}). Each model's sample j of each test tweet against sample j "
          f"of **{s['baseline']}**, shown blind (\"Reply A\" / \"Reply B\") in both orders: a **win needs both "
          "orders to prefer the model's reply**, a loss both to prefer the baseline's, anything else is a tie "
          "(position bias shows up as ties). Answers without a final `Winner:` line are unparseable: counted here, "
          "left out of the rates and of the `llm_judge` scores (+1 win, 0 tie, -1 loss; pass = win). Pooled over "
          f"seeds {s['seeds']}; {s['ci_level']:.0%} bootstrap CIs resample prompts (clusters). Last runs: "
          f"{s['calls']} calls, {s['cached']} answered from the cache (`data/judge/seed*/cache.jsonl`).", "",
          "| model | pairs | win [CI] | tie [CI] | loss [CI] | unparseable |", "|---|---|---|---|---|---|"]

    def rate(r, k):
        return "n/a" if r[f"{k}_rate"] is None else (f"{r[f'{k}_rate']:.3f} [{r[f'{k}_ci'][0]:.3f}, "
                                                     f"{r[f'{k}_ci'][1]:.3f}]")
    L += [f"| {m} | {r['pairs']} | {rate(r, 'win')} | {rate(r, 'tie')} | {rate(r, 'loss')} | {r['unparseable']} |"
          for m, r in s["models"].items()]
    return L + [f"| {s['baseline']} (baseline) | - | tie by definition | | | |", ""]


def markdown_report(analysis: dict, aggregate: dict, cfg, seeds, thresholds_by_seed: dict, samples: list[dict],
                    training: dict, reward_metrics: dict, split_stats: dict, probes: dict | None = None,
                    vs_oracle_by_seed: dict | None = None, exploratory_seeds=(), llm_judge: dict | None = None,
                    curation: dict | None = None, probe_set: dict | None = None, study_cost=None) -> str:
    study_cost = study_cost or StudyCostConfig()
    ks, kmax, pj = list(cfg.k), max(cfg.k), analysis["primary_judge"]
    sat = analysis["saturation"]
    L = ["# Results, full report (the appendix of report.md): polychromic SFT + GRPO for tweet replies", "",
         f"Seeds {list(seeds)} (the exploratory set-RL arm: {list(exploratory_seeds) or 'not run'}); {analysis['prompts']} held-out "
         f"test prompts (tweets never seen in training), {cfg.n_samples} samples each. Primary judge: **{pj}** "
         + {"oracle": "(the demo world's true engagement)",
            "llm_judge": f"(pairwise LLM judge against {(llm_judge or {}).get('baseline', 'the baseline')}: "
                         "+1 win, 0 tie, -1 loss per sample)"}.get(pj, "(chrF to the human replies, leave-one-out)")
         + ", independent of GRPO's training reward. The learned and heuristic rewards are that training reward: "
         "their columns are **reward achieved**, not evidence.",
         f"Pass threshold: the {cfg.pass_quantile:.0%} quantile of the human replies' scores under each judge. "
         f"Base model pass@{kmax}/{pj} = {sat['base_pass_at_kmax']:.3f} "
         + (f"**>= {sat['limit']}: pass@k is saturated at this threshold; read max@k and mean score.**"
            if sat["saturated"] else f"(< {sat['limit']}: not saturated)."),
         "Statistics: per (seed, prompt) paired differences; CI with seeds and prompts as random effects "
         "(SE from the seed means and a bootstrap over prompts, t with Satterthwaite df); p from a paired "
         "sign-flip permutation test over prompts; Holm across Q1-Q3 only (Q4 stands outside the family at alpha: "
         "one of its parts is Q3's comparison, which the family counted twice; so at most 2 alpha over all four "
         "verdicts). A verdict needs Holm p < alpha **and** a "
         "CI on the same side of zero (Q1-Q3 CIs at alpha/3: 98.33%). MDE: minimum detectable effect at 80% power "
         "(alpha/3 for Q1-Q3); smallest effect of interest "
         f"{cfg.smallest_effect:g} ({pj} units). Everything after the verdicts is exploratory (uncorrected p).", "",
         "> Data note: the default dataset is SYNTHETIC (see README). Figures measure the pipeline on it, not real "
         "Twitter engagement.", "", "## Verdicts (pre-registered)", ""]
    for q, a in analysis["answers"].items():
        L += [verdict_line(q, a), ""]
    L += ["## Controls (exploratory)", "", "Expected score under the primary judge; GRPO's own effect is measured "
          "against its warm-start, so 'GRPO beats SFT' is not 'fewer SFT steps':", ""]
    L += [test_line(label, t) for label, t in analysis["controls"].items()]
    L += ["", "## Positive controls (can this analysis see an effect that is there?)", ""]
    for m, t in analysis.get("positive_controls", {}).items():
        L.append(f"- **Gold reward** ({m}: GRPO from the baseline warm-start trained on the ground truth itself; "
                 f"reward achieved, not a method result): {m} - warmstart_baseline {ci(t)} ({t['ci_level']:.2%} CI, the "
                 f"verdicts' test and level), p={t['p']:.3g}, MDE {t['mde']:.3f}: **"
                 + ("detected" if t["detected"] else "not detected") + "**.")
    if not analysis.get("positive_controls"):
        L.append("- Gold reward: not run (params positive_control_seeds is empty; real data has no ground truth).")
    inj = analysis.get("injected")
    if inj:
        L.append(f"- **Injected effect**: {inj['replaced_per_prompt']} of {cfg.n_samples} samples per prompt of "
                 f"{inj['model_b']} replaced by the tweet's best human reply: planted {inj['planted_effect']:+.3f}, "
                 f"recovered {ci(inj)} ({inj['ci_level']:.2%} CI): planted effect "
                 + ("inside" if inj["recovered"] else "**outside**") + " the CI, "
                 + ("detected" if inj["detected"] else "**not detected**") + ".")
    if analysis["a_a"]:
        sig = sum(t["p"] < cfg.alpha for t in analysis["a_a"].values())
        L += ["", f"**A/A control** (the same arm, two training seeds, the same test over prompts): {sig} of "
              f"{len(analysis['a_a'])} arms differ 'significantly' from themselves. This is the noise floor of any "
              "one-seed comparison:", ""]
        L += [test_line(f"{t['model_a']} vs {t['model_b']}", t) for t in analysis["a_a"].values()]
    else:
        L += ["", "A/A control: needs >= 2 seeds (params `seeds`)."]
    L += [""] + power_lines(analysis.get("power", {}), analysis["seeds"], analysis["prompts"], study_cost)
    L += ["## Side by side (exploratory)", ""]
    for q, effects in analysis["side_by_side"].items():
        t0 = next(iter(effects.values()))
        L.append(f"- {q}, {t0['model_a']} minus {t0['model_b']}: " + "; ".join(
            f"**{name}** (`{t['metric']}`) {ci(t)}, p={t['p']:.3g}" for name, t in effects.items()))
    L += ["", "Against the untuned base (expected score): " + "; ".join(
        f"{m} {ci(t)}" for m, t in analysis["vs_base"].items())
        + f". {sum(t['ci_high'] < 0 for t in analysis['vs_base'].values())} of {len(analysis['vs_base'])} trained "
        "models are below the base with the CI excluding zero.", ""]
    if analysis["set_rl"]:
        L += ["Fifth arm, set-RL GRPO (grpo_setrl minus grpo_polychromic, same warm-start; seeds "
              f"{next(iter(analysis['set_rl'].values()))['seeds']}): " + "; ".join(
                  f"`{m}` {ci(t)}, p={t['p']:.3g}" for m, t in analysis["set_rl"].items()), ""]
    L += ["## Reward over-optimisation (Gao et al. 2022)", "",
          "Training reward and oracle score of GRPO's rollouts, first vs last quarter of steps, mean over seeds "
          "(`plots/reward_vs_oracle.png`): a rising reward with a flat or falling oracle is over-optimisation.", "",
          "| run | reward first | reward last | oracle first | oracle last |", "|---|---|---|---|---|"]
    for run, s in training.get("grpo_curves", {}).items():
        L.append(f"| {run} | {fmt(s['reward_first'])} | {fmt(s['reward_last'])} | {fmt(s['oracle_first'])} | "
                 f"{fmt(s['oracle_last'])} |")
    L += heldout_lines(training.get("heldout_change", {}), training.get("gold_vs_proxy", {}))
    cols = (list(dict.fromkeys([f"mean_score/{pj}", f"max@{kmax}/{pj}", f"pass@{kmax}/{pj}",
                                "mean_score/reference_similarity"]))
            + [f"mean_score/{j}" for j in TRAINING_REWARD_JUDGES]
            + ["semantic_diversity", "self_bleu", "distinct_2", "share_echo", "rouge_l"]
            + (["bertscore_f1"] if cfg.bertscore else []))
    L += ["", "## Main table (mean over seeds; t-interval across seeds)", "",
          "`learned_reward`/`heuristic_reward` columns: reward achieved (GRPO's training reward), not evidence.", "",
          "| model | " + " | ".join(c.replace("/", " ") for c in cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for m in aggregate:
        cells = []
        for c in cols:
            a = aggregate[m].get(c)
            cells.append("-" if a is None else fmt(a["mean"]) + (  # base: sampled once, no seed spread
                f" [{fmt(a['ci_low'])}, {fmt(a['ci_high'])}]" if a["ci_low"] is not None and m != "base" else ""))
        L.append(f"| {m} | " + " | ".join(cells) + " |")
    if curation:   # what SFT imitated, right after the model table (its last blank line: the next section's)
        L += [""] + curation_lines(curation)[:-1]
    for metric in ("pass", "max"):
        L += ["", f"## {metric}@k by judge (mean over seeds)", ""]
        for j in [j for j in JUDGES if j in thresholds_by_seed[seeds[0]]]:
            role = " — reward achieved (training reward), not evidence" if j in TRAINING_REWARD_JUDGES else ""
            thr = (" (threshold " + ", ".join(f"seed {s}: {t[j]:.3f}" for s, t in thresholds_by_seed.items()) + ")"
                   if metric == "pass" else "")
            L += [f"**{j}**{role}{thr}", "", "| model | " + " | ".join(f"{metric}@{k}" for k in ks) + " |",
                  "|---" * (len(ks) + 1) + "|"]
            L += [f"| {m} | " + " | ".join(fmt(aggregate[m][f'{metric}@{k}/{j}']['mean']) for k in ks) + " |"
                  for m in aggregate]
            L.append("")
    L += llm_judge_lines(llm_judge)
    L += ["## Reward-hacking signals", "",
          "| model | mean length (words) | share <= short | share generic | share echoing the tweet | greedy echoes |",
          "|---|---|---|---|---|---|"]
    for m in aggregate:
        L.append(f"| {m} | {fmt(aggregate[m]['mean_length_words']['mean'], 1)} | "
                 f"{fmt(aggregate[m]['share_short']['mean'])} | {fmt(aggregate[m]['share_generic']['mean'])} | "
                 f"{fmt(aggregate[m]['share_echo']['mean'])} | {fmt(aggregate[m]['greedy_echo']['mean'])} |")
    L.append("")
    if probes is not None:
        L += probe_lines(probes, vs_oracle_by_seed or {})
    L += probe_set_lines(probe_set)
    L += ["## All comparisons", "", "| group | A vs B | metric | diff [95% CI] | p | p (Holm) | MDE | d |",
          "|---|---|---|---|---|---|---|---|"]
    for q, t in analysis["primary_tests"].items():
        L.append(f"| {q} (pre-registered) | {t['model_a']} vs {t['model_b']} | {t['metric']} | {ci(t)} | "
                 f"{t['p']:.3g} | {t['p_holm']:.3g} | {t['mde']:.3f} | {t['cohens_d']:.2f} |")
    for t in analysis["exploratory"]:
        L.append(f"| {t['group']} | {t['model_a']} vs {t['model_b']} | {t['metric']} | {ci(t)} | {t['p']:.3g} | "
                 f"exploratory | {t['mde']:.3f} | {t['cohens_d']:.2f} |")
    L += ["", "## Training", "", f"Reward model on held-out test pairs: Pearson {fmt(reward_metrics.get('test_pearson'))}, "
          f"Spearman {fmt(reward_metrics.get('test_spearman'))} vs relative likes; Pearson "
          f"{fmt(reward_metrics.get('oracle_pearson'))}, Spearman {fmt(reward_metrics.get('oracle_spearman'))} "
          "vs the oracle (human replies).",
          f"Split (pairs): {split_stats.get('pairs')}; stratum chi-square p = "
          f"{fmt(split_stats.get('stratum_chi_square', {}).get('p_value'))}.", "", "| run | summary |", "|---|---|"]
    for name, summ in sorted(training["runs"].items()):
        L.append(f"| {name} | " + ", ".join(f"{k}={fmt(v) if isinstance(v, float) else v}" for k, v in summ.items()) + " |")
    L += ["", f"## Sample replies (seed {seeds[0]}, greedy and first sample)", ""]
    for s in samples:
        L += [f"**Tweet:** {s['tweet']}  ", f"*Human reply:* {s['reference']}  "]
        L += [f"- `{m}` greedy: {r['greedy'] or '(empty)'} | sample: {r['sample'] or '(empty)'}"
              for m, r in s["models"].items()]
        L.append("")
    return "\n".join(L) + "\n"
