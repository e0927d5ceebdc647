"""Validate the raw JSONL against the schema (polyreply/schema.py).

    dvc repro validate        # or: tools/python stages/validate.py

Writes --pairs (kept rows), --rejected (quarantined rows) and --metrics.
validate.on_error=fail stops on the first bad row set with file:line:field messages;
=quarantine keeps going and lists every rejected row with its reason.
"""
import argparse

from polyreply.io import write_json, write_jsonl
from polyreply.tweets.config import load_params
from polyreply.tweets.schema import format_rejections, validate_jsonl


def main() -> None:
    ap = argparse.ArgumentParser()
    for path in ("--pairs", "--rejected", "--metrics"):
        ap.add_argument(path, required=True)
    args = ap.parse_args()
    params = load_params()
    cfg, path = params.validate, params.data.raw_path
    result = validate_jsonl(path, max_text_chars=cfg.max_text_chars, extra_fields=cfg.extra_fields)
    if result.rejected and cfg.on_error == "fail":
        raise SystemExit(f"validate: {len(result.rejected)} of {result.rows_in} rows rejected "
                         f"(set validate.on_error=quarantine to keep the good rows):\n"
                         + format_rejections(path, result, cfg.max_errors_shown))
    write_jsonl(args.pairs, result.rows)
    write_jsonl(args.rejected, result.rejected)
    write_json(args.metrics, {"input": path, **result.summary()})
    s = result.summary()
    print(f"validate: {s['rows_in']} rows in = {s['rows_out']} out + {s['rows_rejected']} rejected")


if __name__ == "__main__":
    main()
