import subprocess
import sys

import pytest
import torch

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


@pytest.mark.parametrize(
    "args,message",
    [
        (["--image", "/no/such/file.png"], "image not found: /no/such/file.png"),
        (["--image", "http://127.0.0.1:9/x.png"], "could not download"),
        (["--side", "0"], "--side must be at least 8"),
        (["--side", "-5"], "--side must be at least 8"),
        (["--fraction", "1.5"], "--fraction must be in (0, 1)"),
        (["--fraction", "0"], "--fraction must be in (0, 1)"),
        (["--steps", "0"], "--steps must be at least 1"),
        (["--rounds", "-1"], "--rounds must be at least 1"),
        (["--strategies", "biggest"], "unknown strategy 'biggest'"),
        (["--preset", "huge"], "unknown preset 'huge'"),
        (["--steps", "ten"], "invalid int value: 'ten'"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(tmp_path, capsys, args, message):
    argv = ["run", "--preset", "tiny", *args, "--out", str(tmp_path / "runs")]
    if "ten" in args:  # argparse's own type check exits with 2 itself
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    else:
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "runs").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_device_cuda_without_cuda(tmp_path, capsys):
    assert main(["run", "--preset", "tiny", "--device", "cuda", "--out", str(tmp_path)]) == 2
    assert "use --device cpu" in capsys.readouterr().err


def test_show_on_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["show", str(tmp_path)]) == 2
    assert "not an lthsiren run" in capsys.readouterr().err


def test_real_process_exit_code_and_no_traceback(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lthsiren.cli",
            "run",
            "--preset",
            "tiny",
            "--image",
            str(tmp_path / "missing.jpg"),
            "--out",
            str(tmp_path / "runs"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("lthsiren: error: image not found")
    assert len(proc.stderr.strip().splitlines()) == 1
