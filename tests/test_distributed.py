"""Data-parallel training (polyreply/distributed.py): 2 processes (torchrun, gloo on CPU) equal 1 process.

The fixture runs the training stages of a tiny project once with `distributed.processes: 1`, then
switches the param to 2: DVC must see the training stages as changed, rerun them under torchrun
(tools/launch) and get the same adapters (same global batch) within float tolerance.
"""
import json
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from polyreply.config import ParamsError, load_params
from polyreply.distributed import prompt_seeds
from polyreply.modeling import encode_prompts
from polyreply.sampling import sample_completions
from tests.test_pipeline import ROOT, make_project, run, tiny_params

TRAINED = ("sft_baseline/seed1", "sft_polychromic/seed1", "warmstart_baseline/seed1", "grpo_baseline/seed1")


def test_row_streams_make_samples_independent_of_the_batch(tiny_lm):
    """A prompt's replies are the same whichever prompts share its batch (so sharding keeps them)."""
    from polyreply.config import PromptConfig
    model, tok = tiny_lm
    tweets = ["first tweet about cats", "second, much longer tweet about dogs and parks", "third", "fourth one"]
    seeds = prompt_seeds(7, 3, len(tweets))
    cfg = PromptConfig()

    def texts(ts, ss):
        enc = encode_prompts(tok, ts, cfg)
        return sample_completions(model, tok, enc, n=3, max_new_tokens=8, temperature=1.0, top_p=0.9,
                                  prompt_seeds=ss).texts

    whole = texts(tweets, seeds)
    halves = texts(tweets[:2], seeds[:2]) + texts(tweets[2:], seeds[2:])
    assert whole == halves
    assert len(set(whole)) > 3   # really sampled, not greedy


def spawn_training(world: int, tmp_path: Path) -> dict:
    """GRPO and polychromic SFT on the 10-word toy model, in ``world`` processes (gloo), rank 0's result."""
    import torch.multiprocessing as mp
    from ddp_worker import run as run_rank
    out = tmp_path / f"world{world}.pt"
    mp.spawn(run_rank, args=(world, str(tmp_path / f"init{world}"), str(out)), nprocs=world)
    return torch.load(out)


def test_sampled_objectives_two_processes_equal_one(tmp_path):
    """Same global batch: the sharded GRPO and polychromic SFT updates equal the one-process updates.

    On the toy model, a token flip from float noise is unlikely (10-word vocabulary); on the random
    49k-vocabulary tiny model it is not, so the stage-level test below compares the CE stages only."""
    one, two = spawn_training(1, tmp_path), spawn_training(2, tmp_path)
    for k in one["grads"]:   # one backward pass: global-token normalisation and summed (not averaged) gradients
        torch.testing.assert_close(two["grads"][k], one["grads"][k], rtol=1e-5, atol=1e-8, msg=k)
    assert two["grpo_kl"] == pytest.approx(one["grpo_kl"], rel=1e-4, abs=1e-9)   # the global token mean
    assert two["grpo_kl_coeff"] == pytest.approx(one["grpo_kl_coeff"], rel=1e-6)  # adaptive KL saw the same
    assert len(set(one["grpo_kl_coeff"])) > 1
    assert two["grpo_rewards"] == pytest.approx(one["grpo_rewards"], abs=1e-6)   # same rollouts, step by step
    assert max(one["grpo_rewards"]) > min(one["grpo_rewards"])                     # and they change
    assert two["grpo_loss"] == pytest.approx(one["grpo_loss"], rel=1e-3, abs=1e-6)
    for run in ("grpo", "sft"):
        assert max(float(v.abs().max()) for k, v in one[run].items() if "lora_B" in k) > 1e-3
        for k in one[run]:
            torch.testing.assert_close(two[run][k], one[run][k], rtol=1e-4, atol=1e-6, msg=f"{run} {k}")
    assert two["sft_loss"] == pytest.approx(one["sft_loss"], rel=1e-4)


def test_nucleus_rows_draw_the_same_token_alone_or_in_a_mixed_batch():
    """Row-aligned uniforms through both branches: rows whose top candidates hold top_p and flat rows."""
    from polyreply.sampling import nucleus_sample
    torch.manual_seed(0)
    vocab = 1000
    peaked = torch.softmax(torch.randn(3, vocab) * 8, dim=-1)    # top 256 hold 0.95
    flat = torch.softmax(torch.randn(3, vocab) * 0.1, dim=-1)    # they do not: full sort
    probs = torch.cat([peaked[:1], flat[:1], peaked[1:2], flat[1:], peaked[2:]])
    uniforms = torch.rand(len(probs))
    together = nucleus_sample(probs, 0.95, candidates=256, uniforms=uniforms)
    alone = torch.stack([nucleus_sample(probs[i:i + 1], 0.95, candidates=256, uniforms=uniforms[i:i + 1])[0]
                         for i in range(len(probs))])
    assert torch.equal(together, alone)
    assert torch.equal(nucleus_sample(probs, 0.95, candidates=256, uniforms=uniforms), together)


def test_process_count_must_split_every_global_batch(tmp_path):
    p = yaml.safe_load((ROOT / "params.yaml").read_text())
    p["distributed"] = {"processes": 3}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    with pytest.raises(ParamsError, match=r"sft\.batch_size: 8 does not split evenly over distributed.processes=3"):
        load_params(tmp_path / "params.yaml")


def distributed_params(p: dict) -> dict:
    p = tiny_params(p)
    p["seeds"], p["exploratory_seeds"] = [1], [1]
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
    equal on the toy model above."""
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


def test_polychromic_step_tweets_fill_up_from_the_data_order():
    """A batch that repeats a tweet still gives prompts_per_step distinct tweets (else N ranks could not split them)."""
    from polyreply.sft import step_tweets
    batch = [{"tweet": "x"}, {"tweet": "x"}, {"tweet": "y"}, {"tweet": "x"}]
    following = [{"tweet": "y"}, {"tweet": "z"}, {"tweet": "w"}]
    assert step_tweets(batch, following, 1) == ["x"]
    assert step_tweets(batch, following, 2) == ["x", "y"]
    assert step_tweets(batch, following, 4) == ["x", "y", "z", "w"]
