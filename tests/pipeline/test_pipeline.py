"""End-to-end: the whole DVC DAG with a tiny in-code model, in a fresh git+DVC repository.

Checks that every stage runs, the report answers Q1-Q4, `dvc exp run -S grpo.kl_coeff=0.2`
reruns only the GRPO subgraph, a training stage killed mid-run recovers with identical
results, and forced reruns are bit-identical (determinism on CPU).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from polyreply.tweets.headline import MODEL_FIELDS
from tests.plots_page import plots_show, render

ROOT = Path(__file__).resolve().parents[2]
SEEDS = [1, 2]
pytestmark = pytest.mark.slow


def tiny_params(p: dict) -> dict:
    p["seeds"] = SEEDS
    p["exploratory_seeds"] = SEEDS[:1]
    p["positive_control_seeds"] = SEEDS
    p["base_model"].update(source="tiny", tiny_hidden_size=32, tiny_layers=2)
    p["sft"].update(max_steps=30, eval_every=15, eval_examples=8, batch_size=4, max_reply_tokens=16,
                    heldout_prompts=4, heldout_samples=4)
    p["warmstart"]["max_steps"] = 4
    p["polychromic"].update(max_new_tokens=6, prompts_per_step=2)
    p["grpo"].update(max_steps=3, prompts_per_step=2, num_generations=4, max_new_tokens=6)
    p["eval"].update(max_prompts=6, max_new_tokens=6, n_samples=6, batch_size=42, bootstrap_samples=200,
                     permutations=999)
    p["reward_model"].update(epochs=30)
    p["probes"] = {"max_prompts": 6}
    return p


DVC = str(Path(sys.executable).parent / "dvc")


def clean_env() -> dict:
    """As a user's shell: no environment activated and its bin/ not on PATH (stages find .venv themselves)."""
    env_bin = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "POLYREPLY_PYTHON")}
    env["PATH"] = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != env_bin)
    env["HF_HUB_OFFLINE"] = "1"
    return env


def run(cmd, cwd, check=True, **kw):
    cmd = [DVC if c == "dvc" and i == 0 else c for i, c in enumerate(cmd)]
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=clean_env(), **kw)
    if check and res.returncode != 0:
        raise AssertionError(f"{cmd} failed:\n{res.stdout[-4000:]}\n{res.stderr[-4000:]}")
    return res


def ran_stages(output: str) -> set[str]:
    return set(re.findall(r"Running stage '([^']+)'", output))


def lock_md5(repo: Path, stage: str, path: str) -> str:
    lock = yaml.safe_load((repo / "dvc.lock").read_text())["stages"][stage]
    return next(o["md5"] for o in lock["outs"] if o["path"] == path)


def make_project(repo: Path, params: dict) -> Path:
    """A fresh git+DVC repository with this checkout's code, the demo data and ``params``, one commit."""
    for name in ("stages", "polyreply", "tools", "dvc.yaml"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, repo / name)
    # the environment running the tests plays the clone's .venv (tools/python finds it, as for a user)
    (repo / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    (repo / ".gitignore").write_text(".venv\n")
    (repo / "data/demo").mkdir(parents=True)
    shutil.copy(ROOT / "data/demo/synthetic_tweet_replies.jsonl", repo / "data/demo/")
    shutil.copytree(ROOT / "data/realistic", repo / "data/realistic")
    shutil.copytree(ROOT / "data/probes", repo / "data/probes")
    (repo / "params.yaml").write_text(yaml.safe_dump(params))
    for d in ("metrics", "plots"):
        (repo / d).mkdir()
    run(["git", "init", "-q"], repo)
    run(["git", "config", "user.email", "ci@example.org"], repo)
    run(["git", "config", "user.name", "ci"], repo)
    run(["dvc", "init", "-q"], repo)
    run(["dvc", "config", "core.autostage", "true"], repo)
    # the plots page as in this checkout: its templates and the offline page (vega inlined)
    shutil.copytree(ROOT / ".dvc/plots", repo / ".dvc/plots")
    shutil.copy(ROOT / ".dvc/offline_plots_template.html", repo / ".dvc/")
    run(["dvc", "config", "plots.html_template", "offline_plots_template.html"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "code"], repo)  # dvclive needs a commit to exist
    return repo


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    repo = make_project(tmp_path_factory.mktemp("pipeline"),
                        tiny_params(yaml.safe_load((ROOT / "params.yaml").read_text())))
    res = run(["dvc", "repro"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "tiny pipeline"], repo)
    repo_first_output = res.stdout
    (repo / "first_repro.log").write_text(repo_first_output)
    return repo


def test_full_dag_runs_and_report_answers_questions(repo):
    stages = ran_stages((repo / "first_repro.log").read_text())
    expected = {"validate", "curate", "split", "base_model", "reward_model", "probe_rewards", "generate_base", "report",
                "grpo_setrl@1", "generate_setrl@1"}  # the exploratory arm: exploratory_seeds only
    for s in SEEDS:
        expected |= {f"{n}@{s}" for n in ("sft_baseline", "sft_polychromic", "warmstart_baseline",
                                          "warmstart_polychromic", "grpo_baseline", "grpo_polychromic", "evaluate",
                                          "judge", "grpo_gold", "generate_gold")}   # judge: off, writes empty files
        expected |= {f"generate@{m}-{s}" for m in ("warmstart_baseline", "warmstart_polychromic", "sft_baseline",
                                                    "sft_polychromic", "grpo_baseline", "grpo_polychromic")}
    assert stages == expected
    report = (repo / "metrics/report.md").read_text()             # the first screen
    appendix = (repo / "metrics/report_appendix.md").read_text()   # everything else
    for q in ("Q1", "Q2", "Q3", "Q4"):
        assert f"| {q} | " in report and f"**{q}." in appendix
    assert "Gold reward" in report and "[report_appendix.md](report_appendix.md)" in report
    summary = json.loads((repo / "metrics/summary.json").read_text())
    assert set(summary["answers"]) == {"Q1", "Q2", "Q3", "Q4"}
    for a in summary["answers"].values():  # one verdict line's worth per question
        assert 0.0 <= a["p"] <= a["p_holm"] <= 1.0 and a["ci_low"] <= a["mean_diff"] <= a["ci_high"]
        assert a["judge"] == "oracle" and a["seeds"] == 2 and a["prompts"] == 6 and a["mde"] > 0
    assert summary["answers"]["Q1"]["metric"] == "max@6/oracle"
    assert summary["answers"]["Q2"]["metric"] == "mean_score/oracle"
    ev1 = json.loads((repo / "metrics/eval/seed1.json").read_text())
    ev = json.loads((repo / "metrics/eval/seed2.json").read_text())
    controls_and_arms = {"base", "warmstart_baseline", "warmstart_polychromic", "sft_baseline", "sft_polychromic",
                         "grpo_baseline", "grpo_polychromic"}
    controls_and_arms |= {"grpo_gold"}   # the positive control, on every seed
    assert set(ev1["models"]) == controls_and_arms | {"grpo_setrl"} and set(ev["models"]) == controls_and_arms
    # positive controls, injected effect, held-out telemetry and the power table reach the summary and report
    assert set(summary["positive_controls"]) == {"grpo_gold"} and "detected" in summary["positive_controls"]["grpo_gold"]
    assert ev["injection"]["injected_model"] == "sft_baseline+injected" and "recovered" in summary["injected_effect"]
    assert set(summary["grpo_heldout_change"]) == {"grpo_baseline", "grpo_polychromic", "grpo_setrl", "grpo_gold"}
    assert summary["grpo_heldout_change"]["grpo_gold"]["oracle"]["n_seeds"] == 2
    curve = json.loads((repo / "logs/grpo_gold/seed1/heldout.json").read_text())
    assert [h["step"] for h in curve] == [0, 3] and {"reward", "oracle", "kl"} <= set(curve[0])
    gold = [ln for ln in (repo / "plots/charts/heldout_oracle.csv").read_text().splitlines() if ln.startswith("grpo_gold")]
    assert [ln.split(",")[2:4] for ln in gold] == [["1", "0"], ["1", "3"], ["2", "0"], ["2", "3"]]
    assert set(summary["power"]) == {"Q1", "Q2", "Q3", "Q4"} and "## Power" in appendix
    # the base is sampled once and shared: identical scores in every seed
    assert ev1["models"]["base"] == ev["models"]["base"]
    assert "Side by side" in appendix and "Fifth arm, set-RL GRPO" in appendix and "A/A control" in appendix
    assert "GRPO effect, baseline (grpo_baseline - warmstart_baseline)" in summary["controls"]
    assert set(summary["a_a"]) == {"sft_baseline", "sft_polychromic", "grpo_baseline", "grpo_polychromic"}
    assert "Mann" not in appendix and "Wilcoxon" not in appendix
    held = json.loads((repo / "logs/sft_polychromic/seed1/metrics.json").read_text())
    assert 0.0 <= held["heldout_diversity"] <= 2.0 and "heldout_quality" in held
    assert {"pass@6/learned_reward", "pass@6/oracle", "max@6/oracle"} <= set(ev["models"]["base"])
    assert set(ev["learned_reward_vs_oracle_on_model_replies"]) == set(ev["models"])
    assert set(summary["reward_vs_oracle"]) == {"grpo_baseline", "grpo_polychromic", "grpo_setrl", "grpo_gold"}
    probes = json.loads((repo / "metrics/reward_probes.json").read_text())
    assert {"learned_reward", "heuristic_reward", "training_reward (hybrid)", "oracle"} == set(probes["scorers"])
    assert probes["scorers"]["oracle"]["probes"]["verbatim_copy"]["share_above_median_human"] == 0.0
    labelled = json.loads((repo / "metrics/probe_set.json").read_text())
    assert {"oracle", "learned_reward", "reference_similarity"} <= set(labelled["scorers"])
    assert "## Judges and rewards on real model output" in (repo / "metrics/report_appendix.md").read_text()
    assert json.loads((repo / "metrics/split.json").read_text())["tweet_texts_in_two_splits"] == 0
    # training curves exist as dvclive TSVs (outputs), and one chart overlays every run's seeds
    tsv = repo / "logs/sft_polychromic/seed1/plots/metrics/train/diversity_score.tsv"
    assert len(tsv.read_text().splitlines()) == 31  # header + 30 steps
    nll = (repo / "plots/charts/sft_nll.csv").read_text().splitlines()
    assert nll[0] == "model,colour,seed,step,nll" and len(nll) == 1 + 4 * 2 * 30 - 2 * 2 * 26  # warm-starts: 4 steps
    at_k = (repo / "plots/charts/at_k.csv").read_text().splitlines()
    assert len(at_k) == 1 + 9 * 4 and at_k[1].startswith("base,#7f7f7f,oracle,1,")
    # the pairwise LLM judge is off by default: empty judgments, one line in the report
    assert (repo / "data/judge/seed1/judgments.jsonl").read_text() == ""
    assert summary["llm_judge"] == {"enabled": False, "backend": "none"} and "LLM judge: off" in appendix
    # wall-clock lives in metrics/timing/, never in logs/ (a report dependency that must be reproducible)
    timing = json.loads((repo / "metrics/timing/grpo_polychromic_seed1.json").read_text())
    assert timing["seconds"] > 0 and timing["generated_tokens_per_second"] > 0
    assert not list((repo / "logs").rglob("*seconds*"))
    assert "seconds" not in (repo / "logs/sft_baseline/seed1/metrics.json").read_text()
    # `dvc metrics show` reads the one headline file, and nothing is stale
    shown = json.loads(run(["dvc", "metrics", "show", "--json"], repo).stdout)
    (files,) = [rev["data"] for rev in shown.values()]
    assert list(files) == ["metrics/headline.json"]
    head = files["metrics/headline.json"]["data"]
    assert head["q2"]["verdict"] in ("yes", "no", "open") and set(head["sft_baseline"]) == set(MODEL_FIELDS)
    assert "up to date" in run(["dvc", "status"], repo).stdout


def test_plots_page_draws_every_chart(repo, tmp_path):
    """The tiny run's `dvc plots show` page in headless Chromium: every chart drew, no Vega warning."""
    page = render(plots_show(repo, tmp_path / "page", DVC, env=clean_env()))
    expected = len(yaml.safe_load((repo / "dvc.yaml").read_text())["plots"])
    assert page["problems"] == [] and page["charts"] == page["drawn"] == expected


def test_kl_coeff_experiment_reruns_only_grpo_subgraph(repo):
    res = run(["dvc", "exp", "run", "-S", "grpo.kl_coeff=0.2"], repo)
    expected = {"report"}
    for s in SEEDS:
        expected |= {f"grpo_baseline@{s}", f"grpo_polychromic@{s}", f"generate@grpo_baseline-{s}",
                     f"generate@grpo_polychromic-{s}", f"evaluate@{s}", f"judge@{s}", f"grpo_gold@{s}",
                     f"generate_gold@{s}"}
    expected |= {"grpo_setrl@1", "generate_setrl@1"}
    ran = ran_stages(res.stdout)
    # GRPO and its generations must rerun; evaluate/report rerun only if their inputs changed
    # (with a tiny model, identical replies are possible). Nothing upstream may rerun.
    assert {s for s in expected if s.startswith(("grpo_", "generate@grpo"))} <= ran
    assert ran <= expected, f"stages outside the GRPO subgraph reran: {ran - expected}"
    # what the researcher reads next: the headline values that changed, in one 80-column table
    diff = run(["dvc", "metrics", "diff"], repo).stdout.splitlines()
    assert diff[0].split() == ["Path", "Metric", "HEAD", "workspace", "Change"] and max(map(len, diff)) <= 80
    assert any(ln.split()[1].startswith("grpo_baseline.") for ln in diff[1:]), diff
    run(["dvc", "exp", "apply", "workspace"], repo, check=False)
    run(["git", "checkout", "-q", "--", "."], repo)
    run(["dvc", "checkout", "-q"], repo, check=False)


REALISTIC = "data/realistic/realistic_tweet_replies.jsonl"   # invented rows shaped like a real collection


def prefers_longer(prompt: str) -> str:
    """The fake OpenAI-style judge: the longer reply wins, in whichever position it is shown."""
    from fake_judge import shown_replies
    a, b = shown_replies(prompt)
    return "Winner: tie" if len(a) == len(b) else "Longer.\nWinner: A" if len(a) > len(b) else "Winner: B"


def test_real_data_dag_on_realistic_tweets_assumes_no_oracle(repo, judge_server, tmp_path):
    """Bring your own data, as README "Your own data" says: realistic rows (URLs, emoji, other languages, spam
    copies, markers, bad lines) through the whole DAG with data.oracle=none. Validation and curation say what they
    dropped and why, reference similarity gives the verdicts, the pairwise LLM judge runs against a local
    OpenAI-compatible server and then a local transformers model, and no stage computes the demo oracle."""
    from toy_models import save_scripted_judge
    judge, url = judge_server(prefers_longer)
    real = ["-S", f"data.raw_path={REALISTIC}", "-S", "data.oracle=none", "-S", "grpo.log_oracle=false",
            "-S", "eval.primary_judge=reference_similarity", "-S", "positive_control_seeds=[]",
            "-S", "validate.on_error=quarantine", "-S", "curate.languages=[en]", "-S", "curate.drop_urls=true",
            "-S", "curate.drop_duplicates=true"]
    openai = ["-S", "eval.judge.backend=openai", "-S", f"eval.judge.base_url={url}", "-S", "eval.judge.model=judge",
              "-S", "eval.judge.backoff_s=0"]
    run(["dvc", "exp", "run", *real, *openai], repo)
    try:
        v = json.loads((repo / "metrics/validate.json").read_text())
        assert (v["rows_in"], v["rows_out"], v["rows_rejected"]) == (341, 333, 8)
        rejected = [json.loads(x) for x in (repo / "data/validated/rejected.jsonl").read_text().splitlines()]
        assert {r["field"] for r in rejected} == {"<line>", "tweet_id", "reply", "reply_likes", "reply_id"}
        card = json.loads((repo / "metrics/curation.json").read_text())
        assert card["rows_in"] == 333 and card["rows_kept"] == 62
        assert all(card["rules"][r]["removed_first"] > 0 for r in ("likes", "followers", "language", "duplicate"))
        appendix = (repo / "metrics/report_appendix.md").read_text()
        assert "| language | reply_lang in ['en'] |" in appendix and "| urls | no URL in the reply |" in appendix
        ev = json.loads((repo / "metrics/eval/seed1.json").read_text())
        assert "oracle" not in ev["judges"] and ev["learned_reward_vs_oracle_on_model_replies"] == {}
        assert {"reference_similarity", "llm_judge"} <= set(ev["judges"])
        assert not [k for k in ev["models"]["base"] if "oracle" in k]
        summary = json.loads((repo / "metrics/summary.json").read_text())
        assert {a["judge"] for a in summary["answers"].values()} == {"reference_similarity"}
        assert summary["llm_judge"]["enabled"] and summary["llm_judge"]["backend"] == "openai"
        assert judge.calls > 0 and "Reply A:" in judge.requests[0]["body"]["messages"][-1]["content"]
        assert "oracle" not in json.loads((repo / "metrics/reward_probes.json").read_text())["scorers"]
        assert "demo world" in json.loads((repo / "metrics/probe_set.json").read_text())["skipped"]
        assert "Labelled set: not scored (none of the 300 labelled rows' tweets" in appendix
        assert "oracle_pearson" not in json.loads((repo / "metrics/reward_model.json").read_text())
        assert "oracle" not in (repo / "logs/grpo_baseline/seed1/metrics.json").read_text()
        assert "Primary judge: **reference_similarity** (chrF" in appendix
        assert "Primary judge **reference_similarity**" in (repo / "metrics/report.md").read_text()
        head = json.loads((repo / "metrics/headline.json").read_text())
        assert "gold" not in head and "injected" not in head   # no ground truth: no positive controls
        # the plots page: only the two demo-only charts (ground truth, reply styles) are empty, and say so
        page = render(plots_show(repo, repo / "page", DVC, env=clean_env()))
        shutil.rmtree(repo / "page")
        assert sorted(p.split("_")[0] for p in page["problems"]) == ["empty: #Data", "empty: #Held-out"], page
        assert all("demo_data_only" in p for p in page["problems"]) and page["drawn"] == page["charts"] - 2
        # the local transformers judge (a model that always answers "Winner: tie"): only judge stages rerun
        local = save_scripted_judge(tmp_path / "judge")
        res = run(["dvc", "exp", "run", *real, "-S", "eval.judge.backend=transformers",
                   "-S", f"eval.judge.local_path={local}"], repo)
        assert ran_stages(res.stdout) <= {f"judge@{s}" for s in SEEDS} | {f"evaluate@{s}" for s in SEEDS} | {"report"}
        llm = json.loads((repo / "metrics/summary.json").read_text())["llm_judge"]
        assert llm["backend"] == "transformers", llm
        judged = [json.loads(x) for x in (repo / "data/judge/seed1/judgments.jsonl").read_text().splitlines()]
        assert judged and {j["outcome"] for j in judged} == {"tie"}
    finally:
        run(["dvc", "exp", "apply", "workspace"], repo, check=False)
        run(["git", "checkout", "-q", "--", "."], repo)
        run(["dvc", "checkout", "-q"], repo, check=False)


def test_queued_experiment_runs_in_a_temp_copy_without_activated_env(repo):
    """`dvc queue` workers run stages in .dvc/tmp/exps/<copy>, which has no .venv: tools/python looks above."""
    run(["dvc", "exp", "run", "--queue", "-S", "eval.bootstrap_samples=150", "-n", "queued-aa"], repo)
    run(["dvc", "queue", "start", "-j", "1"], repo)
    deadline = time.time() + 300
    status = ""
    while time.time() < deadline:
        status = run(["dvc", "queue", "status"], repo).stdout
        if "Success" in status or "Failed" in status:
            break
        time.sleep(2)
    run(["dvc", "queue", "stop", "--kill"], repo, check=False)
    logs = run(["dvc", "queue", "logs", "queued-aa"], repo, check=False)
    assert "Success" in status, status + logs.stdout[-3000:] + logs.stderr[-2000:]
    shown = run(["dvc", "exp", "show", "--json"], repo).stdout
    assert "queued-aa" in shown


@pytest.mark.parametrize("override,message", [
    ("grpo.kl_coef=0.2", "kl_coef"),                                   # typo: unknown key
    ("grpo.kl_coeff=lots", "grpo.kl_coeff: expected a number"),        # wrong type
    ("eval.k=[1,20]", "eval.k: k=20 must be between 1 and n_samples"),  # k > n
    ("eval.primary_judge=learned_reward", "eval.primary_judge: learned_reward is a component of GRPO's training"),
    ("data.oracle=none", "data.oracle: none (real data has no oracle) needs grpo.log_oracle: false (it logs the "
                         "oracle's view of GRPO rollouts); positive_control_seeds: [] (the gold-reward control "
                         "trains on the oracle); eval.primary_judge: reference_similarity or llm_judge"),
])
def test_bad_param_override_fails_before_work_naming_key(repo, override, message):
    lock_before = (repo / "dvc.lock").read_text()
    res = run(["dvc", "exp", "run", "-S", override], repo, check=False)
    out = res.stdout + res.stderr
    run(["git", "checkout", "-q", "--", "."], repo)
    assert res.returncode != 0
    assert message in out, out[-2000:]
    assert (repo / "dvc.lock").read_text() == lock_before


def test_killed_training_stage_recovers_with_identical_result(repo):
    stage, out = "sft_polychromic@1", "models/sft_polychromic/seed1"
    before = lock_md5(repo, stage, out)
    proc = subprocess.Popen([DVC, "repro", "-f", "-s", stage], cwd=repo, env=clean_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tsv = repo / "logs/sft_polychromic/seed1/plots/metrics/train/loss.tsv"
    deadline = time.time() + 120
    killed_mid_training = False
    while time.time() < deadline and proc.poll() is None:
        if tsv.exists() and 3 <= len(tsv.read_text().splitlines()) < 25:
            killed_mid_training = True
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert killed_mid_training, "could not catch the stage mid-training"
    # no half-written adapter is ever left where a finished one belongs
    assert not (repo / out).exists() or (repo / out / "adapter_config.json").exists()
    # a plain rerun completes (DVC clears the dead process's lock) and the workspace is consistent
    run(["dvc", "repro"], repo)
    assert lock_md5(repo, stage, out) == before
    assert (repo / out / "adapter_model.safetensors").exists()
    # and actually retraining from scratch reproduces the uninterrupted result bit for bit
    res = run(["dvc", "repro", "-f", "-s", stage], repo)
    assert stage in ran_stages(res.stdout)
    assert lock_md5(repo, stage, out) == before, "retraining with the same seed must give the same adapter"
    assert "up to date" in run(["dvc", "status"], repo).stdout


def test_forced_reruns_are_bit_identical(repo):
    split_before = {p: lock_md5(repo, "split", p) for p in ("data/split/test.jsonl", "data/split/phase1.jsonl")}
    metrics_before = (repo / "metrics/eval/seed2.json").read_bytes()
    run(["dvc", "repro", "-f", "-s", "split"], repo)
    run(["dvc", "repro", "-f", "-s", "generate@sft_polychromic-2"], repo)
    run(["dvc", "repro", "-f", "-s", "evaluate@2"], repo)
    assert {p: lock_md5(repo, "split", p) for p in split_before} == split_before
    assert (repo / "metrics/eval/seed2.json").read_bytes() == metrics_before
