"""Kill a run in the middle of a round (SIGKILL: no chance to clean up), run it again, and get
exactly what an uninterrupted run gets."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

# Long enough rounds to land the kill inside one (tiny preset, more steps per round).
ARGS = [
    "run",
    "--preset",
    "tiny",
    "--side",
    "16",
    "--width",
    "16",
    "--steps",
    "400",
    "--rounds",
    "6",
    "--quiet",
]


def _records(run_dir):
    path = run_dir / "records.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _stable(records):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_mid_round_then_resume(tmp_path):
    root = tmp_path / "runs"
    env = {**os.environ, "LTHSIREN_RUNS": str(root), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "lthsiren.cli", *ARGS]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        run_dir = None
        while time.monotonic() < deadline:
            dirs = list(root.glob("tiny-*")) if root.exists() else []
            if dirs and len({r["round"] for r in _records(dirs[0])}) >= 2:
                run_dir = dirs[0]
                break
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.02)
        assert run_dir is not None, "the run did not complete two rounds in time"
        time.sleep(0.3)  # into round 2 (a round takes well over a second here)
        kept = _records(run_dir)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    done_before = len({r["round"] for r in kept})
    assert 2 <= done_before < 6, "the kill did not land inside the run"

    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    resumed = _records(run_dir)
    # every complete round was kept as it was...
    assert _stable(resumed[: len(kept)]) == _stable(kept)
    assert [r["seconds"] for r in resumed[: len(kept)]] == [r["seconds"] for r in kept]
    # ...the run finished, and it equals one that was never interrupted
    # (run the same way, in a process with the same thread count: float sums depend on it)
    whole_env = {**env, "LTHSIREN_RUNS": str(tmp_path / "whole")}
    subprocess.run(cmd, env=whole_env, check=True, capture_output=True, timeout=300)
    whole = _records(next((tmp_path / "whole").glob("tiny-*")))
    assert len(resumed) == 6 * 3
    assert _stable(resumed) == _stable(whole)


def test_damaged_results_through_the_cli(tmp_path):
    env = {**os.environ, "LTHSIREN_RUNS": str(tmp_path / "runs"), "OMP_NUM_THREADS": "1"}
    base = [
        sys.executable,
        "-m",
        "lthsiren.cli",
        "run",
        "--preset",
        "tiny",
        "--side",
        "16",
        "--width",
        "8",
        "--steps",
        "5",
        "--quiet",
        "--rounds",
    ]
    assert subprocess.run([*base, "3"], env=env, capture_output=True, timeout=120).returncode == 0
    run_dir = next((tmp_path / "runs").glob("tiny-*"))
    # Extending the run to 5 rounds resumes from round 2, the last complete one: damage it.
    # The rerun keeps rounds 0 and 1, says so, and trains rounds 2 to 4.
    (run_dir / "rounds" / "round_02.pt").write_bytes(b"\x00garbage")
    kept = _records(run_dir)[:6]
    proc = subprocess.run([*base, "5"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (
        "round_02.pt" in proc.stdout and "kept rounds 0 to 1, resuming from round 2" in proc.stdout
    )
    assert _records(run_dir)[:6] == kept and len(_records(run_dir)) == 5 * 3
    # what cannot be read is damage, named with the repair and --force as the ways out
    (run_dir / "records.jsonl").write_text("{not json")
    proc = subprocess.run(
        [*base[:3], "show", str(run_dir)], env=env, capture_output=True, text=True, timeout=120
    )
    err = proc.stderr.strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert "records.jsonl is damaged" in err and "repair" in err and "--force" in err
    proc = subprocess.run([*base, "5"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "no round could be kept" in proc.stdout
    proc = subprocess.run(
        [*base, "5", "--force"], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert len(_records(run_dir)) == 5 * 3
