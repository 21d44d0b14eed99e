"""Training only what can still change the picture: each ticket narrowed, for one round, to the
neurons that still reach the output.

A hidden neuron whose outgoing weights are all pruned, or that only feeds such neurons (found
backwards from the output layer), has an exactly zero gradient: nothing it computes reaches the
loss, so its incoming weights and bias, and the weights from it to other dead neurons, never
move under Adam (a zero gradient leaves both moments at 0 and the update at ``0 / eps = 0``).
Training the ticket without those neurons gives the same result up to float rounding (a GEMM
over fewer columns may sum in another order), at the cost of the neurons that are left. A ticket
whose output layer is empty reduces to its output biases.

A neuron with no alive *input* is not dead: it outputs the constant ``sin(omega_0 * b)`` and its
outgoing weights and bias still train, so it stays. Nothing here changes a mask or a stored
weight: :func:`narrow` gathers each ticket's live part before a round, :func:`widen` scatters the
trained values back into the full layout, where the dropped weights keep their start values, as
dense training would have left them. Used by :func:`lthsiren.training.imp.imp_rounds`; tested
against dense training in tests/test_compaction.py. :func:`reaching_output` is the one rule for
which neurons reach the output: the lossy codecs (:mod:`lthsiren.codecs.csr`) and
:func:`lthsiren.chapters.compact.compact_network` use it too.
"""

from __future__ import annotations

import torch

from .ticket import Mask, TicketParams

Keep = list[torch.Tensor]  # per hidden layer: indices of the neurons a ticket keeps


def reaching_output(present: Mask) -> list[torch.Tensor]:
    """Per hidden layer, a bool ``[width]``: which neurons have a path of present weights to the
    output (every output neuron counts as reached), found backwards from the output layer.

    ``present`` is one bool ``[out, in]`` per layer, and what counts as present is the caller's
    call: training and the codecs pass the mask (a kept weight stays a weight even at 0.0: it
    still trains, and the file records it), :func:`lthsiren.chapters.compact.compact_network`
    passes the weights that are kept *and* nonzero (a kept zero adds nothing to the image).
    """
    reach = torch.ones(present[-1].shape[0], dtype=torch.bool, device=present[-1].device)
    live = []
    for m in reversed(present[1:]):
        reach = (m.bool() & reach[:, None]).any(dim=0)
        live.append(reach)
    return live[::-1]


def live_neurons(mask: Mask) -> Keep:
    """Per hidden layer, the indices of the neurons that reach the output."""
    return [r.nonzero().squeeze(1) for r in reaching_output(mask)]


def _rows_cols(keep: Keep, l: int, n_layers: int):
    rows = keep[l] if l < n_layers - 1 else None  # the output layer keeps all its neurons
    cols = keep[l - 1] if l > 0 else None  # and the input coordinates stay as they are
    return rows, cols


def _take(x: torch.Tensor, rows, cols) -> torch.Tensor:
    if rows is not None:
        x = x.index_select(0, rows)
    if cols is not None:
        x = x.index_select(1, cols)
    return x.contiguous()


def narrow(params: TicketParams, mask: Mask, keep: Keep) -> tuple[TicketParams, Mask]:
    """One ticket's parameters and mask restricted to the neurons ``keep`` lists."""
    out_p, out_m = [], []
    for l, ((w, b), m) in enumerate(zip(params, mask, strict=True)):
        rows, cols = _rows_cols(keep, l, len(params))
        out_p.append((_take(w, rows, cols), b if rows is None else b.index_select(0, rows)))
        out_m.append(_take(m, rows, cols))
    return out_p, out_m


def widen(trained: TicketParams, start: TicketParams, keep: Keep) -> TicketParams:
    """``start`` with the trained values of the kept neurons written back in place."""
    out = []
    for l, ((w, b), (w0, b0)) in enumerate(zip(trained, start, strict=True)):
        rows, cols = _rows_cols(keep, l, len(start))
        w_full, b_full = w0.clone(), b0.clone()
        r = torch.arange(w0.shape[0], device=w0.device) if rows is None else rows
        c = torch.arange(w0.shape[1], device=w0.device) if cols is None else cols
        w_full[r[:, None], c[None, :]] = w
        b_full[r] = b
        out.append((w_full, b_full))
    return out


def is_whole(keep: Keep, mask: Mask) -> bool:
    """Whether ``keep`` keeps every hidden neuron (nothing to narrow)."""
    return all(k.numel() == m.shape[0] for k, m in zip(keep, mask[:-1]))
