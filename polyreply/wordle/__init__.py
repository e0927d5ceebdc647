"""The Wordle study: game engine, word lists, rewards, players, play, analysis and report. Its DVC stages are
``wordle/stages/`` (``wordle/dvc.yaml``)."""
