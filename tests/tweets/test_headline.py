"""The headline metrics file and the report's first screen: few values, short stable names, hand-checked numbers."""
import csv
from types import SimpleNamespace

import pytest

from polyreply.tweets.chart_data import COLOURS, data_card_charts, evaluation_charts, read_tsv, training_curves
from polyreply.tweets.config import EvalConfig
from polyreply.stats import verdict_word
from polyreply.tweets.headline import MODEL_FIELDS, count_values, front_page, headline, reward_achieved

WEIGHTS = SimpleNamespace(learned=0.7, heuristic=0.3)
SEVEN = ("base", "warmstart_baseline", "warmstart_polychromic", "sft_baseline", "sft_polychromic", "grpo_baseline",
         "grpo_polychromic")


def means(score: float) -> dict:
    m = {"mean_score/oracle": score, "semantic_diversity": 0.61234567, "share_echo": 0.05,
         "mean_score/learned_reward": 0.5, "mean_score/heuristic_reward": 0.8}
    for k in (1, 2, 4, 6):
        m[f"max@{k}/oracle"], m[f"pass@{k}/oracle"] = score + 0.1 * k, 0.1 * k
    return m


def fake_test(diff, lo, hi, verdict="inconclusive: the CI still includes effects of interest", **kw):
    return {"mean_diff": diff, "ci_low": lo, "ci_high": hi, "p": 0.01, "p_holm": 0.03, "mde": 0.2, "ci_level": 0.9833,
            "verdict": verdict, "model_a": "a", "model_b": "b", "metric": "mean_score/oracle", "question": "Q?", **kw}



def analysis() -> dict:
    answers = {"Q1": fake_test(-0.0739387, -0.248, 0.1002), "Q2": fake_test(-0.69260, -0.8104, -0.5748, "no: significantly worse"),
               "Q3": fake_test(-0.1275, -0.4246, 0.1696),
               "Q4": fake_test(-0.82, -0.918, -0.722, "no: grpo_polychromic is significantly worse than sft_baseline")}
    return {"primary_judge": "oracle", "prompts": 100, "answers": answers,
            "positive_controls": {"grpo_gold": {**fake_test(0.31573, 0.126, 0.506), "detected": True}},
            "injected": {**fake_test(1.0176, 0.92, 1.11), "planted_effect": 1.02540, "recovered": True},
            "a_a": {"sft_baseline": {"p": 0.01}, "grpo_baseline": {"p": 0.5}}}


def model_means() -> dict:
    mm = {m: means(-1.0 - i / 10) for i, m in enumerate(SEVEN)}
    return {**mm, "grpo_gold": means(-0.5), "sft_baseline+injected": means(0.0)}


def test_reward_achieved_is_grpo_training_reward_by_hand():
    m = {"mean_score/learned_reward": 0.5, "mean_score/heuristic_reward": 0.8}
    assert reward_achieved(m, "learned", WEIGHTS) == 0.5
    assert reward_achieved(m, "heuristic", WEIGHTS) == 0.8
    assert reward_achieved(m, "hybrid", WEIGHTS) == pytest.approx(0.7 * 0.5 + 0.3 * 0.8)


def test_headline_names_values_and_size():
    head = headline(analysis(), model_means(), "oracle", 6, "hybrid", WEIGHTS)
    # the seven models, the four questions, the two positive controls; no gold model row, no injected copy
    assert set(head) == {*SEVEN, "q1", "q2", "q3", "q4", "gold", "injected"}
    assert head["sft_baseline"] == {"score": -1.3, "max_k": -0.7, "pass_k": 0.6, "div": 0.612, "echo": 0.05,
                                    "reward": 0.59}
    assert tuple(head["base"]) == MODEL_FIELDS
    assert head["q1"] == {"effect": -0.074, "ci_low": -0.248, "ci_high": 0.1, "verdict": "open"}
    assert head["q2"]["verdict"] == "worse" and head["q4"]["verdict"] == "worse"   # a "no" that found the opposite
    assert head["gold"] == {"effect": 0.316, "detected": True}
    assert head["injected"] == {"planted": 1.025, "effect": 1.018, "recovered": True}
    # about 60 values and names short enough for an 80-column `dvc metrics diff` (tests/test_dvc_interface.py)
    assert count_values(head) == 7 * 6 + 4 * 4 + 2 + 3 == 63
    assert max(len(f"{k}.{f}") for k, v in head.items() for f in v) == len("warmstart_polychromic.pass_k")


def test_headline_on_real_data_has_no_controls_that_did_not_run():
    """Real data: reference similarity as the primary judge, no ground truth, so no positive controls."""
    a = {**analysis(), "primary_judge": "reference_similarity", "positive_controls": {}, "injected": {}}
    mm = {}
    for m in SEVEN:
        mm[m] = {k.replace("/oracle", "/reference_similarity"): v for k, v in means(-1.0).items()}
        mm[m]["mean_score/reference_similarity"] = 0.25
    head = headline(a, mm, "reference_similarity", 6, "learned", WEIGHTS)
    assert "gold" not in head and "injected" not in head and head["base"]["reward"] == 0.5
    assert head["base"]["score"] == 0.25 and count_values(head) == 7 * 6 + 4 * 4
    page = front_page(a, head, EvalConfig(n_samples=6, k=(1, 2, 4, 6)), [1, 2], "report_appendix.md")
    assert "SYNTHETIC" not in page and "Gold reward: not run" in page


def test_verdict_word():
    assert verdict_word("no: significantly worse") == "worse"
    assert verdict_word("no: any effect is smaller than the smallest effect of interest (0.1)") == "no"
    assert verdict_word("no: grpo_polychromic is significantly worse than sft_baseline") == "worse"
    assert verdict_word("no: the opposite holds") == "worse"   # Wordle's
    assert verdict_word("yes") == "yes"
    assert verdict_word("inconclusive: underpowered (minimum detectable effect 0.3 > 0.1)") == "open"
    assert verdict_word("one seed: describes this run, not the method") == "1 seed"   # Wordle's
    with pytest.raises(ValueError, match="unknown verdict 'maybe'"):
        verdict_word("maybe")


def test_front_page_fits_a_screen_and_says_what_matters():
    cfg = EvalConfig(n_samples=6, k=(1, 2, 4, 6))
    head = headline(analysis(), model_means(), "oracle", 6, "hybrid", WEIGHTS)
    page = front_page(analysis(), head, cfg, [42, 43, 44], "report_appendix.md")
    lines = page.splitlines()
    assert len(lines) <= 40 and "[report_appendix.md](report_appendix.md)" in page
    assert sum(ln.startswith("| Q") for ln in lines) == 4
    assert "| Q2 | Q? | **no: significantly worse** | a - b (`mean_score/oracle`) | -0.693 [-0.810, -0.575] (98.33%)" in page
    assert "+0.316 [+0.126, +0.506]: **detected**" in page and "planted +1.025" in page and "**recovered**" in page
    assert "1 of 2 arms differ" in page
    table = [ln for ln in lines if ln.startswith("| ") and ln.split(" | ")[0][2:] in SEVEN]
    assert len(table) == 7 and "| sft_baseline | -1.300 | -0.700 | 0.600 | 0.612 | 0.050 | 0.590 |" in table


# ---------------------------------------------------------------- the plots page's data (long CSVs)

def rows(path):
    return list(csv.DictReader(open(path)))


def write_log(logs, run, seed, series, points):
    f = logs / run / f"seed{seed}" / "plots/metrics" / f"{series}.tsv"
    f.parent.mkdir(parents=True, exist_ok=True)
    name = series.split("/")[-1]
    f.write_text(f"step\t{name}\n" + "".join(f"{s}\t{v}\n" for s, v in points))


def test_training_curves_one_line_per_run_and_seed(tmp_path):
    params = SimpleNamespace(seeds=[1, 2], exploratory_seeds=[], positive_control_seeds=[1])
    logs = tmp_path / "logs"
    for run in ("sft_baseline", "sft_polychromic", "warmstart_baseline", "warmstart_polychromic"):
        for s in (1, 2):
            write_log(logs, run, s, "train/quality_loss", [(0, 3.0 + s), (1, 2.5)])
            write_log(logs, run, s, "eval/loss", [(0, 3.0)])
            write_log(logs, run, s, "train/set_objective", [(0, 0.3)])
    for run, seeds in (("grpo_baseline", (1, 2)), ("grpo_polychromic", (1, 2)), ("grpo_gold", (1,))):
        for s in seeds:
            write_log(logs, run, s, "grpo/avg_reward", [(1, 0.1), (2, 0.2)])
            write_log(logs, run, s, "grpo/kl", [(1, 0.0), (2, 0.01)])
            (logs / run / f"seed{s}" / "heldout.json").write_text(
                '[{"step": 0, "reward": 0.1, "oracle": -2.0}, {"step": 2, "reward": 0.3, "oracle": -1.9}]')
    out = tmp_path / "charts"
    training_curves(params, logs, out)
    nll = rows(out / "sft_nll.csv")
    assert len(nll) == 4 * 2 * 2 and nll[0] == {"model": "sft_baseline", "colour": COLOURS["sft_baseline"],
                                                "seed": "1", "step": "0", "nll": "4.0"}
    assert {r["model"] for r in rows(out / "set_objective.csv")} == {"sft_polychromic", "warmstart_polychromic"}
    # the gold run trains on the judge: its reward is another scale, so it is left out of the reward charts,
    # and shown on the ground truth's
    assert {r["model"] for r in rows(out / "grpo_reward.csv")} == {"grpo_baseline", "grpo_polychromic"}
    assert {r["model"] for r in rows(out / "heldout_reward.csv")} == {"grpo_baseline", "grpo_polychromic"}
    oracle = rows(out / "heldout_oracle.csv")
    assert [(r["model"], r["seed"], r["step"]) for r in oracle if r["model"] == "grpo_gold"] == [
        ("grpo_gold", "1", "0"), ("grpo_gold", "1", "2")]
    assert {r["model"] for r in rows(out / "grpo_kl.csv")} == {"grpo_baseline", "grpo_polychromic", "grpo_gold"}


def test_heldout_curves_without_a_ground_truth_are_empty_not_zero(tmp_path):
    """Real data: heldout.json carries "oracle": null; the ground truth's chart gets no rows (never 0.0)."""
    params = SimpleNamespace(seeds=[1], exploratory_seeds=[], positive_control_seeds=[])
    logs = tmp_path / "logs"
    for run in ("sft_baseline", "sft_polychromic", "warmstart_baseline", "warmstart_polychromic"):
        for series in ("train/quality_loss", "eval/loss", "train/set_objective"):
            write_log(logs, run, 1, series, [(0, 1.0)])
    for run in ("grpo_baseline", "grpo_polychromic"):
        for series in ("grpo/avg_reward", "grpo/kl"):
            write_log(logs, run, 1, series, [(1, 0.1)])
        (logs / run / "seed1/heldout.json").write_text('[{"step": 0, "reward": 0.1, "oracle": null}]')
    training_curves(params, logs, tmp_path / "charts")
    assert (tmp_path / "charts/heldout_oracle.csv").read_text() == "model,colour,seed,step,oracle\n"
    assert len(rows(tmp_path / "charts/heldout_reward.csv")) == 2


def test_dvclive_series_with_a_bad_header_names_the_file(tmp_path):
    f = tmp_path / "loss.tsv"
    f.write_text("loss\n1.0\n")
    with pytest.raises(ValueError, match="loss.tsv: line 1 should be 'step<TAB><metric>'"):
        read_tsv(f)


def test_evaluation_and_data_card_charts(tmp_path):
    mm = {m: means(-1.0) for m in ("base", "sft_baseline", "grpo_gold")}
    evaluation_charts(mm, "oracle", (1, 2, 4, 6), lambda m: reward_achieved(m, "learned", WEIGHTS), tmp_path)
    at_k = rows(tmp_path / "at_k.csv")
    assert len(at_k) == 3 * 4 and at_k[3] == {"model": "base", "colour": COLOURS["base"], "judge": "oracle", "k": "6",
                                              "pass_at_k": "0.6", "max_at_k": "-0.4"}
    assert [r["model"] for r in rows(tmp_path / "models.csv")] == ["base", "sft_baseline", "grpo_gold"]
    # gold's training reward is the ground truth: it has no point on the reward-achieved chart
    assert [r["model"] for r in rows(tmp_path / "reward_vs_score.csv")] == ["base", "sft_baseline"]
    assert rows(tmp_path / "models.csv")[1] == {"model": "sft_baseline", "colour": COLOURS["sft_baseline"],
                                                "diversity": "0.612346", "score": "-1.0", "max_k": "-0.4",
                                                "reward_achieved": "0.5"}
    card = {"rule_order": ["likes", "length", "author_cap"],
            "rules": {"likes": {"rule": "reply_likes in [5, 500]", "removed_first": 5, "removed_alone": 5},
                      "length": {"rule": "reply characters in [30, 280]", "removed_first": 1, "removed_alone": 3},
                      "author_cap": {"rule": "off", "removed_first": 0, "removed_alone": 0}},
            "style_mix": {"all": {"echo": 0.2, "specific": 0.8}, "kept": {"specific": 1.0}}}
    data_card_charts(card, tmp_path)
    assert [(r["rule"], r["rows"]) for r in rows(tmp_path / "curation_rules.csv")] == [
        ("likes", "5"), ("likes", "5"), ("length", "1"), ("length", "3")]
    assert [(r["style"], r["group"], r["share"]) for r in rows(tmp_path / "reply_styles.csv")] == [
        ("echo", "all replies", "0.2"), ("specific", "all replies", "0.8"), ("specific", "kept for SFT", "1.0")]
    del card["style_mix"]   # real data: no style labels, header only
    data_card_charts(card, tmp_path)
    assert (tmp_path / "reply_styles.csv").read_text() == "style,group,share\n"
