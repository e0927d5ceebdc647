"""SFT with LoRA on solver-played games (the shared core's ``train_sft``, no polychromic term).

    dvc repro wordle/dvc.yaml:sft@42     # wordle/dvc.yaml gives every path

Output: models/sft/seed{seed}/ (adapter), logs/sft/seed{seed}/ (dvclive), metrics/timing/sft_seed{seed}.json.
"""
import argparse

from polyreply.core.modeling import add_lora, load_base, load_tokenizer
from polyreply.core.sft import train_sft
from polyreply.core.training import finish_run, open_live, seed_everything
from polyreply.io import read_jsonl
from polyreply.wordle.config import load_wordle_params


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    for path in ("--base", "--train", "--val", "--out", "--logs", "--timing"):
        ap.add_argument(path, required=True)
    args = ap.parse_args()
    params = load_wordle_params()
    seed_everything(args.seed)
    tok = load_tokenizer(args.base)
    model = add_lora(load_base(args.base, for_training=True), params.lora)
    live = open_live(args.logs)
    result = train_sft(model, tok, read_jsonl(args.train), read_jsonl(args.val), params.sft,
                       params.sft.max_steps, params.prompt, None, args.seed, live,
                       progress_name=f"wordle sft seed{args.seed}")
    reproducible = {k: v for k, v in result.__dict__.items() if k not in ("seconds", "final_checks")}
    finish_run(model, args.out, live, reproducible, args.timing, {"seconds": result.seconds, "steps": result.steps},
               {"training_result.json": reproducible})
    print(f"wordle sft seed {args.seed}: val loss {result.initial_eval_loss:.3f} -> {result.final_eval_loss:.3f} "
          f"in {result.seconds:.0f}s")


if __name__ == "__main__":
    main()
