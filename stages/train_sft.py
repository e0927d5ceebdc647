"""SFT with LoRA: baseline or polychromic, on all train data (sft) or phase-1 only (warmstart).

    dvc repro sft_polychromic@42     # or: tools/python stages/train_sft.py --variant polychromic --phase sft --seed 42
    torchrun --nproc_per_node 2 stages/train_sft.py ...   # data parallel (params distributed.processes)

Output: models/{phase}_{variant}/seed{seed}/ (adapter), logs/{phase}_{variant}/seed{seed}/ (dvclive, reproducible),
metrics/timing/{phase}_{variant}_seed{seed}.json (wall-clock, kept apart so logs/ stays reproducible).
"""
import argparse
from pathlib import Path

import numpy as np

from polyreply.config import load_params
from polyreply.distributed import init_distributed
from polyreply.io import atomic_dir, read_jsonl, write_json
from polyreply.modeling import add_lora, load_base, load_tokenizer
from polyreply.oracle import true_engagement
from polyreply.rewards import EngagementRewardModel, make_reward_fn
from polyreply.sft import train_sft
from polyreply.training import open_live, save_adapter, seed_everything


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", choices=["baseline", "polychromic"], required=True)
    ap.add_argument("--phase", choices=["sft", "warmstart"], required=True)
    ap.add_argument("--seed", type=int, required=True)
    args = ap.parse_args()
    params = load_params()
    name = f"{args.phase}_{args.variant}"
    train_file = "data/split/train.jsonl" if args.phase == "sft" else "data/split/phase1.jsonl"
    max_steps = params.sft.max_steps if args.phase == "sft" else params.warmstart.max_steps
    poly = params.polychromic if args.variant == "polychromic" else None
    reward_fn = None
    if poly is not None:  # the set score's task reward R: GRPO's training reward (grpo.reward)
        reward_model = EngagementRewardModel.load("models/reward_model") if params.grpo.reward != "heuristic" else None
        reward_fn = make_reward_fn(params.grpo, params.heuristic, reward_model)
    judge = None
    if params.data.oracle == "demo":  # held-out samples judged by the demo world's oracle (never trained on)
        judge = lambda t, r: np.array([true_engagement(a, b) for a, b in zip(t, r)])  # noqa: E731

    dist = init_distributed()   # one process unless launched by torchrun / accelerate (tools/launch)
    seed_everything(args.seed)
    tok = load_tokenizer("models/base")
    model = add_lora(load_base("models/base", for_training=True), params.lora)
    live = open_live(Path("logs") / name / f"seed{args.seed}") if dist.is_main else None
    result = train_sft(model, tok, read_jsonl(train_file), read_jsonl("data/split/val.jsonl"), params.sft,
                       max_steps, params.prompt, poly, args.seed, live, progress_name=f"{name} seed{args.seed}",
                       reward_fn=reward_fn, judge_fn=judge, dist=dist)
    if not dist.is_main:   # rank 0 writes every output
        dist.finish()
        return
    reproducible = {k: v for k, v in result.__dict__.items() if k not in ("seconds", "heldout")}
    reproducible.update(result.heldout)
    for k, v in reproducible.items():
        live.summary[k] = v
    live.make_summary()
    live.end()
    write_json(Path("metrics/timing") / f"{name}_seed{args.seed}.json", {"seconds": result.seconds,
                                                                         "steps": result.steps})
    with atomic_dir(Path("models") / name / f"seed{args.seed}") as out:
        save_adapter(model, out, {"training_result.json": reproducible})
    print(f"{name} seed {args.seed}: eval loss {result.initial_eval_loss:.3f} -> {result.final_eval_loss:.3f} "
          f"in {result.seconds:.0f}s; held-out " + ", ".join(f"{k} {v:.3f}" for k, v in result.heldout.items()))
    dist.finish()


if __name__ == "__main__":
    main()
