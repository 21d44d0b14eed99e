"""The batched training engine: many lottery tickets fitted to one image at once.

Every ticket of an experiment (several strategies x several seeds) is a SIREN with its own
weights and mask, trained side by side by one :class:`TicketTrainer`. Parameters, gradients,
Adam's moments and masks of all tickets each live in one flat buffer
(:mod:`lthsiren.training.buffers`), so the optimizer is a handful of vector ops per step whatever
the number of tickets and layers; each ticket's layers are named views into those buffers. The
matmuls are one ``torch.mm`` (or ``addmm``) per ticket and layer, not one batched kernel for all
tickets (see ``_allocate``).

Forward and backward are written out by hand instead of going through autograd, because on a
CPU the matmuls are not the slow part: the sine, its derivative, temporaries and per-op overhead
are. Written by hand, each sine layer costs one ``sin``, one ``cos`` (kept for the backward
pass) and one multiply; omega_0 rides along as the GEMMs' ``alpha``.

The same engine trains a ReLU MLP (``activation="relu"``): then the inputs are whatever encoding
the caller passes (Fourier features, :mod:`lthsiren.network.model`), there is no omega_0, and the
buffer that keeps ``cos`` for a sine layer keeps the ReLU's 0/1 derivative instead. The
ReLU-and-transfer chapter prunes that network.

Masks are applied to the gradient, not to the weights: a pruned weight starts at exactly 0
(rewinding), its gradient is 0, Adam's moments stay 0, and its update is ``0 / (0 + eps) = 0``,
so it stays exactly 0 without an extra pass over the weights (tests/test_engine.py checks this).

The optimizer is Adam (torch's update rule), fresh each round, with cosine annealing from ``lr``
to 0 over the round's steps (as ``torch.optim.lr_scheduler.CosineAnnealingLR``) or a constant
rate; the loss is the per-ticket mean squared error over all pixels and channels, or over one
mini-batch's pixels (:mod:`lthsiren.training.minibatch`). The IMP chapter introduces the training
round.

This fused path is the package's only forward pass besides :func:`lthsiren.network.model.forward`,
and the tests hold the two to the same outputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from ..network.ticket import BatchedParams, Mask, TicketParams, mask_of, stack, unstack
from .budget import tile_rows
from .buffers import TicketViews, adam_update, flat_size, ticket_views
from .minibatch import MiniBatches, epoch_rows


def cosine_lr(lr: float, step: int, steps: int) -> float:
    """Learning rate at ``step`` (0-based) of a cosine schedule from ``lr`` to 0 over ``steps``."""
    return 0.5 * lr * (1.0 + math.cos(math.pi * step / steps))


def schedule_lr(schedule: str, lr: float, step: int, steps: int) -> float:
    """Learning rate at ``step`` of a ``"cosine"`` schedule or a ``"constant"`` one (``lr``)."""
    if schedule not in ("cosine", "constant"):
        raise ValueError(f"schedule must be 'cosine' or 'constant', got {schedule!r}")
    return cosine_lr(lr, step, steps) if schedule == "cosine" else lr


class TicketTrainer:
    """Trains T networks side by side on one image, full batch or in mini-batches (``--batch``).

    :meth:`fit` takes batched parameters and masks (a leading ticket dimension T, every ticket
    the same shape); :meth:`fit_tickets` takes one ``[(W, b), ...]`` per ticket, and there each
    ticket may have layers of its own widths (a ticket compacted to the neurons that still reach
    the output, :mod:`lthsiren.network.compaction`). The trainer owns its buffers; call either once
    per round (it starts a fresh Adam each time, as the protocol asks).
    """

    betas = (0.9, 0.999)
    eps = 1e-8

    def __init__(
        self,
        coords: torch.Tensor,
        target: torch.Tensor,
        omega_0: float = 30.0,
        tile: int | None = None,
        activation: str = "sine",
    ):
        # Pixels go through in tiles whose gradients add up to the full-batch gradient
        # (:func:`lthsiren.training.budget.tile_rows`; ``tile`` fixes the rows per tile).
        if activation not in ("sine", "relu"):
            raise ValueError(f"activation must be 'sine' or 'relu', got {activation!r}")
        self.tile = tile
        self.coords = coords  # [N, n_in]: pixel coordinates, or their encoding for a ReLU MLP
        self.target = target  # [N, C]
        self.activation = activation
        # a ReLU layer has no frequency factor: scaling by 1 keeps one code path for both
        self.omega_0 = float(omega_0) if activation == "sine" else 1.0
        self._key = None

    # -- buffers ---------------------------------------------------------------------------
    def _allocate(self, shapes: list[list[tuple[int, int]]], dev, dt) -> None:
        """Flat buffers for parameters, gradients, Adam's moments and masks (one vector each, so
        the optimizer is a handful of vector ops), and per-ticket views into them.
        ``shapes[t]`` lists ticket t's ``(out, in)`` per layer."""
        key = (tuple(map(tuple, shapes)), dev, dt)
        if self._key == key:
            return
        self._key = key
        N = self.coords.shape[0]
        self.flat = torch.zeros(flat_size(shapes), device=dev, dtype=dt)
        self.grad = torch.zeros_like(self.flat)
        self.exp_avg = torch.zeros_like(self.flat)
        self.exp_avg_sq = torch.zeros_like(self.flat)
        self.denom = torch.zeros_like(self.flat)
        self.flat_mask = torch.ones_like(self.flat)
        # One torch.mm per ticket rather than one torch.bmm for all: on a 2-core CPU a batch of 3
        # splits unevenly over the threads (measured 271 vs 342 GFLOP/s), while each mm uses
        # both; and tickets compacted to their live neurons differ in width.
        self._tickets = ticket_views(shapes, self.flat, self.grad, self.flat_mask)
        # Activations of one ticket at a time: a ticket's forward and backward pass run back to
        # back, so its activations are still in cache when the backward pass reads them (the
        # tickets sharing these buffers cut the working set T-fold; measured 30% faster). Each
        # ticket views the first n * width values of a layer's buffer as [n, width].
        widest = [max(max(col), 1) for col in zip(*(v.hidden for v in self._tickets))]
        rows = tile_rows(N, widest, dev) if self.tile is None else self.tile
        self._tile_rows = rows = min(N, rows)
        self.ones = torch.ones(rows, device=dev, dtype=dt)
        self.h = [torch.empty(rows * o, device=dev, dtype=dt) for o in widest]
        self.cos = [torch.empty(rows * o, device=dev, dtype=dt) for o in widest]
        self.dh = [torch.empty(rows * max(widest), device=dev, dtype=dt) for _ in range(2)]
        self.T = len(shapes)
        self.y = torch.empty(self.T, N, shapes[0][-1][0], device=dev, dtype=dt)
        for t, v in enumerate(self._tickets):
            v.out = self.y[t]

    def _load(self, params: list[TicketParams], masks: list[Mask] | None) -> None:
        shapes = [[tuple(w.shape) for w, _ in p] for p in params]
        self._allocate(shapes, params[0][0][0].device, params[0][0][0].dtype)
        for t, (v, p) in enumerate(zip(self._tickets, params, strict=True)):
            for l, (w, b) in enumerate(p):
                v.weights[l].copy_(w)
                v.biases[l].copy_(b)
                if masks is None:
                    v.mask[l].fill_(1.0)
                else:
                    m = masks[t][l]
                    v.mask[l].copy_(m)
                    v.weights[l].masked_fill_(~m.bool(), 0.0)  # +0.0, never -0.0

    # -- the network -------------------------------------------------------------------------
    @staticmethod
    def _rows(buf: torch.Tensor, n: int, width: int) -> torch.Tensor:
        """The first ``n`` rows of a ``width``-wide activation buffer, contiguous."""
        return buf[: n * width].view(n, width)

    def _forward_one(self, v: TicketViews, rows: slice, keep_cos: bool) -> torch.Tensor:
        w0 = self.omega_0
        n = rows.stop - rows.start
        h = self.coords[rows]
        for l, o in enumerate(v.hidden):
            z, h_out = self._rows(self.cos[l], n, o), self._rows(self.h[l], n, o)
            torch.addmm(v.biases[l], h, v.weights_t[l], beta=w0, alpha=w0, out=z)
            if self.activation == "sine":
                torch.sin(z, out=h_out)
                if keep_cos:
                    torch.cos(z, out=z)
            else:
                torch.clamp(z, min=0.0, out=h_out)
                if keep_cos:  # relu'(z): sign of max(z, 0) is exactly 1 or 0
                    torch.sign(h_out, out=z)
            h = h_out
        return torch.addmm(v.biases[-1], h, v.weights_t[-1], out=v.out[rows])

    def _backward_one(self, v: TicketViews, rows: slice, y: torch.Tensor, accumulate: bool) -> None:
        """Add one tile's share of one ticket's MSE gradient into its slice of ``self.grad``."""
        w0 = self.omega_0
        beta = 1.0 if accumulate else 0.0
        n = rows.stop - rows.start
        dy = y.sub_(self.target[rows]).mul_(2.0 / (self.coords.shape[0] * y.shape[1]))
        widths = v.hidden
        last = len(widths)
        h = [self._rows(self.h[l], n, o) for l, o in enumerate(widths)]
        gW, gb = v.grad_weights, v.grad_biases
        gb[last].addmv_(dy.T, self.ones[:n], beta=beta)
        gW[last].addmm_(dy.T, h[last - 1], beta=beta)
        dh = torch.mm(dy, v.weights[last], out=self._rows(self.dh[0], n, widths[last - 1]))
        for l in range(last - 1, -1, -1):
            # d loss / d (omega_0 * pre-activation), in place
            dz = dh.mul_(self._rows(self.cos[l], n, widths[l]))
            h_in = h[l - 1] if l > 0 else self.coords[rows]
            gW[l].addmm_(dz.T, h_in, beta=beta, alpha=w0)
            gb[l].addmv_(dz.T, self.ones[:n], beta=beta, alpha=w0)
            if l > 0:
                out = self._rows(self.dh[(last - l) % 2], n, widths[l - 1])
                dh = out.addmm_(dz, v.weights[l], beta=0.0, alpha=w0)

    def _tiles(self) -> list[slice]:
        N = self.coords.shape[0]
        step = self._tile_rows
        return [slice(i, min(i + step, N)) for i in range(0, N, step)]

    def _train_step(self) -> None:
        tiles = self._tiles()
        for v in self._tickets:
            for i, rows in enumerate(tiles):
                y = self._forward_one(v, rows, keep_cos=True)
                self._backward_one(v, rows, y, accumulate=i > 0)
        self.grad.mul_(self.flat_mask)

    def _forward(self) -> torch.Tensor:
        for v in self._tickets:
            for rows in self._tiles():
                self._forward_one(v, rows, keep_cos=False)
        return self.y

    def _adam_step(self, lr: float, step: int) -> None:
        g, m, v, d = self.grad, self.exp_avg, self.exp_avg_sq, self.denom
        adam_update(self.flat, g, m, v, d, lr, step, self.betas, self.eps)

    @contextmanager
    def only_rows(self, rows: torch.Tensor | None) -> Iterator[None]:
        """See only the pixels ``rows`` (inputs and targets gathered) for one training pass; the
        tiles, the loss normalisation and the output rows follow the smaller row count.
        ``None`` leaves the whole image in place."""
        if rows is None:
            yield
            return
        coords, target = self.coords, self.target
        self.coords, self.target = coords[rows], target[rows]
        try:
            yield
        finally:
            self.coords, self.target = coords, target

    # -- public API ------------------------------------------------------------------------------
    @torch.no_grad()
    def fit_tickets(
        self,
        params: list[TicketParams],
        masks: list[Mask] | None,
        steps: int,
        lr: float,
        on_step: Callable[[int], None] | None = None,
        snapshot_step: int | None = None,
        batches: MiniBatches | None = None,
        schedule: str = "cosine",
    ) -> tuple[list[TicketParams], list[TicketParams] | None]:
        """Train the tickets ``params`` (one ``[(W, b), ...]`` each, under ``masks``) for
        ``steps`` full-batch Adam steps, the learning rate by ``schedule`` (:func:`schedule_lr`:
        cosine from ``lr`` to 0, or ``lr`` throughout); with ``batches``, ``steps`` epochs of
        mini-batch steps, and ``snapshot_step`` counts epochs (:mod:`.minibatch`).

        Returns the trained parameters and, if ``snapshot_step`` is given, the parameters as
        they were after that many steps (what late rewinding rewinds to).
        """
        self._load(params, masks)
        self.exp_avg.zero_()
        self.exp_avg_sq.zero_()
        snapshot = self.ticket_params() if snapshot_step == 0 else None
        self.adam_steps = 0  # Adam's bias correction counts these, not epochs
        for step in range(steps):
            for rows in epoch_rows(batches, self.coords.shape[0], self.flat.device):
                with self.only_rows(rows):
                    self._train_step()
                self.adam_steps += 1
                self._adam_step(schedule_lr(schedule, lr, step, steps), self.adam_steps)
            if snapshot_step is not None and step + 1 == snapshot_step:
                snapshot = self.ticket_params()
            if on_step is not None:
                on_step(step)
        return self.ticket_params(), snapshot

    def fit(
        self,
        params: BatchedParams,
        masks: Mask | None,
        steps: int,
        lr: float,
        on_step: Callable[[int], None] | None = None,
        snapshot_step: int | None = None,
        batches: MiniBatches | None = None,
        schedule: str = "cosine",
    ) -> tuple[BatchedParams, BatchedParams | None]:
        """:meth:`fit_tickets` for batched parameters and masks (every ticket the same shape)."""
        T = params[0][0].shape[0]
        per_mask = None if masks is None else [mask_of(masks, t) for t in range(T)]
        tickets = [unstack(params, t) for t in range(T)]
        trained, snapshot = self.fit_tickets(
            tickets, per_mask, steps, lr, on_step, snapshot_step, batches, schedule
        )
        return stack(trained), None if snapshot is None else stack(snapshot)

    @torch.no_grad()
    def predict(self, params: BatchedParams | None = None) -> torch.Tensor:
        """The T reconstructions ``[T, N, C]`` (unclamped) of ``params`` (default: current)."""
        if params is not None:
            self._load([unstack(params, t) for t in range(params[0][0].shape[0])], None)
        return self._forward().clone()

    def ticket_params(self) -> list[TicketParams]:
        """Copies of the current parameters, one ``[(W, b), ...]`` per ticket."""
        return [
            [(w.clone(), b.clone()) for w, b in zip(v.weights, v.biases)] for v in self._tickets
        ]

    def params(self) -> BatchedParams:
        """Copies of the current parameters, batched (every ticket the same shape)."""
        return stack(self.ticket_params())
