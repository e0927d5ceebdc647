"""The models the study trains and compares, and its judges: the one place their names are spelled
(dvc.yaml aside).

ARMS are the four arms of Q1-Q4; CONTROLS their warm-starts (GRPO's own effect = grpo_X - warmstart_X);
EXPLORATORY the fifth arm, trained on params ``exploratory_seeds`` only.
"""
ARMS = ("sft_baseline", "sft_polychromic", "grpo_baseline", "grpo_polychromic")
CONTROLS = ("warmstart_baseline", "warmstart_polychromic")
EXPLORATORY = ("grpo_setrl",)
MODELS = ("base", *CONTROLS, *ARMS, *EXPLORATORY)
TRAINING_RUNS = (*ARMS[:2], *CONTROLS, *ARMS[2:], *EXPLORATORY)   # models with a training log
GRPO_RUNS = (*ARMS[2:], *EXPLORATORY)

# oracle: the demo world's true engagement (tweets/oracle.py), independent of training.
# reference_similarity: chrF to the human replies, leave-one-out for humans and models alike (a
# character n-gram score, so it shares no encoder with the learned reward).
# learned_reward and heuristic_reward are GRPO's training reward: reported as "reward achieved", not evidence.
# llm_judge: the pairwise LLM judge against eval.judge.baseline (stage `judge`), +1 win / 0 tie / -1 loss per
# sample; only in a run whose eval.judge.backend is not none.
JUDGES = ("oracle", "learned_reward", "heuristic_reward", "reference_similarity", "llm_judge")
TRAINING_REWARD_JUDGES = ("learned_reward", "heuristic_reward")


def seeds_of(model: str, params) -> list[int]:
    """The training seeds a model exists for (the exploratory arm: ``exploratory_seeds`` only)."""
    return list(params.exploratory_seeds) if model in EXPLORATORY else list(params.seeds)
