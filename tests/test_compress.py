import struct

import pytest
import torch

import lthsiren as L
from lthsiren import compress as C
from lthsiren.errors import LthsirenError

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


def _masked(params, mask):
    return [(torch.where(m, w, torch.zeros(())), b) for (w, b), m in zip(params, mask)]


@pytest.mark.parametrize("codec", ["dense-f32", "coo"])
@pytest.mark.parametrize("density", [1.0, 0.8, 0.5, 0.2, 0.05, 0.01, 0.0])
def test_round_trip_is_bit_exact(codec, density):
    params, mask = _ticket(density)
    back = C.decode(C.encode(params, mask, omega_0=30.0, codec=codec))
    assert back.codec == codec
    assert back.omega_0 == 30.0
    assert back.shapes == [tuple(w.shape) for w, _ in params]
    assert C.bit_identical(back.params, _masked(params, mask))
    assert all(w.dtype == torch.float32 for w, _ in back.params)
    # dense-f32 has no mask of its own (a weight is pruned when it is zero); with random float
    # weights no survivor is exactly zero, so both codecs give the mask back
    assert all(torch.equal(a, b) for a, b in zip(back.mask, mask))


def test_bit_identical_ignores_only_the_sign_of_pruned_zeros():
    params, mask = _ticket(0.5)
    masked = _masked(params, mask)
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
    for codec in ("coo", "dense-f32"):
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
    assert C.bit_identical(back.params, _masked(params, mask))
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


# -- bad files ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good():
    params, mask = _ticket(0.2)
    return C.encode(params, mask, codec="coo")


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
    params = _masked(params, mask)
    img = C.render(params, 16, 30.0)
    assert img.shape == (16, 16, 3)
    net = L.Siren(WIDTH, 5, 30.0)
    net.load_params(params)
    with torch.no_grad():
        ref = net(L.coordinate_grid(16)).reshape(16, 16, 3)
    torch.testing.assert_close(img, ref, rtol=1e-4, atol=1e-4)


def test_decoded_ticket_scores_its_stored_psnr(tmp_path):
    cfg = L.make_config("tiny", side=16, width=16, steps=20, rounds=4)
    run = L.run_experiment(cfg, root=tmp_path, progress=False)
    target = L.load_image(cfg.image, cfg.side).pixels
    for k in range(cfg.rounds):
        params, mask = C.ticket_from_run(run, k, ticket=0)
        stored = next(r for r in run.records() if r["round"] == k and r["strategy"] == "smallest")
        back = C.decode(C.encode(params, mask, cfg.omega_0, "coo"))
        assert back.survivors == stored["alive"]
        # the engine leaves -0.0 at some pruned weights; the file stores them as +0.0
        assert C.bit_identical(back.params, params, mask)
        # same process, same arithmetic as the engine: the very same PSNR
        assert L.psnr(C.render(back.params, cfg.side, back.omega_0), target) == stored["psnr"]
