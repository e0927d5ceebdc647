"""GRPO on Wordle game states with the course's rewards, from the SFT adapter or from the base model.

    dvc repro wordle/dvc.yaml:grpo@sft-42   # or, in wordle/: ../tools/python stages/grpo.py --start sft --seed 42

--start sft: policy and KL reference start from models/sft/seed{seed} (the seed's SFT -> GRPO).
--start base: a fresh LoRA on the base model, reference = the base model (the seed's "pure GRPO").
The loop, advantages and loss are the shared core's (``polyreply.grpo.train_grpo``).
"""
import argparse
from dataclasses import asdict
from pathlib import Path

import numpy as np

from polyreply.grpo import train_grpo
from polyreply.io import atomic_dir, read_json, read_jsonl, write_json
from polyreply.modeling import add_lora, load_base, load_policy, load_tokenizer
from polyreply.training import open_live, save_adapter, seed_everything
from polyreply.wordle_config import load_wordle_params
from polyreply.wordle_model import state_reward_fn


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", choices=["sft", "base"], required=True)
    ap.add_argument("--seed", type=int, required=True)
    args = ap.parse_args()
    params = load_wordle_params()
    seed_everything(args.seed)
    tok = load_tokenizer("models/base")
    if args.start == "sft":
        adapter = Path("models/sft") / f"seed{args.seed}"
        policy = load_policy("models/base", adapter, trainable=True)
        reference = load_policy("models/base", adapter, merge=True)
    else:
        policy = add_lora(load_base("models/base", for_training=True), params.lora)
        reference = load_base("models/base")
    words = read_json("data/words.json")
    rows = read_jsonl("data/grpo_states.jsonl")
    # information gain counts over the training secrets, the candidates the states were played with
    reward_fn = state_reward_fn(rows, set(words["allowed"]), words["secrets"]["train"], params.rewards.core())
    name = f"grpo_from_{args.start}"
    live = open_live(Path("logs") / name / f"seed{args.seed}")
    history = train_grpo(policy, reference, tok, rows, params.grpo.core(), params.prompt.core(), reward_fn,
                         args.seed, live, progress_name=f"wordle {name} seed{args.seed}")
    quarter = max(1, len(history) // 4)
    summary = {"avg_reward_first_quarter": float(np.mean([h.avg_reward for h in history[:quarter]])),
               "avg_reward_last_quarter": float(np.mean([h.avg_reward for h in history[-quarter:]])),
               "zero_std_fraction": float(np.mean([h.zero_std_fraction for h in history])),
               "final_kl": history[-1].kl, "steps": len(history)}
    for k, v in summary.items():
        live.summary[k] = v
    live.make_summary()
    live.end()
    write_json(Path("metrics/timing") / f"{name}_seed{args.seed}.json",
               {"seconds": float(sum(h.step_seconds for h in history)), "steps": len(history)})
    with atomic_dir(Path("models") / name / f"seed{args.seed}") as out:
        save_adapter(policy, out, {"grpo_history.json": [{k: v for k, v in asdict(h).items() if k != "step_seconds"}
                                                         for h in history]})
    print(f"wordle {name} seed {args.seed}: reward {summary['avg_reward_first_quarter']:.3f} -> "
          f"{summary['avg_reward_last_quarter']:.3f}; groups with zero spread {summary['zero_std_fraction']:.0%}")


if __name__ == "__main__":
    main()
