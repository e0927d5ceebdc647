"""polyreply: diversity-aware SFT (polychromic objective) + GRPO for tweet replies.

Shared logic for the DVC stages in ``stages/``. Stages stay thin: read params,
call into this package, write their declared outputs.
"""
import os

# Nothing in this project may reach a model hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__version__ = "0.1.0"
