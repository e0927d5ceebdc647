"""Wordle DAG on a tiny model (issue 16): every arm runs and reports; a reward change reruns GRPO and games only.

The study's units (word lists, game loop, rewards, params, verdicts): tests/wordle/test_study.py.
"""
import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from tests.pipeline.test_pipeline import DVC, clean_env, ran_stages, run
from polyreply.wordle.game import parse_guess
from tests.plots_page import plots_show, render

ROOT = Path(__file__).resolve().parents[2]


def tiny_wordle_params(p: dict) -> dict:
    p["seeds"] = [1, 2]
    p["words"].update(answers=60, allowed_top_n=5000, test_secrets=6, val_secrets=4)
    p["data"].update(sft_secrets=20, grpo_states=10, grpo_heldout_states=3)
    p["base_model"] = {"source": "tiny", "tiny_hidden_size": 32, "tiny_layers": 2}
    p["sft"].update(max_steps=4, batch_size=4, micro_batch_size=3, eval_every=2, eval_examples=4)
    p["grpo"].update(max_steps=2, prompts_per_step=2, micro_batch_prompts=1, num_generations=2, max_new_tokens=8,
                     heldout_every=1, heldout_prompts=3, heldout_generations=2)
    p["eval"].update(max_new_tokens=8, bootstrap_samples=200, permutations=999)
    return p


@pytest.fixture(scope="module")
def wordle_repo(tmp_path_factory):
    repo = tmp_path_factory.mktemp("wordle_pipeline")
    for name in ("polyreply", "tools", "wordle/stages", "wordle/dvc.yaml"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy2)(ROOT / name, repo / name)
    (repo / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    (repo / ".gitignore").write_text(".venv\n")
    params = tiny_wordle_params(yaml.safe_load((ROOT / "wordle/params.yaml").read_text()))
    (repo / "wordle/params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True))
    for cmd in (["git", "init", "-q"], ["git", "config", "user.email", "ci@example.org"],
                ["git", "config", "user.name", "ci"], ["dvc", "init", "-q"], ["git", "add", "-A"],
                ["git", "commit", "-qm", "code"]):
        run(cmd, repo)
    shutil.copytree(ROOT / ".dvc/plots", repo / ".dvc/plots")   # the plots page's templates, and its offline page
    shutil.copy(ROOT / ".dvc/offline_plots_template.html", repo / ".dvc/")
    run(["dvc", "config", "plots.html_template", "offline_plots_template.html"], repo)
    (repo / "first_repro.log").write_text(run(["dvc", "repro", "wordle/dvc.yaml"], repo).stdout)
    return repo


def test_wordle_dag_runs_every_arm_and_reports(wordle_repo):
    w = wordle_repo / "wordle"
    ran = {s.split(":", 1)[1] for s in ran_stages((wordle_repo / "first_repro.log").read_text())}
    expected = {"data", "base_model", "report", "play_base", "play_reference@solver", "play_reference@random"}
    for s in (1, 2):
        expected |= {f"sft@{s}", f"grpo_from_sft@{s}", f"grpo_from_base@{s}"}
        expected |= {f"play_model@{a}-{s}" for a in ("sft", "grpo_from_sft", "grpo_from_base")}
    assert ran == expected
    metrics = json.loads((w / "metrics/wordle.json").read_text())
    assert set(metrics["arms"]) == {"base", "sft", "grpo_from_sft", "grpo_from_base", "solver", "random"}
    assert metrics["arms"]["solver"]["win_rate"] == 1.0 and metrics["arms"]["sft"]["seeds"] == 2
    assert [c["metric"] for c in metrics["claim"]] == ["won", "valid_word_rate", "consistent_turns"]
    assert all((c["a"], c["b"]) == ("grpo_from_sft", "grpo_from_base") for c in metrics["claim"])
    assert len(metrics["arms"]["sft"]["per_turn"]) == 6 and metrics["arms"]["solver"]["bits_left_after_3"] < 1
    assert all(c["n_seeds"] == 2 and c["n_prompts"] == 6 for c in metrics["claim"])
    report = (w / "metrics/report.md").read_text()
    assert "| solver (reference) | 1.000 |" in report and "pre-registered" in report
    # the headline (the one DVC metrics file) and the plots page's data: one training-reward line per seed
    head = json.loads((w / "metrics/headline.json").read_text())
    assert head["solver"]["win"] == 1.0 and head["win_claim"]["verdict"] in ("yes", "no", "open")
    curve = (w / "plots/grpo_reward.csv").read_text().splitlines()
    assert curve[0] == "model,colour,seed,step,reward" and len(curve) == 1 + 2 * 2 * 2   # 2 runs x 2 seeds x 2 steps
    shown = json.loads(run(["dvc", "metrics", "show", "--json"], wordle_repo).stdout)
    assert [list(rev["data"]) for rev in shown.values()] == [["wordle/metrics/headline.json"]]

    # no test secret is the secret of a training game; guesses come from the whole allowed list
    words = json.loads((w / "data/words.json").read_text())
    rows = {f: [json.loads(line) for line in (w / "data" / f).read_text().splitlines()]
            for f in ("sft_train.jsonl", "sft_val.jsonl", "grpo_states.jsonl", "grpo_heldout.jsonl")}
    test = set(words["secrets"]["test"])
    assert test and not test & {r["secret"] for f in rows.values() for r in f}
    assert {r["secret"] for r in rows["sft_train.jsonl"] + rows["grpo_states.jsonl"]} <= set(words["secrets"]["train"])
    assert {r["secret"] for r in rows["sft_val.jsonl"] + rows["grpo_heldout.jsonl"]} <= set(words["secrets"]["val"])
    sft_guesses = {parse_guess(r["completion"]) for r in rows["sft_train.jsonl"]}
    assert sft_guesses <= set(words["allowed"]) and sft_guesses - set(words["secrets"]["train"])
    games = [json.loads(line) for line in (w / "games/sft/seed1.jsonl").read_text().splitlines()]
    assert [g["secret"] for g in games] == words["secrets"]["test"]
    held = json.loads((w / "models/grpo_from_sft/seed1/heldout.json").read_text())
    assert [h["step"] for h in held] == [0, 1, 2] and "held-out reward by step" in report


def test_wordle_plots_page_draws_every_chart(wordle_repo, tmp_path):
    page = render(plots_show(wordle_repo, tmp_path / "page", DVC, env=clean_env()))
    assert page["problems"] == [] and page["charts"] == page["drawn"] == 2


def test_wordle_reward_change_reruns_grpo_and_its_games_only(wordle_repo):
    assert ran_stages(run(["dvc", "repro", "wordle/dvc.yaml"], wordle_repo).stdout) == set()
    path = wordle_repo / "wordle/params.yaml"
    params = yaml.safe_load(path.read_text())
    params["rewards"]["weights"]["information_gain"] = 2.0
    path.write_text(yaml.safe_dump(params, allow_unicode=True))
    ran = {s.split(":", 1)[1] for s in ran_stages(run(["dvc", "repro", "wordle/dvc.yaml"], wordle_repo).stdout)}
    # games record the reward, so every player replays; nothing upstream of GRPO reruns
    expected = {"play_base", "play_reference@solver", "play_reference@random", "report"}
    for s in (1, 2):
        expected |= {f"grpo_from_sft@{s}", f"grpo_from_base@{s}", f"play_model@sft-{s}",
                     f"play_model@grpo_from_sft-{s}", f"play_model@grpo_from_base-{s}"}
    assert ran == expected
