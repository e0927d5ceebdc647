"""Data parallelism for the training stages: one process per device under torchrun or accelerate launch.

    tools/launch 2 stages/train_sft.py --variant baseline --phase sft --seed 42   # what dvc.yaml runs
    torchrun --nproc_per_node 4 stages/grpo.py --variant baseline --seed 42       # or by hand

Both launchers set RANK / WORLD_SIZE / LOCAL_RANK; without them (a plain `python`) every method
here is a no-op and the one-process code path is unchanged, byte for byte.

- The global batch stays the one in params: every rank draws the same global batch (same seed)
  and takes its contiguous shard of it (rows for SFT, whole prompt groups for GRPO and the
  polychromic term, so group and set advantages never straddle ranks).
- Losses are divided by the *global* token count (``token_total``) and the gradients of the
  trainable (LoRA) parameters are summed across ranks after backward, so the update equals the
  one-process update of the same global batch. This is what DDP does; it is done by hand so that
  sampling (``generate``-style decoding) and the frozen reference run on the unwrapped model.
- Rollouts are drawn from per-prompt random streams (``prompt_seeds``), so a prompt gets the same
  replies whichever rank samples it. LoRA dropout masks still depend on the process count.
- Only rank 0 writes models, metrics, dvclive logs and progress lines.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import torch
import torch.distributed as torch_dist


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    device: str = "cpu"   # where collectives' tensors live: NCCL reduces CUDA tensors only

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard(self, items: list, what: str = "batch") -> list:
        """This rank's contiguous share of a global batch (which must split evenly: equal work per rank)."""
        if self.world == 1:
            return items
        if len(items) % self.world:
            raise ValueError(f"distributed: a {what} of {len(items)} does not split evenly over {self.world} "
                             "processes; make it a multiple of the process count")
        per = len(items) // self.world
        return items[self.rank * per:(self.rank + 1) * per]

    def shard_prompts(self, tok, prompts: list[str], prompt_cfg, device, what: str) -> tuple[list[str], dict]:
        """This rank's prompts, encoded at the width of the *global* batch: every row keeps the padding it
        has in a one-process run, so its logits (and sampled replies) do not depend on the process count."""
        from .prompts import encode_prompts
        enc = encode_prompts(tok, prompts, prompt_cfg, device)
        if self.world == 1:
            return prompts, enc
        rows = self.shard(list(range(len(prompts))), what)
        return [prompts[i] for i in rows], {k: v[rows[0]:rows[-1] + 1] for k, v in enc.items()}

    def token_total(self, mask: torch.Tensor) -> torch.Tensor | None:
        """Completion tokens in the global batch (None with one process: the loss uses its own count)."""
        if self.world == 1:
            return None
        total = mask.sum().to(torch.float64).reshape(1)
        torch_dist.all_reduce(total)
        return total.to(torch.float32).clamp(min=1.0).squeeze(0)

    def sum_gradients(self, params) -> None:
        """Sum the gradients of ``params`` over ranks (one flat all-reduce)."""
        if self.world == 1:
            return
        params = [p for p in params if p.grad is not None]
        flat = torch.cat([p.grad.reshape(-1) for p in params])
        torch_dist.all_reduce(flat)
        offset = 0
        for p in params:
            n = p.grad.numel()
            p.grad.copy_(flat[offset:offset + n].view_as(p.grad))
            offset += n

    def mean(self, value: float | None) -> float | None:
        """Mean over ranks of a per-rank statistic (exact for means over equal shards)."""
        if self.world == 1 or value is None:
            return value
        t = torch.tensor([float(value)], dtype=torch.float64, device=self.device)
        torch_dist.all_reduce(t)
        return float(t.item() / self.world)

    def sum(self, value: float) -> float:
        if self.world == 1:
            return value
        t = torch.tensor([float(value)], dtype=torch.float64, device=self.device)
        torch_dist.all_reduce(t)
        return float(t.item())

    def finish(self) -> None:
        if self.world > 1 and torch_dist.is_initialized():
            torch_dist.barrier()
            torch_dist.destroy_process_group()


SINGLE = Dist()


def init_distributed() -> Dist:
    """Join the process group a launcher set up (gloo on CPU, NCCL on CUDA); one process: SINGLE."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return SINGLE
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", os.environ["RANK"]))
    backend, device = "gloo", "cpu"
    if torch.cuda.is_available():
        torch.cuda.set_device(local)   # "cuda" below means this rank's device
        backend, device = "nccl", f"cuda:{local}"
    if not torch_dist.is_initialized():
        # rank 0 alone evaluates during SFT while the others wait in the next all-reduce: a generous timeout
        torch_dist.init_process_group(backend, timeout=timedelta(hours=2))
    return Dist(rank=rank, world=world, local_rank=local, device=device)


def prompt_seeds(seed: int, step: int, count: int) -> list[int]:
    """One sampling seed per prompt of a global batch, from (run seed, step, position in the batch)."""
    return [int(np.random.SeedSequence([seed, step, i]).generate_state(1)[0]) for i in range(count)]
