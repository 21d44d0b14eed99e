"""The results store: one folder per run, written so that nothing computed is ever lost.

``runs/<preset>-<hash of the config>/`` holds

- ``config.json``: the settings, the image's source and sha256, and the device used;
- ``theta0.pt``: the step-0 weights every ticket rewinds to (and ``theta_late.pt``, the weights
  after K steps of round 0, when the run rewinds late);
- ``rounds/round_KK.pt``: per round K, the masks trained under and the trained weights;
- ``records.jsonl``: one JSON line per (round, ticket, seed): remaining fraction, alive count,
  PSNR, HFE, final loss, seconds;
- ``images/target.png`` and ``images/round_KK/<ticket>-s<seed>.png``: reconstructions.

Every file is written to a temporary name and renamed into place (atomic on POSIX), and a
round counts as complete only once its records are in ``records.jsonl``, which is written last.
A rerun of the same config resumes after the last complete round (:mod:`lthsiren.repair` keeps
every intact round of a damaged folder). Tensors are saved with ``torch.save`` as plain dicts of
tensors and loaded with ``weights_only=True``. Files that load but hold the wrong shape of data
(JSON of another layout, tensors that do not fit the settings) count as damaged too.

:func:`atomic_write` writes through a symlink to its target and refuses anything that is not a
regular file or a new path (a device, a FIFO), so ``-o /dev/null`` never replaces a device.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .config import Config, check
from .errors import LthsirenError, cannot_write
from .metrics import to_unit
from .ticket import BatchedParams, Mask, TicketParams, mask_of, unstack


def default_root() -> Path:
    """``$LTHSIREN_RUNS`` or ``./runs``."""
    return Path(os.environ.get("LTHSIREN_RUNS", "runs"))


_KINDS = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


def writable_target(path: str | os.PathLike) -> Path:
    """Where writing ``path`` should go: the path itself, or a symlink's final target. Anything
    that exists and is not a regular file is refused."""
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return path
    except OSError as e:
        raise cannot_write(path, e) from None
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise LthsirenError(f"{path} is {kind}; write to a regular file or a new path instead")
    return path


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place (or
    into the place a symlink ``path`` points to). A full disk or a read-only folder is one
    :class:`LthsirenError`, and no temporary file is left behind."""
    path = writable_target(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as e:
        raise cannot_write(path, e) from None
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        if e.errno is None:
            raise
        raise cannot_write(path, e) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def write_tensors(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    # serialised in memory and written by Python, so that a full disk is an OSError with errno
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in tensors.items()}, buf)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(buf.getvalue()))


def write_png(path: Path, img) -> None:
    """Save an image ``[side, side, 3]`` on the [-1, 1] scale (clamped) as an 8-bit PNG."""
    arr = (to_unit(img).numpy() * 255.0).round().astype(np.uint8)
    atomic_write(path, lambda tmp: Image.fromarray(arr).save(tmp, format="PNG"))


def params_to_dict(params: BatchedParams, prefix: str = "") -> dict[str, torch.Tensor]:
    out = {}
    for i, (w, b) in enumerate(params):
        out[f"{prefix}weight.{i}"] = w
        out[f"{prefix}bias.{i}"] = b
    return out


def params_from_dict(d: dict[str, torch.Tensor], prefix: str = "") -> BatchedParams:
    n = sum(1 for k in d if k.startswith(f"{prefix}weight."))
    return [(d[f"{prefix}weight.{i}"], d[f"{prefix}bias.{i}"]) for i in range(n)]


class RunDir:
    """One run's folder: typed reads and atomic writes of everything in it."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    # -- locating ----------------------------------------------------------------------------
    @classmethod
    def for_config(cls, cfg: Config, image_sha256: str, root: str | os.PathLike | None = None):
        root = Path(root) if root is not None else default_root()
        return cls(root / f"{cfg.preset}-{cfg.key(image_sha256)}")

    def exists(self) -> bool:
        return (self.path / "config.json").exists()

    def clear(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    # -- reading -----------------------------------------------------------------------------
    def _corrupt(self, name: str, err: Exception) -> LthsirenError:
        return LthsirenError(
            f"results file {self.path / name} is damaged ({type(err).__name__}); "
            "rerun with --force to start this run over"
        )

    def info(self) -> dict:
        p = self.path / "config.json"
        if not p.exists():
            raise LthsirenError(
                f"{self.path} is not an lthsiren run (no config.json); pass a folder made by "
                "'lthsiren run'"
            )
        try:
            return json.loads(p.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise self._corrupt("config.json", e) from None

    def config(self) -> Config:
        return Config.from_json(self.info()["config"])

    def records(self) -> list[dict]:
        p = self.path / "records.jsonl"
        if not p.exists():
            return []
        try:
            return [json.loads(line) for line in p.read_text().splitlines() if line.strip()]
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise self._corrupt("records.jsonl", e) from None

    def _load_tensors(self, name: str) -> dict[str, torch.Tensor]:
        p = self.path / name
        if not p.exists():
            raise LthsirenError(f"{p} is missing; rerun with --force to start this run over")
        try:
            return torch.load(p, map_location="cpu", weights_only=True)
        except Exception as e:  # torch raises many types for a damaged zip/pickle
            raise self._corrupt(name, e) from None

    def load_params(self, name: str) -> BatchedParams:
        return params_from_dict(self._load_tensors(name))

    def theta0(self) -> BatchedParams:
        """The step-0 weights, batched over tickets."""
        return self.load_params("theta0.pt")

    def round_file(self, k: int) -> str:
        return f"rounds/round_{k:02d}.pt"

    def round_state(self, k: int) -> tuple[list[torch.Tensor], BatchedParams]:
        """(masks trained under, trained weights) of round ``k``, batched over tickets."""
        d = self._load_tensors(self.round_file(k))
        n = sum(1 for key in d if key.startswith("mask."))
        return [d[f"mask.{i}"] for i in range(n)], params_from_dict(d, "trained.")

    def ticket(self, k: int, t: int) -> tuple[TicketParams, Mask]:
        """(trained weights, mask) of ticket ``t`` (an index into ``cfg.tickets()``, see
        :func:`lthsiren.ticket.ticket_index`) in round ``k``: what a codec stores."""
        masks, trained = self.round_state(k)
        return unstack(trained, t), mask_of(masks, t)

    def completed_rounds(self) -> int:
        """How many rounds (0, 1, ...) are complete: records written and state file present."""
        n_tickets = len(self.config().tickets())
        per_round: dict[int, int] = {}
        for r in self.records():
            per_round[r["round"]] = per_round.get(r["round"], 0) + 1
        k = 0
        while per_round.get(k) == n_tickets and (self.path / self.round_file(k)).exists():
            k += 1
        return k

    def image_path(self, k: int, ticket: str, seed: int) -> Path:
        return self.path / "images" / f"round_{k:02d}" / f"{ticket}-s{seed}.png"

    # -- writing -----------------------------------------------------------------------------
    def write_info(self, info: dict) -> None:
        write_text(self.path / "config.json", json.dumps(info, indent=2) + "\n")

    def write_params(self, name: str, params: BatchedParams) -> None:
        write_tensors(self.path / name, params_to_dict(params))

    def write_theta0(self, theta0: BatchedParams) -> None:
        self.write_params("theta0.pt", theta0)

    def write_round(self, k: int, masks, trained: BatchedParams, records: list[dict]) -> None:
        """Save round ``k``: state first, records last (the records mark the round complete)."""
        d = {f"mask.{i}": m.bool() for i, m in enumerate(masks)}
        d.update(params_to_dict(trained, "trained."))
        write_tensors(self.path / self.round_file(k), d)
        kept = [r for r in self.records() if r["round"] < k]
        lines = [json.dumps(r) for r in kept + records]
        write_text(self.path / "records.jsonl", "\n".join(lines) + "\n")
