"""What a run will cost, known before it starts: the memory it needs, the time it takes, and
what its pruning schedule does.

:func:`estimate_bytes` adds up what a run holds at once: per ticket, every weight about
:data:`PARAM_COPIES` times in float32 (the engine's weights, gradient, Adam moments, mask and
scratch buffer, and the copies kept on the CPU: ``theta0``, the start of the round, the trained
weights, the masks, the round file being written), per ticket the reconstruction twice and the
pixel-wise output, once the target, the coordinates (or a ReLU network's Fourier features), and
one tile of activations (:func:`tile_rows`, which also sets the engine's tiles).
:func:`check_memory` refuses settings whose estimate exceeds the device's memory (the machine's
RAM for the CPU, the GPU's for CUDA), with the estimate in the message, before anything is
allocated: ``--width 100000`` is one line, not an attempt to allocate terabytes.
:func:`check_work` refuses settings whose estimated time (:func:`estimate_work` multiply-adds
at a rate measured on this project's machines) is over a week, unless ``allow_long`` is set.
:func:`prune_notes` says when ``--fraction`` removes no weight in a round, or when the rounds run
past the point where nothing is left.
"""

from __future__ import annotations

import os

import torch

from ..errors import LthsirenError
from ..network.architectures import architecture
from ..settings import Config

PARAM_COPIES = 16

# Activations per tile on a CPU: ~2**19 values per layer keep a tile in cache between the forward
# and the backward pass (measured at width 256: 2,048-pixel tiles 905 ms/step, whole image
# 1,090 ms/step; at width 128 the whole 64x64 image is one tile).
CPU_TILE_VALUES = 2**19
# On a GPU the whole image goes through at once when its activations fit this share of the free
# memory; a larger image is tiled to fit rather than running out of memory.
GPU_MEMORY_SHARE = 0.5


def tile_rows(n_pixels: int, hidden: list[int], device: torch.device, budget: int | None = None):
    """Pixels per tile for a network with these hidden widths on ``device``.

    ``budget`` (bytes for one ticket's activations; default: a cache-sized tile on a CPU, half
    the free memory on a GPU) bounds the tile: a tile keeps, per hidden layer, the activation
    and the cosine (or ReLU derivative) in float32, plus two gradient buffers of the widest layer.
    """
    bytes_per_row = 4 * (2 * sum(hidden) + 2 * max(hidden) + 1)
    if budget is None:
        if device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(device)
            budget = int(free * GPU_MEMORY_SHARE)
        else:
            return min(n_pixels, max(256, CPU_TILE_VALUES // max(hidden)))
    return max(1, min(n_pixels, budget // bytes_per_row))


def layers(cfg) -> list[tuple[int, int]]:
    """(n_in, n_out) of each Linear layer of ``cfg``'s network."""
    return architecture(cfg.model).layer_sizes(cfg)


def estimate_bytes(cfg: Config) -> int:
    """About how many bytes a run of ``cfg`` holds at its peak (see the module's doc)."""
    sizes = layers(cfg)
    tickets = len(cfg.tickets())
    params = sum(i * o + o for i, o in sizes)
    pixels = cfg.side * cfg.side
    hidden = [o for _, o in sizes[:-1]] or [1]
    rows = tile_rows(pixels, hidden, torch.device("cpu"))  # a GPU tiles to fit its memory
    activations = rows * (2 * sum(hidden) + 2 * max(hidden) + 1)
    inputs = pixels * sizes[0][0]
    return 4 * (
        PARAM_COPIES * tickets * params + 9 * tickets * pixels + 10 * pixels + inputs + activations
    )


def device_memory(device: torch.device) -> int | None:
    """Bytes of memory on ``device`` (None where it cannot be told)."""
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return None


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000
    raise AssertionError  # pragma: no cover


def check_memory(cfg: Config, device: torch.device) -> None:
    """Refuse ``cfg`` if its estimate does not fit ``device``'s memory."""
    need, have = estimate_bytes(cfg), device_memory(device)
    if have is not None and need > have:
        where = "this GPU" if device.type == "cuda" else "this machine"
        raise LthsirenError(
            f"these settings need about {_size(need)} of memory ({len(cfg.tickets())} tickets, "
            f"width {cfg.width}, {cfg.side}x{cfg.side} pixels), more than the {_size(have)} of "
            f"{where}; use a smaller --width or --side, or fewer --seeds or --strategies"
        )


# Multiply-adds per second, dense, calibrated from benchmarks/RESULTS.md (2 vCPUs of an AMD EPYC,
# torch 2.13 with MKL, 2 threads): the dense engine trained a whole laptop run (1.16e13
# multiply-adds by estimate_work) in 199.6 s, 5.8e10/s, and a blog round (1.17e14) in about
# 1,700 s, 6.9e10/s: 3e10 per thread. No GPU run has been measured; 2e12/s is a fraction of a
# small GPU's float32 peak (a T4's 8 TFLOP/s is 4e12 multiply-adds), so a faster GPU errs long.
CPU_MADDS_PER_THREAD = 3e10
GPU_MADDS = 2e12
# Refused above a week: the blog preset on a 2-core CPU, the longest run anyone means, is about
# 11 h by this estimate (10 h measured), 15 times less; past a week is an extra zero in --steps
# or --side, and --allow-long insists.
MAX_SECONDS = 7 * 24 * 3600


def estimate_work(cfg: Config) -> tuple[int, str]:
    """Multiply-adds of the whole run, dense (the engine skips what pruning removes), and how
    they add up: forward, input gradient and weight gradient are a product each per weight,
    pixel, ticket and step."""
    weights = sum(i * o for i, o in layers(cfg))
    tickets, pixels = len(cfg.tickets()), cfg.side * cfg.side
    madds = 3 * cfg.steps * cfg.rounds * tickets * pixels * weights
    how = (
        f"3 x {cfg.steps:,} steps x {cfg.rounds} rounds x {tickets} tickets x {pixels:,} pixels "
        f"x {weights:,} weights"
    )
    return madds, how


def estimate_seconds(cfg: Config, device: torch.device) -> float:
    rate = GPU_MADDS if device.type == "cuda" else CPU_MADDS_PER_THREAD * torch.get_num_threads()
    return estimate_work(cfg)[0] / rate


def _duration(seconds: float) -> str:
    for unit, length in (("years", 365 * 86400), ("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= length:
            return f"{seconds / length:,.3g} {unit}"
    return f"{seconds:.2g} s"


def _where(device: torch.device) -> str:
    return "a GPU" if device.type == "cuda" else f"this CPU ({torch.get_num_threads()} threads)"


def work_line(cfg: Config, device: torch.device) -> str:
    """One line: the estimated work and time on ``device`` (what ``lthsiren run`` prints)."""
    madds, how = estimate_work(cfg)
    seconds = estimate_seconds(cfg, device)
    return (
        f"estimated work: {madds:.2e} multiply-adds ({how}), at most about {_duration(seconds)}"
        f" on {_where(device)}"
    )


def check_work(cfg: Config, device: torch.device) -> None:
    """Refuse ``cfg`` if it would take more than :data:`MAX_SECONDS`, unless ``allow_long``."""
    seconds = estimate_seconds(cfg, device)
    if seconds > MAX_SECONDS and not cfg.allow_long:
        madds, how = estimate_work(cfg)
        raise LthsirenError(
            f"these settings would take about {_duration(seconds)} on {_where(device)} "
            f"({madds:.2e} multiply-adds: {how}); use a smaller --steps, --rounds or --side, "
            "or add --allow-long to insist"
        )


def prune_notes(cfg: Config) -> list[str]:
    """Notes on a schedule whose ``--fraction`` stops removing weights before the last round."""
    alive = sum(i * o for i, o in layers(cfg))
    for k in range(cfg.rounds - 1):
        removed = int(round(cfg.prune_fraction * alive))
        if alive == 0:
            return [
                f"no weight is left from round {k} on: rounds {k} to {cfg.rounds - 1} have "
                "nothing to prune and train biases alone (use fewer --rounds)"
            ]
        if removed == 0:
            return [
                f"--fraction {cfg.prune_fraction:g} removes no weight of the {alive:,} alive "
                f"after round {k}: rounds {k + 1} to {cfg.rounds - 1} repeat its mask (use a "
                "larger --fraction or fewer --rounds)"
            ]
        alive -= removed
    return []
