"""Writing files and folders so that a crash, a full disk or a kill never leaves half of one behind: write
beside the target, then rename into place. Outputs follow the umask like any file a user creates."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from seedmt.core.errors import output_error


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomically(path: Path, text: str) -> None:
    """Write to a temporary sibling, then rename: `path` holds the old text or the new, never half of it."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp creates 0600; outputs are meant to be shared
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        raise output_error("", path, err) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def write_json(path: Path, data: dict) -> None:
    write_text_atomically(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def make_staging_folder(target: Path) -> Path:
    """An empty sibling of `target` to write into, with the permissions a plain mkdir gives (mkdtemp's are
    0700, and the folder keeps them once renamed into place)."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    os.chmod(staging, 0o777 & ~current_umask())
    return staging


def _retired_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.previous")


def replace_folder(staging: Path, target: Path) -> None:
    """Swap a fully written `staging` folder in for `target` (renames on the same filesystem). A process killed
    between the two renames leaves the old folder as `.<name>.previous`, which `recover_folder` puts back."""
    if target.exists():
        retired = _retired_name(target)
        if retired.exists():
            shutil.rmtree(retired)
        os.replace(target, retired)
        os.replace(staging, target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, target)


def recover_folder(target: Path) -> bool:
    """Put back the folder a `replace_folder` stopped half-way had moved aside; whether it did."""
    target, retired = Path(target), _retired_name(Path(target))
    if target.exists() or not retired.is_dir():
        return False
    os.replace(retired, target)
    return True


@contextmanager
def staged_folder(target: Path, what: str) -> Iterator[Path]:
    """An empty sibling of `target` to write into: once the block finishes it replaces `target`; on any
    failure it is removed and `target` stays as it was. OS errors become one OutputError naming `what`."""
    target = Path(target).resolve()
    staging = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = make_staging_folder(target)
        yield staging
        replace_folder(staging, target)
    except OSError as err:
        raise output_error(what, target, err) from None
    finally:
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
