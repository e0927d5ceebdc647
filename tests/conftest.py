import json
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def write_lines(path: Path, lines) -> Path:
    """Write raw lines (str or dict) to a JSONL file."""
    with open(path, "w", encoding="utf-8") as fh:
        for line in lines:
            fh.write((json.dumps(line) if isinstance(line, dict) else line) + "\n")
    return path


def good_row(i: int, tweet_id: str | None = None, **overrides) -> dict:
    row = {"tweet_id": tweet_id if tweet_id is not None else f"t{i // 3}", "tweet": f"Tweet number {i // 3} about gardening",
           "reply_id": f"r{i}", "reply": f"Reply {i} with some words", "reply_likes": i % 7,
           "tweet_likes": 10, "reply_author_followers": 100}
    row.update(overrides)
    return row


@pytest.fixture(scope="session")
def tiny_lm():
    """A random 2-layer Llama with the real SmolLM2 tokenizer (built in code, no download)."""
    from polyreply.config import BaseModelConfig
    from polyreply.modeling import build_base_model
    model, tok = build_base_model(BaseModelConfig(source="tiny", tiny_hidden_size=32, tiny_layers=2))
    return model, tok


@pytest.fixture()
def toy_vocab_lm():
    """A 1-layer Llama over a 10-word vocabulary, so RL effects show within a few dozen steps."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["<pad>", "<eos>", "tweet", "a", "b", "c", "d", "e", "f", "g"])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<pad>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="<eos>")
    tok.model_max_length = 64
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                      pad_token_id=0, eos_token_id=1, bos_token_id=0)
    model = LlamaForCausalLM(cfg)
    return model, tok
