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
A rerun of the same config resumes after the last complete round (:mod:`lthsiren.store.repair` keeps
every intact round of a damaged folder). Tensors are saved with ``torch.save`` as plain dicts of
tensors and loaded with ``weights_only=True``. Files that load but hold the wrong shape of data
(JSON of another layout, tensors that do not fit the settings) count as damaged too.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch

from ..config import Config, check
from ..errors import DamagedFile, LthsirenError
from ..network.ticket import BatchedParams, Mask, TicketParams, mask_of, unstack
from .atomic import atomic_write, write_png, write_tensors, write_text  # noqa: F401
from .lock import LOCK_NAME


def default_root() -> Path:
    """``$LTHSIREN_RUNS`` or ``./runs``."""
    return Path(os.environ.get("LTHSIREN_RUNS", "runs"))


# what every record holds (more fields may follow), by JSON type
RECORD_FIELDS = {
    **dict.fromkeys(("round", "seed", "alive"), int),
    **dict.fromkeys(("ticket", "strategy"), str),
    **dict.fromkeys(("remaining", "psnr", "hfe", "loss", "seconds"), float),
}


def is_record(r) -> bool:
    """Whether ``r`` (parsed JSON) has the fields of a record, of the right types."""
    if not isinstance(r, dict):
        return False
    for key, kind in RECORD_FIELDS.items():
        v = r.get(key)
        if kind is str:
            ok = isinstance(v, str)
        else:
            ok = isinstance(v, (int, float) if kind is float else int) and not isinstance(v, bool)
        if not ok:
            return False
    return r["round"] >= 0


def complete_round_records(records: list[dict], tickets: list[tuple[str, int]]) -> list[list[dict]]:
    """The records of rounds 0, 1, ... up to the first round that does not hold exactly one
    record for each ticket ``(strategy, seed)`` of the settings, each round's in ticket order."""
    by_round: dict[int, list[dict]] = {}
    for r in records:
        by_round.setdefault(r["round"], []).append(r)
    out: list[list[dict]] = []
    while tickets and len(by_round.get(len(out), ())) == len(tickets):
        mine = {(r["strategy"], r["seed"]): r for r in by_round[len(out)]}
        if set(mine) != set(tickets):
            break
        out.append([mine[t] for t in tickets])
    return out


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
        self._config: Config | None = None  # config.json's settings, read once (write_info)

    # -- locating ----------------------------------------------------------------------------
    @classmethod
    def for_config(cls, cfg: Config, image_sha256: str, root: str | os.PathLike | None = None):
        root = Path(root) if root is not None else default_root()
        return cls(root / f"{cfg.preset}-{cfg.key(image_sha256)}")

    def exists(self) -> bool:
        return (self.path / "config.json").exists()

    def clear(self) -> None:
        """Remove everything in the folder but its lock (:mod:`lthsiren.store.lock`)."""
        self._config = None
        if not self.path.is_dir():
            return
        for p in self.path.iterdir():
            if p.name == LOCK_NAME:
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)

    # -- reading -----------------------------------------------------------------------------
    def _corrupt(self, name: str, why: Exception | str) -> DamagedFile:
        return DamagedFile(self.path, name, why if isinstance(why, str) else type(why).__name__)

    def info(self) -> dict:
        p = self.path / "config.json"
        if not p.exists():
            raise LthsirenError(
                f"{self.path} is not an lthsiren run (no config.json); pass a folder made by "
                "'lthsiren run'"
            )
        try:
            info = json.loads(p.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise self._corrupt("config.json", e) from None
        if not isinstance(info, dict) or not isinstance(info.get("config"), dict):
            raise self._corrupt("config.json", "it holds no settings")
        return info

    def config(self) -> Config:
        """The run's settings, read and checked once (until :meth:`write_info` or :meth:`clear`)."""
        if self._config is None:
            stored = self.info()["config"]
            try:
                cfg = Config.from_json(stored)
                check(cfg)
            except (TypeError, ValueError, LthsirenError):
                raise self._corrupt("config.json", "its settings are not valid") from None
            self._config = cfg
        return self._config

    def records(self) -> list[dict]:
        """Every record; a line that is not a record is damage."""
        records, bad = self.read_records()
        if bad is not None:
            raise self._corrupt("records.jsonl", f"line {bad} is not a record")
        return records

    def read_records(self) -> tuple[list[dict], int | None]:
        """The records up to the first damaged line, and that line's number (None: no damage)."""
        p = self.path / "records.jsonl"
        if not p.exists():
            return [], None
        try:
            lines = p.read_text().splitlines()
        except UnicodeDecodeError:
            return [], 1
        out = []
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                return out, n
            if not is_record(r):
                return out, n
            out.append(r)
        return out, None

    def _load_tensors(self, name: str) -> dict[str, torch.Tensor]:
        p = self.path / name
        if not p.exists():
            raise DamagedFile(self.path, name, DamagedFile.MISSING)
        try:
            d = torch.load(p, map_location="cpu", weights_only=True)
        except Exception as e:  # torch raises many types for a damaged zip/pickle
            raise self._corrupt(name, e) from None
        if not isinstance(d, dict) or not all(torch.is_tensor(v) for v in d.values()):
            raise self._corrupt(name, "it holds no tensors by name")
        return d

    def _batched(self, name: str, d: dict, prefix: str = "") -> BatchedParams:
        """Batched weights from ``d``, checked to be one network per ticket of the settings."""
        try:
            params = params_from_dict(d, prefix)
        except KeyError:
            params = []
        T = len(self.config().tickets())
        ok = bool(params)
        for l, (w, b) in enumerate(params):
            ok = ok and w.ndim == 3 and b.shape == (T, w.shape[1]) and w.shape[0] == T
            ok = ok and (l == 0 or w.shape[2] == params[l - 1][0].shape[1])
        if not ok:
            raise self._corrupt(name, "its tensors do not fit these settings")
        return params

    def load_params(self, name: str) -> BatchedParams:
        return self._batched(name, self._load_tensors(name))

    def theta0(self) -> BatchedParams:
        """The step-0 weights, batched over tickets."""
        return self.load_params("theta0.pt")

    def round_file(self, k: int) -> str:
        return f"rounds/round_{k:02d}.pt"

    def round_state(self, k: int) -> tuple[list[torch.Tensor], BatchedParams]:
        """(masks trained under, trained weights) of round ``k``, batched over tickets."""
        name = self.round_file(k)
        d = self._load_tensors(name)
        trained = self._batched(name, d, "trained.")
        masks = [d.get(f"mask.{i}") for i in range(len(trained))]
        if any(m is None or m.shape != w.shape for m, (w, _) in zip(masks, trained)):
            raise self._corrupt(name, "its masks do not fit its weights")
        return masks, trained

    def ticket(self, k: int, t: int) -> tuple[TicketParams, Mask]:
        """(trained weights, mask) of ticket ``t`` (an index into ``cfg.tickets()``, see
        :func:`lthsiren.network.ticket.ticket_index`) in round ``k``: what a codec stores."""
        masks, trained = self.round_state(k)
        return unstack(trained, t), mask_of(masks, t)

    def completed_rounds(self) -> int:
        """How many rounds (0, 1, ...) are complete: records written (see
        :func:`complete_round_records`) and state file present."""
        recorded = len(complete_round_records(self.records(), self.config().tickets()))
        k = 0
        while k < recorded and (self.path / self.round_file(k)).exists():
            k += 1
        return k

    def image_path(self, k: int, ticket: str, seed: int) -> Path:
        return self.path / "images" / f"round_{k:02d}" / f"{ticket}-s{seed}.png"

    # -- writing -----------------------------------------------------------------------------
    def write_info(self, info: dict) -> None:
        self._config = None
        write_text(self.path / "config.json", json.dumps(info, indent=2) + "\n")

    def write_params(self, name: str, params: BatchedParams) -> None:
        write_tensors(self.path / name, params_to_dict(params))

    def write_theta0(self, theta0: BatchedParams) -> None:
        self.write_params("theta0.pt", theta0)

    def write_round(self, k: int, masks, trained: BatchedParams, records: list[dict]) -> None:
        """Save round ``k``: state first, records last (the records mark the round complete)."""
        d = {f"mask.{i}": m.bool() for i, m in enumerate(masks)}
        d.update(params_to_dict(trained, "trained."))
        done = self.completed_rounds()
        if done > k:  # never rewrite the records with fewer complete rounds than exist
            raise LthsirenError(
                f"{self.path} already holds {done} complete rounds, so round {k} is not the "
                "next one; is another process writing this run? Rerun to resume it"
            )
        write_tensors(self.path / self.round_file(k), d)
        self.write_records([r for r in self.records() if r["round"] < k] + records)

    def write_records(self, records: list[dict]) -> None:
        write_text(self.path / "records.jsonl", "".join(json.dumps(r) + "\n" for r in records))
