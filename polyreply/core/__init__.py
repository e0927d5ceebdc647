"""The task-agnostic core: rows with a prompt column and a reward function in, LoRA adapters out.

Model loading and dtypes, the chat-template prompt, the one KV-cached decode loop, fp32 log-probs, group and
set advantages, the clipped policy-gradient + k3 KL loss, the SFT and GRPO loops, data parallelism. It imports
no study (tests/core/test_layout.py checks).
"""
