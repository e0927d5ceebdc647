"""Wordle engine and rewards (issue 16): hand-checked feedback, repeated letters, reward values."""
import math

import pytest

from polyreply.wordle.game import (ABSENT as X, CORRECT as C, PRESENT as P, is_consistent, parse_guess,
                                   remaining_candidates, render_feedback, score_guess)
from polyreply.wordle.rewards import FeedbackValues, feedback_reward, format_reward, information_gain


@pytest.mark.parametrize("secret,guess,marks", [
    ("CRANE", "CRANE", (C, C, C, C, C)),
    ("CRANE", "EERIE", (X, X, P, X, C)),   # three Es, one in CRANE: only the placed one counts
    ("ABBEY", "BABES", (P, P, C, C, X)),   # repeated B: one exact, the other present
    ("SPEED", "EERIE", (P, P, X, X, X)),   # two Es in SPEED, both unmatched: the first two guess Es
    ("ROBOT", "FLOOR", (X, X, P, C, P)),   # O exact at 3, second O present, R present
    ("LEVEL", "HELLO", (X, C, P, P, X)),   # two unmatched Ls in LEVEL: both guess Ls are present
])
def test_feedback_hand_checked(secret, guess, marks):
    assert score_guess(secret, guess) == marks


def test_feedback_rejects_wrong_lengths_and_renders_the_course_format():
    with pytest.raises(ValueError):
        score_guess("CRANE", "CRANES")
    assert render_feedback("crate", score_guess("CRANE", "CRATE")) == "C(✓) R(✓) A(✓) T(x) E(✓)"


def test_consistency_and_candidates():
    history = [("CRANE", score_guess("SLATE", "CRANE"))]
    assert is_consistent("SLATE", history) and not is_consistent("CRANE", history)
    assert remaining_candidates(["SLATE", "CRANE", "PLATE", "GRAPE"], history) == ["SLATE", "PLATE"]


def test_parse_guess():
    assert parse_guess("<think>E and R are in</think> <guess>crane</guess>") == "CRANE"
    assert parse_guess("<think>multi\nline</think>\n<guess> SLATE </guess> trailing") == "SLATE"
    assert parse_guess("<guess>CRANE</guess>") is None and parse_guess("CRANE") is None


def test_format_reward_levels():
    allowed = {"CRANE", "SLATE"}
    assert format_reward("CRANE", allowed) == 0.0
    assert format_reward("<think>x</think><guess>CRAN</guess>", allowed) == 0.1
    assert format_reward("<think>x</think><guess>CR4NE</guess>", allowed) == 0.1
    assert format_reward("<think>x</think><guess>ZZZZZ</guess>", allowed) == 0.5
    assert format_reward("<think>x</think><guess>slate</guess>", allowed) == 1.0


def test_feedback_reward_hand_values():
    assert feedback_reward("CRANE", []) == 0.1
    # secret SLATE, first guess CRANE: C x, R x, A ✓, N x, E ✓
    history = [("CRANE", score_guess("SLATE", "CRANE"))]
    # PLATE: P new +0.05, L new +0.05, A kept +0.2, T new +0.05, E kept +0.2 = 0.55
    assert feedback_reward("PLATE", history) == pytest.approx(0.55)
    # CRONE: C -0.5, R -0.5, O +0.05, N -0.5, E +0.2 = -1.25
    assert feedback_reward("CRONE", history) == pytest.approx(-1.25)
    # secret TEACH, guess CRANE: C -, R x, A ✓, N x, E -
    h2 = [("CRANE", score_guess("TEACH", "CRANE"))]
    # EXACT: E moved +0.1, X new +0.05, A kept +0.2, C moved +0.1, T new +0.05 = 0.5
    assert feedback_reward("EXACT", h2) == pytest.approx(0.5)
    # CEASE: C back at 0 -0.2, E moved +0.1, A +0.2, S +0.05, E back at 4 -0.2 = -0.05
    assert feedback_reward("CEASE", h2) == pytest.approx(-0.05)
    # a spent copy is not absence: EERIE vs CRANE marks the first Es "x" but E is confirmed at 4
    h3 = [("EERIE", score_guess("CRANE", "EERIE"))]
    # EARLE: E at 0 +0.05 (not -0.5 as the course's rule gave), A +0.05, R back at 2 -0.2, L +0.05, E kept +0.2
    assert feedback_reward("EARLE", h3, FeedbackValues()) == pytest.approx(0.15)


def test_information_gain():
    words = ["CRANE", "SLATE", "PLATE", "GRAPE"]
    # CRANE vs the four: CRANE all ✓; SLATE x x ✓ x ✓; PLATE same as SLATE; GRAPE x ✓ ✓ x ✓ -> patterns 1,2,1
    expected = -(0.25 * math.log2(0.25) * 2 + 0.5 * math.log2(0.5)) / math.log2(4)
    assert information_gain("CRANE", words, []) == pytest.approx(expected)
    # a guess that separates all four is worth 1.0; one candidate left: 1 only for guessing it
    history = [("CRANE", score_guess("GRAPE", "CRANE"))]
    assert information_gain("GRAPE", words, history) == 1.0 and information_gain("SLATE", words, history) == 0.0
