"""Verdicts: pre-registered tests, seeds as replicates, controls, and words that match the evidence."""
import numpy as np
import pytest

import polyreply.stats
from polyreply.tweets.analysis import analyse
from polyreply.tweets.arms import MODELS, POSITIVE_CONTROLS
from polyreply.tweets.config import EvalConfig
from polyreply.tweets.scoring import JUDGES

CFG = EvalConfig(n_samples=8, k=(1, 2, 4, 8), bootstrap_samples=400, permutations=999)
# The judges whose columns rows_with draws: without llm_judge (added later), so the random stream, and with
# it the near-ties some tests rely on (e.g. Q4's closest rival), stay as they were written.
ROW_JUDGES = tuple(j for j in JUDGES if j != "llm_judge")


def rows_with(effects: dict[str, float], n_prompts=40, seeds=(1, 2, 3), noise=0.05, judges=ROW_JUDGES,
              seed_effects: dict | None = None, exploratory_seeds=(1,), extra_models=()):
    """Per-prompt rows: model m scores effects[m] (+ seed_effects[(m, seed)]) + noise under ``judges``.
    The positive control and other ``extra_models`` come after every seed's models (the stream of the
    others stays as the tests were written)."""
    rng = np.random.default_rng(0)
    rows = []
    for s in seeds:
        for m in MODELS:
            if m == "grpo_setrl" and s not in exploratory_seeds or m in POSITIVE_CONTROLS:
                continue
            for t in range(n_prompts):
                r = {"model": m, "seed": s, "tweet_id": f"t{t:03d}", "semantic_diversity": 0.5, "share_echo": 0.0}
                for j in ROW_JUDGES:
                    effect = effects.get(m, 0) + (seed_effects or {}).get((m, s), 0) if j in judges else 0.0
                    r[f"mean_score/{j}"] = float(effect + rng.normal(0, noise))
                    for k in CFG.k:
                        r[f"max@{k}/{j}"] = float(effect + 0.1 * k + rng.normal(0, noise))
                        r[f"pass@{k}/{j}"] = float(np.clip(0.3 + effect + rng.normal(0, noise), 0, 1))
                rows.append(r)
    for m in extra_models:
        for s in seeds:
            for t in range(n_prompts):
                r = {"model": m, "seed": s, "tweet_id": f"t{t:03d}", "semantic_diversity": 0.5, "share_echo": 0.0}
                for j in ROW_JUDGES:
                    effect = effects.get(m, 0) if j in judges else 0.0
                    r[f"mean_score/{j}"] = float(effect + rng.normal(0, noise))
                    for k in CFG.k:
                        r[f"max@{k}/{j}"] = float(effect + 0.1 * k + rng.normal(0, noise))
                        r[f"pass@{k}/{j}"] = float(np.clip(0.3 + effect + rng.normal(0, noise), 0, 1))
                rows.append(r)
    return rows


def test_clear_effects_are_detected_and_answered():
    res = analyse(rows_with({"sft_polychromic": 0.3, "grpo_polychromic": 0.5, "grpo_baseline": 0.2}), CFG)
    a = res["answers"]
    assert a["Q1"]["verdict"] == "yes" and a["Q1"]["metric"] == "max@8/oracle" and a["Q1"]["mean_diff"] > 0.25
    assert a["Q2"]["verdict"] == "yes" and a["Q3"]["verdict"] == "yes"
    assert a["Q4"]["verdict"] == "yes: grpo_polychromic beats every other arm"
    assert a["Q4"]["model_b"] == "sft_polychromic"        # the closest rival carries the effect shown
    assert a["Q4"]["kendall_tau"] == pytest.approx(2 / 3)   # observed: sft_polychromic above grpo_baseline
    for q in a.values():
        assert q["judge"] == "oracle" and q["seeds"] == 3 and q["prompts"] == 40


def test_holm_runs_over_q1_to_q3_and_q4_stands_outside_at_alpha():
    """Q4's parts repeat Q2/Q3's comparisons: an intersection-union test at alpha, outside the Holm family."""
    res = analyse(rows_with({"grpo_baseline": 0.02}), CFG)
    primary = res["primary_tests"]
    assert list(primary) == ["Q1", "Q2", "Q3", "Q4"]
    family = [primary[q] for q in ("Q1", "Q2", "Q3")]
    ps = sorted(t["p"] for t in family)
    assert min(t["p_holm"] for t in family) == pytest.approx(min(1.0, 3 * ps[0]))   # Holm over three
    assert all(t["p_holm"] >= t["p"] for t in family)
    assert all(t["ci_level"] == pytest.approx(1 - 0.05 / 3) for t in family)
    assert res["exploratory"] and all("p_holm" not in t for t in res["exploratory"])
    # Q4 "best" is an intersection-union test: its p is the largest of its three comparisons, each at alpha
    q4 = analyse(rows_with({"grpo_polychromic": 0.3}), CFG)["primary_tests"]["Q4"]
    assert q4["decided_by"] == "iut" and q4["p"] == max(t["p"] for t in q4["parts"]) and q4["p_holm"] == q4["p"]
    assert all(t["ci_level"] == pytest.approx(0.95) for t in q4["parts"])


def test_no_effect_with_a_precise_run_says_no_and_with_a_noisy_run_says_inconclusive():
    precise = analyse(rows_with({}, noise=0.05), CFG)
    for q in ("Q1", "Q2", "Q3"):
        assert precise["answers"][q]["verdict"].startswith("no: any effect is smaller than")
    noisy = analyse(rows_with({}, noise=1.5, n_prompts=12), CFG)
    for q in ("Q1", "Q2", "Q3"):
        assert noisy["answers"][q]["verdict"].startswith("inconclusive: underpowered")
        assert noisy["answers"][q]["mde"] > CFG.smallest_effect


def test_one_lucky_seed_is_not_a_verdict(monkeypatch):
    """A large effect in one of three seeds is significant over prompts, but the seeds disagree."""
    rows = rows_with({}, seed_effects={("grpo_baseline", 1): 0.6})
    res = analyse(rows, CFG)
    q2 = res["answers"]["Q2"]
    assert q2["p_holm"] < 0.05, "over prompts alone the lucky seed looks significant"
    assert q2["verdict"] == "inconclusive: significant over prompts but not across seeds"
    assert q2["per_seed_diff"][0] == pytest.approx(0.6, abs=0.05)
    # Red on the defect: an interval over prompts only (seeds averaged first) calls it a win.
    with_seeds = polyreply.stats.seed_prompt_interval
    monkeypatch.setattr(polyreply.stats, "seed_prompt_interval",
                        lambda d, **kw: with_seeds(np.atleast_2d(d).mean(axis=0, keepdims=True), **kw))
    assert analyse(rows, CFG)["answers"]["Q2"]["verdict"] == "yes"


def test_q4_needs_every_rival_beaten_across_seeds():
    """The pre-registered best beats two rivals cleanly; against the third only one seed shows a (large) win."""
    rows = rows_with({"grpo_polychromic": 0.5, "sft_polychromic": 0.25, "sft_baseline": 0.25, "grpo_baseline": 0.2},
                     seed_effects={("grpo_baseline", 1): -0.5, ("grpo_baseline", 2): 0.25, ("grpo_baseline", 3): 0.25})
    q4 = analyse(rows, CFG)["answers"]["Q4"]
    assert q4["model_b"] == "grpo_baseline"            # the lowest CI bound: the rival whose seeds disagree...
    assert q4["p_holm"] < 0.05                         # ...and every p is small over prompts,
    assert not q4["verdict"].startswith("yes")         # but grpo_baseline's seeds disagree: not "best"


def test_one_training_seed_never_says_yes():
    res = analyse(rows_with({"grpo_baseline": 0.5}, seeds=(1,)), CFG)
    assert res["answers"]["Q2"]["verdict"].startswith("inconclusive: one training seed")


def test_a_win_under_the_training_reward_alone_is_not_a_verdict():
    res = analyse(rows_with({"grpo_baseline": 0.5}, judges=("learned_reward", "heuristic_reward")), CFG)
    assert res["answers"]["Q2"]["verdict"].startswith("no: any effect is smaller")
    assert all(t["metric"].endswith("/oracle") or "/" not in t["metric"]
               for t in [*res["primary_tests"].values(), *res["exploratory"]])


def test_controls_separate_grpo_from_fewer_sft_steps_and_show_the_a_a_noise_floor():
    rows = rows_with({"warmstart_baseline": 0.3, "grpo_baseline": 0.3})  # GRPO adds nothing to its warm-start
    res = analyse(rows, CFG)
    grpo_effect = res["controls"]["GRPO effect, baseline (grpo_baseline - warmstart_baseline)"]
    assert abs(grpo_effect["mean_diff"]) < 0.03 and grpo_effect["ci_low"] < 0 < grpo_effect["ci_high"]
    assert res["answers"]["Q2"]["verdict"] == "yes"   # beating SFT came from the warm-start, as the control shows
    assert res["answers"]["Q2"]["control"]["label"].startswith("GRPO effect, baseline")
    assert abs(res["answers"]["Q2"]["control"]["mean_diff"]) < 0.03
    assert set(res["a_a"]) == {"sft_baseline", "sft_polychromic", "grpo_baseline", "grpo_polychromic"}
    assert all(t["model_a"].endswith("seed 1") and t["model_b"].endswith("seed 2") for t in res["a_a"].values())
    assert analyse(rows_with({}, seeds=(1,)), CFG)["a_a"] == {}


def test_reference_similarity_can_be_the_primary_judge():
    rows = rows_with({"grpo_baseline": 0.4}, judges=("reference_similarity",))
    for r in rows:
        for key in [k for k in r if k.endswith("/oracle")]:
            del r[key]
    res = analyse(rows, EvalConfig(n_samples=8, k=(1, 2, 4, 8), bootstrap_samples=300, permutations=999,
                                   primary_judge="reference_similarity"))
    assert res["answers"]["Q2"]["verdict"] == "yes" and res["answers"]["Q2"]["judge"] == "reference_similarity"
    with pytest.raises(ValueError, match="primary judge oracle has no scores"):
        analyse(rows, CFG)


def test_side_by_side_shows_a_diversity_gain_and_a_quality_loss():
    rows = rows_with({})
    rng = np.random.default_rng(1)
    for r in rows:
        if r["model"] == "sft_polychromic":
            r["semantic_diversity"] = 0.7 + float(rng.normal(0, 0.02))
            r["mean_score/oracle"] -= 0.4
        else:
            r["semantic_diversity"] = 0.5 + float(rng.normal(0, 0.02))
    e = analyse(rows, CFG)["side_by_side"]["Q1"]
    assert e["diversity"]["mean_diff"] == pytest.approx(0.2, abs=0.02) and e["diversity"]["ci_low"] > 0
    assert e["quality"]["mean_diff"] == pytest.approx(-0.4, abs=0.03) and e["quality"]["ci_high"] < 0


def test_saturated_pass_at_k_is_flagged_and_the_set_rl_arm_uses_its_own_seeds():
    rows = rows_with({})
    for r in rows:
        if r["model"] == "base":
            r["pass@8/oracle"] = 1.0
    res = analyse(rows, CFG)
    assert res["saturation"]["saturated"] and res["saturation"]["base_pass_at_kmax"] == 1.0
    assert all(t["seeds"] == [1] for t in res["set_rl"].values())


def test_curation_section_shows_the_data_card():
    from polyreply.tweets.report import curation_lines
    card = {"rows_in": 8, "rows_kept": 2, "rows_removed": 6, "kept_share": 0.25, "tweets_in": 3, "tweets_with_kept": 1,
            "rule_order": ["likes", "length", "author_cap"],   # metrics/curation.json sorts the keys of "rules"
            "rules": {"author_cap": {"rule": "off", "removed_alone": 0, "removed_first": 0},
                      "length": {"rule": "reply characters in [30, 280]", "removed_alone": 4, "removed_first": 3},
                      "likes": {"rule": "reply_likes in [5, 500]", "removed_alone": 3, "removed_first": 3}},
            "oracle_mean": {"all": 0.5, "kept": 2.0},
            "style_mix": {"all": {"echo": 0.75, "specific": 0.25}, "kept": {"specific": 1.0}}}
    text = "\n".join(curation_lines(card))
    assert text.startswith("## Training data (curation)")
    assert "2 of 8 validated pairs (25.0%; 1 of 3 tweets)" in text
    assert "Oracle mean (true engagement): all pairs 0.500, kept 2.000." in text
    assert "| likes | reply_likes in [5, 500] | 3 | 3 |\n| length | reply characters in [30, 280] | 4 | 3 |" in text
    assert "| **all** | | | 6 |" in text and "Off: author_cap." in text and "| author_cap |" not in text
    assert "echo 0.75 -> 0.00, specific 0.25 -> 1.00" in text
    real = {k: v for k, v in card.items() if k not in ("oracle_mean", "style_mix")}   # real data: no oracle, no styles
    assert "Oracle" not in "\n".join(curation_lines(real)) and "Style mix" not in "\n".join(curation_lines(real))
    assert curation_lines(None) == []


def test_probe_set_section_marks_failure_classes():
    from polyreply.tweets.report import probe_set_lines
    cell = {"auc": 0.97, "share_above_good_median": 0.04, "mean": -2.0, "n": 25}
    table = {"labels": {"good_human": 100, "loop": 25, "acceptable": 10}, "failure_classes": ["loop"],
             "scorers": {"oracle": {"classes": {"loop": cell, "acceptable": {**cell, "auc": 0.6}}}}}
    text = "\n".join(probe_set_lines(table))
    assert "| loop | 0.97 (4%) |" in text
    assert "| acceptable (not a failure) | 0.60 (4%) |" in text
    assert "good_human 100, loop 25, acceptable 10" in text
    assert probe_set_lines(None) == []
    skipped = probe_set_lines({"rows": 300, "skipped": "none of the 300 labelled rows' tweets is in pairs.jsonl"})
    assert "Labelled set: not scored (none of the 300 labelled rows' tweets is in pairs.jsonl)." in skipped


def test_the_gold_reward_control_is_tested_like_a_verdict_outside_the_holm_family():
    rows = rows_with({"grpo_gold": 0.4, "warmstart_baseline": 0.0}, extra_models=("grpo_gold",))
    res = analyse(rows, CFG)
    gold = res["positive_controls"]["grpo_gold"]
    assert gold["model_b"] == "warmstart_baseline" and gold["detected"] and gold["ci_level"] == pytest.approx(1 - 0.05 / 3)
    assert gold["mean_diff"] == pytest.approx(0.4, abs=0.03)
    assert list(res["primary_tests"]) == ["Q1", "Q2", "Q3", "Q4"]          # not in the Holm family
    assert not analyse(rows_with({}, extra_models=("grpo_gold",)), CFG)["positive_controls"]["grpo_gold"]["detected"]
    assert analyse(rows_with({}), CFG)["positive_controls"] == {}           # not run: nothing claimed


def test_the_injected_effect_is_recovered_inside_its_ci():
    """sft_baseline+injected scores 0.3 higher (the planted effect evaluate computed): the same test finds it."""
    rows = rows_with({"sft_baseline": 0.0, "sft_baseline+injected": 0.3}, extra_models=("sft_baseline+injected",))
    records = {s: {"model": "sft_baseline", "injected_model": "sft_baseline+injected", "share": 0.25,
                   "replaced_per_prompt": 2, "expected_effect": 0.3} for s in (1, 2, 3)}
    inj = analyse(rows, CFG, records)["injected"]
    assert inj["recovered"] and inj["detected"] and inj["planted_effect"] == pytest.approx(0.3)
    records = {s: {**r, "expected_effect": 0.6} for s, r in records.items()}   # a wrong plan is not recovered
    assert not analyse(rows, CFG, records)["injected"]["recovered"]


def test_heldout_lines_give_the_change_with_its_ci_and_the_share_of_the_gold_gain():
    from polyreply.tweets.report import heldout_lines
    c = {"mean": 0.1, "ci_low": 0.02, "ci_high": 0.18, "n_seeds": 3}
    lines = heldout_lines({"grpo_baseline": {"reward": c, "oracle": {**c, "mean": 0.05}}},
                          {"proxy (grpo_baseline)": {"oracle_start": -2.0, "oracle_end": -1.9, "kl_end": 0.1},
                           "gold (grpo_gold)": {"oracle_start": -2.0, "oracle_end": -1.6, "kl_end": 0.2}})
    text = "\n".join(lines)
    assert "| grpo_baseline | 3 | 0.100 [0.020, 0.180] | 0.050 [0.020, 0.180] |" in text
    assert "the proxy captures 25% of the gold gain" in text                # 0.1 of 0.4
    worse = heldout_lines({"grpo_baseline": {"reward": c}},
                          {"proxy (grpo_baseline)": {"oracle_start": -2.0, "oracle_end": -2.1, "kl_end": 0.1},
                           "gold (grpo_gold)": {"oracle_start": -2.0, "oracle_end": -1.6, "kl_end": 0.2}})
    assert "the proxy captures none of the gold gain" in "\n".join(worse)   # not "-25%"
    assert heldout_lines({}, {}) == []


def test_power_table_prices_a_study_in_cpu_hours():
    from polyreply.tweets.config import StudyCostConfig
    from polyreply.tweets.report import power_lines, study_hours
    cost = StudyCostConfig(seed_cpu_minutes=10.0, prompt_cpu_seconds=3.0)
    assert study_hours(3, 100, cost) == pytest.approx(3 * (10 / 60 + 300 / 3600))   # 0.75 h
    row = {"model_a": "a", "model_b": "b", "metric": "m", "effect": 0.1, "alpha": 0.05 / 3, "mde_now": 0.3,
           "variance": {"seed": 0.01, "prompt": 0.2, "residual": 0.5}, "seeds_needed": {100: 6, 300: None}}
    text = "\n".join(power_lines({"Q1": [row]}, 3, 100, cost))
    assert "| 6 (1.5 h) | - |" in text


def test_q4_worse_than_one_rival_names_it_with_that_comparisons_own_numbers():
    """The pre-registered best trails sft_baseline clearly and ties the others: 'worse' is carried by one part
    (Bonferroni over three), and the line shows that part's effect, CI and p, not a mix of parts."""
    rows = rows_with({"grpo_polychromic": 0.0, "grpo_baseline": 0.0, "sft_polychromic": 0.0, "sft_baseline": 0.5})
    res = analyse(rows, CFG)
    q4, parts = res["answers"]["Q4"], {t["model_b"]: t for t in res["primary_tests"]["Q4"]["parts"]}
    assert q4["verdict"] == "no: grpo_polychromic is significantly worse than sft_baseline"
    part = parts["sft_baseline"]
    assert (q4["mean_diff"], q4["ci_low"], q4["ci_high"], q4["p"]) == (part["mean_diff"], part["ci_low"],
                                                                       part["ci_high"], part["p"])
    assert q4["p_holm"] == pytest.approx(min(1.0, 3 * part["p"])) and q4["mean_diff"] == pytest.approx(-0.5, abs=0.05)
