import math
import struct

import pytest
import torch

import lthsiren as L
from lthsiren import codecs as C
from lthsiren.codecs import csr
from lthsiren.errors import LthsirenError
from lthsiren.network.pruning import rewind

WIDTH = 32


def _ticket(density: float, seed: int = 0):
    """A width-32 SIREN and a random mask keeping exactly ``round(density * weights)`` of its
    weights, chosen globally."""
    params = L.init_params(WIDTH, 5, 30.0, seed)
    sizes = [w.numel() for w, _ in params]
    gen = torch.Generator().manual_seed(seed + 100)
    keep = torch.randperm(sum(sizes), generator=gen)[: round(density * sum(sizes))]
    flat = torch.zeros(sum(sizes), dtype=torch.bool)
    flat[keep] = True
    mask = [m.reshape(w.shape) for m, (w, _) in zip(flat.split(sizes), params)]
    return params, mask


LOSSLESS = [name for name, codec in C.CODECS.items() if codec.lossless]
LOSSY = [name for name, codec in C.CODECS.items() if not codec.lossless]


def test_the_codec_families_are_registered():
    for values in ("f32", "f16", "q8"):
        for packer in ("", "+zlib", "+lzma"):
            assert f"csr-{values}{packer}" in C.CODECS
    assert set(LOSSLESS) == {"dense-f32", "coo", "csr-f32", "csr-f32+zlib", "csr-f32+lzma"}
    assert C.FORMAT_VERSION == 1  # the new codecs fit the version-1 header


@pytest.mark.parametrize("codec", LOSSLESS)
@pytest.mark.parametrize("density", [1.0, 0.8, 0.5, 0.2, 0.05, 0.01, 0.0])
def test_round_trip_is_bit_exact(codec, density):
    params, mask = _ticket(density)
    back = C.decode(C.encode(params, mask, omega_0=30.0, codec=codec))
    assert back.codec == codec
    assert back.omega_0 == 30.0
    assert back.shapes == [tuple(w.shape) for w, _ in params]
    assert C.bit_identical(back.params, rewind(params, mask))
    assert all(w.dtype == torch.float32 for w, _ in back.params)
    # dense-f32 has no mask of its own (a weight is pruned when it is zero); with random float
    # weights no survivor is exactly zero, so both codecs give the mask back
    assert all(torch.equal(a, b) for a, b in zip(back.mask, mask))


def test_bit_identical_ignores_only_the_sign_of_pruned_zeros():
    params, mask = _ticket(0.5)
    masked = rewind(params, mask)
    negated = [(torch.where(m, w, -torch.zeros(())), b) for (w, b), m in zip(params, mask)]
    assert C.bit_identical(masked, negated, mask)
    assert not C.bit_identical(masked, negated)
    assert not C.bit_identical(masked, params, mask)  # pruned weights that are not zero
    nudged = [(w.clone(), b) for w, b in masked]
    nudged[2][0][mask[2]] = torch.nextafter(nudged[2][0][mask[2]], torch.tensor(1.0))
    assert not C.bit_identical(masked, nudged, mask)


def test_pruned_entries_are_stored_as_zero_and_odd_floats_survive():
    params, mask = _ticket(0.5)
    w0, b0 = params[0]
    w0 = w0.clone()
    special = torch.tensor([-0.0, float("inf"), float("nan"), 1e-45])  # 1e-45: a subnormal
    w0.view(-1)[:4] = special
    mask[0].view(-1)[:4] = True
    w0.view(-1)[4] = 123.0  # pruned: must come back as +0.0
    mask[0].view(-1)[4] = False
    params = [(w0, b0)] + params[1:]
    for codec in LOSSLESS:
        back = C.decode(C.encode(params, mask, codec=codec))
        w = back.params[0][0].view(-1)
        assert w[:4].numpy().tobytes() == special.numpy().tobytes()
        assert w[4].numpy().tobytes() == torch.tensor(0.0).numpy().tobytes()


def test_omega_and_mask_none():
    params, _ = _ticket(1.0)
    back = C.decode(C.encode(params, None, omega_0=12.5, codec="coo"))
    assert back.omega_0 == 12.5
    assert back.survivors == L.parameter_count(WIDTH, 5)["weights"]
    assert C.bit_identical(back.params, params)


@pytest.mark.parametrize("density", [1.0, 0.6, 0.3, 0.01])
def test_sizes_match_the_arithmetic(density):
    params, mask = _ticket(density)
    counts = L.parameter_count(WIDTH, 5)
    survivors = sum(int(m.sum()) for m in mask)
    header = C.header_size(5)
    assert header == 88

    dense = C.encode(params, mask, codec="dense-f32")
    assert len(dense) == 4 * counts["total"] + header
    coo = C.encode(params, mask, codec="coo")
    assert len(coo) - header == 8 * survivors + 4 * counts["biases"]

    for codec, data in (("dense-f32", dense), ("coo", coo)):
        report = C.size_report(params, mask, codec)
        back = C.decode(data)
        assert report.file_bytes == len(data) == back.file_bytes
        assert report.payload_bytes == back.payload_bytes
        assert report.header_bytes == back.header_bytes == header
        assert report.survivors == survivors
    assert C.size_report(params, mask, "coo").spec_bytes == 8 * survivors
    assert C.size_report(params, mask, "dense-f32").spec_bytes == 4 * counts["total"]


def test_spec_figures():
    counts = L.parameter_count(256, 5)
    assert C.spec_bytes("dense-f32", 0, counts["weights"], counts["biases"]) == 795_660
    assert C.spec_bytes("coo", 2_386, counts["weights"], counts["biases"]) == 19_088
    assert C.get_codec("coo").payload_size(2_386, counts["weights"], counts["biases"]) == (
        19_088 + 4 * 1_027
    )


@pytest.mark.parametrize("density", [0.0, 0.1, 0.3, 0.45, 0.499])
def test_coo_smaller_than_dense_below_half(density):
    params, mask = _ticket(density)
    assert len(C.encode(params, mask, codec="coo")) < len(C.encode(params, mask, codec="dense-f32"))


@pytest.mark.parametrize("density", [0.501, 0.55, 0.7, 1.0])
def test_coo_larger_than_dense_above_half(density):
    params, mask = _ticket(density)
    assert len(C.encode(params, mask, codec="coo")) > len(C.encode(params, mask, codec="dense-f32"))


def test_break_even_is_exactly_half_the_weights():
    params, mask = _ticket(0.5)
    assert sum(int(m.sum()) for m in mask) * 2 == L.parameter_count(WIDTH, 5)["weights"]
    assert len(C.encode(params, mask, codec="coo")) == len(
        C.encode(params, mask, codec="dense-f32")
    )


def test_save_and_load(tmp_path):
    params, mask = _ticket(0.1)
    path = tmp_path / f"winner{C.SUFFIX}"
    n = C.save(path, params, mask, omega_0=30.0, codec="coo")
    assert path.stat().st_size == n
    back = C.load(path)
    assert C.bit_identical(back.params, rewind(params, mask))
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


# -- bad files ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good():
    params, mask = _ticket(0.2)
    return C.encode(params, mask, codec="coo")


@pytest.fixture(scope="module")
def every_codec():
    params, mask = _ticket(0.2)
    return {codec: C.encode(params, mask, codec=codec) for codec in C.CODECS}


def _error(data) -> str:
    with pytest.raises(LthsirenError) as info:
        C.decode(data, source="net.lths")
    message = str(info.value)
    assert "\n" not in message and message.startswith("net.lths ")
    return message


@pytest.mark.parametrize("cut", [1, 7, 8, 20, 40, 87, 88, 100])
def test_truncated(good, cut):
    assert "truncated" in _error(good[:cut])


def test_truncated_by_one_byte(good):
    assert "truncated" in _error(good[:-1])


def test_empty_and_not_lthsiren(good):
    assert "empty" in _error(b"")
    assert "not an lthsiren network file" in _error(b"\x89PNG\r\n\x1a\n" + good[8:])
    assert "not an lthsiren network file" in _error(b"x" * 200)


def test_wrong_version(good):
    bad = bytearray(good)
    struct.pack_into("<H", bad, 8, C.FORMAT_VERSION + 1)
    message = _error(bytes(bad))
    assert f"format version {C.FORMAT_VERSION + 1}" in message
    assert f"reads version {C.FORMAT_VERSION}" in message


@pytest.mark.parametrize("where", [30, 60, 90, 500, -1])
def test_corrupt_byte(good, where):
    bad = bytearray(good)
    bad[where] ^= 0x40
    assert "damaged" in _error(bytes(bad))


def test_trailing_garbage(good):
    assert "damaged" in _error(good + b"\0")


def _reseal(head: bytes, payload: bytes) -> bytes:
    """Bytes with a valid checksum around a header (sans CRC) and payload of our choosing."""
    import zlib

    crc = zlib.crc32(payload, zlib.crc32(head))
    return head + struct.pack("<I", crc) + payload


def test_checksummed_but_inconsistent_payloads_are_rejected(good):
    header = C.header_size(5)
    head, payload = good[: header - 12], good[header:]
    # a payload whose length does not fit the coo layout
    short = payload[:-3]
    assert "damaged" in _error(_reseal(head + struct.pack("<Q", len(short)), short))
    # indices out of order
    n_b = L.parameter_count(WIDTH, 5)["biases"]
    bias, rest = payload[: 4 * n_b], payload[4 * n_b :]
    half = len(rest) // 2
    idx = bytearray(rest[:half])
    idx[0:4], idx[4:8] = idx[4:8], idx[0:4]
    swapped = bias + bytes(idx) + rest[half:]
    message = _error(_reseal(head + struct.pack("<Q", len(swapped)), swapped))
    assert "indices" in message
    # an unknown codec name
    other = bytearray(head)
    other[10:26] = b"zstd-magic".ljust(16, b"\0")
    message = _error(_reseal(bytes(other) + struct.pack("<Q", len(payload)), payload))
    assert "'zstd-magic'" in message and "coo" in message


def test_load_errors(tmp_path):
    with pytest.raises(LthsirenError, match="not found"):
        C.load(tmp_path / "missing.lths")
    with pytest.raises(LthsirenError, match="directory"):
        C.load(tmp_path)
    junk = tmp_path / "junk.lths"
    junk.write_bytes(b"not a network")
    with pytest.raises(LthsirenError, match=str(junk)):
        C.load(junk)


def test_encode_rejects_bad_input():
    params, mask = _ticket(0.5)
    with pytest.raises(LthsirenError, match="unknown codec"):
        C.encode(params, mask, codec="jpeg")
    batched = [(w[None], b[None]) for w, b in params]
    with pytest.raises(LthsirenError, match="one ticket"):
        C.encode(batched, None)
    with pytest.raises(LthsirenError, match="mask shape"):
        C.encode(params, [m.T for m in mask])
    with pytest.raises(LthsirenError, match="mask has 4 layers"):
        C.encode(params, mask[:4])
    with pytest.raises(LthsirenError, match="empty"):
        C.encode([], None)


def test_registry():
    assert set(C.CODECS) >= {"dense-f32", "coo"}
    with pytest.raises(ValueError, match="already registered"):
        C.register_codec(C.COO)
    with pytest.raises(ValueError, match="ASCII"):
        C.register_codec(C.Codec("x" * 17, C.COO.encode, C.COO.decode, C.COO.payload_size))


# -- drawing the decoded network -------------------------------------------------------------


def test_render_matches_siren_module():
    params, mask = _ticket(0.3)
    params = rewind(params, mask)
    img = C.render(params, 16, 30.0)
    assert img.shape == (16, 16, 3)
    net = L.Siren(WIDTH, 5, 30.0)
    net.load_params(params)
    with torch.no_grad():
        ref = net(L.coordinate_grid(16)).reshape(16, 16, 3)
    torch.testing.assert_close(img, ref, rtol=1e-4, atol=1e-4)


def test_decoded_ticket_scores_its_stored_psnr(tiny_run):
    run, cfg = tiny_run, tiny_run.config()
    target = L.load_image(cfg.image, cfg.side).pixels
    for k in range(cfg.rounds):
        params, mask = run.ticket(k, 0)
        stored = next(r for r in run.records() if r["round"] == k and r["strategy"] == "smallest")
        back = C.decode(C.encode(params, mask, cfg.omega_0, "coo"))
        assert back.survivors == stored["alive"]
        # the engine leaves -0.0 at some pruned weights; the file stores them as +0.0
        assert C.bit_identical(back.params, params, mask)
        # same process, same arithmetic as the engine: the very same PSNR
        assert L.psnr(C.render(back.params, cfg.side, back.omega_0), target) == stored["psnr"]


# -- the csr family: layouts, lossy bounds, best ------------------------------------------------


def _tag(mask2d) -> int:
    return csr._index_block(mask2d.numpy())[0]


def test_each_index_layout_is_chosen_where_it_is_smallest():
    gen = torch.Generator().manual_seed(3)
    dense = torch.rand(64, 64, generator=gen) < 0.6
    assert _tag(dense) & 3 == 0  # bitmask
    sparse = torch.zeros(64, 64, dtype=torch.bool)
    sparse.view(-1)[torch.randperm(64 * 64, generator=gen)[:20]] = True
    assert _tag(sparse) & 3 == 2  # flat gaps
    # long empty stretches (flat gaps need uint16) but many survivors per live row: CSR
    rows = torch.rand(64, 64, generator=gen) < 0.1
    rows[:20] = False
    assert _tag(rows) & 3 == 1
    for m in (dense, sparse, rows, torch.zeros(64, 64, dtype=torch.bool)):
        for other in (m, m.T.contiguous()):
            params = [(torch.randn(other.shape), torch.randn(other.shape[0]))]
            back = C.decode(C.encode(params, [other], codec="csr-f32"))
            assert torch.equal(back.mask[0], other)
            assert C.bit_identical(back.params, rewind(params, [other]))


def test_integer_widths_grow_with_the_gaps():
    # a 70,000-input layer with survivors 66,000 apart: the flat gaps need uint32
    w = torch.zeros(2, 70_000)
    w[0, 5], w[0, 66_010], w[1, 3] = 1.5, -2.0, 0.25
    params = [(w, torch.tensor([0.1, 0.2])), (torch.ones(3, 2), torch.zeros(3))]
    mask = [w != 0, torch.ones(3, 2, dtype=torch.bool)]
    block = csr._index_block(mask[0].numpy())
    assert block[0] & 3 == 2 and block[0] >> 4 == 2  # gaps, uint32
    for codec in ("csr-f32", "csr-f32+lzma"):
        back = C.decode(C.encode(params, mask, codec=codec))
        assert C.bit_identical(back.params, params)


def _reachable(mask):
    trimmed, live = csr._reaching_output([m.numpy() for m in mask])
    return [torch.from_numpy(t) for t in trimmed], [torch.from_numpy(k) for k in live]


@pytest.mark.parametrize("codec", LOSSY)
@pytest.mark.parametrize("density", [1.0, 0.3, 0.05, 0.01])
def test_lossy_error_is_bounded(codec, density):
    params, mask = _ticket(density)
    back = C.decode(C.encode(params, mask, codec=codec))
    assert back.codec == codec and not back.lossless
    kept, live = _reachable(mask)
    assert all(torch.equal(a, b) for a, b in zip(back.mask, kept))
    for l, ((w, b), (w2, b2), m, k) in enumerate(zip(params, back.params, kept, live)):
        assert torch.all(w2[~m] == 0) and torch.all(b2[~k] == 0)
        v, v2 = w[m].double(), w2[m].double()
        if "q8" in codec:
            step = (v.max() - v.min()) / 255 if v.numel() else 0.0
            assert torch.all((v2 - v).abs() <= step / 2 * (1 + 1e-4) + 1e-7), l
        else:  # float16: half a unit in the last of 11 significant bits
            assert torch.all((v2 - v).abs() <= v.abs() * 2.0**-11 + 2.0**-25), l
        bias, bias2 = b[k].double(), b2[k].double()
        assert torch.all((bias2 - bias).abs() <= bias.abs() * 2.0**-11 + 2.0**-25), l


def test_lossy_trimming_does_not_change_the_image():
    # weights and biases that cannot reach the output are dropped; the drawing is the same
    params, mask = _ticket(0.03)
    kept, live = _reachable(mask)
    assert sum(int(m.sum()) for m in kept) < sum(int(m.sum()) for m in mask)
    trimmed = [
        (torch.where(m, w, torch.zeros(())), torch.where(k, b, torch.zeros(())))
        for (w, b), m, k in zip(params, kept, live)
    ]
    torch.testing.assert_close(
        C.render(trimmed, 12), C.render(rewind(params, mask), 12), rtol=0, atol=1e-6
    )


def test_lossy_codecs_refuse_what_they_cannot_hold():
    params, mask = _ticket(0.5)
    big = [(w * 1e6, b) for w, b in params]
    with pytest.raises(LthsirenError, match="float16's range"):
        C.encode(big, mask, codec="csr-f16")
    nan = [(w.clone(), b) for w, b in params]
    nan[1][0][mask[1]] = float("nan")
    with pytest.raises(LthsirenError, match="inf or nan"):
        C.encode(nan, mask, codec="csr-q8")
    # "best-lossy" skips the codecs that cannot hold a network
    assert C.decode(C.encode(big, mask, codec="best-lossy")).codec.startswith("csr-q8")


@pytest.mark.parametrize("density", [1.0, 0.2, 0.01])
def test_best_picks_the_smallest_file(density):
    params, mask = _ticket(density)
    sizes = {codec: len(C.encode(params, mask, codec=codec)) for codec in C.CODECS}
    best = C.encode(params, mask, codec="best")
    assert len(best) == min(sizes[c] for c in LOSSLESS)
    assert C.decode(best).codec == C.best_codec(params, mask) and C.decode(best).lossless
    lossy = C.encode(params, mask, codec="best-lossy")
    assert len(lossy) == min(sizes.values()) <= len(best)
    assert C.size_report(params, mask, "best").codec == C.decode(best).codec
    assert C.size_report(params, mask, "best").file_bytes == len(best)


@pytest.mark.parametrize("codec", list(C.CODECS))
def test_file_sizes_are_the_real_files(tmp_path, codec):
    params, mask = _ticket(0.1)
    path = tmp_path / f"net{C.SUFFIX}"
    n = C.save(path, params, mask, codec=codec)
    report = C.size_report(params, mask, codec)
    back = C.load(path)
    assert path.stat().st_size == n == report.file_bytes == back.file_bytes
    assert report.header_bytes == back.header_bytes == C.header_size(5)


def test_the_smart_codecs_beat_coo_on_a_sparse_ticket():
    # (at a few dozen survivors q8's 8 bytes of scales per layer can outweigh what it saves)
    params, mask = _ticket(0.2)
    size = {codec: len(C.encode(params, mask, codec=codec)) for codec in C.CODECS}
    assert size["csr-f32"] < size["coo"]
    assert size["csr-f16"] < size["csr-f32"]
    assert size["csr-q8"] < size["csr-f16"]


# -- every codec against bad files -------------------------------------------------------------


@pytest.mark.parametrize("codec", list(C.CODECS))
def test_every_codec_refuses_bad_files(every_codec, codec):
    good = every_codec[codec]
    for cut in (0, 5, 8, 30, 87, C.header_size(5), len(good) - 1):
        message = _error(good[:cut])
        assert "truncated" in message or "empty" in message
    assert "damaged" in _error(good + b"\x00")
    for where in (20, 70, C.header_size(5) + 1, len(good) - 1):
        bad = bytearray(good)
        bad[where] ^= 0x10
        assert "damaged" in _error(bytes(bad))
    version = bytearray(good)
    struct.pack_into("<H", version, 8, 7)
    assert "format version 7" in _error(bytes(version))
    assert "not an lthsiren network file" in _error(b"GIF89a" + good[6:])


@pytest.mark.parametrize("codec", [c for c in C.CODECS if c.startswith("csr")])
def test_checksummed_garbage_payloads_give_one_clear_error(every_codec, codec):
    """Payloads that pass the checksum but were cut, flipped, extended or replaced: the codec
    either decodes a network of the header's shapes or says why not, never anything else."""
    import random

    good = every_codec[codec]
    header = C.header_size(5)
    head, payload = good[: header - 12], good[header:]
    shapes = C.decode(good).shapes
    rng = random.Random(codec)
    for trial in range(120):
        p = bytearray(payload)
        kind = trial % 4
        if kind == 0:
            p = p[: rng.randrange(len(p))]
        elif kind == 1:
            for _ in range(rng.randrange(1, 4)):
                p[rng.randrange(len(p))] ^= 1 << rng.randrange(8)
        elif kind == 2:
            p += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 6)))
        else:
            p = bytearray(rng.randrange(256) for _ in range(rng.randrange(0, 400)))
        try:
            back = C.decode(_reseal(head + struct.pack("<Q", len(p)), bytes(p)), "net.lths")
        except LthsirenError as e:
            assert "\n" not in str(e) and str(e).startswith("net.lths is damaged")
        else:
            assert back.shapes == shapes
        # the codec itself reports a bad payload as ValueError only
        try:
            C.CODECS[codec].decode(bytes(p), shapes)
        except ValueError:
            pass


def test_layer_shapes_that_do_not_chain_are_damage(good):
    header = C.header_size(5)
    head = bytearray(good[: header - 12])
    struct.pack_into("<II", head, 36 + 8, 7, 32)  # layer 1: 7 outputs, layer 2 takes 32 inputs
    message = _error(_reseal(bytes(head) + good[header - 12 : header - 4], good[header:]))
    assert "do not make one network" in message


def test_ticket_index_names_tickets(tmp_path):
    cfg = L.make_config("tiny", seeds=(0, 3))
    assert L.ticket_index(cfg, "winner") == 0
    assert L.ticket_index(cfg, "loser", 3) == cfg.tickets().index(("largest", 3))
    assert L.ticket_index(cfg, "random", 3) == L.ticket_index(cfg, "random", seed=3)
    with pytest.raises(LthsirenError, match="no winner ticket of seed 5"):
        L.ticket_index(cfg, "winner", 5)
    with pytest.raises(LthsirenError, match="pass one of these names to --ticket and --seed"):
        L.ticket_index(cfg, "champion")


# -- every round of a real run -------------------------------------------------------------------


@pytest.fixture(scope="module")
def stored(tiny_run):
    cfg = tiny_run.config()
    return cfg, tiny_run, L.load_image(cfg.image, cfg.side).pixels


def test_every_codec_every_round(stored):
    cfg, run, target = stored
    for k in range(cfg.rounds):
        params, mask = run.ticket(k, 0)
        original = C.render(params, cfg.side, cfg.omega_0)
        for codec in C.CODECS:
            back = C.decode(C.encode(params, mask, cfg.omega_0, codec))
            image = C.render(back.params, cfg.side, back.omega_0)
            if back.lossless:
                assert C.bit_identical(back.params, params, mask), (codec, k)
                assert all(torch.equal(a, b) for a, b in zip(back.mask, mask)), (codec, k)
                assert torch.equal(image, original), (codec, k)
            else:
                change = abs(L.psnr(image, target) - L.psnr(original, target))
                assert change < (0.05 if "f16" in codec else 0.5), (codec, k, change)


def test_rate_distortion_points(stored):
    from lthsiren.chapters import ratedistortion as RD

    cfg, run, target = stored
    stored = {r["round"]: r["psnr"] for r in run.records() if r["strategy"] == "smallest"}
    points = RD.network_points(run, codecs=["coo", "csr-f32+lzma", "csr-q8"])
    assert len(points) == 3 * cfg.rounds
    for p in points:
        assert p.bpp == pytest.approx(8 * p.bytes / cfg.side**2)
        params, mask = run.ticket(p.setting, 0)
        assert p.bytes == len(C.encode(params, mask, cfg.omega_0, p.method))
        if p.lossless:
            assert p.psnr == pytest.approx(stored[p.setting], abs=1e-4)
    images = RD.image_points(target, qualities=(10, 50, 90))
    assert {p.method for p in images} == set(RD.IMAGE_FORMATS)
    for name in RD.IMAGE_FORMATS:
        curve = [p for p in images if p.method == name]
        assert curve[0].bytes < curve[-1].bytes and curve[0].psnr < curve[-1].psnr
    png = RD.png_point(target)
    assert png.psnr == float("inf") and png.lossless
    lines = RD.summary(points, images, png)
    assert len(lines) >= len(RD.IMAGE_FORMATS) + 1
    assert all(line.startswith("against") for line in lines[: len(RD.IMAGE_FORMATS) + 1])


def test_pareto_and_interpolation():
    from lthsiren.chapters.ratedistortion import Point, bytes_at, compare, pareto, psnr_at

    def pt(n, q, method="coo"):
        return Point(method, 0, n, 8 * n / 64, q, True)

    front = pareto([pt(100, 20), pt(200, 19), pt(400, 30), pt(400, 25), pt(800, 40)])
    assert [(p.bytes, p.psnr) for p in front] == [(100, 20), (400, 30), (800, 40)]
    assert psnr_at(front, 200) == pytest.approx(25.0)  # halfway in log bytes
    assert psnr_at(front, 400) == 30 and math.isnan(psnr_at(front, 50))
    assert math.isnan(psnr_at(front, 1600))
    assert bytes_at(front, 25.0) == pytest.approx(200.0)
    assert math.isnan(bytes_at(front, 45.0))
    rows = compare(
        [pt(50, 10), pt(200, 28), pt(2000, 41)], [pt(100, 20, "WebP"), pt(800, 40, "WebP")], "WebP"
    )
    assert [r.status for r in rows] == ["below", "ahead", "above"]
    assert rows[1].gain == pytest.approx(28 - (20 + 20 / 3))  # 200 B: a third of the way
