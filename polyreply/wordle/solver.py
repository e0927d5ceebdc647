"""The reference players, guessing from the whole allowed list: a hard-mode maximum-information solver and a
random consistent guesser. Both play "hard mode": every guess fits all the feedback so far, so it could be the
secret as far as the player can tell.

Feedback is computed in bulk (``score_many``: one guess against many secrets as numpy arrays, the same
two-pass rule as ``game.score_guess``), so the solver can rank 11,179 allowed words against 1,000 answers in
about a second instead of the ~60 s of 11 M calls to the pure function.
"""
from __future__ import annotations

import numpy as np

from .game import WORD_LENGTH

History = list[tuple[str, tuple[str, ...]]]
_MARK_CODE = {"x": 0, "-": 1, "✓": 2}   # a feedback pattern as a base-3 number (243 patterns)
_POWERS = 3 ** np.arange(WORD_LENGTH)


def letters(words: list[str]) -> np.ndarray:
    """[N, 5] uint8 letter codes of upper-case five-letter words."""
    return np.frombuffer("".join(words).encode("ascii"), dtype=np.uint8).reshape(len(words), WORD_LENGTH)


def score_many(secrets: np.ndarray, guess: str) -> np.ndarray:
    """Feedback codes (base 3, "✓"=2, "-"=1, "x"=0 per position) of one guess against every row of ``secrets``.

    Exact matches first; then, left to right, a guess letter is "present" while the secret has an unmatched
    copy of it (EERIE against CRANE: the last E correct, the other two absent) -- ``game.score_guess``'s rule."""
    g = letters([guess.upper()])[0]
    exact = secrets == g                                   # [N, 5]
    marks = np.where(exact, 2, 0)
    used: dict[int, np.ndarray] = {}
    for i, letter in enumerate(g):
        unmatched = ((secrets == letter) & ~exact).sum(1)  # copies of this letter the secret still has free
        spent = used.get(letter, 0)
        present = ~exact[:, i] & (unmatched > spent)
        marks[:, i] = np.where(present, 1, marks[:, i])
        used[letter] = spent + present
    return marks @ _POWERS


def marks_code(marks: tuple[str, ...]) -> int:
    return int(sum(_MARK_CODE[m] * p for m, p in zip(marks, _POWERS)))


def consistent_mask(words: np.ndarray, history: History) -> np.ndarray:
    """Which rows of ``words`` could be the secret given every (guess, marks) so far."""
    keep = np.ones(len(words), dtype=bool)
    for guess, marks in history:
        keep &= score_many(words, guess) == marks_code(marks)
    return keep


def entropy_bits(codes: np.ndarray) -> float:
    p = np.bincount(codes, minlength=3 ** WORD_LENGTH) / len(codes)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


class Solver:
    """Hard-mode maximum-information guesser over the whole allowed list.

    Candidates: the answers still consistent with the feedback (the public answer list; a player may know it).
    Each turn it guesses the allowed word consistent with the feedback whose feedback has the highest entropy
    over those candidates, a possible answer winning ties (it could end the game); with one or two candidates
    left it guesses a candidate. The opening guess is the same for every game and is computed once."""

    def __init__(self, allowed: list[str], answers: list[str]):
        self.allowed, self.answers = list(allowed), list(answers)
        self._allowed, self._answers = letters(self.allowed), letters(self.answers)
        answer_set = set(self.answers)
        self._is_answer = np.array([w in answer_set for w in self.allowed])
        self._opening: str | None = None

    def guess(self, history: History) -> str:
        if not history and self._opening is not None:
            return self._opening
        remaining = self._answers[consistent_mask(self._answers, history)]
        if len(remaining) == 0:
            raise ValueError("solver: no answer fits the feedback (is the secret in the answer list?)")
        if len(remaining) <= 2:
            best = remaining[0].tobytes().decode()
        else:
            options = np.flatnonzero(consistent_mask(self._allowed, history))
            scores = [(entropy_bits(score_many(remaining, self.allowed[i])), bool(self._is_answer[i]), -k)
                      for k, i in enumerate(options)]
            best = self.allowed[options[max(range(len(options)), key=scores.__getitem__)]]
        if not history:
            self._opening = best
        return best


class RandomConsistent:
    """A uniformly random allowed word that fits all the feedback so far (its own seeded stream)."""

    def __init__(self, allowed: list[str], seed: int):
        self.allowed = list(allowed)
        self._allowed = letters(self.allowed)
        self.rng = np.random.default_rng(seed)

    def guess(self, history: History) -> str:
        options = np.flatnonzero(consistent_mask(self._allowed, history))
        return self.allowed[int(options[int(self.rng.integers(len(options)))])]
