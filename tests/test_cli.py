from lthsiren.cli import main

QUICK = ["--preset", "tiny", "--side", "16", "--width", "16", "--steps", "10", "--rounds", "3"]


def test_run_prints_the_table_and_figure(tmp_path, capsys):
    assert main(["run", *QUICK, "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "remaining %" in out and "winner-loser" in out
    lines = [line for line in out.splitlines() if line.strip().startswith(("100.0", "80.0"))]
    assert len(lines) == 2
    fig = next(line.split("figure: ")[1] for line in out.splitlines() if "figure:" in line)
    assert fig.endswith("summary.png")
    run_dir = next(tmp_path.iterdir())
    assert (run_dir / "summary.png").stat().st_size > 10_000
    assert main(["show", str(run_dir)]) == 0
    assert "winner-loser" in capsys.readouterr().out


def test_strategy_subset(tmp_path, capsys):
    assert main(["run", *QUICK, "--strategies", "smallest", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "winner" in out and "loser" not in out


def test_show_on_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["show", str(tmp_path)]) == 2
    assert "not an lthsiren run" in capsys.readouterr().err
