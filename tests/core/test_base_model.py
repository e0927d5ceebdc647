import json

import pytest
import torch

from polyreply.core.config import BaseModelConfig, PromptConfig
from polyreply.io import atomic_dir
from transformers import AutoModelForCausalLM

from polyreply.core.modeling import build_base_model, load_base, load_tokenizer, native_bf16, save_base_model
from polyreply.core.prompts import encode_prompts
from polyreply.core.policy_gradient import sample_completions


def test_packaged_smollm2_loads_offline_saves_and_generates(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = BaseModelConfig()
    model, tok = build_base_model(cfg)
    with atomic_dir(tmp_path / "base") as out:
        save_base_model(model, tok, out, cfg)
    saved = json.loads((tmp_path / "base" / "config.json").read_text())
    assert "quantization_config" not in saved
    assert any(p.name.endswith(".safetensors") for p in (tmp_path / "base").iterdir())
    tok2 = load_tokenizer(tmp_path / "base")
    assert tok2.model_max_length == 512
    model2 = load_base(tmp_path / "base").eval()
    prompt_cfg = PromptConfig(system="You write short, specific, friendly replies to tweets.")
    enc = encode_prompts(tok2, ["Reply to this tweet:\nJust planted my first tomatoes of the season!"], prompt_cfg)
    roll = sample_completions(model2, tok2, enc, n=1, max_new_tokens=12, greedy=True)
    assert roll.texts[0].strip(), "the base model should produce a reply"
    # models/base stores fp32 (dtype auto); it loads in bf16 where the CPU computes bf16 natively
    assert next(model.parameters()).dtype == torch.float32
    assert model2.dtype == (torch.bfloat16 if native_bf16() else torch.float32)
    fp32 = AutoModelForCausalLM.from_pretrained(tmp_path / "base", dtype=torch.float32)
    with torch.no_grad():
        a = model(**{k: v for k, v in enc.items()}).logits
        b = fp32(**{k: v for k, v in enc.items()}).logits
        c = model2(**{k: v for k, v in enc.items()}).logits.float()
    assert torch.allclose(a, b, atol=1e-4), "saved safetensors must reproduce the GGUF-loaded model"
    # bf16 compute stays close to fp32: same next-token choice at (almost) every position
    assert (a.argmax(-1) == c.argmax(-1)).float().mean() > 0.9


def test_atomic_dir_leaves_no_partial_output(tmp_path):
    final = tmp_path / "adapter"
    try:
        with atomic_dir(final) as out:
            (out / "weights.bin").write_text("half")
            raise KeyboardInterrupt  # a kill mid-save
    except KeyboardInterrupt:
        pass
    assert not final.exists() and not (tmp_path / "adapter.partial").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="on a GPU this path loads NF4 weights instead")
def test_4bit_request_on_cpu_fails_with_a_message_naming_the_param(tmp_path):
    """The QLoRA path (base_model.load_in_4bit) is for CUDA; on CPU it must fail clearly, not silently load fp32."""
    cfg = BaseModelConfig(source="tiny", load_in_4bit=True)
    model, tok = build_base_model(cfg)
    with atomic_dir(tmp_path / "base") as out:
        save_base_model(model, tok, out, cfg)
    assert json.loads((tmp_path / "base" / "polyreply_base.json").read_text())["load_in_4bit"] is True
    with pytest.raises(RuntimeError, match=r"base_model\.load_in_4bit=true needs a CUDA GPU"):
        load_base(tmp_path / "base", for_training=True)
