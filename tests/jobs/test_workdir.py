"""Job directories: a finished job's directory is emptied and reused by a later job."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest

from nebula.jobs import workdir
from nebula.jobs.workdir import SPARE_FOLDER, JobDirectory, end_job_directory
from tests.support.jobs import job_spec


def _finished_job(parent: Path, job_id: int) -> JobDirectory:
    """Make the directory of a job that ran: streams, outputs and files in working."""
    directory = JobDirectory.for_job(parent, job_id)
    directory.create()
    directory.stdout.write_text("3 rows\n")
    directory.stderr.write_text("")
    directory.process_file.write_text("123:456")
    directory.script.write_text("nebula-ops intersect a b c\n")
    directory.output_path("output").write_text("chr1\t10\t20\n")
    (directory.working / "scratch").mkdir()
    (directory.working / "scratch" / "part.txt").write_text("x")
    return directory


def test_recycled_directory_becomes_spare(tmp_path: Path) -> None:
    directory = _finished_job(tmp_path, 7)

    directory.recycle()

    assert not directory.root.exists()
    (spare,) = (tmp_path / SPARE_FOLDER).iterdir()
    assert sorted(entry.name for entry in spare.iterdir()) == ["outputs", "process", "stderr", "stdout", "working"]
    assert list((spare / "working").iterdir()) == []
    assert list((spare / "outputs").iterdir()) == []
    assert (spare / "stdout").read_text() == ""
    assert (spare / "process").read_text() == ""


def test_new_job_takes_the_spare(tmp_path: Path) -> None:
    _finished_job(tmp_path, 7).recycle()
    (spare,) = (tmp_path / SPARE_FOLDER).iterdir()
    spare_inode = spare.stat().st_ino

    directory = JobDirectory.for_job(tmp_path, 1008)
    directory.create()

    assert directory.root.stat().st_ino == spare_inode
    assert list((tmp_path / SPARE_FOLDER).iterdir()) == []
    assert directory.working.is_dir()
    assert list(directory.working.iterdir()) == []
    assert list(directory.outputs.iterdir()) == []
    assert not directory.script.exists()
    assert directory.stdout.read_text() == ""


def test_new_job_without_spare_gets_fresh_folders(tmp_path: Path) -> None:
    directory = JobDirectory.for_job(tmp_path, 12)

    directory.create()

    assert directory.root == tmp_path / "012" / "12"
    assert sorted(entry.name for entry in directory.root.iterdir()) == ["outputs", "working"]


def test_recycle_removes_directory_beyond_the_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workdir, "MAX_SPARE_DIRECTORIES", 1)
    _finished_job(tmp_path, 1).recycle()
    second = _finished_job(tmp_path, 2)

    second.recycle()

    assert not second.root.exists()
    assert len(list((tmp_path / SPARE_FOLDER).iterdir())) == 1


def test_directory_outside_the_layout_is_removed(tmp_path: Path) -> None:
    directory = JobDirectory(tmp_path / "elsewhere")
    directory.create()
    directory.stdout.write_text("done\n")

    directory.recycle()

    assert not directory.root.exists()
    assert not (tmp_path.parent / SPARE_FOLDER).exists()


def test_symlink_is_removed_not_followed(tmp_path: Path) -> None:
    directory = _finished_job(tmp_path, 3)
    target = tmp_path / "outside.txt"
    target.write_text("keep me")
    directory.stdout.unlink()
    directory.stdout.symlink_to(target)
    (directory.outputs / "link.dat").symlink_to(target)

    directory.recycle()

    assert target.read_text() == "keep me"
    (spare,) = (tmp_path / SPARE_FOLDER).iterdir()
    assert not (spare / "stdout").is_symlink()
    assert list((spare / "outputs").iterdir()) == []


def test_directory_without_working_folder_is_removed(tmp_path: Path) -> None:
    directory = _finished_job(tmp_path, 4)
    shutil.rmtree(directory.working)

    directory.recycle()

    assert not directory.root.exists()
    assert list((tmp_path / SPARE_FOLDER).iterdir()) == []


def test_spare_that_cannot_be_taken_leaves_fresh_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _finished_job(tmp_path, 5).recycle()

    def stale_handle(source: object, target: object) -> None:
        raise OSError(errno.ESTALE, "Stale file handle")

    monkeypatch.setattr(workdir.os, "rename", stale_handle)
    directory = JobDirectory.for_job(tmp_path, 6)
    directory.create()

    assert sorted(entry.name for entry in directory.root.iterdir()) == ["outputs", "working"]


@pytest.mark.parametrize(("entry", "kept"), [(["nebula.ops.cli", "intersect"], 1), (None, 0)])
def test_ok_job_directory_kept_only_for_own_commands(
    tmp_path: Path, entry: list[str] | None, kept: int
) -> None:
    directory = _finished_job(tmp_path, 9)
    spec = job_spec(directory.root, entry, job_id=9)

    end_job_directory(spec)

    assert not directory.root.exists()
    assert len(list((tmp_path / SPARE_FOLDER).glob("*"))) == kept
