"""A hostile user against the results store (issue 14): two processes on one run folder, damaged
and oddly shaped results files, outputs that are not regular files, a full disk, a read-only
or file-shaped --out, SIGTERM and Ctrl-C. Each ends in one line and nothing computed is lost."""

import errno
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from cli_checks import one_line_error

import lthsiren as L
from lthsiren.cli import main
from lthsiren.errors import Interrupted, LthsirenError
from lthsiren.store import RunDir
from lthsiren.store.atomic import writable_target

SMALL = dict(side=16, width=8, steps=5, rounds=2)
ARGS = ["--preset", "tiny", "--side", "16", "--width", "8", "--steps", "5", "--quiet"]


def _cli(capsys, *args):
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err.strip()


def _run_dir(cfg, root) -> RunDir:
    return RunDir.for_config(cfg, L.load_image(cfg.image, cfg.side).sha256, root)


def _stable(records):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


# -- one process per run folder ------------------------------------------------------------------
HOLD = (
    "import sys\n"
    "from lthsiren.store.lock import hold\n"
    "with hold(sys.argv[1]):\n"
    "    print('held', flush=True)\n"
    "    sys.stdin.read()\n"
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX locks and signals")
def test_a_second_process_on_a_run_folder_is_refused_and_a_killed_holder_leaves_no_lock(
    tmp_path, capsys
):
    root = tmp_path / "runs"
    run = _run_dir(L.make_config("tiny", **SMALL), root)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(run.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        # the same settings with other rounds, or --force, while the holder "trains"
        for extra in (["--rounds", "2"], ["--rounds", "3"], ["--rounds", "2", "--force"]):
            rc, _, err = _cli(capsys, "run", *ARGS, *extra, "--out", str(root))
            one_line_error(rc, err, str(run.path), f"pid {holder.pid}")
        assert [p.name for p in run.path.iterdir()] == [".lock"]  # the refused runs wrote nothing
    finally:
        holder.kill()  # SIGKILL: no chance to unlock; the kernel drops the lock
        holder.wait()
    rc, out, err = _cli(capsys, "run", *ARGS, "--rounds", "2", "--out", str(root))
    assert rc == 0, err
    assert run.completed_rounds() == 2


def test_records_are_never_rewritten_with_fewer_complete_rounds(tmp_path):
    run = L.run_experiment(L.make_config("tiny", **{**SMALL, "rounds": 3}), root=tmp_path)
    masks, trained = run.round_state(1)
    again = [r for r in run.records() if r["round"] == 1]
    with pytest.raises(LthsirenError, match="already holds 3 complete rounds"):
        run.write_round(1, masks, trained, again)
    assert run.completed_rounds() == 3 and len(run.records()) == 9


# -- damaged or oddly shaped results: named, and repaired by a rerun ------------------------------
def _junk_tensors(path):
    torch.save({"x": torch.zeros(2)}, path)  # a valid torch file of the wrong shape


SHOW, EXPORT = ["show", "{run}"], ["export", "{run}", "-o", "{tmp}/x"]
DAMAGE = [  # (file, what to write there, the commands that read it)
    ("records.jsonl", "[1, 2]\n", [SHOW, EXPORT]),
    ("records.jsonl", '{"round": "zero", "ticket": 3}\n', [SHOW, EXPORT]),
    ("config.json", "[]", [SHOW, EXPORT]),
    ("config.json", '{"config": {"side": "big"}}', [SHOW, EXPORT]),
    ("rounds/round_01.pt", _junk_tensors, [EXPORT]),
]


@pytest.mark.parametrize(
    "name,content,commands", DAMAGE, ids=[f"{d[0]}-{i}" for i, d in enumerate(DAMAGE)]
)
def test_results_files_of_the_wrong_shape_are_damage_and_a_rerun_repairs_them(
    tmp_path, capsys, name, content, commands
):
    cfg = L.make_config("tiny", **SMALL)
    run = L.run_experiment(cfg, root=tmp_path, progress=False)
    before = run.records()
    path = run.path / name
    content(path) if callable(content) else path.write_text(content)
    for args in commands:
        rc, _, err = _cli(capsys, *[a.format(run=run.path, tmp=tmp_path) for a in args])
        one_line_error(rc, err, "is damaged", "repair", "--force")
    assert not (tmp_path / "x").exists()
    notes = []
    L.run_experiment(cfg, root=tmp_path, progress=False, notify=notes.append)
    assert any(Path(name).name in n and "damaged" in n for n in notes), notes
    assert _stable(run.records()) == _stable(before)
    assert _cli(capsys, "show", str(run.path))[0] == 0


def test_a_damaged_theta0_is_rebuilt_and_the_rounds_kept(tmp_path):
    cfg = L.make_config("tiny", **{**SMALL, "rounds": 3})
    run = L.run_experiment(cfg, root=tmp_path, progress=False, stop_after=2)
    before = run.records()
    (run.path / "theta0.pt").write_bytes(b"PK\x03\x04 cut short")
    notes = []
    L.run_experiment(cfg, root=tmp_path, progress=False, notify=notes.append)
    assert any("theta0.pt (rebuilt" in n and "kept rounds 0 to 1" in n for n in notes), notes
    assert run.records()[:6] == before and run.completed_rounds() == 3
    whole = L.run_experiment(cfg, root=tmp_path / "whole", progress=False)
    assert _stable(run.records()) == _stable(whole.records())


# -- writing output: through symlinks, never over what is not a regular file ----------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_outputs_write_through_symlinks_and_refuse_fifos_and_devices(tiny_run, tmp_path, capsys):
    real = tmp_path / "real.lths"
    real.write_bytes(b"old")
    link = tmp_path / "link.lths"
    link.symlink_to(real)
    rc, _, err = _cli(capsys, "export", str(tiny_run.path), "-o", str(link))
    assert rc == 0, err
    assert link.is_symlink() and L.codecs.load(real).survivors > 0  # the target was replaced
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    rc, _, err = _cli(capsys, "export", str(tiny_run.path), "-o", str(fifo))
    one_line_error(rc, err, "is a FIFO", "regular file")
    rc, _, err = _cli(capsys, "render", str(real), "-o", str(fifo))
    one_line_error(rc, err, "is a FIFO")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.lths", "pipe", "real.lths"]
    with pytest.raises(LthsirenError, match="is a character device"):
        writable_target("/dev/null")  # only looked at: nothing is written


# -- --out that cannot be written, a full disk --------------------------------------------------
def test_out_that_is_a_file_is_one_line(tmp_path, capsys):
    out = tmp_path / "notes.txt"
    out.write_text("mine")
    rc, _, err = _cli(capsys, "run", *ARGS, "--rounds", "2", "--out", str(out))
    one_line_error(rc, err, "could not write", "is a file, not a folder")
    assert out.read_text() == "mine"


def test_read_only_out_is_one_line_and_leaves_no_folder(tmp_path, capsys, monkeypatch):
    # (simulated: the tests may run as root, whom a read-only mode does not stop)
    def refuse(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("lthsiren.store.atomic.tempfile.mkstemp", refuse)
    rc, _, err = _cli(capsys, "run", *ARGS, "--rounds", "2", "--out", str(tmp_path / "runs"))
    one_line_error(rc, err, "could not write", "permission denied")
    assert not any((tmp_path / "runs").iterdir())


def test_full_disk_keeps_the_complete_rounds_and_leaves_no_temporary(tmp_path, capsys, monkeypatch):
    root = tmp_path / "runs"
    real_replace = os.replace

    def full(src, dst):
        if "round_01" in str(dst):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", full)
    rc, _, err = _cli(capsys, "run", *ARGS, "--rounds", "3", "--out", str(root))
    one_line_error(rc, err, "could not write", "the disk is full")
    monkeypatch.setattr(os, "replace", real_replace)
    run = RunDir(next(root.iterdir()))
    assert run.completed_rounds() == 1 and len(run.records()) == 3
    assert not list(run.path.rglob("*.tmp"))
    rc, _, err = _cli(capsys, "run", *ARGS, "--rounds", "3", "--out", str(root))
    assert rc == 0, err
    assert run.completed_rounds() == 3


# -- signals -----------------------------------------------------------------------------------
def test_an_interrupt_says_how_far_the_run_got(tmp_path, capsys, monkeypatch):
    import lthsiren.experiment as E

    real = E.write_png

    def stop_in_round_1(path, img):
        if "round_01" in str(path):
            raise KeyboardInterrupt
        real(path, img)

    monkeypatch.setattr(E, "write_png", stop_in_round_1)
    cfg = L.make_config("tiny", **{**SMALL, "rounds": 3})
    with pytest.raises(Interrupted) as info:
        L.run_experiment(cfg, root=tmp_path / "api", progress=False)
    assert info.value.completed == 1 and "after round 0" in str(info.value)
    rc = main(["run", *ARGS, "--rounds", "3", "--out", str(tmp_path / "cli")])
    err = capsys.readouterr().err.strip()
    assert rc == 130 and len(err.splitlines()) == 1
    assert err.startswith("lthsiren: interrupted after round 0") and "rerun" in err


@pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="needs POSIX signals")
def test_sigterm_ends_a_run_like_ctrl_c(tmp_path):
    env = {**os.environ, "LTHSIREN_RUNS": str(tmp_path / "runs"), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "lthsiren.cli", "run", *ARGS[:-3], "--steps", "1500"]
    proc = subprocess.Popen([*cmd, "--rounds", "8", "--quiet"], env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        # records.jsonl appears, atomically, once round 0 is complete
        while time.monotonic() < deadline and not list((tmp_path / "runs").glob("*/records.*")):
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        err = proc.communicate(timeout=60)[1].decode().strip()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    run = RunDir(next((tmp_path / "runs").iterdir()))
    done = run.completed_rounds()
    assert done >= 1 and err.startswith(f"lthsiren: terminated after round {done - 1}")
    assert "rerun the same command to resume" in err


# Ctrl-C at every stage of a run's start-up: tests/test_ctrl_c.py
