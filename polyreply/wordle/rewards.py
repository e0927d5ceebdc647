"""Wordle rewards, each a pure function, values from the Predibase course and the plan's seed.

- format: 0 when <think>...</think> <guess>...</guess> is missing, 0.1 when the guess is not five
  letters, 0.5 when it is not an allowed word, 1.0 otherwise.
- use of previous feedback: 0.1 on the first guess; otherwise, per letter of the guess, +0.2 for a
  letter kept where it was confirmed, +0.1 for a present letter moved to a new place, -0.2 for a
  present letter put back where it was already marked wrong, -0.5 for a letter known to be absent,
  +0.05 otherwise (exploration). No penalty for leaving out a known letter (the plan:
  "trust positive rewards").
- information gain: the entropy (bits) of the feedback the guess would get over the candidates still
  consistent with the history, divided by log2(#candidates), so 1.0 means the guess splits them all.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from ..params import param
from .game import CORRECT, PRESENT, WORD_LENGTH, parse_guess, remaining_candidates, score_guess


@dataclass(frozen=True)
class FeedbackValues:
    first_guess: float = param(0.1, "the first guess (no feedback yet)")
    correct_position: float = param(0.2, "per letter kept where it was confirmed")
    new_position: float = param(0.1, "per present letter moved to a new place")
    repeated_position: float = param(-0.2, "per present letter put back where it was marked wrong")
    wrong_letter: float = param(-0.5, "per letter known to be absent")
    exploration: float = param(0.05, "per other letter")


@dataclass(frozen=True)
class FormatValues:
    no_match: float = param(0.0, "no <think>...</think> <guess>...</guess>")
    wrong_length: float = param(0.1, "the guess is not five letters")
    not_a_word: float = param(0.5, "five letters, not an allowed word")
    valid: float = param(1.0, "an allowed word")


def format_reward(completion: str, allowed: set[str], values: FormatValues = FormatValues()) -> float:
    guess = parse_guess(completion)
    if guess is None:
        return values.no_match
    if len(guess) != WORD_LENGTH or not guess.isalpha():
        return values.wrong_length
    return values.valid if guess in allowed else values.not_a_word


def feedback_reward(guess: str, history: list[tuple[str, tuple[str, ...]]],
                    values: FeedbackValues = FeedbackValues()) -> float:
    """How well a (well-formed, five-letter) guess uses the feedback so far (the course's rules)."""
    guess = guess.upper()
    if not history:
        return values.first_guess
    confirmed: dict[str, set[int]] = {}
    present_at: dict[str, set[int]] = {}
    absent: set[str] = set()
    for past, marks in history:
        for i, (letter, mark) in enumerate(zip(past.upper(), marks)):
            if mark == CORRECT:
                confirmed.setdefault(letter, set()).add(i)
            elif mark == PRESENT:
                present_at.setdefault(letter, set()).add(i)
            else:
                absent.add(letter)
    reward = 0.0
    for i, letter in enumerate(guess):
        if i in confirmed.get(letter, ()):
            reward += values.correct_position
        elif letter in present_at and i not in present_at[letter]:
            reward += values.new_position
        elif letter in present_at:
            reward += values.repeated_position
        elif letter in absent and letter not in confirmed:
            # the course penalised any letter ever marked "x"; with repeated letters an "x" can be a spent
            # copy of a letter confirmed elsewhere (EERIE vs CRANE), which is no evidence of absence
            reward += values.wrong_letter
        else:
            reward += values.exploration
    return reward


def information_gain(guess: str, candidates: list[str], history: list[tuple[str, tuple[str, ...]]]) -> float:
    """Normalised entropy of the guess's feedback over the remaining candidates, in [0, 1]."""
    remaining = remaining_candidates(candidates, history)
    if len(remaining) <= 1:
        return 1.0 if guess.upper() in remaining else 0.0
    patterns = Counter(score_guess(secret, guess) for secret in remaining)
    n = len(remaining)
    entropy = -sum(c / n * math.log2(c / n) for c in patterns.values())
    return entropy / math.log2(n)

