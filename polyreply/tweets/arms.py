"""The models the study trains and compares, and its judges: the one place their names are spelled
(dvc.yaml aside).

ARMS are the four arms of Q1-Q4; CONTROLS their warm-starts (GRPO's own effect = grpo_X - warmstart_X);
EXPLORATORY the fifth arm, trained on params ``exploratory_seeds`` only; POSITIVE_CONTROLS GRPO trained
on the demo world's ground truth (the judge itself: "reward achieved", a check of the pipeline, not a method).
"""
ARMS = ("sft_baseline", "sft_polychromic", "grpo_baseline", "grpo_polychromic")
CONTROLS = ("warmstart_baseline", "warmstart_polychromic")
EXPLORATORY = ("grpo_setrl",)
POSITIVE_CONTROLS = ("grpo_gold",)   # GRPO on the ground truth (demo only): can the analysis see a real gain?
MODELS = ("base", *CONTROLS, *ARMS, *EXPLORATORY, *POSITIVE_CONTROLS)
TRAINING_RUNS = (*ARMS[:2], *CONTROLS, *ARMS[2:], *EXPLORATORY, *POSITIVE_CONTROLS)   # models with a training log
GRPO_RUNS = (*ARMS[2:], *EXPLORATORY, *POSITIVE_CONTROLS)

# oracle: the demo world's true engagement (tweets/oracle.py), independent of training.
# reference_similarity: chrF to the human replies, leave-one-out for humans and models alike (a
# character n-gram score, so it shares no encoder with the learned reward).
# learned_reward and heuristic_reward are GRPO's training reward: reported as "reward achieved", not evidence.
# llm_judge: the pairwise LLM judge against eval.judge.baseline (stage `judge`), +1 win / 0 tie / -1 loss per
# sample; only in a run whose eval.judge.backend is not none.
JUDGES = ("oracle", "learned_reward", "heuristic_reward", "reference_similarity", "llm_judge")
TRAINING_REWARD_JUDGES = ("learned_reward", "heuristic_reward")


def seeds_of(model: str, params) -> list[int]:
    """The training seeds a model exists for (the exploratory arm: ``exploratory_seeds``; the positive control:
    ``positive_control_seeds``, empty on real data)."""
    if model in EXPLORATORY:
        return list(params.exploratory_seeds)
    if model in POSITIVE_CONTROLS:
        return list(params.positive_control_seeds)
    return list(params.seeds)
