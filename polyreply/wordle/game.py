"""Wordle game engine: feedback with repeated letters, consistency, candidates.

Pure functions, no model. Feedback marks follow the Predibase course's prompt format:
"✓" right letter, right place; "-" letter in the word, wrong place; "x" letter not in the word
(or every copy of it already accounted for).
"""
from __future__ import annotations

import re
from collections import Counter

CORRECT, PRESENT, ABSENT = "✓", "-", "x"
WORD_LENGTH = 5
MAX_TURNS = 6
_GUESS = re.compile(r"<think>.*?</think>\s*<guess>\s*(.*?)\s*</guess>", re.S)


def score_guess(secret: str, guess: str) -> tuple[str, ...]:
    """Feedback for one guess, as the game gives it, repeated letters included.

    Two passes: exact matches first; then each remaining guess letter, left to right, is "present"
    only while the secret still has an unmatched copy of it. Guessing EERIE against CRANE marks the
    last E correct and both other Es absent.
    """
    secret, guess = secret.upper(), guess.upper()
    if len(secret) != WORD_LENGTH or len(guess) != WORD_LENGTH:
        raise ValueError(f"score_guess needs two {WORD_LENGTH}-letter words, got {secret!r} and {guess!r}")
    marks = [ABSENT] * WORD_LENGTH
    unmatched = Counter(s for s, g in zip(secret, guess) if s != g)
    for i, (s, g) in enumerate(zip(secret, guess)):
        if s == g:
            marks[i] = CORRECT
        elif unmatched[g] > 0:
            marks[i] = PRESENT
            unmatched[g] -= 1
    return tuple(marks)


def render_feedback(guess: str, marks: tuple[str, ...]) -> str:
    """'CRANE' + marks -> 'C(✓) R(-) A(x) N(x) E(✓)' (the prompt format of the course)."""
    return " ".join(f"{letter}({mark})" for letter, mark in zip(guess.upper(), marks))


def is_consistent(word: str, history: list[tuple[str, tuple[str, ...]]]) -> bool:
    """Could ``word`` be the secret, given every (guess, feedback) so far?"""
    return all(score_guess(word, guess) == tuple(marks) for guess, marks in history)


def remaining_candidates(candidates: list[str], history: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    return [w for w in candidates if is_consistent(w, history)]


def parse_guess(completion: str) -> str | None:
    """The guess inside <think>...</think> <guess>WORD</guess>, upper-cased; None when the format is off."""
    m = _GUESS.search(completion)
    return m.group(1).strip().upper() if m else None
