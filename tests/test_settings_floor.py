"""The settings at the bottom of the package (lthsiren.settings): a frozen Config checked when
built, whose fields generate the CLI's options, the run key and the summary line; checked for the
machine once by the factory; the rewind setting parsed once; a run folder's settings read once;
and the work estimate that refuses a run of months before any folder is made."""

import ast
import dataclasses
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import lthsiren as L
from lthsiren import codecs as C
from lthsiren import config, settings
from lthsiren.cli import _parser, main
from lthsiren.errors import LthsirenError
from lthsiren.settings import Config, Rewind, setting, summary
from lthsiren.training import budget

TINY = dict(preset="tiny", side=16, width=8, steps=3, rounds=2)


def test_settings_load_no_torch_and_import_only_standard_library_leaves():
    code = "import sys, lthsiren.settings; print('TORCH', 'torch' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "TORCH False" in proc.stdout, proc.stdout + proc.stderr
    tree = ast.parse(Path(settings.__file__).read_text())
    local = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level}
    assert local == {"errors", "hashing"}  # both import the standard library alone


def test_a_config_is_checked_when_built_and_frozen():
    with pytest.raises(LthsirenError, match="--steps must be at least 1"):
        Config(steps=0)
    with pytest.raises(LthsirenError, match="0 < K < steps"):
        Config(steps=5, rewind="step:5")
    cfg = Config(strategies=["smallest"], seeds=range(2), image=Path("a.png"))
    assert (cfg.strategies, cfg.seeds, cfg.image) == (("smallest",), (0, 1), "a.png")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.steps = 5
    assert hash(cfg) == hash(Config.from_json(cfg.to_json()))


def test_the_rewind_setting_is_parsed_once():
    assert Config().rewinding == Rewind("init", None, None)
    assert Config(rewind="step:7", rewind_until=3).rewinding == Rewind("step", 7, 3)
    assert Config(rewind="finetune").rewinding == Rewind("lr-rewind", None, None)
    assert Config(rewind="continue").rewinding.mode == "continue"
    assert Config(rewind="step:7").rewind_step() == 7


@dataclasses.dataclass(frozen=True)
class Wider(Config):
    """A setting added the way every setting is: one field, with what it says about itself."""

    dropout: float = setting(
        0.0,
        "share of neurons dropped per step",
        settings.FINITE,
        settings.need(lambda v: 0 <= v < 1, "{label} must be in [0, 1), got {v}"),
        metavar="P",
    )


def test_a_new_field_reaches_help_key_summary_and_checks(capsys):
    with pytest.raises(SystemExit):
        _parser(Wider).parse_args(["run", "--help"])
    assert "--dropout P" in capsys.readouterr().out and "neurons dropped" in _help(Wider)
    args = _parser(Wider).parse_args(["run", "--dropout", "0.5", "--steps", "4"])
    assert (args.dropout, args.steps, args.width) == (0.5, 4, None)
    assert Wider().key("x") == Config().key("x")  # at its default: stored runs keep their keys
    assert Wider(dropout=0.5).key("x") != Wider().key("x")
    assert "dropout 0.5" in summary(Wider(dropout=0.5))
    with pytest.raises(LthsirenError, match=r"--dropout must be in \[0, 1\), got 2"):
        Wider(dropout=2.0)
    assert "dropout" in Wider.training_fields()


def _help(config_class) -> str:
    return _parser(config_class)._subparsers._group_actions[0].choices["run"].format_help()


def test_every_field_has_a_flag_and_the_old_flags_are_unchanged():
    run_help = _help(Config)
    for flag in ("--omega-0", "--ff-sigma", "--depth", "--fraction", "--rewind-until", "--batch"):
        assert flag in run_help
    args = _parser().parse_args(["run", "--fraction", "0.3", "--seeds", "1", "2", "--omega-0", "9"])
    assert (args.prune_fraction, args.seeds, args.omega_0, args.allow_long) == (
        0.3,
        [1, 2],
        9,
        None,
    )


def test_keys_leave_out_what_they_always_did():
    base = L.make_config("tiny")
    same = dict(image="present", rounds=4, device="cpu", allow_long=True, ff_sigma=9.0)
    assert all(L.make_config("tiny", **{k: v}).key("x") == base.key("x") for k, v in same.items())
    assert L.make_config("tiny", depth=4).key("x") != base.key("x")
    assert L.make_config("tiny", omega_0=20.0).key("x") != base.key("x")


def test_summary_is_the_cli_line_and_describe(tmp_path, capsys):
    cfg = L.make_config(**TINY, batch=64)
    assert summary(cfg).startswith("preset tiny: grace_hopper, 16x16, width 8, depth 5")
    assert "3 epochs (batch 64)" in summary(cfg) and "ff_sigma" not in summary(cfg)
    assert L.describe(cfg).startswith(summary(cfg) + "; device ")
    args = ["run", "--preset", "tiny", "--side", "16", "--width", "8", "--steps", "3"]
    assert main([*args, "--rounds", "2", "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == L.describe(L.make_config(**TINY))
    assert out[1].startswith("estimated work: ") and " on this CPU " in out[1]


def test_the_machine_checks_run_once_per_run(tmp_path, monkeypatch):
    calls = []
    resolve, memory = config.resolve_device, budget.check_memory
    monkeypatch.setattr(config, "resolve_device", lambda n: calls.append("device") or resolve(n))
    monkeypatch.setattr(budget, "check_memory", lambda *a: calls.append("memory") or memory(*a))
    config._validated.cache_clear()
    config._resolved.cache_clear()
    cfg = L.make_config(**TINY, seeds=(7,))
    L.describe(cfg)
    run = L.run_experiment(cfg, root=tmp_path, progress=False)
    assert calls == ["device", "memory"] and run.completed_rounds() == 2


def test_a_run_folder_reads_its_settings_once(tmp_path, monkeypatch):
    reads = []
    from_json = Config.from_json.__func__
    monkeypatch.setattr(
        Config, "from_json", classmethod(lambda c, d: reads.append(1) or from_json(c, d))
    )
    run = L.run_experiment(L.make_config(**{**TINY, "rounds": 3}), root=tmp_path, progress=False)
    assert run.completed_rounds() == 3 and len(reads) == 1
    info = run.info()
    info["config"]["rounds"] = 4
    run.write_info(info)  # forgets what it read
    assert run.config().rounds == 4 and len(reads) == 2


def test_the_bundled_picture_is_the_default_for_none(tmp_path):
    assert Config(image=None).image == L.make_config(image=None).image == "grace_hopper"
    cfg = dataclasses.replace(L.make_config(**TINY), image=None, steps=2, rounds=1)
    run = L.run_experiment(cfg, root=tmp_path, progress=False)
    assert run.completed_rounds() == 1


def test_render_refuses_the_sizes_the_cli_refuses():
    params = L.init_params(8, 3, 30.0, 0)
    for side in (0, -3, 5000, 2.5):
        with pytest.raises(LthsirenError, match="--size must be 1 to 4096 pixels"):
            C.render(params, side)
    with pytest.raises(LthsirenError, match="omega_0 must be a finite positive number"):
        C.render(params, 8, float("nan"))
    assert C.render(params, 8).shape == (8, 8, 3)


# -- the work estimate -------------------------------------------------------------------------


def test_a_run_of_months_is_refused_at_once_with_the_estimate(tmp_path, capsys):
    torch.zeros(1)  # torch loaded, as in any process that has imported lthsiren's engine
    start = time.perf_counter()
    rc = main(["run", "--preset", "tiny", "--steps", "1000000000", "--out", str(tmp_path / "r")])
    assert time.perf_counter() - start < 1.0 and rc == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("lthsiren: error: these settings would take about ") and "\n" not in err
    assert "1,000,000,000 steps" in err and "--allow-long" in err and "--steps" in err
    assert not (tmp_path / "r").exists()
    with pytest.raises(LthsirenError, match="would take about"):
        L.make_config("tiny", steps=10**9)
    with pytest.raises(LthsirenError, match="would take about"):
        L.run_experiment(dataclasses.replace(L.make_config("tiny"), steps=10**9), root=tmp_path)
    insisted = L.make_config("tiny", steps=10**9, allow_long=True)
    assert insisted.key("x") == L.make_config("tiny", steps=10**9, allow_long=True).key("x")


def test_the_estimate_counts_products_and_the_presets_pass():
    cfg = L.make_config("blog", device="cpu")
    madds, how = budget.estimate_work(cfg)
    weights = 2 * 256 + 3 * 256 * 256 + 256 * 3
    assert madds == 3 * 1000 * 21 * 3 * 256 * 256 * weights
    assert how.startswith("3 x 1,000 steps x 21 rounds x 3 tickets x 65,536 pixels")
    # the longest run anyone means, blog on a CPU, stays well inside the limit
    assert budget.estimate_seconds(cfg, torch.device("cpu")) < budget.MAX_SECONDS / 5
