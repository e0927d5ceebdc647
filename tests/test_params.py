"""The shared strict params loader: bounds declared next to a field are checked generically and described."""
from dataclasses import dataclass

import pytest

from polyreply.params import ParamsError, bound_text, build, describe, param
from polyreply.tweets.config import BLOCKS as TWEET_BLOCKS
from polyreply.wordle.config import BLOCKS as WORDLE_BLOCKS


@dataclass(frozen=True)
class Block:
    steps: int = param(4, "optimizer steps", gt=0)
    share: float = param(0.5, "a share", ge=0, lt=1)
    name: str = param("x", "free text")


def test_declared_bounds_are_checked_with_the_dotted_key():
    assert build(Block, {"steps": 1, "share": 0.0}, "blk") == Block(1, 0.0, "x")
    with pytest.raises(ParamsError, match=r"^blk\.steps: must be > 0, got 0$"):
        build(Block, {"steps": 0}, "blk")
    with pytest.raises(ParamsError, match=r"^blk\.share: must be in \[0, 1\), got 1\.0$"):
        build(Block, {"share": 1.0}, "blk")
    with pytest.raises(ParamsError, match=r"blk\.stepz: unknown key \(allowed under blk: name, share, steps\)"):
        build(Block, {"stepz": 3}, "blk")


def test_bound_text():
    assert bound_text({"gt": 0}) == "> 0"
    assert bound_text({"ge": 2}) == ">= 2"
    assert bound_text({"gt": 0, "le": 1}) == "in (0, 1]"
    assert bound_text({"help": "x"}) is None


def test_describe_lists_every_key_with_default_bound_and_help():
    assert describe(Block, "blk") == ["blk.steps (4; > 0): optimizer steps", "blk.share (0.5; in [0, 1)): a share",
                                      "blk.name ('x'): free text"]
    lines = [line for name, cls in TWEET_BLOCKS.items() for line in describe(cls, name)]
    assert "grpo.kl_coeff (0.05; >= 0): beta of the k3 KL to the reference" in lines
    assert "grpo.adaptive_kl.horizon (10; > 0): controller horizon in steps" in lines   # nested blocks expanded


@pytest.mark.parametrize("blocks", [TWEET_BLOCKS, WORDLE_BLOCKS], ids=["tweets", "wordle"])
def test_every_field_has_help(blocks):
    undocumented = [line for name, cls in blocks.items() for line in describe(cls, name) if line.endswith(": ")]
    assert not undocumented, undocumented
