"""sim.experiments.progress: a bar redrawn in place on a terminal, quiet lines otherwise; and on the command line."""

from __future__ import annotations

import io
import subprocess
import sys

from sim.experiments.progress import Progress, format_duration

from .conftest import REPO


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_format_duration():
    assert format_duration(3.4) == "3 s"
    assert format_duration(125) == "2 min 05 s"
    assert format_duration(3720) == "1 h 02 min"
    assert format_duration(float("nan")) == "?"


def test_tty_redraws_one_line_in_place_with_count_percent_elapsed_and_eta():
    clock, stream = FakeClock(), FakeTTY()
    progress = Progress("replications", stream=stream, clock=clock, width=10)
    assert progress.tty
    clock.now += 2.0
    progress(1, 4)
    clock.now += 2.0
    progress(2, 4)
    clock.now += 0.01  # too soon to redraw
    progress(3, 4)
    clock.now += 4.0
    progress(4, 4)
    text = stream.getvalue()
    frames = text.split("\r")[1:]
    assert len(frames) == 3, text
    assert frames[0].startswith("replications [##--------] 1/4  25% | 2 s elapsed | ETA 6 s")
    assert frames[1].startswith("replications [#####-----] 2/4  50% | 4 s elapsed | ETA 4 s")
    assert frames[2].startswith("replications [##########] 4/4 100% | 8 s elapsed")
    assert "ETA" not in frames[2]
    assert text.endswith("\n") and text.count("\n") == 1, "one line, ended once when done"
    progress.close()
    assert stream.getvalue() == text, "close after the end writes nothing more"


def test_tty_close_ends_an_unfinished_bar():
    stream = FakeTTY()
    with Progress("replications", stream=stream, clock=FakeClock()) as progress:
        progress(1, 10)
    assert stream.getvalue().endswith("\n") and stream.getvalue().count("\n") == 1


def test_no_tty_prints_quiet_lines_at_most_every_interval_and_at_the_end():
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress("replications", stream=stream, clock=clock, interval_s=10.0)
    assert not progress.tty
    for done in range(1, 11):
        clock.now += 1.25  # 1.25 s per replication: 12.5 s in all
        progress(done, 10)
    lines = stream.getvalue().splitlines()
    assert lines == ["replications 8/10 (80%), 10 s, ETA 3 s", "replications 10/10 (100%), 13 s"]
    assert "\r" not in stream.getvalue()


def test_no_tty_short_run_prints_only_the_final_line():
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress("replications", 3, stream=stream, clock=clock)
    for done in (1, 2, 3):
        clock.now += 0.2
        progress(done)
    assert stream.getvalue() == "replications 3/3 (100%), 1 s\n"


def test_disabled_writes_nothing():
    stream = FakeTTY()
    progress = Progress(stream=stream, enabled=False)
    progress(1, 2)
    progress(2, 2)
    progress.close()
    assert stream.getvalue() == ""


def test_cli_run_not_on_a_tty_ends_with_a_progress_line_and_no_traceback(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "sim", "+experiment=more_generalists", "run.replications=3",
                           "run.horizon_hours=2", "run.figures=false", f"hydra.run.dir={out}"],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("replications 3/3 (100%), "), proc.stderr
    assert "\r" not in proc.stderr
    assert (out / "summary.csv").is_file()
