"""Sample eval.n_samples replies (seeded) + one greedy reply per held-out test tweet, for one model.

    dvc repro generate@sft_polychromic-42   # dvc.yaml gives every path; see its cmd for a hand run
    dvc repro generate_base                 # the untrained base: sampled once (--seed 0), shared by every seed

One stage per model so that a GRPO change regenerates only the GRPO models' replies.
"""
import argparse

from polyreply.core.modeling import load_policy, load_tokenizer
from polyreply.core.prompts import count_shortened
from polyreply.core.training import Timer
from polyreply.io import read_jsonl, write_jsonl
from polyreply.tweets.config import load_params
from polyreply.tweets.generation import eval_prompts, generate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True, help="sampling seed (the training seed)")
    ap.add_argument("--base", required=True)
    ap.add_argument("--adapter", help="a LoRA adapter folder (none: the base model)")
    ap.add_argument("--test", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    params = load_params()
    tok = load_tokenizer(args.base)
    model = load_policy(args.base, args.adapter, merge=True).eval()
    prompts = eval_prompts(read_jsonl(args.test), params.eval.max_prompts, params.eval.prompt_seed)
    name = args.adapter or args.base
    with Timer() as t:
        rows = generate(model, tok, prompts, params.eval, params.prompt, seed=args.seed,
                        progress_name=f"generate {name}")
    write_jsonl(args.out, rows)
    short = count_shortened(tok, [params.prompt.render(p["tweet"]) for p in prompts], params.prompt)
    print(f"generate {name} seed {args.seed}: {len(rows)} prompts in {t.seconds:.0f}s; {short} of them shortened "
          f"to fit prompt.max_prompt_tokens={params.prompt.max_prompt_tokens}")


if __name__ == "__main__":
    main()
