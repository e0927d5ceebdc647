import json
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
# Shared helpers import by bare name (`from toy_models import ...`, `from fake_judge import ...`, `from ddp_worker
# import ...`), here and in spawned worker processes (which inherit sys.path). Appended, so nothing installed is
# shadowed; the test folders themselves are packages (tests.core.test_distributed, ...), so equal basenames do not clash.
for helpers in (TESTS, TESTS / "core", TESTS / "tweets"):
    if str(helpers) not in sys.path:
        sys.path.append(str(helpers))


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
    from polyreply.core.config import BaseModelConfig
    from polyreply.core.modeling import build_base_model
    model, tok = build_base_model(BaseModelConfig(source="tiny", tiny_hidden_size=32, tiny_layers=2))
    return model, tok


@pytest.fixture()
def toy_vocab_lm():
    """A 1-layer Llama over a 10-word vocabulary, so RL effects show within a few dozen steps."""
    from toy_models import build_toy_vocab_lm
    return build_toy_vocab_lm()


@pytest.fixture()
def judge_server():
    """start(rule, fail_first=0) -> (FakeJudge, base_url): a local OpenAI-style judge server (tests/fake_judge.py)."""
    from fake_judge import FakeJudge, serve
    servers = []

    def start(rule, fail_first=0):
        judge = FakeJudge(rule, fail_first)
        server, url = serve(judge)
        servers.append(server)
        return judge, url
    yield start
    for s in servers:
        s.shutdown()
