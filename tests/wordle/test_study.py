"""Wordle study (issue 16): word lists, solver data, game loop, rewards per state, params, report verdicts.

The DAG on a tiny model: tests/pipeline/test_wordle_pipeline.py.
"""
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from polyreply.core.config import GrpoConfig, PromptConfig
from polyreply.core.rewards import score_completions
from polyreply.params import ParamsError, build
from polyreply.wordle.analysis import claim_verdicts
from polyreply.wordle.config import WordleGrpoConfig, load_wordle_params
from polyreply.wordle.game import ABSENT as X, CORRECT as C, PRESENT as P, score_guess
from polyreply.wordle.play import (Attempt, RewardConfig, bits_left, consistent_turns, feedback_use, format_completion, game_summary,
                                   guess_rewards, per_game, per_turn, play_games, render_state, state_reward,
                                   think_text)
from polyreply.wordle.solver import RandomConsistent, Solver, letters, marks_code, score_many
from polyreply.wordle.words import split_secrets, word_lists

ROOT = Path(__file__).resolve().parents[2]
WORDS = ["CRANE", "SLATE", "PLATE", "GRAPE", "ALICE", "ROBOT", "FLOOR", "ABBEY", "LEVEL", "HELLO"]


def test_word_lists_are_deterministic_five_letter_and_split_disjoint():
    answers, allowed = word_lists(200, 20000)
    assert (answers, allowed) == word_lists(200, 20000)
    assert len(answers) == 200 and all(len(w) == 5 and w.isalpha() and w.isupper() for w in allowed)
    assert set(answers) <= set(allowed) and not any(w.endswith("S") for w in answers)
    assert answers[:3] == ["ABOUT", "THEIR", "THERE"]  # wordfreq's frequency order
    split = split_secrets(answers + answers[:5], n_test=20, n_val=10, seed=0)  # duplicates by content dropped
    assert [len(split[k]) for k in ("test", "val", "train")] == [20, 10, 170]
    assert not set(split["test"]) & set(split["train"]) and not set(split["val"]) & set(split["train"])
    assert split == split_secrets(answers, 20, 10, 0)
    with pytest.raises(ValueError, match="leaves no training secrets"):
        split_secrets(answers, 150, 50, 0)


def test_think_text_and_state_rendering_hand_checked():
    history = [("RAISE", score_guess("ABOVE", "RAISE")), ("PLACE", score_guess("ABOVE", "PLACE"))]
    assert history[0][1] == (X, P, X, X, C)
    assert think_text(history) == "Green: E5. Yellow: A not 2/3. Grey: C I L P R S."
    assert think_text([]) == "No feedback yet: open with common letters."
    # EERIE vs CRANE: the spent Es are "x" but E is in the word, so E is not called grey
    assert think_text([("EERIE", score_guess("CRANE", "EERIE"))]) == "Green: E5. Yellow: R not 3. Grey: I."
    state = render_state([Attempt("RAISE", history[0][1]), Attempt(""), Attempt("QWXYZ")])
    assert state == ("Guess 1: RAISE -> R(x) A(-) I(x) S(x) E(✓)\nGuess 2: no <guess>...</guess> found (no feedback)\n"
                     "Guess 3: QWXYZ is not an allowed 5-letter word (no feedback)\nWrite guess 4 of 6.")
    assert format_completion([], "CRANE") == "<think>No feedback yet: open with common letters.</think> <guess>CRANE</guess>"


def test_guess_rewards_sum_the_three_parts_by_hand():
    history = [("CRANE", score_guess("SLATE", "CRANE"))]        # C x, R x, A ✓, N x, E ✓
    candidates = ["SLATE", "PLATE", "GRAPE", "CRANE"]            # consistent: SLATE, PLATE
    r = guess_rewards("<think>A3 E5</think> <guess>plate</guess>", history, set(WORDS), candidates, RewardConfig())
    # feedback: P, L, T explore (+0.05 x3), A kept at 3 and E kept at 5 (+0.2 x2); info: PLATE splits 2 -> 1 bit
    assert r == pytest.approx({"format": 1.0, "feedback": 0.55, "information_gain": 1.0, "total": 2.55})
    r = guess_rewards("<think>x</think> <guess>CRNAE</guess>", history, set(WORDS), candidates,
                      RewardConfig(format_weight=2.0, information_weight=5.0))
    # not a word: format 0.5, feedback C R N absent (-0.5 x3), A moved off a green... A at 4 is no green: +0.05,
    # E at 5 green +0.2; no information gain for a non-word
    assert r == pytest.approx({"format": 0.5, "feedback": -1.25, "information_gain": 0.0, "total": 2 * 0.5 - 1.25})
    assert guess_rewards("CRANE", [], set(WORDS), candidates, RewardConfig())["total"] == 0.0


def test_play_games_records_invalid_turns_wins_and_summary():
    script = iter(["no tags at all", "<think>t</think> <guess>QWXYZ</guess>", "<think>t</think> <guess>SLATE</guess>"])
    games = play_games(["SLATE"], lambda prompts, hs: [next(script)], set(WORDS), WORDS, RewardConfig())
    g = games[0]
    assert g["won"] and g["turns"] == 3
    assert [t["format_ok"] for t in g["history"]] == [False, True, True]
    assert [t["valid_word"] for t in g["history"]] == [False, False, True]
    s = game_summary(games)
    assert s["win_rate"] == 1.0 and s["mean_turns_on_wins"] == 3.0
    assert s["format_rate"] == pytest.approx(2 / 3) and s["valid_word_rate"] == pytest.approx(1 / 3)
    assert list(per_game(games, "valid_word_rate")) == pytest.approx([1 / 3])
    lost = play_games(["SLATE"], lambda p, hs: ["<think>t</think> <guess>CRANE</guess>"] * len(p), set(WORDS),
                      WORDS, RewardConfig())[0]
    assert not lost["won"] and lost["turns"] == 6 and lost["history"][1]["consistent"] is False
    # the opening guess has no feedback to fit: it is not counted, so repeating CRANE scores 0, not 1/6
    assert lost["history"][0]["consistent"] is None and game_summary([lost])["consistent_rate"] == 0.0
    assert game_summary([g])["consistent_rate"] is None  # its only valid guess was the first


def test_bulk_feedback_equals_the_pure_rule_repeated_letters_included():
    _, allowed = word_lists(50, 20000)
    words = allowed[::7] + ["EERIE", "CRANE", "SPEED", "ABBEY", "LEVEL"]
    table = letters(words)
    for guess in words[::5] + ["EERIE", "LLAMA"]:
        assert list(score_many(table, guess)) == [marks_code(score_guess(w, guess)) for w in words], guess


def test_solver_guesses_from_the_allowed_list_and_wins_every_secret():
    answers, allowed = word_lists(300, 30000)
    solver = Solver(allowed, answers)
    games = play_games(answers[::15], lambda p, hs: [format_completion(h, solver.guess(h)) for h in hs],
                       set(allowed), answers, RewardConfig())
    s = game_summary(games)
    assert s["win_rate"] == 1.0 and s["consistent_rate"] == 1.0 and s["mean_turns_on_wins"] < 4.5
    guesses = {t["guess"] for g in games for t in g["history"]}
    assert guesses - set(answers), "the solver may guess any allowed word, not only possible answers"
    assert s["bits_left_after_3"] < 1.0 and all(g["history"][-1]["candidates_left"] == 1 for g in games)
    random = RandomConsistent(WORDS + ["BLAME"], seed=0)
    history = [("CRANE", score_guess("SLATE", "CRANE"))]
    assert {random.guess(history) for _ in range(40)} == {"SLATE", "PLATE", "BLAME"}   # allowed, consistent


def test_feedback_use_and_bits_left_by_hand():
    history = [("CRANE", score_guess("SLATE", "CRANE"))]   # A3 and E5 green, nothing yellow
    assert feedback_use("PLATE", history) == (1.0, None)
    assert feedback_use("PLAIN", history) == (0.5, None)   # A kept, E dropped
    history.append(("SOLAR", score_guess("SLATE", "SOLAR")))   # S1 green, L yellow (at 3), A yellow (A3 known green)
    assert feedback_use("STALE", history) == (1.0, 1.0)   # S1 A3 E5 kept; L used
    assert feedback_use("SALET", history) == (pytest.approx(1 / 3), 1.0)   # S kept, A and E moved; L used
    assert feedback_use(None, history) == (None, None) and feedback_use("SLAT", history) == (None, None)
    script = iter(["<guess>CRANE</guess>", "junk", "<think>t</think> <guess>PLATE</guess>",
                   "<think>t</think> <guess>SLATE</guess>"])
    wrap = lambda text: text if text.startswith("<think>") or text == "junk" else f"<think>t</think> {text}"  # noqa: E731
    game = play_games(["SLATE"], lambda p, hs: [wrap(next(script))], set(WORDS), WORDS, RewardConfig())[0]
    # CRANE leaves SLATE, PLATE (2); the invalid turn leaves them; PLATE leaves SLATE (1); SLATE wins
    assert [t["candidates_left"] for t in game["history"]] == [2, 2, 1, 1]
    assert bits_left(game, 1) == bits_left(game, 2) == 1.0 and bits_left(game, 3) == 0.0 and bits_left(game, 4) == 0.0
    assert game["history"][2]["greens_kept"] == 1.0 and game["history"][1]["greens_kept"] is None
    curve = per_turn([game])
    assert [c["bits_left"] for c in curve] == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert curve[1]["valid_word"] == 0.0 and curve[4]["guesses"] == 0 and curve[4]["valid_word"] is None
    assert list(per_game([game], "bits_left_after_3")) == [0.0]
    # turns 2-4: invalid, PLATE (fits CRANE's feedback), SLATE (fits both): 2 of 3
    assert list(per_game([game], "consistent_turns")) == pytest.approx([2 / 3])
    opener = {"won": True, "turns": 1, "history": [game["history"][0]]}
    assert consistent_turns(opener) == 1.0


def test_state_reward_scores_each_completion_in_its_rows_game_state():
    """Under the core's reward contract each row's ``history`` column reaches the reward (no lookup by prompt
    text); other columns (the state's secret) are passed too and left unread."""
    rows = [{"prompt": render_state([]), "history": [], "secret": "SLATE"},
            {"prompt": "state two", "history": [["CRANE", "".join(score_guess("SLATE", "CRANE"))]], "secret": "SLATE"}]
    plate = "<think>t</think> <guess>PLATE</guess>"
    out = score_completions(state_reward(set(WORDS), WORDS, RewardConfig()), rows, [plate] * 4, 2)
    first = guess_rewards(plate, [], set(WORDS), WORDS, RewardConfig())["total"]
    assert out[:2] == pytest.approx([first, first]) and out[2] == out[3] > out[0]  # A, E reused: feedback 0.55 vs 0.1


def test_wordle_params_are_strict(tmp_path):
    raw = yaml.safe_load((ROOT / "wordle/params.yaml").read_text())
    params = load_wordle_params(ROOT / "wordle/params.yaml")
    # the game's blocks are the core's (no reward settings, no tweet instruction: the state is the user message)
    assert isinstance(params.grpo, GrpoConfig) and isinstance(params.prompt, PromptConfig)
    assert not hasattr(params.grpo, "reward") and not hasattr(params.prompt, "instruction")
    assert isinstance(params.rewards.core(), RewardConfig)
    with pytest.raises(ParamsError, match=r"grpo: darling and diversity_bonus are reply-diversity terms"):
        build(WordleGrpoConfig, {"darling": True}, "grpo")
    for bad, match in ((("grpo", "reward"), "grpo.reward: unknown key"),
                       (("rewards", "weights", "formt"), "rewards.weights.formt: unknown key"),
                       (("data", "sft_secrets"), "data.sft_secrets")):
        broken = json.loads(json.dumps(raw))
        node = broken
        for k in bad[:-1]:
            node = node[k]
        node[bad[-1]] = 10 ** 6 if bad[-1] == "sft_secrets" else 1.0
        path = tmp_path / "params.yaml"
        path.write_text(yaml.safe_dump(broken))
        with pytest.raises(ParamsError, match=match.replace(".", r"\.")):
            load_wordle_params(path)


def _games(secrets, wins, valid=None, fits=None):
    """Two-turn games: the second guess valid (``valid``) and fitting the feedback (``fits``), won or not."""
    valid = wins if valid is None else valid
    fits = valid if fits is None else fits
    return [{"secret": s, "won": bool(w), "turns": 2,
             "history": [{"valid_word": True, "consistent": None, "candidates_left": 64},
                         {"valid_word": bool(v), "consistent": bool(f) if v else None, "candidates_left": 1 if w else 8}]}
            for s, w, v, f in zip(secrets, wins, valid, fits)]


def test_claim_needs_two_seeds_and_holm():
    secrets = [f"S{i}" for i in range(30)]
    strong = {"grpo_from_sft": [_games(secrets, [1] * 20 + [0] * 10)],
              "grpo_from_base": [_games(secrets, [0] * 30)]}
    one_seed = claim_verdicts(strong, alpha=0.05, samples=500, permutations=2000)
    assert [t["metric"] for t in one_seed] == ["won", "valid_word_rate", "consistent_turns"]
    assert all(t["verdict"].startswith("one seed") for t in one_seed)  # never "yes" on one seed
    assert one_seed[0]["p"] < 0.001 and one_seed[0]["p_holm"] == pytest.approx(min(1, 3 * max(t["p"] for t in one_seed)))
    two = {k: v * 2 for k, v in strong.items()}
    verdicts = claim_verdicts(two, alpha=0.05, samples=500, permutations=2000)
    assert [t["verdict"] for t in verdicts] == ["yes", "yes", "yes"]
    # valid words that ignore the feedback: a "no" on consistent turns while valid words tie
    worse = {"grpo_from_sft": [_games(secrets, [0] * 30, [1] * 30, [0] * 30)] * 2,
             "grpo_from_base": [_games(secrets, [0] * 30, [1] * 30, [1] * 30)] * 2}
    verdicts = claim_verdicts(worse, alpha=0.05, samples=500, permutations=2000)
    assert [t["verdict"] for t in verdicts] == ["not shown", "not shown", "no: the opposite holds"]
    assert verdicts[2]["mean_diff"] == pytest.approx(-1.0)   # the second turn fits in every base game, in no sft game
    mixed = {"grpo_from_sft": [_games(secrets, [1] * 20 + [0] * 10), _games(secrets, [0] * 30)],
             "grpo_from_base": [_games(secrets, [0] * 30), _games(secrets, [1] * 20 + [0] * 10)]}
    assert all(t["verdict"] == "not shown" for t in claim_verdicts(mixed, alpha=0.05, samples=500, permutations=2000))
    # Holm, not Bonferroni: the smaller p is doubled, the larger only kept at least as large
    weak_wins = {"grpo_from_sft": [_games(secrets, [1] * 6 + [0] * 24, [1] * 20 + [0] * 10)] * 2,
                 "grpo_from_base": [_games(secrets, [0] * 30)] * 2}
    won, valid, _ = claim_verdicts(weak_wins, alpha=0.05, samples=500, permutations=2000)
    assert valid["p"] < won["p"] < 0.5
    assert valid["p_holm"] == pytest.approx(3 * valid["p"])


def test_greens_kept_counts_new_guesses_only():
    """A repeated word keeps every green it had: counted, repeats alone would look like feedback use."""
    from polyreply.wordle.analysis import new_guess_use
    turn = lambda g, kept, used=None: {"guess": g, "valid_word": True, "greens_kept": kept, "yellows_used": used}  # noqa: E731
    game = {"history": [turn("TRANE", None), turn("TRANE", 1.0, 1.0), turn("TRANE", 1.0, 1.0), turn("SALAD", 0.0, 0.5)]}
    assert new_guess_use([game]) == {"greens_kept": 0.0, "yellows_used": 0.5}


def test_repeat_rate_counts_valid_repeats_by_hand():
    from polyreply.wordle.analysis import repeat_rate
    turn = lambda g, ok=True: {"guess": g, "valid_word": ok}  # noqa: E731
    games = [{"history": [turn("BREAK"), turn("BREAK"), turn("BREAK"), turn("QWXYZ", False), turn("CRANE")]},
             {"history": [turn("BREAK")]}]
    assert repeat_rate(games) == pytest.approx(2 / 5)  # 5 valid guesses, 2 repeat an earlier one in their game
