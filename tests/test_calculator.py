"""`python -m sim.calculator`: the Erlang calculator on the command line."""

from __future__ import annotations

from sim.calculator import main


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
