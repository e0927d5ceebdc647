"""GRPO on Wordle game states with the course's rewards, from the SFT adapter or from the base model.

    dvc repro wordle/dvc.yaml:grpo_from_sft@42   # wordle/dvc.yaml gives every path

--start sft: policy and KL reference start from models/sft/seed{seed} (the seed's SFT -> GRPO).
--start base: a fresh LoRA on the base model, reference = the base model (the seed's "pure GRPO").
The loop, advantages and loss are the shared core's (``polyreply.core.grpo.train_grpo``).
"""
import argparse

import numpy as np

from polyreply.core.grpo import train_grpo
from polyreply.core.modeling import add_lora, load_base, load_policy, load_tokenizer
from polyreply.core.training import finish_run, grpo_history, open_live, seed_everything
from polyreply.io import read_json, read_jsonl
from polyreply.wordle.config import load_wordle_params
from polyreply.wordle.play import state_reward


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", choices=["sft", "base"], required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--sft", help="--start sft: the SFT adapter (policy start and KL reference)")
    for path in ("--base", "--words", "--states", "--heldout", "--out", "--logs", "--timing"):
        ap.add_argument(path, required=True)
    args = ap.parse_args()
    params = load_wordle_params()
    seed_everything(args.seed)
    tok = load_tokenizer(args.base)
    if args.start == "sft":
        policy = load_policy(args.base, args.sft, trainable=True)
        reference = load_policy(args.base, args.sft, merge=True)
    else:
        policy = add_lora(load_base(args.base, for_training=True), params.lora)
        reference = load_base(args.base)
    words = read_json(args.words)
    rows = read_jsonl(args.states)
    # information gain counts over the whole answer list, the public list a player may know
    reward_fn = state_reward(set(words["allowed"]), words["answers"], params.rewards.core())
    name = f"grpo_from_{args.start}"
    live = open_live(args.logs)
    run = train_grpo(policy, reference, tok, rows, params.grpo, params.prompt, reward_fn, args.seed, live,
                     progress_name=f"wordle {name} seed{args.seed}",
                     heldout_rows=read_jsonl(args.heldout)[:params.grpo.heldout_prompts])
    history = run.history
    quarter = max(1, len(history) // 4)
    summary = {"avg_reward_first_quarter": float(np.mean([h.avg_reward for h in history[:quarter]])),
               "avg_reward_last_quarter": float(np.mean([h.avg_reward for h in history[-quarter:]])),
               "zero_std_fraction": float(np.mean([h.zero_std_fraction for h in history])),
               "final_kl": history[-1].kl, "steps": len(history),
               **({"heldout_reward_start": run.heldout[0].reward, "heldout_reward_end": run.heldout[-1].reward}
                  if run.heldout else {})}
    finish_run(policy, args.out, live, summary, args.timing,
               {"seconds": float(sum(h.step_seconds for h in history)), "steps": len(history)},
               {"grpo_history.json": grpo_history(history),
                "heldout.json": [h.__dict__ for h in run.heldout]})
    held = run.heldout
    print(f"wordle {name} seed {args.seed}: training reward {summary['avg_reward_first_quarter']:.3f} -> "
          f"{summary['avg_reward_last_quarter']:.3f}; groups with zero spread {summary['zero_std_fraction']:.0%}"
          + (f"; held-out reward {held[0].reward:.3f} -> {held[-1].reward:.3f} (+-{held[-1].reward_se:.3f})"
             if held else ""))


if __name__ == "__main__":
    main()
