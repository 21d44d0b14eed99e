"""One forward pass: the functional :func:`lthsiren.network.model.forward` against the nn.Module,
the engine's fused training path, the ReLU+FF encoding, the sparse branch, tiling, and the engine's
memory-bounded tiles."""

import pytest
import torch

import lthsiren as L
from lthsiren.network.model import (
    encoding_of,
    forward,
    fourier_encode,
    init_network,
    network_inputs,
)
from lthsiren.network.ticket import stack
from lthsiren.training.budget import tile_rows


def _naive(params, x, omega_0):
    """The SIREN written out from the paper, for comparison."""
    h = x
    for w, b in params[:-1]:
        h = torch.sin(omega_0 * (h @ w.T + b))
    w, b = params[-1]
    return h @ w.T + b


def test_forward_is_the_paper_siren_and_the_module():
    params = L.init_params(32, 5, 30.0, seed=1)
    x = L.coordinate_grid(12)
    out = forward(params, x, 30.0)
    torch.testing.assert_close(out, _naive(params, x, 30.0), rtol=0, atol=1e-5)
    net = L.Siren(32, 5, 30.0, seed=1)
    with torch.no_grad():
        torch.testing.assert_close(net(x), out, rtol=0, atol=1e-5)


def test_the_engine_predicts_what_forward_computes(small_problem):
    p = small_problem
    trainer = L.TicketTrainer(p["coords"], p["target"], 30.0)
    batched = trainer.predict(p["params"])
    for t, (params, mask) in enumerate(zip(p["theta"], p["masks"])):
        mine = forward(L.rewind(params, mask), p["coords"], 30.0)
        torch.testing.assert_close(batched[t], mine, rtol=0, atol=1e-6)


def test_relu_ff_forward_matches_the_engine_on_encoded_inputs():
    cfg = L.make_config("tiny", model="relu-ff", width=16, side=8)
    params = init_network(cfg, 3)
    coords = L.coordinate_grid(8)
    out = forward(params, coords, activation="relu", encoding=encoding_of(cfg))
    inputs = network_inputs(cfg, coords)
    torch.testing.assert_close(inputs, fourier_encode(coords, encoding_of(cfg)))
    trainer = L.TicketTrainer(inputs, torch.zeros(64, 3), activation="relu")
    torch.testing.assert_close(trainer.predict(stack([params]))[0], out, rtol=0, atol=1e-6)


def test_hidden_layers_are_reported_and_tiling_changes_nothing():
    params = L.init_params(16, 4, 30.0, seed=2)
    x = L.coordinate_grid(10)
    hidden = []
    whole = forward(params, x, 30.0, hidden=hidden)
    assert len(hidden) == 3 and all(h.shape == (100, 16) for _, h in hidden)
    torch.testing.assert_close(hidden[0][1], torch.sin(hidden[0][0]))
    # a tile's GEMM may round differently from the whole image's, nothing more
    torch.testing.assert_close(forward(params, x, 30.0, tile=7), whole, rtol=0, atol=1e-6)


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_sparse_csr_layers_give_the_dense_result():
    params = L.init_params(16, 4, 30.0, seed=4)
    mask = [
        torch.rand(w.shape, generator=torch.Generator().manual_seed(i)) < 0.3
        for i, (w, _) in enumerate(params)
    ]
    dense = L.rewind(params, mask)
    sparse = [(w.to_sparse_csr(), b) for w, b in dense]
    x = L.coordinate_grid(9)
    torch.testing.assert_close(forward(sparse, x), forward(dense, x), rtol=0, atol=1e-5)


def test_bad_activation_is_refused():
    with pytest.raises(ValueError, match="activation"):
        forward(L.init_params(4, 2), L.coordinate_grid(4), activation="tanh")


def test_tiles_follow_a_memory_budget_on_any_device():
    cpu = torch.device("cpu")
    # the CPU default: a cache-sized tile, whole image when it is small
    assert tile_rows(4096, [128] * 4, cpu) == 4096
    assert tile_rows(65536, [256] * 4, cpu) == 2048
    # an explicit budget (what a GPU gets from its free memory): rows * bytes per row fit in it
    per_row = 4 * (2 * 1024 + 2 * 256 + 1)
    assert tile_rows(10**6, [256] * 4, cpu, budget=100 * per_row) == 100
    assert tile_rows(50, [256] * 4, cpu, budget=10**9) == 50
    assert tile_rows(10**6, [256] * 4, cpu, budget=1) == 1


def test_a_tiled_engine_trains_like_an_untiled_one(small_problem):
    p = small_problem
    runs = []
    for tile in (None, 37):
        trainer = L.TicketTrainer(p["coords"], p["target"], 30.0, tile=tile)
        runs.append(trainer.fit(p["params"], p["batched_masks"], 5, 1e-3)[0])
    for (wa, ba), (wb, bb) in zip(*runs):
        torch.testing.assert_close(wa, wb, rtol=0, atol=1e-5)
        torch.testing.assert_close(ba, bb, rtol=0, atol=1e-5)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_forward_and_engine_on_cuda_match_the_cpu(small_problem):
    p = small_problem
    dev = torch.device("cuda")
    params = [(w.to(dev), b.to(dev)) for w, b in p["params"]]
    trainer = L.TicketTrainer(p["coords"].to(dev), p["target"].to(dev), 30.0)
    gpu = trainer.predict(params).cpu()
    cpu = L.TicketTrainer(p["coords"], p["target"], 30.0).predict(p["params"])
    torch.testing.assert_close(gpu, cpu, rtol=0, atol=1e-3)
    one = [(w[0], b[0]) for w, b in params]
    torch.testing.assert_close(forward(one, p["coords"].to(dev)).cpu(), cpu[0], rtol=0, atol=1e-3)
