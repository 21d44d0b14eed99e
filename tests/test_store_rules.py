"""The store's rules read by everyone: which rounds are complete, what a damaged or missing
file error carries, and the one-line texts for a run with no round and a stopped command."""

import pickle

import pytest

import lthsiren as L
from lthsiren.errors import DamagedFile, Interrupted, LthsirenError, no_complete_round, stopped
from lthsiren.store import complete_round_records

SMALL = dict(side=16, width=8, steps=5, rounds=2)
TICKETS = [("smallest", 0), ("random", 0)]


def _rec(k, strategy, seed=0):
    return {"round": k, "strategy": strategy, "seed": seed}


def test_a_round_is_complete_with_exactly_one_record_per_ticket():
    whole = [_rec(0, "smallest"), _rec(0, "random"), _rec(1, "random"), _rec(1, "smallest")]
    assert complete_round_records(whole, TICKETS) == [
        [whole[0], whole[1]],
        [whole[3], whole[2]],  # in ticket order
    ]
    duplicate = whole[:2] + [_rec(1, "random"), _rec(1, "random")]
    foreign = whole[:2] + [_rec(1, "random"), _rec(1, "largest")]
    extra = [*whole, _rec(1, "smallest", seed=1)]
    for records in (duplicate, foreign, extra):
        assert len(complete_round_records(records, TICKETS)) == 1
    assert complete_round_records(whole[1:], TICKETS) == []
    assert complete_round_records(whole, []) == []


@pytest.fixture
def small_run(tmp_path):
    cfg = L.make_config("tiny", **SMALL)
    return cfg, L.run_experiment(cfg, root=tmp_path, progress=False)


def test_the_store_and_the_repair_agree_on_a_round_with_a_duplicated_record(small_run, tmp_path):
    cfg, run = small_run
    before = run.records()
    # round 1 holds as many records as tickets, but one ticket twice and another not at all
    last = [r for r in before if r["round"] == 1]
    run.write_records([r for r in before if r["round"] == 0] + [last[0], *last[:-1]])
    assert run.completed_rounds() == 1
    again = L.run_experiment(cfg, root=tmp_path, progress=False)
    assert again.completed_rounds() == 2
    assert [r["alive"] for r in again.records()] == [r["alive"] for r in before]


def test_a_missing_or_damaged_file_says_which_and_why(small_run):
    _, run = small_run
    (run.path / run.round_file(1)).unlink()
    with pytest.raises(DamagedFile) as missing:
        run.round_state(1)
    e = missing.value
    assert (e.name, e.reason, e.path) == (
        "rounds/round_01.pt",
        DamagedFile.MISSING,
        run.path / e.name,
    )
    assert str(e) == (
        f"{run.path / 'rounds/round_01.pt'} is missing; rerun 'lthsiren run' with the same "
        "settings to repair the run"
    )
    (run.path / "records.jsonl").write_text("[1, 2]\n")
    with pytest.raises(DamagedFile) as damaged:
        run.records()
    e = damaged.value
    assert isinstance(e, LthsirenError) and (e.name, e.reason) == (
        "records.jsonl",
        "line 1 is not a record",
    )
    assert str(e).startswith(f"results file {run.path / 'records.jsonl'} is damaged (line 1 ")
    back = pickle.loads(pickle.dumps(e))
    assert (type(back), str(back), back.reason) == (DamagedFile, str(e), e.reason)


def test_the_repair_names_the_file_and_the_reason_the_store_gave(small_run, tmp_path):
    cfg, run = small_run
    (run.path / run.round_file(1)).write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(DamagedFile) as info:
        run.round_state(1)
    notes = []
    L.run_experiment(cfg, root=tmp_path, progress=False, notify=notes.append)
    assert len(notes) == 1 and f"rounds/round_01.pt ({info.value.reason})" in notes[0], notes
    assert "kept rounds 0 to 0" in notes[0]


def test_the_one_line_texts():
    assert str(no_complete_round("runs/x")) == (
        "runs/x has no complete round yet; run 'lthsiren run' to train it"
    )
    e = Interrupted("runs/x", 2)
    assert (
        str(e)
        == "interrupted after round 1 (2 complete in runs/x); rerun the same command to resume"
    )
    assert stopped(e, "terminated").startswith("terminated after round 1 (2 complete")
    assert stopped(Interrupted("runs/x", 0), "terminated").startswith("terminated before round 0")
    assert stopped(KeyboardInterrupt(), "terminated") == (
        "terminated; rerun the same command to resume from the last complete round"
    )
