import pytest
import numpy as np

from polyreply.evaluation import JUDGES, MODELS
from polyreply.report import analyse

KS = (1, 5, 10)


def rows_with(effects: dict[str, float], n_prompts=30, seeds=(1,), noise=0.05, judges=JUDGES):
    """Per-prompt rows where model m's pass@k = 0.3 + effects[m] + noise under the given judges (others: no effect)."""
    rng = np.random.default_rng(0)
    rows = []
    for s in seeds:
        for m in MODELS:
            for t in range(n_prompts):
                r = {"model": m, "seed": s, "tweet_id": f"t{t}", "predicted_engagement": float(rng.normal()),
                     "semantic_diversity": 0.5, "share_echo": 0.0}
                for j in JUDGES:
                    effect = effects.get(m, 0) if j in judges else 0.0
                    r[f"mean_score/{j}"] = float(effect + rng.normal(0, noise))
                    for k in KS:
                        r[f"pass@{k}/{j}"] = float(np.clip(0.3 + effect + rng.normal(0, noise), 0, 1))
                rows.append(r)
    return rows


def test_clear_effects_are_detected_and_answered():
    res = analyse(rows_with({"sft_polychromic": 0.3, "grpo_polychromic": 0.5, "grpo_baseline": 0.2}), KS,
                  bootstrap_samples=300, alpha=0.05)
    a = res["answers"]
    assert a["Q1"]["verdict"] == "yes" and a["Q1"]["mean_diff"] > 0.25
    assert a["Q1"]["at_k"][1]["verdict"] == "yes" and a["Q1"]["at_k"][10]["verdict"] == "yes"
    assert a["Q2"]["verdict"] == "yes"
    assert a["Q3"]["verdict"] == "yes"
    assert a["Q4"]["best"] == "grpo_polychromic" and "significantly better than every" in a["Q4"]["verdict"]
    # Holm-adjusted p-values never fall below the raw ones
    assert all(t["wilcoxon_p_holm"] >= t["wilcoxon_p"] for t in res["tests"])


def test_no_effect_is_not_called_significant():
    res = analyse(rows_with({}), KS, bootstrap_samples=300, alpha=0.05)
    for q in ("Q1", "Q2", "Q3"):
        assert res["answers"][q]["verdict"] == "no significant difference at this sample size"


def test_worse_model_is_reported_as_worse():
    res = analyse(rows_with({"sft_polychromic": -0.2}), KS, bootstrap_samples=300, alpha=0.05)
    assert res["answers"]["Q1"]["verdict"] == "no: significantly worse"
    assert res["answers"]["Q1"]["mean_diff"] < -0.15


def test_a_win_under_the_training_reward_alone_is_not_a_verdict():
    """GRPO's training reward (learned + heuristic) is not evidence: gains there and nowhere else answer "no"."""
    res = analyse(rows_with({"grpo_baseline": 0.5}, judges=("learned_reward", "heuristic_reward")), KS,
                  bootstrap_samples=300, alpha=0.05)
    assert res["primary_metric"] == "pass@k_mean/oracle"
    assert res["answers"]["Q2"]["verdict"] == "no significant difference at this sample size"
    assert all(not t["metric"].endswith(("learned_reward", "heuristic_reward")) for t in res["tests"])


def test_without_an_oracle_the_primary_judge_is_reference_similarity():
    """Real data (data.oracle: none) has no oracle: nothing assumes one, and no training reward stands in."""
    rows = rows_with({"grpo_baseline": 0.4}, judges=("reference_similarity",))
    for r in rows:
        for key in [k for k in r if k.endswith("/oracle")]:
            del r[key]
    res = analyse(rows, KS, bootstrap_samples=300, alpha=0.05)
    assert res["primary_judge"] == "reference_similarity"
    assert res["primary_metric"] == "pass@k_mean/reference_similarity"
    assert res["answers"]["Q2"]["verdict"] == "yes"


def test_q1_shows_a_diversity_gain_and_a_quality_loss_side_by_side():
    """A polychromic model that is more diverse but worse must show both effects, not only one."""
    rows = rows_with({})
    rng = np.random.default_rng(1)
    for r in rows:
        if r["model"] == "sft_polychromic":
            r["semantic_diversity"] = 0.7 + float(rng.normal(0, 0.02))
            r["mean_score/oracle"] -= 0.4
        else:
            r["semantic_diversity"] = 0.5 + float(rng.normal(0, 0.02))
    res = analyse(rows, KS, bootstrap_samples=300, alpha=0.05)
    e = res["answers"]["Q1"]["effects"]
    assert e["diversity"]["mean_diff"] == pytest.approx(0.2, abs=0.02) and e["diversity"]["ci"][0] > 0
    assert e["quality"]["mean_diff"] == pytest.approx(-0.4, abs=0.03) and e["quality"]["ci"][1] < 0
    assert res["answers"]["Q1"]["quality_metric"] == "mean_score/oracle"
    assert set(res["set_rl"]) == {"pass@k_mean/oracle", "mean_score/oracle", "semantic_diversity"}
