"""The stage log stays readable: known-harmless messages are gone, real warnings stay visible."""
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

EMIT = """
import logging, warnings
import polyreply
logging.basicConfig(level=logging.WARNING)
log = logging.getLogger("bitsandbytes.backends.cpu.ops")
log.warning("Failed to load CPU gemm_4bit_forward from kernels-community: %s. Please pip install kernels", "x")
log.warning("a real bitsandbytes warning")
warnings.warn("`is_gradient_checkpointing` is deprecated and will be removed in v6.", FutureWarning)
warnings.warn("a real deprecation", FutureWarning)
# the real sources: importing peft + wrapping a model in LoRA, as every training stage does
from polyreply.core.config import BaseModelConfig, LoraConfigParams
from polyreply.core.modeling import add_lora, build_base_model
model, tok = build_base_model(BaseModelConfig(source="tiny"))
add_lora(model, LoraConfigParams(r=2))
"""


def test_known_harmless_messages_are_filtered_narrowly():
    res = subprocess.run([sys.executable, "-c", EMIT], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "gemm_4bit_forward" not in res.stderr
    assert "is_gradient_checkpointing" not in res.stderr
    assert "Loading weights" not in res.stderr  # tqdm bars: stages print their own progress lines
    assert "a real bitsandbytes warning" in res.stderr
    assert "a real deprecation" in res.stderr


def test_training_step_raises_no_requires_grad_scalar_warning(tiny_lm):
    import copy

    from polyreply.core.config import LoraConfigParams, PolychromicConfig, PromptConfig, SftConfig
    from polyreply.core.modeling import add_lora
    from polyreply.core.sft import train_sft

    base, tok = tiny_lm
    model = add_lora(copy.deepcopy(base), LoraConfigParams(r=2))
    rows = [{"prompt": f"tweet {i} about tomatoes", "completion": f"reply {i}"} for i in range(8)]
    cfg = SftConfig(batch_size=4, max_steps=2, eval_every=2, eval_examples=4, max_reply_tokens=8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train_sft(model, tok, rows, rows, cfg, 2, PromptConfig(), PolychromicConfig(max_new_tokens=4), seed=0,
                  reward_fn=lambda prompts, completions, **_: np.array([len(x) / 10 for x in completions]))
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if "requires_grad=True to a scalar" in m], messages
