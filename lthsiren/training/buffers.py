"""The batched engine's memory (:class:`lthsiren.training.engine.TicketTrainer`): one flat vector
each for the parameters, gradients, Adam's two moments and the masks of all tickets, each ticket's
layers as named views into them (:class:`TicketViews`), and Adam's update on the flat vectors.

One flat vector per quantity makes the optimizer a handful of vector ops per step, whatever the
number of tickets and layers; a mask multiplies the whole gradient vector at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch


def aligned(n: int) -> int:
    """``n`` rounded up to whole 64-byte lines of float32: every view into the flat buffers
    starts on one, because the BLAS's rounding can depend on where a matrix starts, and a
    ticket's arithmetic must not depend on its neighbours (the gaps stay 0: no gradient)."""
    return -(-n // 16) * 16


def flat_size(shapes: list[list[tuple[int, int]]]) -> int:
    """Length of a flat buffer for tickets whose layers are ``(out, in)`` as ``shapes[t]``."""
    return sum(aligned(o * i) + aligned(o) for per_ticket in shapes for o, i in per_ticket)


@dataclass
class TicketViews:
    """One ticket's layers, each a view into the trainer's flat buffers: writing a view writes
    the buffer. ``out`` is the ticket's slice ``[N, C]`` of the trainer's output buffer."""

    weights: list[torch.Tensor] = field(default_factory=list)  # [out, in] per layer
    weights_t: list[torch.Tensor] = field(default_factory=list)  # their transposes, [in, out]
    biases: list[torch.Tensor] = field(default_factory=list)
    grad_weights: list[torch.Tensor] = field(default_factory=list)
    grad_biases: list[torch.Tensor] = field(default_factory=list)
    mask: list[torch.Tensor] = field(default_factory=list)  # the weights' 0/1 masks
    hidden: list[int] = field(default_factory=list)  # the widths of the hidden layers
    out: torch.Tensor | None = None


def ticket_views(
    shapes: list[list[tuple[int, int]]],
    flat: torch.Tensor,
    grad: torch.Tensor,
    flat_mask: torch.Tensor,
) -> list[TicketViews]:
    """The views of each ticket into ``flat`` (parameters), ``grad`` and ``flat_mask``, laid out
    ticket after ticket, layer after layer: weights then biases, each on an aligned start."""
    tickets, off = [], 0
    for per_ticket in shapes:
        v = TicketViews(hidden=[o for o, _ in per_ticket[:-1]])
        for o, i in per_ticket:
            v.weights.append(flat[off : off + o * i].view(o, i))
            v.grad_weights.append(grad[off : off + o * i].view(o, i))
            v.mask.append(flat_mask[off : off + o * i].view(o, i))
            v.weights_t.append(v.weights[-1].T)
            off += aligned(o * i)
            v.biases.append(flat[off : off + o])
            v.grad_biases.append(grad[off : off + o])
            off += aligned(o)
        tickets.append(v)
    return tickets


def adam_update(
    flat: torch.Tensor,
    grad: torch.Tensor,
    exp_avg: torch.Tensor,
    exp_avg_sq: torch.Tensor,
    denom: torch.Tensor,
    lr: float,
    step: int,
    betas: tuple[float, float],
    eps: float,
) -> None:
    """One Adam step (torch's update rule) on the flat vectors, in place; ``step`` counts from 1
    for the bias correction and ``denom`` is scratch space of ``flat``'s size."""
    b1, b2 = betas
    exp_avg.mul_(b1).add_(grad, alpha=1 - b1)
    exp_avg_sq.mul_(b2).addcmul_(grad, grad, value=1 - b2)
    bias1 = 1 - b1**step
    bias2 = 1 - b2**step
    torch.sqrt(exp_avg_sq, out=denom)
    denom.div_(math.sqrt(bias2)).add_(eps)
    flat.addcdiv_(exp_avg, denom, value=-lr / bias1)
