"""CPU threads: how many this process may use, how a backend lays them out, and how seedmt processes on one
machine share the cores.

Why sharing needs a mechanism: PyTorch's OpenMP workers spin while they wait for each other. Two processes
that each start one worker per core keep preempting each other's spinning workers, and both slow down by an
order of magnitude. So while a seedmt process translates, it registers itself in a machine-wide folder by
holding an exclusive `flock` on its own file there; a process choosing its thread count counts the live
registrations and takes its share of the cores. The kernel drops the lock when a process ends (kill -9
included), so a crashed run never keeps cores reserved; the next process to look removes its file. An idle
process (a notebook that translated once) holds no registration.

Layouts (see `plan_layout`): transformers runs one batch at a time on `threads` intra-op threads, and in
automatic mode re-reads its share before every batch. CTranslate2 runs `inter_threads` batches at once,
each on `threads // inter_threads` intra-op threads; its default, one thread per batch, measured fastest on
CPU, and single-threaded workers block instead of spinning, so they share cores without collapsing."""
from __future__ import annotations

import errno
import fcntl
import logging
import math
import os
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)
AUTO = 0
REGISTRY_ENV = "SEEDMT_RUNTIME_DIR"
REGISTRY_SUFFIX = ".run"


def cgroup_cpu_limit(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """CPUs granted by the cgroup's CFS quota (v2 `cpu.max`, v1 `cpu.cfs_quota_us`); None when unlimited."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        if quota != "max":
            return int(quota) / int(period)
        return None
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return quota_us / period_us if quota_us > 0 and period_us > 0 else None
    except (OSError, ValueError):
        return None


def available_cpus() -> int:
    """CPUs this process may run on: its affinity mask, capped by a container's CPU quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    limit = cgroup_cpu_limit()
    if limit is not None:
        cpus = min(cpus, max(1, math.floor(limit)))
    return max(1, cpus)


def registry_dir() -> Path:
    return Path(os.environ.get(REGISTRY_ENV) or Path(tempfile.gettempdir()) / "seedmt-cpu-share")


class RunRegistry:
    """This process's registration in the machine-wide folder of seedmt processes that are translating."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._handle = None
        self._name: str | None = None
        self._depth = 0
        self._lock = threading.Lock()

    @contextmanager
    def translating(self) -> Iterator[None]:
        """Registered for the duration (nested uses share one registration)."""
        with self._lock:
            if self._depth == 0:
                self._register()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    self._unregister()

    def _register(self) -> None:
        try:
            self.folder.mkdir(mode=0o777, parents=True, exist_ok=True)
            if self.folder.stat().st_uid == os.geteuid():
                os.chmod(self.folder, 0o1777)  # one folder for every user, each removing only stale files
            name = f"{os.getpid()}-{uuid.uuid4().hex[:8]}{REGISTRY_SUFFIX}"
            # Locked under a temporary name first, so that no other process sees it unlocked and removes it.
            staging = self.folder / f".{name}.tmp"
            handle = open(staging, "w")
        except OSError as err:
            log.debug("cannot register in %s (%s); threads are not shared with other runs", self.folder, err)
            return
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.replace(staging, self.folder / name)
        except OSError as err:
            handle.close()
            staging.unlink(missing_ok=True)
            log.debug("cannot register in %s (%s); threads are not shared with other runs", self.folder, err)
            return
        self._handle, self._name = handle, name

    def _unregister(self) -> None:
        if self._handle is None:
            return
        try:
            (self.folder / self._name).unlink(missing_ok=True)
        except OSError:
            pass
        self._handle.close()
        self._handle = self._name = None

    def others_translating(self) -> int:
        """Other registered processes still running; removes the files of ended ones."""
        others = 0
        try:
            entries = list(self.folder.glob(f"*{REGISTRY_SUFFIX}"))
        except OSError:
            return 0
        for path in entries:
            if path.name == self._name:
                continue
            try:
                with open(path) as other:
                    try:
                        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except OSError as err:
                        if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                            others += 1
                        continue
                    path.unlink(missing_ok=True)  # its process ended without cleaning up (kill -9)
            except OSError:
                continue
        return others


_REGISTRY: RunRegistry | None = None


def process_registry() -> RunRegistry:
    global _REGISTRY
    if _REGISTRY is None or _REGISTRY.folder != registry_dir():
        _REGISTRY = RunRegistry(registry_dir())
    return _REGISTRY


def fair_share(cpus: int | None = None) -> int:
    """This process's share of the CPUs among the seedmt processes translating on the machine (at least 1)."""
    return max(1, (cpus or available_cpus()) // (1 + process_registry().others_translating()))


@dataclass(frozen=True)
class ThreadLayout:
    """How a backend uses CPU threads; recorded in the runs table."""

    threads: int  # total threads: inter_threads x intra_threads
    inter_threads: int  # batches translated at once
    intra_threads: int  # threads inside one batch
    automatic: bool  # chosen by seedmt (re-shared as other runs come and go) rather than set by the user

    def as_dict(self) -> dict:
        return asdict(self)


def check_thread_options(backend: str, threads: int, inter_threads: int) -> None:
    if threads < 0 or inter_threads < 0:
        raise ValueError("--threads and --inter-threads take a positive count (0 = automatic)")
    if backend != "ct2" and inter_threads not in (AUTO, 1):
        raise ValueError("--inter-threads applies to --backend ct2 only; transformers runs one batch at a time")
    if threads and inter_threads > threads:
        raise ValueError(f"--inter-threads {inter_threads} exceeds --threads {threads}")


def plan_layout(backend: str, threads: int = AUTO, inter_threads: int = AUTO, device: str = "cpu") -> ThreadLayout:
    """Thread layout for `backend`. On CPU, `threads` 0 = this process's fair share of the available CPUs and
    `inter_threads` (CTranslate2 only) 0 = one batch per thread. On a GPU, CTranslate2 runs `inter_threads`
    batches at once (default 1), each with `threads // inter_threads` CPU threads for its host-side work."""
    check_thread_options(backend, threads, inter_threads)
    if device != "cpu" and backend == "ct2":
        inter = inter_threads or 1
        intra = max(1, threads // inter) if threads else 1
        return ThreadLayout(inter * intra, inter, intra, automatic=threads == AUTO)
    automatic = threads == AUTO
    total = fair_share() if automatic else threads
    if backend != "ct2":
        return ThreadLayout(total, 1, total, automatic)
    inter = min(inter_threads, total) if inter_threads else total
    intra = max(1, total // inter)
    return ThreadLayout(inter * intra, inter, intra, automatic)


def set_torch_threads(count: int) -> None:
    """Set torch's intra-op threads if they differ (cheap to call before every batch)."""
    import torch

    if torch.get_num_threads() != count:
        torch.set_num_threads(count)
