"""Data parallelism in the core (polyreply/core/distributed.py): per-prompt sampling streams, and sharded
GRPO / polychromic SFT updates in 2 processes (gloo on CPU) equal to the one-process updates.

The stage-level check (DVC reruns the training stages under torchrun) is tests/pipeline/test_distributed.py.
"""
from pathlib import Path

import pytest
import torch

from polyreply.core.config import PromptConfig
from polyreply.core.distributed import Dist, prompt_seeds
from polyreply.core.prompts import encode_prompts
from polyreply.core.sampling import sample_completions


def test_row_streams_make_samples_independent_of_the_batch(tiny_lm):
    """A prompt's replies are the same whichever prompts share its batch, so each rank's shard (encoded at the
    global batch's width by ``Dist.shard_prompts``) samples what one process samples for those rows."""
    model, tok = tiny_lm
    prompts = ["first tweet about cats", "second, much longer tweet about dogs and parks", "third", "fourth one"]
    seeds = prompt_seeds(7, 3, len(prompts))
    cfg = PromptConfig()

    def texts(enc, ss):
        return sample_completions(model, tok, enc, n=3, max_new_tokens=8, temperature=1.0, top_p=0.9,
                                  prompt_seeds=ss).texts

    whole = texts(encode_prompts(tok, prompts, cfg), seeds)
    halves = []
    for rank in (0, 1):
        dist = Dist(rank=rank, world=2)
        mine, enc = dist.shard_prompts(tok, prompts, cfg, "cpu", "test batch")
        assert mine == prompts[2 * rank:2 * rank + 2]
        halves += texts(enc, dist.shard(seeds))
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
    49k-vocabulary tiny model it is not, so the stage-level test compares the CE stages only."""
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
    from polyreply.core.sampling import nucleus_sample
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


def test_polychromic_step_rows_fill_up_from_the_data_order():
    """A batch that repeats a prompt still gives prompts_per_step distinct prompts (else N ranks could not split
    them); each prompt keeps its first row (its other columns go to the reward)."""
    from polyreply.core.sft import step_rows
    batch = [{"prompt": "x", "i": 0}, {"prompt": "x", "i": 1}, {"prompt": "y", "i": 2}, {"prompt": "x", "i": 3}]
    following = [{"prompt": "y", "i": 4}, {"prompt": "z", "i": 5}, {"prompt": "w", "i": 6}]
    assert step_rows(batch, following, 1) == [{"prompt": "x", "i": 0}]
    assert step_rows(batch, following, 2) == [{"prompt": "x", "i": 0}, {"prompt": "y", "i": 2}]
    assert [r["i"] for r in step_rows(batch, following, 4)] == [0, 2, 5, 6]
