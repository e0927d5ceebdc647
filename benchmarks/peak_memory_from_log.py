"""Turn the `[polyreply] <command>: peak RSS N MB` lines of a `dvc repro` log into a Markdown table.

    .venv/bin/dvc repro 2>&1 | tee benchmarks/results/repro.log
    .venv/bin/python benchmarks/peak_memory_from_log.py benchmarks/results/repro.log
"""
import re
import sys

LINE = re.compile(r"\[polyreply\] (?:python )?stages/(\S+)\.py ?(.*): peak RSS (\d+) MB")

if __name__ == "__main__":
    print("| stage command | peak RSS (MB) |\n|---|---|")
    for line in open(sys.argv[1], encoding="utf-8"):
        m = LINE.search(line)
        if m:
            print(f"| {m.group(1)} {m.group(2)} | {m.group(3)} |")
