"""Word lists, secret split, solver-played SFT games and GRPO game states.

    dvc repro wordle/dvc.yaml:data      # wordle/dvc.yaml gives every path

Outputs: --words (answers, allowed guesses, train/val/test secrets), --sft-train and --sft-val (one row per
solver turn: prompt = the state, completion = <think> + <guess>), --grpo-states and --grpo-heldout (distinct
states reached by random consistent play on train and on validation secrets, with their secrets).
No test secret is the secret of any game here. Guesses come from the whole allowed list and the solver counts
information over the whole answer list, as a real player would: a test secret may appear as a guess.
"""
import argparse

import numpy as np

from polyreply.io import write_json, write_jsonl
from polyreply.wordle.config import load_wordle_params
from polyreply.wordle.play import Attempt, RewardConfig, format_completion, play_games, render_state
from polyreply.wordle.solver import RandomConsistent, Solver
from polyreply.wordle.words import split_secrets, word_lists


def solver_rows(secrets: list[str], solver: Solver) -> list[dict]:
    games = play_games(secrets, lambda _, hs: [format_completion(h, solver.guess(h)) for h in hs],
                       set(solver.allowed), solver.answers, RewardConfig())
    rows = []
    for game in games:
        attempts_so_far = []
        for turn, t in enumerate(game["history"], 1):
            rows.append({"prompt": render_state(attempts_so_far), "completion": t["completion"],
                         "secret": game["secret"], "turn": turn})
            attempts_so_far = attempts_so_far + [_attempt(t)]
    return rows


def _attempt(turn: dict) -> Attempt:
    """A played turn back as an Attempt (reference players only make valid guesses)."""
    return Attempt(turn["guess"], tuple(turn["marks"]))


def grpo_states(secrets: list[str], allowed: list[str], answers: list[str], n_states: int, max_history: int,
                seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    player = RandomConsistent(allowed, seed)
    games = play_games(secrets, lambda _, hs: [format_completion(h, player.guess(h)) for h in hs], set(allowed),
                       answers, RewardConfig())
    states: dict[str, dict] = {}
    for game in games:
        attempts, history = [], []
        for t in game["history"][:max_history + 1]:
            states.setdefault(render_state(attempts), {"secret": game["secret"], "history": list(history)})
            if t["guess"] == game["secret"]:
                break
            attempts.append(_attempt(t))
            history.append([t["guess"], t["marks"]])
    keys = sorted(states)
    picked = sorted(rng.permutation(len(keys))[:n_states])
    return [{"prompt": keys[i], **states[keys[i]]} for i in picked]


def main() -> None:
    ap = argparse.ArgumentParser()
    for path in ("--words", "--sft-train", "--sft-val", "--grpo-states", "--grpo-heldout"):
        ap.add_argument(path, required=True)
    args = ap.parse_args()
    params = load_wordle_params()
    w, d = params.words, params.data
    answers, allowed = word_lists(w.answers, w.allowed_top_n)
    split = split_secrets(answers, w.test_secrets, w.val_secrets, w.split_seed)
    write_json(args.words, {"answers": answers, "allowed": allowed, "secrets": split})
    train = split["train"]
    solver = Solver(allowed, answers)
    sft_secrets = [train[i] for i in sorted(np.random.default_rng(d.seed).permutation(len(train))[:d.sft_secrets])]
    sft = solver_rows(sft_secrets, solver)
    val = solver_rows(split["val"], solver)
    states = grpo_states(train, allowed, answers, d.grpo_states, d.grpo_max_history, d.seed)
    heldout = grpo_states(split["val"], allowed, answers, d.grpo_heldout_states, d.grpo_max_history, d.seed + 1)
    write_jsonl(args.sft_train, sft)
    write_jsonl(args.sft_val, val)
    write_jsonl(args.grpo_states, states)
    write_jsonl(args.grpo_heldout, heldout)
    print(f"wordle data: {len(answers)} answers ({len(train)} train, {len(split['val'])} val, "
          f"{len(split['test'])} test secrets), {len(allowed)} allowed guesses; {len(sft)} SFT rows from "
          f"{len(sft_secrets)} solver games, {len(val)} val rows, {len(states)} GRPO states, {len(heldout)} "
          "held-out GRPO states")


if __name__ == "__main__":
    main()
