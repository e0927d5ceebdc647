"""Curate validated pairs: flag the ones SFT and the warm-starts may imitate (params `curate`, tweets/curation.py).

    dvc repro curate          # dvc.yaml gives every path; see its cmd for a hand run

Writes --out: every validated row plus `curated` (bool) and `curation_failed` (the rules it fails, in rule
order); stage split keeps all rows for the reward model, GRPO and the test references, and writes the curated
ones apart for SFT. --metrics: the data card (rows kept, removals per rule, style mix, oracle mean on the demo).
--raw: the raw JSONL, read only for the demo's `synthetic_style` labels (validate drops that field); real data
has none and the card then has no style mix.
"""
import argparse
import json

from polyreply.io import read_jsonl, write_json, write_jsonl
from polyreply.tweets.config import load_params
from polyreply.tweets.curation import curate, data_card
from polyreply.tweets.oracle import true_engagement


def demo_styles(raw_path: str, rows: list[dict]) -> list[str] | None:
    """Each row's synthetic_style from the raw file (by reply_id), or None unless every row has one."""
    style = {}
    with open(raw_path, encoding="utf-8-sig", errors="replace") as fh:
        for line in fh:
            try:
                obj = json.loads(line)
            except ValueError:
                continue   # validate rejected it
            if isinstance(obj, dict) and isinstance(obj.get("synthetic_style"), str) and "reply_id" in obj:
                style[str(obj["reply_id"]).strip()] = obj["synthetic_style"]
    found = [style.get(r["reply_id"]) for r in rows]
    return found if rows and None not in found else None


def main() -> None:
    ap = argparse.ArgumentParser()
    for path in ("--pairs", "--raw", "--out", "--metrics"):
        ap.add_argument(path, required=True)
    args = ap.parse_args()
    params = load_params()
    rows = read_jsonl(args.pairs)
    flags = curate(rows, params.curate)
    scores = [true_engagement(r["tweet"], r["reply"]) for r in rows] if params.data.oracle == "demo" else None
    card = data_card(rows, flags, params.curate, scores, demo_styles(args.raw, rows))
    write_jsonl(args.out, [{**r, "curated": kept, "curation_failed": failed} for r, (kept, failed) in zip(rows, flags)])
    write_json(args.metrics, card)
    first = ", ".join(f"{k} {v['removed_first']}" for k, v in card["rules"].items() if v["removed_first"])
    oracle = card.get("oracle_mean")
    print(f"curate: {card['rows_kept']} of {card['rows_in']} pairs kept ({card['kept_share']:.1%}); removed by "
          f"first failing rule: {first or 'none'}"
          + (f"; oracle mean all {oracle['all']:.3f} -> kept {oracle['kept']:.3f}" if oracle and oracle["kept"]
             is not None else ""))


if __name__ == "__main__":
    main()
