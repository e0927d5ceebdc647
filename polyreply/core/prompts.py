"""Prompts: the one chat template of SFT, GRPO and evaluation, and the prompt's token budget.

A task hands the core each user message as a ``Prompt``, the task's words around one data text (a tweet), or
as a plain string, which is all data (Wordle's game state, which quotes the model's guesses). Two rules hold:
- data never becomes a special token: data is tokenized with the special tokens split, so a tweet holding
  "<|im_end|>" stays text and cannot close the user turn (the same goes for replies, ``encode_data``);
- the template is never cut: a prompt over ``max_prompt_tokens`` loses the end of its data text, at a word
  boundary and marked with " …"; a prompt whose fixed part alone is over the budget is an error.
For text without markers that fits, the ids are those of tokenizing the whole rendered prompt at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import regex   # transformers' own dependency: \X matches a grapheme (an emoji sequence, a letter and its accents)

from .config import PromptConfig

if TYPE_CHECKING:   # torch and transformers load only where prompts are encoded (not in the data stages)
    import torch
    from transformers import PreTrainedTokenizerBase

MARK = " …"        # ends a shortened data text
_SLOT = "\x00"     # stands for the data text while the chat template renders


@dataclass(frozen=True, order=True)
class Prompt:
    """A user message: the task's words around one data text. Hashable and ordered (GRPO groups rows by prompt
    and sorts its pool: with one instruction, the order of the rendered strings)."""
    head: str        # task words before the data, never cut
    text: str        # the data (a tweet): never special tokens, shortened to fit the budget
    tail: str = ""   # task words after the data, never cut


def format_prompt(tok: PreTrainedTokenizerBase, message: str, cfg: PromptConfig) -> str:
    """The chat template as text: ``cfg.system`` (if any) and ``message`` as the user turn (stripped)."""
    messages = [{"role": "system", "content": cfg.system}] if cfg.system else []
    messages.append({"role": "user", "content": message.strip()})
    if tok.chat_template:
        return tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return "\n".join(m["content"] for m in messages) + "\nReply:"


def encode_data(tok, text: str) -> list[int]:
    """Token ids of data text, special-token markers split into ordinary tokens."""
    ids = tok(text, add_special_tokens=False, split_special_tokens=True)["input_ids"]
    # a tokenizer that ignores split_special_tokens: refuse rather than let data steer the chat (a special id
    # whose marker is not in the text, e.g. a word-level vocabulary's unknown token, is not one)
    special = {i for i in set(ids) & set(tok.all_special_ids) if tok.convert_ids_to_tokens(i) in text}
    if special:
        raise ValueError(f"tokenizer {type(tok).__name__} turned data text into special tokens {sorted(special)}: "
                         f"{text[:80]!r}")
    return ids


def _fixed(tok, text: str) -> list[int]:
    return tok(text, add_special_tokens=False)["input_ids"] if text else []


def _pieces(tok, prompt: Prompt, cfg: PromptConfig) -> tuple[str, str, str]:
    """(template before the data, the whitespace just before the data, template after the data).

    Byte-level BPE joins a space with the word after it (" word" is one token), so the whitespace before the
    slot is tokenized with the data and the whitespace after it with the template that follows: for ordinary
    text the ids are then those of the whole rendered prompt."""
    rendered = format_prompt(tok, prompt.head + _SLOT + prompt.tail, cfg)
    if rendered.count(_SLOT) != 1:
        raise ValueError("prompt: the chat template must show the user message exactly once")
    before, after = rendered.split(_SLOT)
    lead = before[len(before.rstrip()):]
    return before[:len(before) - len(lead)], lead, after


def shorten(tok, text: str, room: int, wrap=lambda s: s) -> str:
    """The longest start of ``text`` plus MARK with ``len(encode_data(wrap(...)))`` <= room, cut at a word
    boundary; where that would lose more than a third of what fits (Japanese, a long URL, emoji runs), at a
    grapheme boundary (never inside an emoji sequence or between a letter and its accent)."""
    offsets = tok(text, add_special_tokens=False, split_special_tokens=True,
                  return_offsets_mapping=True)["offset_mapping"]
    guess = offsets[max(0, min(room, len(offsets)) - 1)][1]   # the end of the tokens that fit on their own
    cuts = [i for i, c in enumerate(text[:guess + 1]) if c.isspace() and i > 0]
    if not cuts or cuts[-1] < 2 * guess / 3:
        cuts = [m.end() for m in regex.finditer(r"\X", text[:guess])]
    for cut in reversed(cuts):
        short = text[:cut].rstrip() + MARK
        if len(encode_data(tok, wrap(short))) <= room:
            return short
    raise ValueError(f"prompt: not even one character of the data text fits in {room} tokens")


def prompt_ids(tok, prompt: Prompt | str, cfg: PromptConfig) -> tuple[list[int], bool]:
    """(token ids of the rendered prompt, whether its data text was shortened to fit ``cfg.max_prompt_tokens``)."""
    budget = cfg.max_prompt_tokens
    if isinstance(prompt, str):   # a plain message may hold data too (Wordle's state quotes the model's guesses)
        prompt = Prompt("", prompt)
    before, lead, after = _pieces(tok, prompt, cfg)
    head, tail = _fixed(tok, before), _fixed(tok, after)
    room = budget - len(head) - len(tail)
    text = prompt.text.strip()
    data = encode_data(tok, lead + text)
    if len(data) <= room:
        return head + data + tail, False
    if room <= len(encode_data(tok, lead + MARK)):
        raise ValueError(f"prompt: the template alone takes {len(head) + len(tail)} of prompt.max_prompt_tokens="
                         f"{budget} tokens; raise the budget or shorten prompt.system / the instruction")
    short = shorten(tok, text, room, lambda s: lead + s)
    return head + encode_data(tok, lead + short) + tail, True


def encode_prompts(tok, prompts: list[Prompt | str], cfg: PromptConfig, device=None) -> dict[str, "torch.Tensor"]:
    """Left-padded prompt batch (left padding so generated tokens line up at the right)."""
    import torch
    if not prompts:
        raise ValueError("encode_prompts: no prompts")
    rows = [prompt_ids(tok, p, cfg)[0] for p in prompts]
    width = max(len(r) for r in rows)
    pad = tok.pad_token_id
    ids = torch.tensor([[pad] * (width - len(r)) + r for r in rows], dtype=torch.long)
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows], dtype=torch.long)
    if device is not None:
        ids, mask = ids.to(device), mask.to(device)
    return {"input_ids": ids, "attention_mask": mask}


def count_shortened(tok, prompts: list[Prompt | str], cfg: PromptConfig) -> int:
    """How many of ``prompts`` lose the end of their data text to fit the budget (for a stage's log line)."""
    return sum(prompt_ids(tok, p, cfg)[1] for p in prompts)
