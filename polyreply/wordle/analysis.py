"""Wordle analysis: per-arm game metrics and paired tests over secrets (the report is ``wordle/report.py``).

Pre-registered (the plan's claim, "SFT then GRPO succeeds where pure GRPO failed"): grpo_from_sft vs
grpo_from_base on win rate, on valid-word rate and on the share of a game's later turns whose guess fits
the feedback (it moves before wins do, and a 135M model may win no game at all), Holm over these three.
Bits left after three guesses is reported, not tested: fixed opening words earn it without reading any
feedback (an SFT model opening TRANE, SALAD every game leaves 1.6 bits and then plays no valid word). A "yes" needs Holm p < alpha, the CI on the same side of zero and at least two seeds:
with one seed the difference describes this run, not the method (a second seed may reverse it).
Every other comparison is exploratory. Mean reward is the training reward achieved, not evidence.
"""
from __future__ import annotations

import numpy as np

from ..stats import compare, holm
from .play import game_summary, per_game, per_turn

ARMS = ("base", "sft", "grpo_from_sft", "grpo_from_base")
REFERENCES = ("solver", "random")
PRIMARY = ("grpo_from_sft", "grpo_from_base")
EXPLORATORY = (("sft", "base"), ("grpo_from_sft", "sft"), ("grpo_from_base", "base"))
PAIRED_METRICS = ("won", "valid_word_rate", "consistent_turns")
SUMMARY_KEYS = ("win_rate", "mean_turns_on_wins", "format_rate", "valid_word_rate", "consistent_rate",
                "consistent_turns", "greens_kept", "yellows_used", "repeat_rate", "bits_left_after_3", "mean_reward")
TURN_KEYS = ("bits_left", "valid_word", "consistent", "greens_kept", "yellows_used")


def repeat_rate(games: list[dict]) -> float:
    """Share of valid guesses that repeat an earlier guess of the same game (a refuted word, every time)."""
    repeats, valid = 0, 0
    for g in games:
        seen = set()
        for t in g["history"]:
            if t["valid_word"]:
                valid += 1
                repeats += t["guess"] in seen
                seen.add(t["guess"])
    return repeats / valid if valid else 0.0


def new_guess_use(games: list[dict]) -> dict[str, float | None]:
    """Greens kept and yellows used over the guesses that repeat no earlier guess of their game: a repeated
    word keeps every green it had, so GRPO's repeats alone scored 0.85 on all guesses (0.00 on new ones)."""
    kept, used = [], []
    for g in games:
        seen = set()
        for t in g["history"]:
            if t["valid_word"] and t["guess"] not in seen:
                kept += [t["greens_kept"]] if t["greens_kept"] is not None else []
                used += [t["yellows_used"]] if t["yellows_used"] is not None else []
            if t["valid_word"]:
                seen.add(t["guess"])
    return {"greens_kept": float(np.mean(kept)) if kept else None,
            "yellows_used": float(np.mean(used)) if used else None}


def arm_table(games: dict[str, list[list[dict]]]) -> dict[str, dict]:
    """games[arm] = one list of games per seed (a single list for base and the references)."""
    table = {}
    for arm, per_seed in games.items():
        summaries = [{**game_summary(g), "repeat_rate": repeat_rate(g), **new_guess_use(g)} for g in per_seed]
        for summary in summaries:  # without a valid guess there is nothing to be consistent or repeated
            if summary["valid_word_rate"] == 0:
                summary["consistent_rate"] = summary["repeat_rate"] = None
        row = {}
        for key in SUMMARY_KEYS:
            values = [s[key] for s in summaries if s[key] is not None]
            row[key] = float(np.mean(values)) if values else None
        row["seeds"] = len(per_seed)
        row["games"] = summaries[0]["games"]
        curves = [per_turn(g) for g in per_seed]
        row["per_turn"] = [{"turn": t + 1, **{k: _mean_or_none([c[t][k] for c in curves]) for k in TURN_KEYS}}
                           for t in range(len(curves[0]))]
        table[arm] = row
    return table


def _mean_or_none(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def paired(games: dict[str, list[list[dict]]], a: str, b: str, metric: str, *, alpha: float, samples: int,
           permutations: int) -> dict:
    """a vs b on the same secrets; an arm with one game list (base) is paired with every seed of the other."""
    n_seeds = max(len(games[a]), len(games[b]))
    pick = lambda arm, s: games[arm][min(s, len(games[arm]) - 1)]  # noqa: E731
    for s in range(n_seeds):
        if [g["secret"] for g in pick(a, s)] != [g["secret"] for g in pick(b, s)]:
            raise ValueError(f"{a} and {b} did not play the same secrets in the same order (seed index {s})")
    rows = lambda arm: np.stack([per_game(pick(arm, s), metric) for s in range(n_seeds)])  # noqa: E731
    out = compare(rows(a), rows(b), alpha=alpha, samples=samples, permutations=permutations)
    out.pop("cohens_d")  # infinite when every difference is equal: not a figure for a report
    if out["se"] == 0:  # every secret gave the same difference: no spread to size an effect by
        out["mde"] = None
    return {"a": a, "b": b, "metric": metric, **out}


def claim_verdicts(games: dict[str, list[list[dict]]], *, alpha: float, samples: int, permutations: int) -> list[dict]:
    tests = [paired(games, *PRIMARY, m, alpha=alpha, samples=samples, permutations=permutations) for m in PAIRED_METRICS]
    for t, p_holm in zip(tests, holm([t["p"] for t in tests])):
        t["p_holm"] = p_holm
        same_side = t["ci_low"] > 0 or t["ci_high"] < 0
        if t["n_seeds"] < 2:
            t["verdict"] = "one seed: describes this run, not the method"
        elif p_holm < alpha and same_side:
            t["verdict"] = "yes" if t["mean_diff"] > 0 else "no: the opposite holds"
        else:
            t["verdict"] = "not shown"
    return tests


def exploratory(games, *, alpha: float, samples: int, permutations: int) -> list[dict]:
    return [paired(games, a, b, m, alpha=alpha, samples=samples, permutations=permutations)
            for a, b in EXPLORATORY for m in PAIRED_METRICS + ("bits_left_after_3",)]
