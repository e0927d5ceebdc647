"""polyreply: diversity-aware SFT (polychromic objective) + GRPO for tweet replies.

Shared logic for the DVC stages in ``stages/``. Stages stay thin: read params, call into
this package, write their declared outputs.
"""
import atexit
import ctypes
import logging
import os
import resource
import sys
import warnings

# Nothing in this project may reach a model hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Stages print their own progress lines (polyreply.progress); tqdm bars ("Loading weights") only
# fill non-interactive logs with carriage returns.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


class _DropKnownHarmless(logging.Filter):
    """Drop one known-harmless log message by prefix; every other record passes."""

    def __init__(self, prefix: str):
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefix)


# bitsandbytes (needed only for 4-bit QLoRA on CUDA) looks for an optional CPU kernel package on
# import and warns on every stage start when it is absent; we never run 4-bit on CPU.
logging.getLogger("bitsandbytes.backends.cpu.ops").addFilter(
    _DropKnownHarmless("Failed to load CPU gemm_4bit_forward"))
# peft 0.21 reads transformers' deprecated alias when it wraps a model; nothing for us to change.
warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)

__version__ = "0.1.0"


def keep_freed_memory() -> bool:
    """Make glibc's malloc reuse freed memory instead of handing it back to the OS.

    By default glibc serves every block over 32 MiB (logits of a batch: 8 x 48 x 49,152 fp32 = 75 MB)
    with a fresh mmap and unmaps it on free, so each training step page-faults its big tensors in
    again; on this 2-core CPU that was ~25% of a LoRA SFT step (1.47 -> 1.28 s; BENCHMARKS.md).
    No mmap for large blocks, no trimming: the heap keeps its peak size and reuses it. Numerics are
    unchanged (only where tensors live). Returns False where the C library is not glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_top_pad, m_mmap_max = -1, -2, -4   # <malloc.h>
    return bool(mallopt(m_mmap_max, 0) and mallopt(m_trim_threshold, 2**31 - 1) and mallopt(m_top_pad, 64 << 20))


if os.environ.get("POLYREPLY_SYSTEM_MALLOC") != "1":   # "1": leave the allocator alone (to compare)
    keep_freed_memory()


@atexit.register
def _report_peak_memory() -> None:
    # One line per stage process in the `dvc repro` log; BENCHMARKS.md's peak-memory table parses it.
    if os.path.basename(sys.argv[0]).endswith(".py") and "stages" in sys.argv[0]:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"[polyreply] {' '.join(sys.argv)}: peak RSS {peak_mb:.0f} MB", file=sys.stderr)
