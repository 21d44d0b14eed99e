"""Using a decoded network: drawing it at any resolution, and comparing two networks bit for bit.

:func:`render` goes through the package's one forward pass (:func:`lthsiren.network.model.forward`),
tiled so that any resolution takes bounded memory. The compression chapter draws decoded tickets
with it.
"""

from __future__ import annotations

import numpy as np
import torch

from ..data import coordinate_grid
from ..errors import LthsirenError
from ..network.model import TILE, forward
from ..network.ticket import TicketParams
from ..settings import MAX_SIDE, finite, whole
from .registry import F32, as_array

MAX_RENDER_SIDE = MAX_SIDE  # as --side: 4096^2 pixels take ~0.5 GB to draw


@torch.no_grad()
def render(params, side: int, omega_0: float = 30.0, device=None) -> torch.Tensor:
    """The image ``[side, side, C]`` (unclamped, [-1, 1] scale) one SIREN draws, computed on
    ``device`` (default: where its weights are) and returned on the CPU."""
    if not (whole(side) and 1 <= side <= MAX_RENDER_SIDE):  # as ``lthsiren render --size``
        raise LthsirenError(f"--size must be 1 to {MAX_RENDER_SIDE} pixels, got {side}")
    if not (finite(omega_0) and omega_0 > 0):  # as the file formats
        raise LthsirenError(f"omega_0 must be a finite positive number, got {omega_0}")
    layers = [(torch.as_tensor(w).float(), torch.as_tensor(b).float()) for w, b in params]
    device = torch.device(device) if device is not None else layers[0][0].device
    layers = [(w.to(device), b.to(device)) for w, b in layers]
    coords = coordinate_grid(side).to(device)
    # TILE pixels at width 256; fewer through wider layers, so memory stays bounded
    widest = max(w.shape[0] for w, _ in layers)
    out = forward(layers, coords, omega_0, tile=max(1024, TILE * 256 // max(widest, 256)))
    return out.cpu().reshape(side, side, out.shape[-1])


def bit_identical(a: TicketParams, b: TicketParams, mask=None) -> bool:
    """Whether two networks hold exactly the same float32 bits.

    With ``mask``, a pruned weight only has to be zero in both (+0.0 or -0.0: no codec stores
    anything for a pruned weight, so its sign is not part of the network); surviving weights
    and all biases must match bit for bit.
    """
    if len(a) != len(b) or (mask is not None and len(mask) != len(a)):
        return False
    for l, ((wa, ba), (wb, bb)) in enumerate(zip(a, b)):
        wa, wb, ba, bb = (as_array(x, F32) for x in (wa, wb, ba, bb))
        if wa.shape != wb.shape or ba.tobytes() != bb.tobytes() or ba.shape != bb.shape:
            return False
        if mask is not None:
            m = as_array(mask[l], bool)
            if np.any(wa[~m] != 0) or np.any(wb[~m] != 0):
                return False
            wa, wb = wa[m], wb[m]
        if wa.tobytes() != wb.tobytes():
            return False
    return True
