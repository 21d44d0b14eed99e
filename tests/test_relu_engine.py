"""The ReLU path of the batched engine (TicketTrainer(activation="relu")) and the relu-ff model
of lthsiren.network.model."""

import pytest
import torch

import lthsiren as L
from lthsiren.network.model import (
    activation,
    init_network,
    network_inputs,
    relu_init_params,
    relu_layer_sizes,
)
from lthsiren.network.ticket import mask_of, stack, unstack

SIDE, WIDTH, DEPTH = 16, 16, 5


@pytest.fixture(scope="module")
def relu_problem(pruned_tickets):
    cfg = L.make_config("tiny", side=SIDE, width=WIDTH, depth=DEPTH, model="relu-ff")
    theta = [relu_init_params(WIDTH, DEPTH, seed) for seed in (0, 1, 2)]
    return dict(
        cfg=cfg,
        inputs=network_inputs(cfg, L.coordinate_grid(SIDE)),
        target=L.load_image(None, SIDE).flat(),
        **pruned_tickets(theta),
    )


def _relu_forward(params, mask, inputs):
    h = inputs
    for (w, b), m in zip(params[:-1], mask[:-1]):
        h = torch.relu(h @ (w * m).T + b)
    w, b = params[-1]
    return h @ (w * mask[-1]).T + b


def _autograd_grads(params, mask, inputs, target):
    leaves = [(w.clone().requires_grad_(), b.clone().requires_grad_()) for w, b in params]
    m = [x.to(inputs.dtype) for x in mask]
    loss = torch.nn.functional.mse_loss(_relu_forward(leaves, m, inputs), target)
    loss.backward()
    return [(w.grad * mm, b.grad) for (w, b), mm in zip(leaves, m)]


def _engine_grads(trainer, params, masks):
    # one forward+backward pass of the engine, without the optimizer step
    T = params[0][0].shape[0]
    trainer._load([unstack(params, t) for t in range(T)], [mask_of(masks, t) for t in range(T)])
    trainer._train_step()
    return stack([list(zip(v.grad_weights, v.grad_biases)) for v in trainer._tickets])


@pytest.mark.parametrize("tile", [None, 50])
def test_relu_gradient_matches_autograd(relu_problem, tile):
    p = relu_problem
    trainer = L.TicketTrainer(p["inputs"], p["target"], activation="relu", tile=tile)
    ours = _engine_grads(trainer, p["params"], p["batched_masks"])
    for t in range(3):
        theirs = _autograd_grads(unstack(p["params"], t), p["masks"][t], p["inputs"], p["target"])
        scale = max(float(g.abs().max()) for pair in theirs for g in pair)
        assert scale > 0
        for (gw, gb), (rw, rb) in zip(unstack(ours, t), theirs):
            torch.testing.assert_close(gw, rw, rtol=0, atol=1e-6 * scale)
            torch.testing.assert_close(gb, rb, rtol=0, atol=1e-6 * scale)


def test_relu_gradient_is_not_the_sine_gradient(relu_problem):
    # omega_0 must be ignored, and the activation must actually be a ReLU
    p = relu_problem
    relu = _engine_grads(
        L.TicketTrainer(p["inputs"], p["target"], 30.0, activation="relu"),
        p["params"],
        p["batched_masks"],
    )
    relu_w1 = _engine_grads(
        L.TicketTrainer(p["inputs"], p["target"], 1.0, activation="relu"),
        p["params"],
        p["batched_masks"],
    )
    sine = _engine_grads(
        L.TicketTrainer(p["inputs"], p["target"], 1.0, activation="sine"),
        p["params"],
        p["batched_masks"],
    )
    assert all(torch.equal(a[0], b[0]) for a, b in zip(relu, relu_w1))
    assert not torch.allclose(relu[0][0], sine[0][0], atol=1e-6)


def test_relu_training_matches_torch_adam(relu_problem):
    p = relu_problem
    steps, lr = 10, 1e-4
    ours, _ = L.TicketTrainer(p["inputs"], p["target"], activation="relu").fit(
        p["params"], p["batched_masks"], steps, lr
    )
    for t in range(3):
        leaves = [
            (w.clone().requires_grad_(), b.clone().requires_grad_())
            for w, b in unstack(p["params"], t)
        ]
        mask = [m.float() for m in p["masks"][t]]
        opt = torch.optim.Adam([x for pair in leaves for x in pair], lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            out = _relu_forward(leaves, mask, p["inputs"])
            torch.nn.functional.mse_loss(out, p["target"]).backward()
            opt.step()
            sched.step()
        for (w, b), (rw, rb), m in zip(unstack(ours, t), leaves, mask):
            torch.testing.assert_close(w, (rw * m).detach(), rtol=0, atol=1e-6)
            torch.testing.assert_close(b, rb.detach(), rtol=0, atol=1e-6)


def test_relu_masked_weights_stay_exactly_zero(relu_problem):
    p = relu_problem
    trainer = L.TicketTrainer(p["inputs"], p["target"], activation="relu")
    before = trainer.predict(p["params"])
    trained, _ = trainer.fit(p["params"], p["batched_masks"], steps=25, lr=1e-3)
    after = trainer.predict()
    for (w, _), (w0, _), m in zip(trained, p["params"], p["batched_masks"]):
        m = m.bool()
        assert torch.count_nonzero(w[~m]) == 0
        assert not torch.signbit(w[~m]).any()
        assert not torch.equal(w[m], w0[m])  # survivors trained
    mse = lambda y: ((y - p["target"]) ** 2).mean(dim=(1, 2))  # noqa: E731
    assert (mse(after) < mse(before)).all()


def test_unknown_activation_is_rejected(relu_problem):
    with pytest.raises(ValueError, match="activation"):
        L.TicketTrainer(relu_problem["inputs"], relu_problem["target"], activation="tanh")


# -- the relu-ff model --------------------------------------------------------------------------


def test_network_inputs_are_fixed_fourier_features():
    cfg = L.make_config("tiny", side=SIDE, width=WIDTH, model="relu-ff")
    coords = L.coordinate_grid(SIDE)
    a, b = network_inputs(cfg, coords), network_inputs(cfg, coords)
    assert a.shape == (SIDE * SIDE, WIDTH)
    assert a.min() >= -1.0 and a.max() <= 1.0
    assert torch.equal(a, b)
    # the same B whatever the run's seeds: it is part of the encoding, like the grid
    other_seeds = L.make_config("tiny", side=SIDE, width=WIDTH, model="relu-ff", seeds=(4, 7))
    assert torch.equal(a, network_inputs(other_seeds, coords))
    # [cos, sin] of one phase per frequency
    half = WIDTH // 2
    torch.testing.assert_close(a[:, :half] ** 2 + a[:, half:] ** 2, torch.ones(SIDE**2, half))
    # the scale of B is ff_sigma
    wider = L.make_config("tiny", side=SIDE, width=WIDTH, model="relu-ff", ff_sigma=7.0)
    assert not torch.equal(a, network_inputs(wider, coords))
    # a SIREN sees the coordinates themselves
    assert torch.equal(network_inputs(L.make_config("tiny", side=SIDE), coords), coords)


def test_relu_init_and_layer_sizes():
    cfg = L.make_config("tiny", width=WIDTH, depth=DEPTH, model="relu-ff")
    params = init_network(cfg, 3)
    assert [tuple(w.shape) for w, _ in params] == [(o, i) for i, o in relu_layer_sizes(16, 5)]
    assert [tuple(w.shape) for w, _ in params] == [(16, 16), (16, 16), (16, 16), (3, 16)]
    for (w, b), (w2, b2) in zip(params, relu_init_params(WIDTH, DEPTH, 3)):
        assert torch.equal(w, w2) and torch.equal(b, b2)
        bound = 1.0 / w.shape[1] ** 0.5
        assert w.abs().max() <= bound and b.abs().max() <= bound
        assert w.abs().max() > 0.75 * bound  # nn.Linear's range, not a narrower one
    assert not torch.equal(params[0][0], relu_init_params(WIDTH, DEPTH, 4)[0][0])
    assert activation(cfg) == "relu" and activation(L.make_config("tiny")) == "sine"


@pytest.mark.parametrize("width", [128, 256])
def test_relu_mlp_parameter_count_within_1_percent_of_the_siren(width):
    siren = L.parameter_count(width, 5)["total"]
    relu = sum(i * o + o for i, o in relu_layer_sizes(width, 5))
    assert abs(relu - siren) / siren < 0.01


@pytest.fixture(scope="module")
def relu_run(tmp_path_factory):
    cfg = L.make_config("tiny", side=SIDE, width=WIDTH, steps=20, rounds=3, model="relu-ff")
    return cfg, L.run_experiment(cfg, root=tmp_path_factory.mktemp("relu"), progress=False)


def test_relu_run_records_every_ticket_with_exact_counts(relu_run):
    cfg, run = relu_run
    recs = run.records()
    assert len(recs) == 3 * 3
    total = sum(i * o for i, o in relu_layer_sizes(WIDTH, DEPTH))
    assert total == 816
    expected = [total]
    for _ in range(2):
        expected.append(expected[-1] - round(0.2 * expected[-1]))
    for ticket in ("winner", "random", "loser"):
        got = [r["alive"] for r in recs if r["ticket"] == ticket]
        assert got == expected, ticket
        assert all(r["remaining"] == r["alive"] / total for r in recs if r["ticket"] == ticket)
    assert all(r["psnr"] == r["psnr"] for r in recs)  # no NaN
    r0 = [r["psnr"] for r in recs if r["round"] == 0]
    assert r0[0] == r0[1] == r0[2]  # the dense net, shared


def test_relu_run_trains_the_relu_net_on_fourier_features(relu_run):
    cfg, run = relu_run
    theta0 = run.theta0()
    assert torch.equal(theta0[0][0][0], relu_init_params(WIDTH, DEPTH, 0)[0][0])
    masks, trained = run.round_state(0)
    inputs = network_inputs(cfg, L.coordinate_grid(SIDE))
    target = L.load_image(None, SIDE).flat()
    replay, _ = L.TicketTrainer(inputs, target, activation="relu").fit(
        theta0, masks, cfg.steps, cfg.lr
    )
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(replay, trained))
    as_sine, _ = L.TicketTrainer(inputs, target, cfg.omega_0, activation="sine").fit(
        theta0, masks, cfg.steps, cfg.lr
    )
    assert not torch.equal(as_sine[0][0], trained[0][0])
    # and the trained ReLU net fits the image better than its init does
    before = L.TicketTrainer(inputs, target, activation="relu").predict(theta0)[0]
    after = L.TicketTrainer(inputs, target, activation="relu").predict(trained)[0]
    assert ((after - target) ** 2).mean() < ((before - target) ** 2).mean()


def test_relu_run_has_its_own_folder(relu_run):
    cfg, run = relu_run
    siren = L.make_config("tiny", side=SIDE, width=WIDTH, steps=20, rounds=3)
    sha = run.info()["image"]["sha256"]
    assert siren.key(sha) != cfg.key(sha)
    assert run.config().model == "relu-ff" and run.config().ff_sigma == cfg.ff_sigma
