"""The reply study: data, curation and split, the demo world, rewards and the reward model, probes, generation,
scoring, judges, analysis and the report. Its DVC stages are ``stages/`` (``dvc.yaml``)."""
