"""GRPO from a phase-1 warm-start on phase-2 tweets; the warm-start is the KL reference.

    dvc repro grpo_polychromic@42    # dvc.yaml gives every path; see its cmd for a hand run
    dvc repro grpo_setrl@42          # the fifth arm: polychromic warm-start, set-RL advantages
    torchrun --nproc_per_node 2 stages/grpo.py ...   # data parallel (params distributed.processes)

Variants: baseline and polychromic (group advantages); setrl (the polychromic marginal set advantage
of Hamid et al. 2025); gold (the positive control: the baseline warm-start trained on the demo world's
ground truth instead of the learned reward; refused on real data). --warmstart is the policy's start and
the KL reference.
"""
import argparse
from dataclasses import asdict

import numpy as np

from polyreply.core.distributed import init_distributed
from polyreply.core.grpo import train_grpo
from polyreply.core.modeling import load_policy, load_tokenizer
from polyreply.core.training import finish_run, grpo_history, open_live, seed_everything
from polyreply.io import read_jsonl, write_json
from polyreply.tweets.config import load_params
from polyreply.tweets.oracle import true_engagement
from polyreply.tweets.reward_model import EngagementRewardModel
from polyreply.tweets.rewards import make_reward_fn, task_reward


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", choices=["baseline", "polychromic", "setrl", "gold"], required=True)
    ap.add_argument("--seed", type=int, required=True)
    for path in ("--base", "--warmstart", "--reward-model", "--prompts", "--heldout", "--out", "--logs", "--heldout-out",
                 "--timing"):
        ap.add_argument(path, required=True)
    args = ap.parse_args()
    params = load_params()
    cfg = params.grpo
    dist = init_distributed()   # one process unless launched by torchrun / accelerate (tools/launch)
    seed_everything(args.seed)
    tok = load_tokenizer(args.base)
    policy = load_policy(args.base, args.warmstart, trainable=True)
    reference = load_policy(args.base, args.warmstart, merge=True)
    oracle = task_reward(lambda t, r: np.array([true_engagement(a, b) for a, b in zip(t, r)]))
    if args.variant == "gold":   # the positive control: GRPO on the ground truth itself (demo world only)
        if params.data.oracle != "demo":
            raise SystemExit("grpo_gold: the gold-reward positive control trains on the demo world's ground truth; "
                             "with params data.oracle: none (real data) there is none: set positive_control_seeds: []")
        reward_fn = oracle
    else:
        reward_model = EngagementRewardModel.load(args.reward_model) if cfg.reward != "heuristic" else None
        reward_fn = task_reward(make_reward_fn(cfg, params.heuristic, reward_model))
    name = f"grpo_{args.variant}"
    live = open_live(args.logs) if dist.is_main else None
    monitor = None
    if cfg.log_oracle:  # demo data only: log the oracle's view of the rollouts beside the training reward
        monitor = oracle
    tweets = sorted({r["tweet"] for r in read_jsonl(args.prompts)})   # the prompt pool: distinct tweets
    rows = [{"prompt": params.prompt.render(t), "tweet": t} for t in tweets]
    # fixed held-out prompts (validation tweets, never trained on) show learning a step's 16 rollouts cannot
    heldout = sorted({r["tweet"] for r in read_jsonl(args.heldout)})[:cfg.heldout_prompts]
    run = train_grpo(policy, reference, tok, rows, cfg, params.prompt,
                     reward_fn, args.seed, live, progress_name=f"{name} seed{args.seed}", monitor_fn=monitor,
                     poly=params.polychromic, set_rl=args.variant == "setrl", dist=dist,
                     heldout_rows=[{"prompt": params.prompt.render(t), "tweet": t} for t in heldout])
    history = run.history
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
    if run.heldout:   # the held-out curve's ends (every point: --heldout-out, dvclive heldout/*)
        start, end = run.heldout[0], run.heldout[-1]
        summary.update(heldout_reward_start=start.reward, heldout_reward_end=end.reward,
                       heldout_reward_change=end.reward - start.reward)
        if start.oracle is not None:
            summary.update(heldout_oracle_start=start.oracle, heldout_oracle_end=end.oracle,
                           heldout_oracle_change=end.oracle - start.oracle)
    if cfg.log_oracle:
        summary["oracle_first_quarter"] = float(np.mean([h.oracle for h in first]))
        summary["oracle_last_quarter"] = float(np.mean([h.oracle for h in last]))
    seconds = float(sum(h.step_seconds for h in history))
    finish_run(policy, args.out, live, summary, args.timing, {
        "seconds": seconds, "steps": len(history),
        "generated_tokens_per_second": float(sum(h.generated_tokens for h in history)) / seconds},
        {"grpo_history.json": grpo_history(history)})
    # the held-out curve (report: proxy- vs gold-trained GRPO, ground truth against steps and KL)
    write_json(args.heldout_out, [{**asdict(h), "kl": history[h.step - 1].kl if h.step else 0.0} for h in run.heldout])
    print(f"{name} seed {args.seed}: reward {summary['avg_reward_first_quarter']:.3f} -> "
          f"{summary['avg_reward_last_quarter']:.3f}, KL {summary['final_kl']:.4f}")
    dist.finish()


if __name__ == "__main__":
    main()
