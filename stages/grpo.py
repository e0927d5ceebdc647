"""GRPO from a phase-1 warm-start on phase-2 tweets; the warm-start is the KL reference.

    dvc repro grpo_polychromic@42    # or: tools/python stages/grpo.py --variant polychromic --seed 42
    dvc repro grpo_setrl@42          # the fifth arm: polychromic warm-start, set-RL advantages
    torchrun --nproc_per_node 2 stages/grpo.py ...   # data parallel (params distributed.processes)

Variants: baseline and polychromic (group advantages, from the baseline / polychromic warm-start);
setrl (the polychromic marginal set advantage of Hamid et al. 2025, from the polychromic warm-start).
"""
import argparse
from dataclasses import asdict
from pathlib import Path

import numpy as np

from polyreply.config import load_params
from polyreply.distributed import init_distributed
from polyreply.grpo import train_grpo
from polyreply.io import atomic_dir, read_jsonl, write_json
from polyreply.modeling import load_policy, load_tokenizer
from polyreply.oracle import true_engagement
from polyreply.rewards import EngagementRewardModel, make_reward_fn
from polyreply.training import open_live, save_adapter, seed_everything


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", choices=["baseline", "polychromic", "setrl"], required=True)
    ap.add_argument("--seed", type=int, required=True)
    args = ap.parse_args()
    params = load_params()
    cfg = params.grpo
    warm_variant = "polychromic" if args.variant == "setrl" else args.variant
    warm = Path("models") / f"warmstart_{warm_variant}" / f"seed{args.seed}"
    dist = init_distributed()   # one process unless launched by torchrun / accelerate (tools/launch)
    seed_everything(args.seed)
    tok = load_tokenizer("models/base")
    policy = load_policy("models/base", warm, trainable=True)
    reference = load_policy("models/base", warm, merge=True)
    reward_model = EngagementRewardModel.load("models/reward_model") if cfg.reward != "heuristic" else None
    reward_fn = make_reward_fn(cfg, params.heuristic, reward_model)
    name = f"grpo_{args.variant}"
    live = open_live(Path("logs") / name / f"seed{args.seed}") if dist.is_main else None
    monitor = None
    if cfg.log_oracle:  # demo data only: log the oracle's view of the rollouts beside the training reward
        monitor = lambda t, r: np.array([true_engagement(a, b) for a, b in zip(t, r)])  # noqa: E731
    history = train_grpo(policy, reference, tok, read_jsonl("data/split/phase2.jsonl"), cfg, params.prompt,
                         reward_fn, args.seed, live, progress_name=f"{name} seed{args.seed}", monitor_fn=monitor,
                         poly=params.polychromic, set_rl=args.variant == "setrl", dist=dist)
    if not dist.is_main:   # rank 0 writes every output
        dist.finish()
        return
    first, last = history[: max(1, len(history) // 4)], history[-max(1, len(history) // 4):]
    summary = {
        "avg_reward_first_quarter": float(np.mean([h.avg_reward for h in first])),
        "avg_reward_last_quarter": float(np.mean([h.avg_reward for h in last])),
        "final_kl": history[-1].kl, "steps": len(history),
        "diversity_first_quarter": float(np.mean([h.diversity for h in first])),
        "diversity_last_quarter": float(np.mean([h.diversity for h in last])),
    }
    if cfg.log_oracle:
        summary["oracle_first_quarter"] = float(np.mean([h.oracle for h in first]))
        summary["oracle_last_quarter"] = float(np.mean([h.oracle for h in last]))
    for k, v in summary.items():
        live.summary[k] = v
    live.make_summary()
    live.end()
    seconds = float(sum(h.step_seconds for h in history))
    write_json(Path("metrics/timing") / f"{name}_seed{args.seed}.json", {
        "seconds": seconds, "steps": len(history),
        "generated_tokens_per_second": float(sum(h.generated_tokens for h in history)) / seconds})
    with atomic_dir(Path("models") / name / f"seed{args.seed}") as out:
        save_adapter(policy, out, {"grpo_history.json": [{k: v for k, v in asdict(h).items() if k != "step_seconds"}
                                                         for h in history]})
    print(f"{name} seed {args.seed}: reward {summary['avg_reward_first_quarter']:.3f} -> "
          f"{summary['avg_reward_last_quarter']:.3f}, KL {summary['final_kl']:.4f}")
    dist.finish()


if __name__ == "__main__":
    main()
