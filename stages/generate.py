"""Sample eval.n_samples replies (seeded) + one greedy reply per held-out test tweet, for one model.

    dvc repro generate@sft_polychromic-42   # or: tools/python stages/generate.py --model sft_polychromic --seed 42
    dvc repro generate_base                 # the untrained base: sampled once (--seed 0), shared by every seed

One stage per model so that a GRPO change regenerates only the GRPO models' replies.
"""
import argparse
from pathlib import Path

from polyreply.config import load_params
from polyreply.evaluation import MODELS, eval_prompts, generate, generations_path
from polyreply.io import read_jsonl, write_jsonl
from polyreply.modeling import load_policy, load_tokenizer
from polyreply.training import Timer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=MODELS, required=True)
    ap.add_argument("--seed", type=int, required=True)
    args = ap.parse_args()
    params = load_params()
    adapter = None if args.model == "base" else Path("models") / args.model / f"seed{args.seed}"
    tok = load_tokenizer("models/base")
    model = load_policy("models/base", adapter, merge=True).eval()
    prompts = eval_prompts(read_jsonl("data/split/test.jsonl"), params.eval.max_prompts, params.eval.prompt_seed)
    with Timer() as t:
        rows = generate(model, tok, prompts, params.eval, params.prompt, seed=args.seed,
                        progress_name=f"generate {args.model} seed{args.seed}")
    write_jsonl(generations_path(args.model, args.seed), rows)
    print(f"generate {args.model} seed {args.seed}: {len(rows)} prompts in {t.seconds:.0f}s")


if __name__ == "__main__":
    main()
