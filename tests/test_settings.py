"""Every setting that cannot work, in one table: rejected by ``make_config`` from Python and by
``lthsiren run`` (in process), each with one line that names the fix, exit status 2, and no run
folder left behind. One real subprocess per class of error checks the installed entry point
end to end (no traceback, status 2)."""

import subprocess
import sys

import pytest
import torch

import lthsiren as L
from lthsiren.cli import main
from lthsiren.errors import LthsirenError

SMALL = ["--side", "16", "--width", "8", "--steps", "5", "--rounds", "2"]

# (make_config overrides, the same as CLI arguments or None where the CLI has no flag, message)
BAD_SETTINGS = [
    (dict(preset="huge"), ["--preset", "huge"], "unknown preset 'huge'"),
    (dict(steps=0), ["--steps", "0"], "--steps must be at least 1"),
    (dict(rounds=-1), ["--rounds", "-1"], "--rounds must be at least 1"),
    (dict(side=0), ["--side", "0"], "--side must be at least 8"),
    (dict(side=-5), ["--side", "-5"], "--side must be at least 8"),
    (dict(width=0), ["--width", "0"], "--width must be a positive"),
    (dict(prune_fraction=1.5), ["--fraction", "1.5"], "--fraction must be in (0, 1)"),
    (dict(prune_fraction=0.0), ["--fraction", "0"], "--fraction must be in (0, 1)"),
    (dict(lr=-1.0), ["--lr", "-1"], "--lr must be in (0, 1)"),
    (
        dict(strategies=("smallest", "biggest")),
        ["--strategies", "smallest", "biggest"],
        "unknown strategy 'biggest'",
    ),
    (dict(strategies=()), None, "at least one strategy"),
    (
        dict(strategies=("smallest", "reinit", "reinit")),
        ["--strategies", "smallest", "reinit", "reinit"],
        "twice",
    ),
    (dict(strategies=("random", "reinit")), ["--strategies", "random", "reinit"], "smallest"),
    (dict(strategies=("reinit",)), ["--strategies", "reinit"], "smallest"),
    (dict(seeds=(0, 0)), ["--seeds", "0", "0"], "seed twice"),
    (dict(device="tpu"), ["--device", "tpu"], "unknown device"),
    (dict(rewind="later"), ["--rewind", "later"], "--rewind 'later' is not valid"),
    (dict(rewind="fine-tune"), ["--rewind", "fine-tune"], "use init, step:K"),
    (
        dict(rounds=3, rewind_until=3),
        ["--rounds", "3", "--rewind-until", "3"],
        "--rewind-until 3 is not valid: use a whole number K with 0 <= K < rounds (3)",
    ),
    (dict(rewind_until=-1), ["--rewind-until", "-1"], "--rewind-until -1 is not valid"),
    (dict(rewind_until=1.5), None, "--rewind-until 1.5 is not valid"),
    (dict(rewind_until=True), None, "--rewind-until True is not valid"),
    (dict(rewind_until="2"), None, "--rewind-until '2' is not valid"),
    (dict(model="relu"), ["--model", "relu"], "unknown model 'relu'"),
    (dict(model="SIREN"), ["--model", "SIREN"], "unknown model"),
    (dict(model="relu-ff", width=17), ["--model", "relu-ff", "--width", "17"], "even width"),
    (dict(model="relu-ff", depth=2), None, "depth >= 3"),
    (dict(ff_sigma=0.0), None, "ff_sigma must be positive"),
    (dict(ff_sigma=-1.0), None, "ff_sigma must be positive"),
    (dict(batch=0), ["--batch", "0"], "--batch must be a positive whole number"),
    (dict(batch=-64), ["--batch", "-64"], "--batch must be a positive whole number"),
    (dict(batch=64.0), None, "--batch must be a positive whole number"),
    (dict(batch=True), None, "--batch must be a positive whole number"),
    # what would allocate terabytes is refused with the estimate, before anything is allocated
    (dict(width=100_000), ["--width", "100000"], "TB of memory"),
    (dict(seeds=tuple(range(2000)), width=4096), None, "of memory"),
    # what the generators and the round loop cannot take, refused up front
    (dict(seeds=(2**32,)), ["--seeds", str(2**32)], "--seeds must be whole numbers from 0"),
    (dict(seeds=(-1,)), ["--seeds", "-1"], "--seeds must be whole numbers from 0"),
    (dict(rewind="step:\u00b2"), ["--rewind", "step:\u00b2"], "is not valid"),
    (dict(omega_0=float("inf")), None, "omega_0 must be a finite number"),
    (dict(omega_0=float("nan")), None, "omega_0 must be a finite number"),
    (dict(lr=float("nan")), ["--lr", "nan"], "--lr must be a finite number"),
    (dict(ff_sigma=float("inf")), None, "ff_sigma must be a finite number"),
    # Python types that would be misread
    (dict(strategies="smallest"), None, "strategies must be a list of names"),
    (dict(seeds="10"), None, "--seeds must be a list of whole numbers"),
    (dict(rounds=2.5), None, "--rounds must be a whole number"),
    (dict(steps=10.0), None, "--steps must be a whole number"),
    (dict(side="32"), None, "--side must be a whole number"),
    (dict(width=True), None, "--width must be a whole number"),
]
if not torch.cuda.is_available():
    BAD_SETTINGS.append((dict(device="cuda"), ["--device", "cuda"], "use --device cpu"))


def _id(row):
    kw = row[0]
    return ",".join(f"{k}={str(v)[:20]!r}" for k, v in kw.items())


@pytest.mark.parametrize("kw,args,message", BAD_SETTINGS, ids=[_id(r) for r in BAD_SETTINGS])
def test_bad_settings_are_refused_by_api_and_cli(tmp_path, capsys, kw, args, message):
    with pytest.raises(LthsirenError) as err:
        L.make_config(**{"preset": "tiny", **kw})
    assert message in str(err.value) and "\n" not in str(err.value)
    if args is None:
        return
    preset = [] if "--preset" in args else ["--preset", "tiny"]
    assert main(["run", *preset, *SMALL, *args, "--out", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("lthsiren: error: ") and message in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "runs").exists()


def test_argparse_type_errors_exit_2_on_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--steps", "ten"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "invalid int value: 'ten'" in err and len(err.splitlines()) == 1


def test_odd_width_is_fine_for_a_siren():
    assert L.make_config("tiny", width=17).width == 17


def test_reinit_with_smallest_is_accepted_in_any_order():
    cfg = L.make_config("tiny", strategies=("reinit", "smallest"), seeds=(3, 1))
    assert L.ticket_index(cfg, "smallest", 3) == 1 and L.ticket_index(cfg, "smallest", 1) == 3


# -- one real process per class of error --------------------------------------------------------


def _real(tmp_path, *args):
    return subprocess.run(
        [sys.executable, "-m", "lthsiren.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "LTHSIREN_RUNS": str(tmp_path / "runs")},
    )


@pytest.mark.parametrize(
    "args,message",
    [
        (["run", "--preset", "tiny", "--steps", "0"], "--steps must be at least 1"),  # a setting
        (["run", "--preset", "tiny", "--image", "/no/such.png"], "image not found"),  # a file
        (["show", "/"], "is not an lthsiren run"),  # a results folder
        (["render", "/no/such.lths", "-o", "x.png"], "network file not found"),  # a codec file
    ],
    ids=["setting", "image", "run-folder", "network-file"],
)
def test_the_entry_point_ends_each_error_class_with_one_line(tmp_path, args, message):
    proc = _real(tmp_path, *args)
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert err.startswith("lthsiren: error: ") and message in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "runs").exists()
