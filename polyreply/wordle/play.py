"""Playing Wordle: the game-state prompt, the rewards of a guess, the game loop and its per-turn measures
(the reference players are ``solver.py``'s).

A game's history is a list of ``Attempt``s. Invalid attempts (no <guess>, not five letters, not an
allowed word) use up a turn and are shown in the prompt without feedback; only valid attempts carry
feedback and count for consistency and the rewards. Every player (model, solver, random consistent
guesser) goes through ``play_games``, so their rows in the report are measured the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ..core.rewards import RewardFn
from .game import ABSENT, CORRECT, MAX_TURNS, PRESENT, WORD_LENGTH, is_consistent, parse_guess, render_feedback, \
    score_guess
from .rewards import FeedbackValues, FormatValues, feedback_reward, format_reward, information_gain
from .solver import consistent_mask, letters

History = list[tuple[str, tuple[str, ...]]]  # valid (guess, marks) pairs, what the rewards read


@dataclass(frozen=True)
class Attempt:
    text: str                                 # the parsed guess; "" when there was none
    marks: Optional[tuple[str, ...]] = None   # None: invalid attempt, no feedback


def valid_history(attempts: list[Attempt]) -> History:
    return [(a.text, a.marks) for a in attempts if a.marks is not None]


def render_state(attempts: list[Attempt]) -> str:
    """The user message for the next guess: every attempt so far with its feedback."""
    lines = []
    for i, a in enumerate(attempts, 1):
        if a.marks is None and not a.text:
            lines.append(f"Guess {i}: no <guess>...</guess> found (no feedback)")
        elif a.marks is None:
            lines.append(f"Guess {i}: {a.text[:12]} is not an allowed 5-letter word (no feedback)")
        else:
            lines.append(f"Guess {i}: {a.text} -> {render_feedback(a.text, a.marks)}")
    head = "\n".join(lines) if lines else "No guesses yet."
    return f"{head}\nWrite guess {len(attempts) + 1} of {MAX_TURNS}."


def think_text(history: History) -> str:
    """A short reasoning derived from the feedback: fixed letters, misplaced letters, absent letters."""
    if not history:
        return "No feedback yet: open with common letters."
    green: dict[int, str] = {}
    yellow: dict[str, set[int]] = {}
    seen, grey = set(), []
    for guess, marks in history:
        for i, (letter, mark) in enumerate(zip(guess, marks)):
            if mark == CORRECT:
                green[i] = letter
            elif mark == PRESENT:
                yellow.setdefault(letter, set()).add(i)
            if mark != ABSENT:  # an "x" on a spent copy of a letter seen elsewhere is not absence
                seen.add(letter)
    for guess, marks in history:
        for letter, mark in zip(guess, marks):
            if mark == ABSENT and letter not in seen and letter not in grey:
                grey.append(letter)
    parts = []
    if green:
        parts.append("Green: " + " ".join(f"{green[i]}{i + 1}" for i in sorted(green)) + ".")
    if yellow:
        parts.append("Yellow: " + ", ".join(f"{k} not {'/'.join(str(i + 1) for i in sorted(v))}"
                                            for k, v in sorted(yellow.items())) + ".")
    if grey:
        parts.append("Grey: " + " ".join(sorted(grey)) + ".")
    return " ".join(parts)


def format_completion(history: History, guess: str) -> str:
    return f"<think>{think_text(history)}</think> <guess>{guess}</guess>"


@dataclass(frozen=True)
class RewardConfig:
    """Weights of the three rewards (params ``rewards``) and the values inside each."""
    format: FormatValues = FormatValues()
    feedback: FeedbackValues = FeedbackValues()
    format_weight: float = 1.0
    feedback_weight: float = 1.0
    information_weight: float = 1.0


def guess_rewards(completion: str, history: History, allowed: set[str], candidates: list[str],
                  cfg: RewardConfig) -> dict[str, float]:
    """The GRPO reward of one completion in one game state, with its three parts.

    Feedback use needs a five-letter guess and information gain an allowed word (as in the course,
    which scored "guess value" for valid words only); otherwise the part is 0.
    """
    fmt = format_reward(completion, allowed, cfg.format)
    guess = parse_guess(completion)
    five = guess is not None and len(guess) == WORD_LENGTH and guess.isalpha()
    feedback = feedback_reward(guess, history, cfg.feedback) if five else 0.0
    info = information_gain(guess, candidates, history) if five and guess in allowed else 0.0
    total = cfg.format_weight * fmt + cfg.feedback_weight * feedback + cfg.information_weight * info
    return {"format": fmt, "feedback": feedback, "information_gain": info, "total": total}


def state_reward(allowed: set[str], candidates: list[str], cfg: RewardConfig) -> RewardFn:
    """GRPO's reward over game-state rows under the core's contract: each row's ``history`` column
    ([[guess, marks], ...]) arrives as a keyword argument. The rewards need the history and the
    candidates, never the secret."""
    def reward(prompts: list[str], completions: list[str], history: list[list], **_) -> np.ndarray:
        return np.array([guess_rewards(c, [(g, tuple(m)) for g, m in h], allowed, candidates, cfg)["total"]
                         for c, h in zip(completions, history)])
    return reward


Player = Callable[[list[str], list[History]], list[str]]  # (prompts, histories) -> one completion each


def known_letters(history: History) -> tuple[dict[int, str], set[str]]:
    """(green letter per position, letters known present but not placed) from the valid attempts so far."""
    green: dict[int, str] = {}
    present: set[str] = set()
    for guess, marks in history:
        for i, (letter, mark) in enumerate(zip(guess, marks)):
            if mark == CORRECT:
                green[i] = letter
            elif mark == PRESENT:
                present.add(letter)
    return green, present - set(green.values())


def feedback_use(guess: str | None, history: History) -> tuple[float | None, float | None]:
    """(share of known greens kept in place, share of known yellow letters used) by a five-letter guess; None
    where nothing of the kind is known yet (or the guess is not five letters). Moves before wins do: a
    player that keeps its greens has started to read the feedback."""
    if guess is None or len(guess) != WORD_LENGTH:
        return None, None
    green, yellow = known_letters(history)
    kept = sum(guess[i] == letter for i, letter in green.items()) / len(green) if green else None
    used = sum(letter in guess for letter in yellow) / len(yellow) if yellow else None
    return kept, used


def play_games(secrets: list[str], player: Player, allowed: set[str], candidates: list[str],
               rewards: RewardConfig, max_turns: int = MAX_TURNS) -> list[dict]:
    """Play every secret to a win or ``max_turns``; all unfinished games move one turn per player call.

    Each turn records the completion, the parsed guess, whether it is an allowed word (``allowed``
    holds five-letter a-z words only), whether it was consistent with the feedback so far (valid
    guesses after the first valid one; the first fits an empty history trivially), the share of known
    greens kept and yellows used (``feedback_use``), how many of ``candidates`` (the answer list) still fit
    the feedback after it, and its reward parts, with ``candidates`` the secrets the information gain counts over.
    """
    attempts: list[list[Attempt]] = [[] for _ in secrets]
    turns: list[list[dict]] = [[] for _ in secrets]
    won = [False] * len(secrets)
    answer_letters = letters(candidates)
    for _ in range(max_turns):
        live = [i for i in range(len(secrets)) if not won[i]]
        if not live:
            break
        histories = [valid_history(attempts[i]) for i in live]
        completions = player([render_state(attempts[i]) for i in live], histories)
        for i, history, completion in zip(live, histories, completions):
            guess = parse_guess(completion)
            parts = guess_rewards(completion, history, allowed, candidates, rewards)
            valid = guess is not None and guess in allowed  # allowed words are five letters a-z
            marks = score_guess(secrets[i], guess) if valid else None
            # consistency needs feedback to be consistent with: None on a game's first valid guess
            consistent = is_consistent(guess, history) if valid and history else None
            greens, yellows = feedback_use(guess, history) if valid else (None, None)
            after = history + [(guess, marks)] if valid else history
            turns[i].append({"completion": completion, "guess": guess, "format_ok": guess is not None,
                             "valid_word": valid, "consistent": consistent, "greens_kept": greens,
                             "yellows_used": yellows,
                             "candidates_left": int(consistent_mask(answer_letters, after).sum()),
                             "marks": "".join(marks) if marks else None, "reward": parts})
            attempts[i].append(Attempt(guess or "", marks))
            won[i] = valid and guess == secrets[i]
    return [{"secret": s, "won": w, "turns": len(t), "history": t} for s, w, t in zip(secrets, won, turns)]


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def consistent_turns(game: dict) -> float:
    """Share of a game's turns after the first whose guess is an allowed word fitting all the feedback so far
    (a valid guess with no feedback yet fits trivially; a game won at once: 1). One number per game, so it can
    be paired over secrets; fixed opening words cannot earn it, which is what bits left rewards as well."""
    later = game["history"][1:]
    if not later:
        return 1.0
    return float(np.mean([t["valid_word"] and t["consistent"] is not False for t in later]))


def bits_left(game: dict, after: int) -> float:
    """log2 of the answers still fitting the feedback after ``after`` guesses (0 once won: one candidate, the
    secret). A game starts at log2(answers), ~10 bits for 1000; the solver is near 0 by guess 3."""
    if game["won"] and game["turns"] <= after:
        return 0.0
    played = game["history"][:after]
    return float(np.log2(played[-1]["candidates_left"])) if played else float("nan")


def game_summary(games: list[dict]) -> dict[str, float]:
    """Win rate, mean turns on wins, per-guess validity, consistency and feedback-use rates, mean reward.

    consistent_rate: share of valid guesses made with feedback in hand that fit all of it (None when
    there is none: the opening guess is consistent with nothing and would flatter the rate).
    """
    guesses = [t for g in games for t in g["history"]]
    checked = [t for t in guesses if t["consistent"] is not None]
    wins = [g for g in games if g["won"]]
    return {
        "win_rate": float(np.mean([g["won"] for g in games])),
        "mean_turns_on_wins": float(np.mean([g["turns"] for g in wins])) if wins else None,
        "format_rate": float(np.mean([t["format_ok"] for t in guesses])),
        "valid_word_rate": float(np.mean([t["valid_word"] for t in guesses])),
        "consistent_rate": float(np.mean([t["consistent"] for t in checked])) if checked else None,
        "greens_kept": _mean([t["greens_kept"] for t in guesses]),
        "yellows_used": _mean([t["yellows_used"] for t in guesses]),
        "consistent_turns": float(np.mean([consistent_turns(g) for g in games])),
        "bits_left_after_3": float(np.mean([bits_left(g, 3) for g in games])),
        "mean_reward": float(np.mean([t["reward"]["total"] for t in guesses])),
        "games": len(games), "guesses": len(guesses),
    }


def per_turn(games: list[dict], max_turns: int = MAX_TURNS) -> list[dict]:
    """Per guess number: mean bits left over every game (won games count 0), and over the guesses made at that
    turn the valid-word, consistent, greens-kept and yellows-used shares: the curve a player moves before it wins."""
    out = []
    for t in range(1, max_turns + 1):
        made = [g["history"][t - 1] for g in games if len(g["history"]) >= t]
        out.append({"turn": t, "bits_left": float(np.mean([bits_left(g, t) for g in games])), "guesses": len(made),
                    "valid_word": _mean([m["valid_word"] for m in made]),
                    "consistent": _mean([m["consistent"] for m in made]),
                    "greens_kept": _mean([m["greens_kept"] for m in made]),
                    "yellows_used": _mean([m["yellows_used"] for m in made])})
    return out


def per_game(games: list[dict], metric: str) -> np.ndarray:
    """One number per game (for paired tests over secrets): ``won``, ``valid_word_rate``, ``consistent_turns`` or
    ``bits_left_after_3``."""
    if metric == "won":
        return np.array([float(g["won"]) for g in games])
    if metric == "valid_word_rate":
        return np.array([np.mean([t["valid_word"] for t in g["history"]]) for g in games])
    if metric == "consistent_turns":
        return np.array([consistent_turns(g) for g in games])
    if metric == "bits_left_after_3":
        return np.array([bits_left(g, 3) for g in games])
    raise ValueError(f"unknown per-game metric {metric!r}")


__all__ = ["Attempt", "valid_history", "render_state", "think_text", "format_completion", "RewardConfig",
           "guess_rewards", "play_games", "game_summary", "per_turn", "per_game", "bits_left", "consistent_turns",
           "feedback_use",
           "CORRECT", "PRESENT", "ABSENT"]
