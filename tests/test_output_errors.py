"""Writing outputs when the disk is full or read-only: one clear line, exit 1, nothing good lost; and
outputs follow the user's umask.

The disk is a real tmpfs of a few MiB, mounted by the test where the machine allows it (root, or a user
namespace); elsewhere the dataset case is run with the OS error injected and the others are skipped."""
from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from datasets import DatasetDict

from seedmt.cli import EXIT_FATAL, EXIT_OK, main
from tests.helpers import REPO_ROOT, SEEDS_DIR, TEST_DECODING_ARGS
from tests.helpers import skip_outside_ci, tables

BELARUSIAN = SEEDS_DIR / "003_8e8481b4ceab6e39.txt"


class SmallDisk:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.mounted = False

    def mount(self, size: str = "8m") -> bool:
        self.root.mkdir(parents=True, exist_ok=True)
        if shutil.which("mount") is None:
            return False
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(self.root)],
                                capture_output=True, text=True)
        self.mounted = result.returncode == 0
        return self.mounted

    def fill(self) -> None:
        """Take every free byte."""
        with open(self.root / "filler", "wb") as handle:
            try:
                while True:
                    handle.write(b"\0" * 65536)
                    handle.flush()
            except OSError as err:
                assert err.errno == errno.ENOSPC

    def free(self) -> None:
        (self.root / "filler").unlink(missing_ok=True)

    def read_only(self) -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(self.root)], check=True)

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.root)], check=False)


@pytest.fixture
def small_disk(tmp_path):
    disk = SmallDisk(tmp_path / "disk")
    disk.mount()
    yield disk
    disk.unmount()


def seeds_with(tmp_path: Path, text: str) -> Path:
    seeds = tmp_path / "seeds"
    seeds.mkdir(exist_ok=True)
    (seeds / "be.txt").write_text(text, encoding="utf-8")
    return seeds


def translate(seeds: Path, model: Path, out: Path, cache: Path) -> list[str]:
    return ["translate", str(seeds), "--model", str(model), "--out", str(out), "--cache", str(cache),
            "--max-input-tokens", "1024", *TEST_DECODING_ARGS]


def error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("seedmt: error:")]
    assert len(lines) == 1, err
    return lines[0]


def cache_rows(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT COUNT(*) FROM segments").fetchone()[0]


def test_disk_full_while_writing_the_dataset(tiny_model, tmp_path, small_disk, capsys, monkeypatch):
    text = BELARUSIAN.read_text(encoding="utf-8")
    seeds = seeds_with(tmp_path, text)
    out, cache = small_disk.root / "translations", tmp_path / "cache.sqlite"
    assert main(translate(seeds, tiny_model, out, cache)) == EXIT_OK
    before = tables(out)
    cached_before = cache_rows(cache)

    seeds_with(tmp_path, text + "\nУрад у аўторак прадставіў новы бюджэт на наступны год.\n")
    if small_disk.mounted:
        small_disk.fill()
    else:  # no tmpfs here: the OS error the disk would give, raised where the dataset is written
        def no_space(self, path, *args, **kwargs):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(Path(path) / "data-00000-of-00001.arrow"))
        monkeypatch.setattr(DatasetDict, "save_to_disk", no_space)
    capsys.readouterr()
    assert main(translate(seeds, tiny_model, out, cache)) == EXIT_FATAL
    line = error_line(capsys)
    assert f"cannot write the dataset {out}" in line and "No space left on device" in line
    assert "previous dataset, if any, is untouched" in line and str(cache) in line
    assert tables(out) == before  # the last good dataset is still there, whole
    assert cache_rows(cache) > cached_before  # the new segment's translations were kept
    assert not [p for p in small_disk.root.iterdir() if p.name.startswith(".translations.tmp-")]

    if small_disk.mounted:  # with space again, the same command finishes from the cache
        small_disk.free()
        assert main(translate(seeds, tiny_model, out, cache)) == EXIT_OK
        assert "0 model inputs translated" in capsys.readouterr().out


def test_every_writer_reports_a_full_disk(translated_dir, tiny_model, tmp_path, small_disk, capsys):
    if not small_disk.mounted:
        skip_outside_ci("cannot mount a tmpfs here; the dataset case above runs with the error injected")
    small_disk.fill()
    root = small_disk.root
    cases = {
        "a new dataset": translate(seeds_with(tmp_path, BELARUSIAN.read_text(encoding="utf-8")), tiny_model,
                                   root / "new", tmp_path / "cache.sqlite"),
        "the segment cache": translate(SEEDS_DIR, tiny_model, tmp_path / "out", root / "cache.sqlite"),
        "the export": ["publish", str(translated_dir), "--to", str(root / "export")],
        "report": ["report", str(translated_dir), "-o", str(root / "report.html"),
                   "--references", str(REPO_ROOT / "references")],
        "eval": ["eval", str(translated_dir), "--json", str(root / "eval.json"),
                 "--references", str(REPO_ROOT / "references")],
    }
    for what, argv in cases.items():
        capsys.readouterr()
        assert main(argv) == EXIT_FATAL, what
        line = error_line(capsys)
        assert "cannot" in line and ("No space left on device" in line or "disk is full" in line), (what, line)
        assert str(root) in line, (what, line)
    # nothing half-written is left behind (an empty lock file is all a run may leave)
    assert sorted(p.name for p in root.iterdir() if p.name != "new.lock") == ["filler"]


def test_read_only_file_system(tiny_model, tmp_path, small_disk, capsys):
    if not small_disk.mounted:
        skip_outside_ci("cannot mount a tmpfs here")
    seeds = seeds_with(tmp_path, BELARUSIAN.read_text(encoding="utf-8"))
    out = small_disk.root / "translations"
    assert main(translate(seeds, tiny_model, out, tmp_path / "cache.sqlite")) == EXIT_OK
    before = tables(out)
    small_disk.read_only()
    capsys.readouterr()
    assert main(translate(seeds, tiny_model, out, tmp_path / "cache.sqlite")) == EXIT_FATAL
    line = error_line(capsys)
    assert str(small_disk.root) in line and ("Read-only file system" in line or "not writable" in line)
    assert tables(out) == before


def test_outputs_follow_the_umask(translated_dir, tiny_model, tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "translations"
        assert main(translate(seeds_with(tmp_path, BELARUSIAN.read_text(encoding="utf-8")), tiny_model, out,
                              tmp_path / "cache.sqlite")) == EXIT_OK
        export = tmp_path / "export"
        assert main(["publish", str(out), "--to", str(export)]) == EXIT_OK
        for folder in (out, export, export / "segments"):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o755, folder
        assert stat.S_IMODE((export / "README.md").stat().st_mode) == 0o644
        os.umask(0o077)
        private = tmp_path / "private"
        assert main(["publish", str(out), "--to", str(private)]) == EXIT_OK
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
    finally:
        os.umask(old)
