"""One rank of the data-parallel equality test (tests/core/test_distributed.py), started by torch.multiprocessing."""
import copy

import numpy as np
import torch
import torch.distributed as torch_dist

from polyreply.core.config import AdaptiveKl, GrpoConfig, LoraConfigParams, PolychromicConfig, PromptConfig, SftConfig
from polyreply.core.distributed import SINGLE, Dist
from polyreply.core.grpo import train_grpo
from polyreply.core.modeling import add_lora
from polyreply.core.sft import cross_entropy, train_sft
from polyreply.core.training import supervised_batch
from polyreply.tweets.metrics import pairwise_lexical_distance
from toy_models import build_toy_vocab_lm

PROMPT = PromptConfig(system="", max_prompt_tokens=8)
TWEETS = ["tweet", "tweet a", "tweet b", "tweet c", "tweet d", "tweet e", "tweet a b", "tweet c d"]


def count_g(prompts, completions, **_):
    return np.array([r.split().count("g") / max(1, len(r.split())) for r in completions])


def no_g(prompts, completions, **_):
    return np.array([-1.0 if "g" in x.split() else 1.0 for x in completions])


def lexical_distances(texts, group_size):
    return np.stack([pairwise_lexical_distance(texts[g:g + group_size]) for g in range(0, len(texts), group_size)])


def fresh_policy(base):
    torch.manual_seed(0)
    return add_lora(copy.deepcopy(base), LoraConfigParams(r=8, alpha=16, dropout=0.0,
                                                          target_modules=("q_proj", "v_proj", "lm_head")))


def trained(model) -> dict:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def run(rank: int, world: int, init_file: str, out: str) -> None:
    torch.set_num_threads(1)
    dist = SINGLE
    if world > 1:
        torch_dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
        dist = Dist(rank=rank, world=world)
    base, tok = build_toy_vocab_lm()
    # one gradient: uneven reply lengths, so a shard's own token mean is not its share of the global one
    model = fresh_policy(base)
    rows = [("tweet", "a"), ("tweet a", "a b c d e f"), ("tweet b", "b c"), ("tweet c", "d e f g a b c d")]
    local = dist.shard(rows)
    ce = cross_entropy(model, supervised_batch(tok, [t for t, _ in local], [r for _, r in local], PROMPT, 12, "cpu"),
                       dist)
    ce.backward()
    dist.sum_gradients([p for p in model.parameters() if p.requires_grad])
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    # GRPO: 4 prompts x 4 replies per step, sharded 2 + 2 over two ranks
    policy = fresh_policy(base)
    reference = copy.deepcopy(policy).eval()
    # grad_clip small enough to bind (clipping before the all-reduce would differ); adaptive KL on, so the
    # controller must see the one-process KL
    cfg = GrpoConfig(max_steps=6, prompts_per_step=4, num_generations=4, max_new_tokens=4, kl_coeff=0.05,
                     learning_rate=1e-2, grad_clip=0.05, adaptive_kl=AdaptiveKl(enabled=True, target=0.01, horizon=2))
    history = train_grpo(policy, reference, tok, [{"prompt": t} for t in TWEETS], cfg, PROMPT, count_g, seed=3,
                         dist=dist).history
    grpo = trained(policy)
    # polychromic SFT: 4 rows and 2 prompts per step, sharded over the ranks
    model = fresh_policy(base)
    rows = [{"prompt": t, "completion": r} for t, r in zip(TWEETS, ["a b", "c d e f", "e", "a c b d e", "b d",
                                                                    "e a f", "f", "c e a b g"])]
    sft_cfg = SftConfig(batch_size=4, max_steps=5, eval_every=100, eval_examples=4, learning_rate=1e-2,
                        warmup_steps=1, grad_clip=0.05)
    poly = PolychromicConfig(lambda_=1.0, prompts_per_step=2, n_samples=4, set_size=2, max_new_tokens=4,
                             distinct_distance=1.0)
    result = train_sft(model, tok, rows, rows[:4], sft_cfg, sft_cfg.max_steps, PROMPT, poly, seed=5,
                       reward_fn=no_g, distance_fn=lexical_distances, dist=dist)
    if dist.is_main:
        torch.save({"grads": grads, "grpo": grpo, "grpo_rewards": [h.avg_reward for h in history],
                    "grpo_kl": [h.kl for h in history], "grpo_kl_coeff": [h.kl_coeff for h in history],
                    "grpo_loss": [h.loss for h in history], "sft": trained(model),
                    "sft_loss": result.final_train_loss}, out)
    if world > 1:
        torch_dist.barrier()
        torch_dist.destroy_process_group()
