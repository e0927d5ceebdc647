"""Issue 17, wired in: stage judge against a local OpenAI-style server, llm_judge scores, config and report."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from fake_judge import prefers_word, shown_replies
from polyreply.params import ParamsError
from polyreply.tweets.arms import EXPLORATORY, MODELS, POSITIVE_CONTROLS
from polyreply.tweets.config import load_params
from polyreply.tweets.llm_judge import JudgeError, pooled_summary
from polyreply.tweets.report import llm_judge_lines
from polyreply.tweets.scoring import llm_judge_scores, score_model

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("judge_stage", ROOT / "stages/judge.py")
judge_stage = importlib.util.module_from_spec(spec)
spec.loader.exec_module(judge_stage)


def run_judge(seed, params):
    """The stage's run() with the paths dvc.yaml gives it."""
    return judge_stage.run(seed, params, Path(f"data/generations/seed{seed}"), Path("data/generations/base.jsonl"),
                           {"judgments": f"data/judge/seed{seed}/judgments.jsonl",
                            "cache": f"data/judge/seed{seed}/cache.jsonl", "metrics": f"metrics/judge/seed{seed}.json"})

# Base (the baseline) says "ok" then "Great day"; the judge prefers replies with "Great".
SAMPLES = {"base": ["ok", "Great day"], "sft_polychromic": ["Great!", "Great!"], "grpo_baseline": ["meh", "meh"]}
OTHER = ["Great!", "meh"]   # every other model: a win, then a loss


def samples_of(m):
    """Each model's replies differ (else the cache answers repeated requests), without its name in them."""
    return SAMPLES["base"] if m == "base" else [f"{s} ({MODELS.index(m)})" for s in SAMPLES.get(m, OTHER)]
TWEETS = [("t1", "Planted tomatoes today"), ("t2", "Rainy Monday")]


def workspace(tmp_path, monkeypatch, judge: dict, seed=1):
    """A run folder: params.yaml (seed 1, exploratory and positive control) and hand-made generations of every model."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(tmp_path)
    Path("params.yaml").write_text(yaml.safe_dump({
        "seeds": [seed], "exploratory_seeds": [seed], "positive_control_seeds": [seed],
        "eval": {"n_samples": 2, "k": [1, 2], "bootstrap_samples": 200, "judge": judge}}))
    for m in MODELS:
        path = Path("data/generations") / ("base.jsonl" if m == "base" else f"seed{seed}/{m}.jsonl")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps({"tweet_id": t, "tweet": text, "references": ["a", "b"],
                                            "samples": samples_of(m), "greedy": "x"}) + "\n"
                                for t, text in TWEETS))
    return load_params("params.yaml")


def openai_judge(url, **kw):
    return {"backend": "openai", "base_url": url, "model": "judge", "backoff_s": 0.0, "max_retries": 0, **kw}


def rows_of(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def test_stage_judges_every_model_against_the_baseline_and_a_rerun_makes_no_calls(judge_server, tmp_path,
                                                                                    monkeypatch):
    server, url = judge_server(prefers_word("Great"))
    params = workspace(tmp_path, monkeypatch, openai_judge(url))
    metrics = run_judge(1, params)
    others = [m for m in MODELS if m != "base"]    # seed 1 has the set-RL arm and the gold control: judged too
    assert EXPLORATORY[0] in others and list(metrics["models"]) == others
    requests = 2 * 2 * len(TWEETS) * len(others)           # 2 orders x n_samples x prompts x models
    assert server.calls == requests and (metrics["calls"], metrics["cached"]) == (requests, 0)
    rows = rows_of("data/judge/seed1/judgments.jsonl")
    assert len(rows) == 2 * len(TWEETS) * len(others) and {r["model"] for r in rows} == set(others)
    by = {(r["model"], r["tweet_id"], r["sample"]): r for r in rows}
    # sample j of the model against sample j of the baseline, both orders
    assert [by[("sft_polychromic", "t1", j)]["outcome"] for j in (0, 1)] == ["win", "tie"]
    assert [by[("grpo_baseline", "t2", j)]["outcome"] for j in (0, 1)] == ["tie", "loss"]
    assert by[("sft_baseline", "t1", 0)] == {"model": "sft_baseline", "tweet_id": "t1", "sample": 0,
                                             "outcome": "win", "model_as_a": "A", "model_as_b": "B"}
    r = metrics["models"]["sft_polychromic"]
    assert (r["win_rate"], r["tie_rate"], r["loss_rate"], r["unparseable"], r["groups"]) == (0.5, 0.5, 0.0, 0, 2)
    assert metrics["enabled"] and metrics["baseline"] == "base" and metrics["backend"] == "openai"
    assert json.loads(Path("metrics/judge/seed1.json").read_text()) == metrics
    # the judge never sees which model wrote which reply
    shown = " ".join(m["content"] for q in server.requests for m in q["body"]["messages"])
    assert not any(name in shown for name in MODELS)

    again = run_judge(1, params)                           # cache.jsonl is a persistent DVC output
    assert server.calls == requests and (again["calls"], again["cached"]) == (0, requests)
    assert rows_of("data/judge/seed1/judgments.jsonl") == rows


def test_position_bias_gives_ties_and_too_many_unparseable_answers_fail_the_stage(judge_server, tmp_path,
                                                                                 monkeypatch):
    _, url = judge_server(lambda prompt: "The first one.\nWinner: A")
    metrics = run_judge(1, workspace(tmp_path, monkeypatch, openai_judge(url)))
    assert all(r["tie_rate"] == 1.0 and r["win_rate"] == 0.0 for r in metrics["models"].values())

    def no_verdict_for_meh(prompt):      # answers about a "meh" reply lack the verdict line
        return "Hard to say." if any(r.startswith("meh") for r in shown_replies(prompt)) else \
            prefers_word("Great")(prompt)
    _, url2 = judge_server(no_verdict_for_meh)
    params = workspace(tmp_path / "b", monkeypatch, openai_judge(url2, max_unparseable=0.3))
    with pytest.raises(JudgeError, match=r"sft_baseline: 2 of 4 pairs \(50\.0%\).*grpo_baseline: 4 of 4 pairs "
                                         r"\(100\.0%\).*data/judge/seed1/judgments\.jsonl") as failed:
        run_judge(1, params)
    assert "sft_polychromic" not in str(failed.value)     # only the models above the limit are named
    rows = rows_of("data/judge/seed1/judgments.jsonl")   # written before failing, for inspection
    assert {r["outcome"] for r in rows if r["model"] == "grpo_baseline"} == {"unparseable"}
    metrics = json.loads(Path("metrics/judge/seed1.json").read_text())
    assert metrics["models"]["sft_polychromic"]["unparseable"] == 0
    assert metrics["models"]["sft_baseline"]["unparseable"] == 2 and metrics["models"]["sft_baseline"]["pairs"] == 4


def test_judge_off_writes_empty_outputs_and_makes_no_calls(tmp_path, monkeypatch):
    metrics = run_judge(1, workspace(tmp_path, monkeypatch, {"backend": "none"}))
    assert metrics == {"enabled": False, "backend": "none", "baseline": "base", "calls": 0, "cached": 0, "models": {}}
    assert Path("data/judge/seed1/judgments.jsonl").read_text() == ""
    assert Path("data/judge/seed1/cache.jsonl").read_text() == ""


class ZeroReward:
    def score(self, tweets, replies):
        return np.zeros(len(replies))


def test_llm_judge_scores_leave_unparseable_samples_out(monkeypatch):
    """Hand values: outcomes win, win, unparseable, loss -> scores [1, 1, -1]: n = 3 parsed, c = 2 wins."""
    import polyreply.tweets.scoring as ev
    from polyreply.tweets.config import EvalConfig, HeuristicConfig
    monkeypatch.setattr(ev, "embed", lambda texts: np.eye(len(texts), 8))   # no encoder needed here
    cfg = EvalConfig(n_samples=4, k=(1, 2, 3))
    gens = [{"tweet_id": t, "tweet": "Planted tomatoes today", "references": ["nice one", "which kind?"],
             "samples": ["a reply", "another reply", "third", "fourth"], "greedy": "g"} for t in ("t1", "t2")]
    outcomes = {"t1": ["win", "win", "unparseable", "loss"], "t2": ["tie"] * 4}
    judgments = [{"model": "sft_baseline", "tweet_id": t, "sample": j, "outcome": o}
                 for t, os in outcomes.items() for j, o in enumerate(os)]
    judgments += [{"model": "grpo_baseline", "tweet_id": "t1", "sample": j, "outcome": "tie"} for j in range(4)]
    scores = llm_judge_scores(judgments, "sft_baseline", "base", gens, 4, 3, "J.jsonl")
    assert scores["t1"].tolist() == [1.0, 1.0, -1.0] and scores["t2"].tolist() == [0.0] * 4
    thresholds = {"reference_similarity": 0.5, "llm_judge": 0.5}
    rows = score_model(gens, ZeroReward(), HeuristicConfig(), thresholds, cfg, ("reference_similarity", "llm_judge"),
                       scores)
    t1, t2 = rows
    assert t1["mean_score/llm_judge"] == pytest.approx(1 / 3)          # not 1/4: the unparseable one is no tie
    assert t1["pass@1/llm_judge"] == pytest.approx(2 / 3)              # 2 wins of n = 3 parsed
    assert t1["pass@2/llm_judge"] == pytest.approx(1.0)                # 1 - C(1,2)/C(3,2)
    assert t1["max@1/llm_judge"] == pytest.approx(1 / 3) and t1["max@2/llm_judge"] == pytest.approx(1.0)
    assert t1["llm_judge_unparseable"] == 1 and t2["llm_judge_unparseable"] == 0
    assert (t2["mean_score/llm_judge"], t2["pass@3/llm_judge"], t2["max@3/llm_judge"]) == (0.0, 0.0, 0.0)
    # the other judges' columns do not change when the LLM judge is added
    off = score_model(gens, ZeroReward(), HeuristicConfig(), thresholds, cfg, ("reference_similarity",))
    assert [{k: v for k, v in r.items() if "llm_judge" not in k} for r in rows] == off
    assert not any("llm_judge" in k for k in off[0])
    # the baseline against itself: a tie by definition; too few parsed samples: an error naming everything
    assert llm_judge_scores([], "base", "base", gens, 4, 3, "J.jsonl")["t1"].tolist() == [0.0] * 4
    with pytest.raises(ValueError, match=r"model sft_baseline, tweet t1: 3 of 4 samples have a verdict, fewer "
                                         r"than max\(eval\.k\) = 4.*J\.jsonl"):
        llm_judge_scores(judgments, "sft_baseline", "base", gens, 4, 4, "J.jsonl")
    with pytest.raises(ValueError, match=r"model grpo_baseline, tweet t2: judgments for samples \[\]"):
        llm_judge_scores(judgments, "grpo_baseline", "base", gens, 4, 1, "J.jsonl")


def write_params(tmp_path, data):
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_judge_config_is_strict(tmp_path):
    with pytest.raises(ParamsError, match=r"eval\.judge\.base_ur: unknown key"):
        load_params(write_params(tmp_path, {"eval": {"judge": {"base_ur": "http://x"}}}))
    with pytest.raises(ParamsError, match=r"eval\.primary_judge: llm_judge needs a configured judge.*eval\.judge"):
        load_params(write_params(tmp_path, {"eval": {"primary_judge": "llm_judge"}}))
    with pytest.raises(ParamsError, match=r"eval\.judge\.base_url: backend openai needs a base_url"):
        load_params(write_params(tmp_path, {"eval": {"judge": {"backend": "openai", "model": "m"}}}))
    with pytest.raises(ParamsError, match=r"eval\.judge\.local_path"):
        load_params(write_params(tmp_path, {"eval": {"judge": {"backend": "transformers"}}}))
    with pytest.raises(ParamsError, match=r"eval\.judge\.baseline: 'grpo_setrl' is not one of"):
        load_params(write_params(tmp_path, {"eval": {"judge": {"baseline": "grpo_setrl"}}}))
    with pytest.raises(ParamsError, match=r"eval\.judge\.api_key_env"):
        load_params(write_params(tmp_path, {"eval": {"judge": {"api_key_env": "sk-abc123"}}}))
    # real data, no oracle: the LLM judge is independent of the training reward, so it may be primary
    judge = {"backend": "openai", "base_url": "http://localhost:8000/v1", "model": "judge", "rubric": "Winner: A/B"}
    p = load_params(write_params(tmp_path, {"data": {"oracle": "none"}, "grpo": {"log_oracle": False},
                                            "eval": {"primary_judge": "llm_judge", "judge": judge}}))
    assert p.eval.primary_judge == "llm_judge" and p.eval.judge.rubric == "Winner: A/B"
    # the baseline choices are the models of every seed
    import typing
    from polyreply.tweets.config import JudgeConfig
    allowed = typing.get_args(typing.get_type_hints(JudgeConfig)["baseline"])
    assert set(allowed) == set(MODELS) - set(EXPLORATORY) - set(POSITIVE_CONTROLS)


def test_report_section_off_and_on():
    off = pooled_summary({1: {"enabled": False}}, {1: []})
    assert off == {"enabled": False, "backend": "none"}
    assert "LLM judge: off (`eval.judge.backend: none`)" in "\n".join(llm_judge_lines(off))
    metrics = {s: {"enabled": True, "backend": "openai", "judge": "openai:u:m", "baseline": "base", "calls": 4,
                   "cached": 0} for s in (1, 2)}
    judgments = {1: [{"model": "sft_baseline", "tweet_id": "t1", "outcome": "win"},
                     {"model": "sft_baseline", "tweet_id": "t2", "outcome": "unparseable"}],
                 2: [{"model": "sft_baseline", "tweet_id": "t1", "outcome": "loss"},
                     {"model": "sft_baseline", "tweet_id": "t2", "outcome": "win"}]}
    on = pooled_summary(metrics, judgments, samples=200)
    r = on["models"]["sft_baseline"]
    assert (r["pairs"], r["unparseable"], r["groups"], r["win_rate"]) == (4, 1, 2, pytest.approx(2 / 3))
    assert on["calls"] == 8 and on["seeds"] == [1, 2]
    text = "\n".join(llm_judge_lines(on))
    assert "win needs both orders" in text and "| sft_baseline | 4 | 0.667 [" in text and "| 1 |" in text
    with pytest.raises(ValueError, match="on for seeds"):
        pooled_summary({1: metrics[1], 2: {"enabled": False}}, judgments)
