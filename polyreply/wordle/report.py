"""The Wordle report in Markdown: the arm table, the claim's verdicts, exploratory comparisons, transcripts."""
from __future__ import annotations

import math

from ..stats import verdict_word
from .analysis import ARMS, REFERENCES


def _fmt(v, digits=3):
    return "-" if v is None else f"{v:.{digits}f}"


def transcript(game: dict) -> list[str]:
    lines = [f"Secret {game['secret']} ({'won' if game['won'] else 'lost'} in {game['turns']} turns):"]
    for i, t in enumerate(game["history"], 1):
        shown = t["completion"].replace("\n", " ")[:110]
        lines.append(f"    {i}. {shown!r} -> {t['marks'] or 'invalid'}")
    return lines


def render_markdown(table: dict, claims: list[dict], explore: list[dict], games: dict, training: dict,
                    transcripts: int, seeds: list[int], words: dict) -> str:
    md = ["# Wordle: SFT then GRPO", "",
          f"Seeds {seeds}; {table['base']['games']} held-out secrets; models guess greedily, up to 6 turns. Rates "
          "are per guess; consistent: share of valid guesses made with feedback in hand that fit all of it; greens "
          "kept / yellows used: share of the known green letters kept in place / known yellow letters used, over "
          "guesses that repeat no earlier guess (a repeat keeps every green it had); "
          "consistent turns: per game, the share of turns after the first whose guess is an allowed word fitting "
          "all the feedback (the claim's third measure); "
          "repeats: share of valid guesses that repeat an earlier guess; bits left: log2 of the answers still "
          f"fitting the feedback (log2 {len(words['answers'])} = {math.log2(len(words['answers'])):.2f} before the "
          "first guess, 0 once won; fixed opening words earn it without reading feedback). Mean reward is the "
          "training reward achieved (not evidence).", "",
          f"No test secret is the secret of any training game (SFT games on some of the "
          f"{len(words['secrets']['train'])} train secrets, SFT validation and GRPO's held-out states on {len(words['secrets']['val'])} validation "
          f"secrets). Guesses, in the SFT games and for every player, come from the whole allowed list "
          f"({len(words['allowed'])} words): a test secret may be a guess in a training text, as every word is "
          "to a real player. The solver (hard mode, maximum information over the answers still possible) and the "
          "random consistent guesser know the answer list.", "",
          "| player | win rate | turns on wins | format ok | valid word | consistent | consistent turns | greens kept | "
          "yellows used | repeats | bits left after 3 | mean reward |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for arm in ARMS + REFERENCES:
        r = table[arm]
        label = arm if arm in ARMS else f"{arm} (reference)"
        md.append(f"| {label} | {_fmt(r['win_rate'])} | {_fmt(r['mean_turns_on_wins'], 2)} | {_fmt(r['format_rate'])} | "
                  f"{_fmt(r['valid_word_rate'])} | {_fmt(r['consistent_rate'])} | {_fmt(r['consistent_turns'])} | "
                  f"{_fmt(r['greens_kept'])} | "
                  f"{_fmt(r['yellows_used'])} | {_fmt(r['repeat_rate'])} | {_fmt(r['bits_left_after_3'], 2)} | "
                  f"{_fmt(r['mean_reward'])} |")
    turns = range(1, len(table["base"]["per_turn"]) + 1)
    md += ["", "## Per guess: bits left after it, and (valid-word / consistent) shares of the guesses made at it", "",
           "| player | " + " | ".join(f"guess {t}" for t in turns) + " |", "|---|" + "---|" * len(turns)]
    for arm in ARMS + REFERENCES:
        cells = [f"{_fmt(c['bits_left'], 2)} ({_fmt(c['valid_word'], 2)} / {_fmt(c['consistent'], 2)})"
                 for c in table[arm]["per_turn"]]
        md.append(f"| {arm} | " + " | ".join(cells) + " |")
    md += ["", "## The plan's claim: SFT then GRPO beats pure GRPO (pre-registered, Holm over 3)", ""]
    for t in claims:
        md.append(f"- {t['a']} - {t['b']} on {t['metric']}: {t['mean_diff']:+.3f} "
                  f"[{t['ci_low']:+.3f}, {t['ci_high']:+.3f}], sign-flip p={t['p']:.4f}, Holm p={t['p_holm']:.4f}; "
                  f"per seed {', '.join(f'{d:+.3f}' for d in t['per_seed_diff'])}: **{t['verdict']}**")
    md += ["", "## Exploratory (no correction, no verdicts)", ""]
    for t in explore:
        md.append(f"- {t['a']} - {t['b']} on {t['metric']}: {t['mean_diff']:+.3f} "
                  f"[{t['ci_low']:+.3f}, {t['ci_high']:+.3f}], p={t['p']:.4f}")
    md += ["", "## GRPO: training reward achieved and held-out reward (mean over seeds)", "",
           "| run | training reward, first quarter | last quarter | groups with zero spread | held-out reward by step |",
           "|---|---|---|---|---|"]
    for name, s in training.items():
        held = ", ".join(f"{step}: {v:.3f}" for step, v in s["heldout"])
        md.append(f"| {name} | {s['first']:.3f} | {s['last']:.3f} | {s['zero_std']:.0%} | {held or '-'} |")
    md += ["", "A group whose samples all get the same reward has zero advantage: no gradient from it. Held-out: the "
           "policy's mean reward on fixed states of validation secrets, the same sampling seeds at every step "
           "(the training reward, so it shows optimisation on unseen states, not play).", "",
           "## Transcripts (first secrets, first seed)", ""]
    for arm in ARMS + REFERENCES:
        md.append(f"**{arm}**")
        md.append("")
        for game in games[arm][0][:transcripts]:
            md += transcript(game)
        md.append("")
    return "\n".join(md) + "\n"


# The plots page colours one player alike on every chart (tweets/chart_data.py does the same for the reply study).
COLOURS = {"base": "#7f7f7f", "sft": "#4c78a8", "grpo_from_sft": "#54a24b", "grpo_from_base": "#e45756",
           "solver": "#c9a30a", "random": "#b279a2"}
RATES = {"win_rate": "win", "valid_word_rate": "valid word", "format_rate": "format",
         "consistent_turns": "consistent turns", "greens_kept": "greens kept"}
CLAIM_NAMES = {"won": "win", "valid_word_rate": "valid", "consistent_turns": "fits"}


def headline(table: dict, claims: list[dict]) -> dict:
    """metrics/headline.json, the file `dvc metrics diff` reads: per player its win rate, valid-word rate, consistent
    turns ("fits") and mean reward, per claim the effect, CI and a one-word verdict; names short enough for 80 columns. Everything else
    stays in metrics/wordle.json."""
    def r(x):
        return None if x is None else round(float(x), 3)
    out = {arm: {"win": r(t["win_rate"]), "valid": r(t["valid_word_rate"]), "fits": r(t["consistent_turns"]),
                 "reward": r(t["mean_reward"])} for arm, t in table.items()}
    for c in claims:
        out[f"{CLAIM_NAMES.get(c['metric'], c['metric'])}_claim"] = {
            "effect": r(c["mean_diff"]), "ci_low": r(c["ci_low"]), "ci_high": r(c["ci_high"]),
            "verdict": verdict_word(c["verdict"])}
    return out


def rate_rows(table: dict) -> list[list]:
    """plots/arms.csv: player, group (the rate), value (a grouped bar per player; a rate a player has no games for is left out)."""
    return [[arm, RATES[k], round(float(t[k]), 4)] for arm, t in table.items() for k in RATES if t[k] is not None]
