import numpy as np
import pytest
import torch
from PIL import Image

import lthsiren as L
from lthsiren import codecs as C
from lthsiren.cli import main
from lthsiren.metrics import to_unit


@pytest.fixture(scope="module")
def run_dir(tiny_run):
    return tiny_run.path


def _one_error_line(capsys, message):
    err = capsys.readouterr().err
    assert message in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_list_codecs(capsys):
    assert main(["export", "--list-codecs"]) == 0
    out = capsys.readouterr().out
    for name in [*C.CODECS, *C.BEST]:
        assert f"\n{name} " in out
    assert "lossless" in out and "lossy" in out


@pytest.mark.parametrize("codec", ["best", "csr-q8+lzma", "coo"])
def test_export_writes_the_ticket(run_dir, tmp_path, capsys, codec):
    out = tmp_path / "winner.lths"
    assert main(["export", str(run_dir), "--round", "3", "--codec", codec, "-o", str(out)]) == 0
    text = capsys.readouterr().out
    n = out.stat().st_size
    assert f"wrote {out}: {n:,} B" in text and "PSNR of the decoded network" in text
    back = C.load(out)
    params, mask = L.RunDir(run_dir).ticket(3, 0)
    if back.lossless:
        assert C.bit_identical(back.params, params, mask)
    if codec != "best":
        assert back.codec == codec


def test_export_defaults_and_other_tickets(run_dir, tmp_path, capsys):
    out = tmp_path / "loser.lths"
    assert main(["export", str(run_dir), "--ticket", "loser", "--seed", "0", "-o", str(out)]) == 0
    assert "round 3, loser seed 0" in capsys.readouterr().out  # the last round by default
    params, mask = L.RunDir(run_dir).ticket(3, 2)
    assert C.bit_identical(C.load(out).params, params, mask)


def test_render_any_size(run_dir, tmp_path, capsys):
    net = tmp_path / "w.lths"
    assert main(["export", str(run_dir), "--codec", "csr-f32", "-o", str(net)]) == 0
    png = tmp_path / "w.png"
    assert main(["render", str(net), "--size", "40", "-o", str(png)]) == 0
    assert f"wrote {png}: 40x40" in capsys.readouterr().out
    pixels = np.asarray(Image.open(png))
    assert pixels.shape == (40, 40, 3)
    back = C.load(net)
    expected = (to_unit(C.render(back.params, 40, back.omega_0)).numpy() * 255).round()
    assert np.array_equal(pixels, expected.astype(np.uint8))


@pytest.mark.parametrize(
    "args,message",
    [
        (["--round", "9"], "--round 9 is not a complete round"),
        (["--round", "-1"], "--round -1 is not a complete round"),
        (["--ticket", "champion"], "no champion ticket"),
        (["--seed", "4"], "no winner ticket of seed 4"),
        (["--codec", "zip"], "unknown codec 'zip'"),
    ],
)
def test_export_errors(run_dir, tmp_path, capsys, args, message):
    out = tmp_path / "x.lths"
    assert main(["export", str(run_dir), *args, "-o", str(out)]) == 2
    _one_error_line(capsys, message)
    assert not out.exists()


def test_export_usage_errors(run_dir, tmp_path, capsys):
    assert main(["export", str(run_dir)]) == 2
    _one_error_line(capsys, "export needs -o FILE")
    assert main(["export", "-o", str(tmp_path / "x.lths")]) == 2
    _one_error_line(capsys, "export needs a run folder")
    assert main(["export", str(tmp_path), "-o", str(tmp_path / "x.lths")]) == 2
    _one_error_line(capsys, "is not an lthsiren run")
    assert main(["export", str(run_dir), "-o", str(tmp_path)]) == 2
    _one_error_line(capsys, "is a directory")
    with pytest.raises(SystemExit) as info:
        main(["export", str(run_dir), "--round", "last", "-o", "x"])
    assert info.value.code == 2
    _one_error_line(capsys, "invalid int value: 'last'")


def test_render_errors(run_dir, tmp_path, capsys):
    assert main(["render", str(tmp_path / "none.lths"), "-o", str(tmp_path / "a.png")]) == 2
    _one_error_line(capsys, "network file not found")
    junk = tmp_path / "junk.lths"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    assert main(["render", str(junk), "-o", str(tmp_path / "a.png")]) == 2
    _one_error_line(capsys, "not an lthsiren network file")
    net = tmp_path / "w.lths"
    assert main(["export", str(run_dir), "-o", str(net)]) == 0
    capsys.readouterr()
    cut = tmp_path / "cut.lths"
    cut.write_bytes(net.read_bytes()[:-3])
    assert main(["render", str(cut), "-o", str(tmp_path / "a.png")]) == 2
    _one_error_line(capsys, "is truncated")
    for size in ("0", "100000"):
        assert main(["render", str(net), "--size", size, "-o", str(tmp_path / "a.png")]) == 2
        _one_error_line(capsys, "--size must be 1 to")
    assert not (tmp_path / "a.png").exists()
    three_in = tmp_path / "3d.lths"
    C.save(three_in, [(torch.ones(4, 3), torch.zeros(4)), (torch.ones(3, 4), torch.zeros(3))])
    assert main(["render", str(three_in), "-o", str(tmp_path / "a.png")]) == 2
    _one_error_line(capsys, "not 2-D pixel coordinates")
