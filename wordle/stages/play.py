"""Play every test secret to the end (up to 6 turns) with one player; write the games.

    dvc repro wordle/dvc.yaml:play_model@sft-42   # wordle/dvc.yaml gives every path

Players: base (no adapter), sft, grpo_from_sft, grpo_from_base (adapters of --seed), and the
reference rows solver (hard-mode maximum information) and random (a uniformly random consistent word), both
guessing from the whole allowed list.
Models guess greedily, so a model gives one deterministic result. Output: --out (one game a line).
"""
import argparse

from polyreply.io import read_json, write_jsonl
from polyreply.core.modeling import load_policy, load_tokenizer
from polyreply.core.training import seed_everything
from polyreply.wordle.config import load_wordle_params
from polyreply.wordle.players import model_player
from polyreply.wordle.play import format_completion, game_summary, play_games
from polyreply.wordle.solver import RandomConsistent, Solver

ADAPTER_ARMS = ("sft", "grpo_from_sft", "grpo_from_base")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--arm", choices=("base",) + ADAPTER_ARMS + ("solver", "random"), required=True)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--adapter", help="the trained arms' LoRA adapter")
    for path in ("--base", "--words", "--out"):
        ap.add_argument(path, required=True)
    args = ap.parse_args()
    if (args.arm in ADAPTER_ARMS) != (args.adapter is not None):
        ap.error("--adapter is needed for (and only for) the trained arms " + ", ".join(ADAPTER_ARMS))
    params = load_wordle_params()
    words = read_json(args.words)
    answers, allowed = words["answers"], set(words["allowed"])
    if args.arm in ("solver", "random"):
        reference = (Solver(words["allowed"], answers) if args.arm == "solver"
                     else RandomConsistent(words["allowed"], params.eval.random_seed))
        player = lambda _, hs: [format_completion(h, reference.guess(h)) for h in hs]  # noqa: E731
    else:
        seed_everything(0)
        model = load_policy(args.base, args.adapter, merge=True)
        player = model_player(model, load_tokenizer(args.base), params.prompt, params.eval.max_new_tokens,
                              params.eval.batch_size)
    # the reward and information gain count over all answers: the public list a player may know
    games = play_games(words["secrets"]["test"], player, allowed, answers, params.rewards.core())
    write_jsonl(args.out, games)
    s = game_summary(games)
    print(f"wordle play {args.arm}{'' if args.seed is None else f' seed {args.seed}'}: win rate {s['win_rate']:.2f}, "
          f"valid words {s['valid_word_rate']:.2f}, format {s['format_rate']:.2f}, bits left after 3 guesses "
          f"{s['bits_left_after_3']:.2f}, mean reward {s['mean_reward']:.2f}")


if __name__ == "__main__":
    main()
