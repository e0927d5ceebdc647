"""Progress lines: step/total, the stage's main figures, rate and time left, at the promised cadence."""
import io

import pytest

from polyreply.progress import Progress, format_duration


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_line_shows_step_total_figures_rate_and_time_left():
    clock, out = FakeClock(), io.StringIO()
    p = Progress("sft_baseline seed42", 40, every=10, stream=out, clock=clock)
    for step in range(1, 11):
        clock.now = 2.5 * step
        p.update(loss=3.21456, val_loss=3.0)
    lines = out.getvalue().splitlines()
    assert lines == ["[sft_baseline seed42] step 10/40 (25%) loss 3.215 val_loss 3.000 | 2.50 s/step, "
                     "0:25 elapsed, ~1:15 left"]


def test_prints_every_n_at_the_end_and_after_a_quiet_spell():
    clock, out = FakeClock(), io.StringIO()
    p = Progress("grpo", 7, every=3, max_quiet_seconds=30, stream=out, clock=clock)
    printed = []
    for step in range(1, 8):
        clock.now += 40.0 if step == 5 else 1.0  # step 5 is slow: a line is due even though 5 % 3 != 0
        printed.append(p.update(reward=0.1) is not None)
    assert printed == [False, False, True, False, True, True, True]
    assert out.getvalue().splitlines()[-1].startswith("[grpo] step 7/7 (100%) reward 0.100")


def test_units_and_bad_total():
    out = io.StringIO()
    Progress("generate base seed42", 80, unit="prompt", every=8, stream=out).update(8, tokens=1200)
    assert "prompt 8/80 (10%) tokens 1200" in out.getvalue() and "s/prompt" in out.getvalue()
    with pytest.raises(ValueError):
        Progress("x", 0)
    assert format_duration(3725) == "1:02:05" and format_duration(59.6) == "1:00"
