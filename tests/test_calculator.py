"""`python -m sim.calculator`: the Erlang calculators on the command line (Erlang C/A, and --model erlang-x, chat, blend)."""

from __future__ import annotations

import pytest

from sim.calculator import main
from sim.erlang import blend_metrics, chat_metrics, erlang_x_metrics


def test_calculator_prints_the_classic_erlang_c_example_and_the_fewest_agents(capsys):
    assert main(["--rate", "200", "--aht", "180", "--threshold", "20", "--target", "0.8"]) == 0
    out = capsys.readouterr().out
    row14 = next(line for line in out.splitlines() if line.split()[:1] == ["14"])
    assert row14.split()[1:4] == ["0.1741", "88.84%", "7.84"]
    assert out.strip().endswith("fewest agents for 80% answered within 20 s: 14")


def test_calculator_uses_erlang_a_with_patience_and_reports_abandonment(capsys):
    assert main(["--rate", "200", "--aht", "180", "--patience", "120", "--agents", "12", "12"]) == 0
    out = capsys.readouterr().out
    assert "Erlang A" in out
    row = next(line for line in out.splitlines() if line.split()[:1] == ["12"])
    assert row.split()[4] != "0.00%"


def test_calculator_marks_unstable_erlang_c_rows(capsys):
    assert main(["--rate", "200", "--aht", "180", "--agents", "9", "11"]) == 0
    assert "unstable" in capsys.readouterr().out


def test_calculator_bad_rate_is_one_line_error(capsys):
    assert main(["--rate", "-5", "--aht", "180"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("sim.calculator: error: argument --rate:") and "\n" not in err


# ------------------------------------------------------------------ Erlang X, chat, blend (--model)


def _row(out: str, first: str) -> list[str]:
    return next(line.split() for line in out.splitlines() if line.split()[:1] == [first])


def test_erlang_x_prints_attempts_blocking_and_lost_customers(capsys):
    assert main(["--model", "erlang-x", "--rate", "200", "--aht", "180", "--patience", "120", "--lines", "16",
                 "--redial", "0.5", "--agents", "12", "12"]) == 0
    out = capsys.readouterr().out
    m = erlang_x_metrics(200, 180, 12, 20, mean_patience_s=120, lines=16, redial_probability=0.5)
    assert "Erlang X, 16 lines, mean patience 120 s, redial 0.5" in out
    assert _row(out, "12")[1:3] == [f"{m.attempts_per_hour:.1f}", f"{m.block_rate:.2%}"]
    assert "fewest agents for 80% of the calls that get a line answered within 20 s: 12" in out


def test_erlang_x_without_lines_redials_or_patience_reproduces_erlang_c(capsys):
    assert main(["--rate", "200", "--aht", "180"]) == 0
    plain = capsys.readouterr().out
    assert main(["--model", "erlang-x", "--rate", "200", "--aht", "180"]) == 0
    x = capsys.readouterr().out
    assert _row(x, "14")[3:6] == _row(plain, "14")[1:4]  # P(wait), SL, ASA
    assert plain.strip().splitlines()[-1].endswith(": 14") and x.strip().splitlines()[-1].endswith(": 14")


def test_chat_prints_the_inflated_handle_time_and_fewest_agents(capsys):
    assert main(["--model", "chat", "--rate", "120", "--aht", "600", "--concurrency", "3", "--patience", "300"]) == 0
    out = capsys.readouterr().out
    m = chat_metrics(120, 600, 12, 3, 20, mean_patience_s=300)
    assert "chat, 3 at once (handle time x 1, 1.3, 1.6, random spread)" in out
    assert _row(out, "12")[2] == f"{m.service_level:.2%}" and _row(out, "12")[-1] == f"{m.aht_s:.1f}"
    assert out.strip().endswith("fewest agents for 80% answered within 20 s: 12")


def test_chat_even_spread_is_the_optimistic_bound(capsys):
    argv = ["--model", "chat", "--rate", "120", "--aht", "600", "--concurrency", "3", "--agents", "12", "12"]
    assert main(argv) == 0
    random_aht = float(_row(capsys.readouterr().out, "12")[-1])
    assert main([*argv, "--spread", "even"]) == 0
    assert float(_row(capsys.readouterr().out, "12")[-1]) < random_aht


def test_chat_takes_its_own_inflation_factors(capsys):
    assert main(["--model", "chat", "--rate", "120", "--aht", "600", "--concurrency", "2", "--inflation", "1", "1",
                 "--agents", "12", "12"]) == 0
    out = capsys.readouterr().out
    assert _row(out, "12")[-1] == "600.0"  # no inflation: the handle time stays


def test_blend_prints_a_row_per_reserve_and_the_most_outbound_meeting_the_target(capsys):
    assert main(["--model", "blend", "--rate", "200", "--aht", "180", "--agents", "14", "14",
                 "--outbound-aht", "300"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines()[2:] if line.split()[:1] and line.split()[0].isdigit()]
    assert [int(r.split()[0]) for r in rows] == list(range(15))
    m = blend_metrics(200, 180, 14, 300, 6, 20)
    assert _row(out, "6")[1] == f"{m.service_level:.2%}"
    assert out.strip().endswith("most outbound with 80% answered within 20 s: reserve 6, 16.1 outbound calls/h")


def test_blend_with_one_reserve_prints_one_row(capsys):
    assert main(["--model", "blend", "--rate", "200", "--aht", "180", "--patience", "120", "--agents", "12", "12",
                 "--outbound-aht", "300", "--reserve", "2"]) == 0
    out = capsys.readouterr().out
    assert "reserve 2 misses 80% answered within 20 s with 12 agents" in out


@pytest.mark.parametrize("argv, message", [
    (["--lines", "16"], "argument --lines: only with --model erlang-x"),
    (["--model", "chat", "--redial", "0.5", "--concurrency", "2"], "argument --redial: only with --model erlang-x"),
    (["--model", "erlang-x", "--redial", "1"], "argument --redial: expected a probability below 1"),
    (["--model", "erlang-x", "--redial", "1.5"], "argument --redial:"),
    (["--model", "erlang-x", "--lines", "0"], "argument --lines:"),
    (["--model", "erlang-x", "--redial-delay", "-3"], "argument --redial-delay:"),
    (["--model", "chat"], "argument --concurrency: required with --model chat"),
    (["--model", "chat", "--concurrency", "3", "--inflation", "1", "1.2"], "argument --inflation: expected 3 factors"),
    (["--model", "chat", "--concurrency", "2", "--inflation", "1", "-1"], "argument --inflation:"),
    (["--concurrency", "2"], "argument --concurrency: only with --model chat"),
    (["--model", "chat", "--concurrency", "2", "--spread", "lumpy"], "argument --spread: expected a spread among"),
    (["--model", "blend"], "argument --outbound-aht: required with --model blend"),
    (["--model", "blend", "--outbound-aht", "300", "--agents", "12", "14"],
     "argument --agents: --model blend takes one"),
    (["--model", "blend", "--outbound-aht", "300", "--agents", "12", "12", "--reserve", "13"],
     "argument --reserve: expected at most the 12 agents"),
    (["--model", "blend", "--outbound-aht", "300", "--agents", "9", "9"], "argument --agents: unstable inbound queue"),
    (["--model", "blend", "--outbound-aht", "300", "--agents", "61", "61"], "argument --agents: 61 agents is above"),
    (["--reserve", "2"], "argument --reserve: only with --model blend"),
    (["--model", "erlang-y"], "argument --model:"),
])
def test_bad_options_of_the_new_models_are_one_line_naming_the_option_and_exit_2(capsys, argv, message):
    assert main(["--rate", "200", "--aht", "180", *argv]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("sim.calculator: error: " + message), err
    assert "\n" not in err and "Traceback" not in captured.err


@pytest.mark.parametrize("page", ["erlang-x-calculator.md", "chat-calculator.md", "blend-calculator.md"])
def test_the_worked_examples_of_the_how_to_pages_are_what_the_command_prints(capsys, page):
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "how-to" / page).read_text(encoding="utf-8")
    examples = re.findall(r"```bash\n(python -m sim.calculator[^\n]*)\n```\n\n```text\n(.*?)```", text, re.S)
    assert examples
    for command, shown in examples:
        assert main(command.split()[3:]) == 0
        printed = capsys.readouterr().out
        for line in shown.strip().splitlines():
            assert line in printed, f"{page}: {command}: {line!r} not printed"
