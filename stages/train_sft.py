"""SFT with LoRA: baseline or polychromic, on all train data (sft) or phase-1 only (warmstart).

    dvc repro sft_polychromic@42     # dvc.yaml gives every path; see its cmd for a hand run
    torchrun --nproc_per_node 2 stages/train_sft.py ...   # data parallel (params distributed.processes)

--out: the adapter; --logs: dvclive (reproducible); --timing: wall-clock, kept apart so logs stay reproducible.
"""
import argparse

import numpy as np

from polyreply.core.distributed import init_distributed
from polyreply.core.modeling import add_lora, load_base, load_tokenizer
from polyreply.core.sft import train_sft
from polyreply.core.training import finish_run, open_live, seed_everything
from polyreply.io import read_jsonl
from polyreply.tweets.config import load_params
from polyreply.tweets.heldout import diversity_check, heldout_samples
from polyreply.tweets.oracle import true_engagement
from polyreply.tweets.reward_model import EngagementRewardModel
from polyreply.tweets.rewards import make_reward_fn, task_reward


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", choices=["baseline", "polychromic"], required=True)
    ap.add_argument("--phase", choices=["sft", "warmstart"], required=True, help="warmstart: warmstart.max_steps")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--reward-model", help="polychromic: the learned reward of the set score")
    ap.add_argument("--out", required=True)
    ap.add_argument("--logs", required=True)
    ap.add_argument("--timing", required=True)
    args = ap.parse_args()
    params = load_params()
    name = f"{args.phase}_{args.variant}"
    max_steps = params.sft.max_steps if args.phase == "sft" else params.warmstart.max_steps
    poly = params.polychromic if args.variant == "polychromic" else None
    reward_fn = None
    if poly is not None:  # the set score's task reward R: GRPO's training reward (grpo.reward)
        reward_model = EngagementRewardModel.load(args.reward_model) if params.grpo.reward != "heuristic" else None
        reward_fn = task_reward(make_reward_fn(params.grpo, params.heuristic, reward_model))
    judge = None
    if params.data.oracle == "demo":  # held-out samples judged by the demo world's oracle (never trained on)
        judge = lambda t, r: np.array([true_engagement(a, b) for a, b in zip(t, r)])  # noqa: E731

    dist = init_distributed()   # one process unless launched by torchrun / accelerate (tools/launch)
    seed_everything(args.seed)
    tok = load_tokenizer(args.base)
    model = add_lora(load_base(args.base, for_training=True), params.lora)
    live = open_live(args.logs) if dist.is_main else None
    as_rows = lambda rows: [{"prompt": params.prompt.render(r["tweet"]), "completion": r["reply"], **r}  # noqa: E731
                            for r in rows]
    val = read_jsonl(args.val)
    result = train_sft(model, tok, as_rows(read_jsonl(args.train)), as_rows(val), params.sft, max_steps,
                       params.prompt, poly, args.seed, live, progress_name=f"{name} seed{args.seed}",
                       reward_fn=reward_fn, dist=dist,
                       heldout_check=diversity_check(tok, val[:params.sft.eval_examples], params.prompt, args.seed))
    if not dist.is_main:   # rank 0 writes every output
        dist.finish()
        return
    model.eval()
    heldout = heldout_samples(model, tok, val, params.prompt, params.sft.heldout_prompts, params.sft.heldout_samples,
                              args.seed, judge)
    reproducible = {"final_train_loss": result.final_train_loss, "final_eval_loss": result.final_eval_loss,
                    "initial_eval_loss": result.initial_eval_loss,
                    **{f"final_eval_{k}": v for k, v in result.final_checks.items()}, "steps": result.steps,
                    **heldout}
    finish_run(model, args.out, live, reproducible, args.timing, {"seconds": result.seconds, "steps": result.steps},
               {"training_result.json": reproducible})
    print(f"{name} seed {args.seed}: eval loss {result.initial_eval_loss:.3f} -> {result.final_eval_loss:.3f} "
          f"in {result.seconds:.0f}s; held-out " + ", ".join(f"{k} {v:.3f}" for k, v in heldout.items()))
    dist.finish()


if __name__ == "__main__":
    main()
