"""SFT with LoRA on solver-played games (the shared core's ``train_sft``, no polychromic term).

    dvc repro wordle/dvc.yaml:sft@42     # or, in wordle/: ../tools/python stages/train_sft.py --seed 42

Output: models/sft/seed{seed}/ (adapter), logs/sft/seed{seed}/ (dvclive), metrics/timing/sft_seed{seed}.json.
"""
import argparse
from pathlib import Path

from polyreply.io import atomic_dir, read_jsonl, write_json
from polyreply.modeling import add_lora, load_base, load_tokenizer
from polyreply.sft import train_sft
from polyreply.training import open_live, save_adapter, seed_everything
from polyreply.wordle_config import load_wordle_params


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    args = ap.parse_args()
    params = load_wordle_params()
    seed_everything(args.seed)
    tok = load_tokenizer("models/base")
    model = add_lora(load_base("models/base", for_training=True), params.lora)
    live = open_live(Path("logs/sft") / f"seed{args.seed}")
    result = train_sft(model, tok, read_jsonl("data/sft_train.jsonl"), read_jsonl("data/sft_val.jsonl"), params.sft,
                       params.sft.max_steps, params.prompt.core(), None, args.seed, live,
                       progress_name=f"wordle sft seed{args.seed}")
    reproducible = {k: v for k, v in result.__dict__.items() if k not in ("seconds", "heldout")}
    for k, v in reproducible.items():
        live.summary[k] = v
    live.make_summary()
    live.end()
    write_json(Path("metrics/timing") / f"sft_seed{args.seed}.json", {"seconds": result.seconds, "steps": result.steps})
    with atomic_dir(Path("models/sft") / f"seed{args.seed}") as out:
        save_adapter(model, out, {"training_result.json": reproducible})
    print(f"wordle sft seed {args.seed}: val loss {result.initial_eval_loss:.3f} -> {result.final_eval_loss:.3f} "
          f"in {result.seconds:.0f}s")


if __name__ == "__main__":
    main()
