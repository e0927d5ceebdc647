"""Wordle word lists, derived deterministically from the pinned ``wordfreq`` package.

- allowed guesses: every 5-letter, a-z word among wordfreq's ``allowed_top_n`` most frequent English words;
- answers (possible secrets): the ``answers`` most frequent of those that do not end in "s" (a crude
  filter for plurals, as in the official list, which has almost none). wordfreq has no part-of-speech
  data, so a few names (PERTH, BETTY) remain: a guesser only needs them to be in the allowed list.
- secrets are split into train / val / test by a seeded permutation, so no test secret is the secret of
  a training game (``tests/pipeline/test_wordle_pipeline.py`` checks it). Guesses come from the whole
  allowed list everywhere: a guess is not an answer, and a player knows every word.
Lists are upper case, sorted by frequency (answers) or alphabetically (allowed).
"""
from __future__ import annotations

import re

import numpy as np

FIVE_LETTERS = re.compile(r"[a-z]{5}")


def word_lists(answers: int, allowed_top_n: int) -> tuple[list[str], list[str]]:
    """(answers by frequency, allowed guesses alphabetically), upper case; answers are allowed guesses."""
    import wordfreq
    frequent = [w for w in wordfreq.top_n_list("en", allowed_top_n) if FIVE_LETTERS.fullmatch(w)]
    allowed = sorted({w.upper() for w in frequent})
    singular = [w.upper() for w in dict.fromkeys(frequent) if not w.endswith("s")]
    if len(singular) < answers:
        raise ValueError(f"words.answers={answers}: only {len(singular)} 5-letter words in wordfreq's top "
                         f"{allowed_top_n}; raise words.allowed_top_n")
    return singular[:answers], allowed


def split_secrets(answers: list[str], n_test: int, n_val: int, seed: int) -> dict[str, list[str]]:
    """Disjoint train / val / test secrets (by content: duplicates are dropped first)."""
    unique = list(dict.fromkeys(answers))
    if n_test + n_val >= len(unique):
        raise ValueError(f"words: test_secrets + val_secrets = {n_test + n_val} leaves no training secrets "
                         f"out of {len(unique)} answers")
    order = np.random.default_rng(seed).permutation(len(unique))
    picked = [unique[i] for i in order]
    return {"test": sorted(picked[:n_test]), "val": sorted(picked[n_test:n_test + n_val]),
            "train": sorted(picked[n_test + n_val:])}
