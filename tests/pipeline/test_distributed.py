"""Data-parallel training stages (polyreply/core/distributed.py): 2 processes (torchrun, gloo on CPU) equal 1.

The fixture runs the training stages of a tiny project once with `distributed.processes: 1`, then
switches the param to 2: DVC must see the training stages as changed, rerun them under torchrun
(tools/launch) and get the same adapters (same global batch) within float tolerance. The core's sharded updates
on a toy model: tests/core/test_distributed.py.
"""
import json
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from tests.pipeline.test_pipeline import ROOT, make_project, run, tiny_params

TRAINED = ("sft_baseline/seed1", "sft_polychromic/seed1", "warmstart_baseline/seed1", "grpo_baseline/seed1")


def distributed_params(p: dict) -> dict:
    p = tiny_params(p)
    p["seeds"], p["exploratory_seeds"], p["positive_control_seeds"] = [1], [1], [1]
    p["base_model"]["dtype"] = "float32"    # bf16 rounding depends on the batch's padding
    p["lora"]["dropout"] = 0.0              # dropout masks depend on the process count
    p["sft"].update(max_steps=6, eval_every=6)
    p["polychromic"]["prompts_per_step"] = 2
    return p


def adapter(repo: Path, run_dir: str) -> dict:
    return load_file(repo / "models" / run_dir / "adapter_model.safetensors")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    params = distributed_params(yaml.safe_load((ROOT / "params.yaml").read_text()))
    repo = make_project(tmp_path_factory.mktemp("ddp"), params)
    targets = ["sft_baseline@1", "sft_polychromic@1", "grpo_baseline@1"]
    run(["dvc", "repro", *targets], repo)
    one = {r: adapter(repo, r) for r in TRAINED}
    logs_one = {r: json.loads((repo / "logs" / r / "metrics.json").read_text()) for r in TRAINED}
    params["distributed"]["processes"] = 2
    (repo / "params.yaml").write_text(yaml.safe_dump(params))
    status = run(["dvc", "status", *targets, "warmstart_baseline@1"], repo).stdout
    res = run(["dvc", "repro", *targets], repo)
    return {"repo": repo, "one": one, "logs_one": logs_one, "status": status, "repro": res.stdout + res.stderr}


def test_process_switch_reruns_training_under_torchrun(project):
    for stage in ("sft_baseline@1", "sft_polychromic@1", "warmstart_baseline@1", "grpo_baseline@1"):
        assert f"Running stage '{stage}'" in project["repro"]
        assert f"{stage}:\n\tchanged command" in project["status"]   # the process count is in the command
    assert "tools/launch 2 stages/train_sft.py" in project["repro"] and "tools/launch 2 stages/grpo.py" in project["repro"]
    assert "Running stage 'base_model'" not in project["repro"]


@pytest.mark.parametrize("run_dir", TRAINED)
def test_two_process_stages_write_rank0_outputs_equal_to_one_process(project, run_dir):
    """CE stages: the adapters and losses agree. Sampled objectives (polychromic SFT, GRPO) on the random
    49k-vocabulary tiny model: a float-noise difference flips a sampled token now and then (its next-token
    distribution is nearly flat), so only their logs' shape is compared here; their updates are checked
    equal on the toy model in tests/core/test_distributed.py."""
    two = adapter(project["repo"], run_dir)
    one = project["one"][run_dir]
    assert two.keys() == one.keys()
    logs = json.loads((project["repo"] / "logs" / run_dir / "metrics.json").read_text())
    one_logs = project["logs_one"][run_dir]
    assert logs.keys() == one_logs.keys() and logs.get("step") == one_logs.get("step")   # rank 0 logged the run once
    if run_dir.startswith(("sft_baseline", "warmstart_baseline")):
        assert max(float(one[k].abs().max()) for k in one if "lora_B" in k) > 1e-4   # training moved it ...
        for k in one:                                                              # ... and 2 ranks alike
            torch.testing.assert_close(two[k], one[k], rtol=1e-3, atol=1e-5, msg=f"{run_dir} {k}")
        for k in ("final_train_loss", "final_eval_loss", "initial_eval_loss"):
            assert logs[k] == pytest.approx(one_logs[k], rel=1e-4), k
