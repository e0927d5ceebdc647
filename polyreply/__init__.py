"""polyreply: diversity-aware SFT (polychromic objective) + GRPO for tweet replies.

Shared logic for the DVC stages in ``stages/``. Stages stay thin: read params, call into
this package, write their declared outputs.
"""
import atexit
import os
import resource
import sys

# Nothing in this project may reach a model hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__version__ = "0.1.0"


@atexit.register
def _report_peak_memory() -> None:
    # One line per stage process in the `dvc repro` log; BENCHMARKS.md's peak-memory table parses it.
    if os.path.basename(sys.argv[0]).endswith(".py") and "stages" in sys.argv[0]:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"[polyreply] {' '.join(sys.argv)}: peak RSS {peak_mb:.0f} MB", file=sys.stderr)
