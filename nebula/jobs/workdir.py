"""The working directory of one job: its script, its outputs and its captured streams.

A finished job's directory is emptied and kept in a spare folder for a later job rather
than removed. On this project's 2-CPU VM (ext4 mounted with discard), creating and then
removing one file or folder cost about 0.4 ms of kernel CPU, and renaming one 0.005 ms.
A job makes three folders and four files.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from nebula.jobs.spec import JobSpec

# How much of a job's stdout and stderr is kept: the end, where the errors are.
STREAM_TAIL_BYTES = 64 * 1024

SPARE_FOLDER = "spare"
# A bound on the spare directories kept; a directory beyond it is removed.
MAX_SPARE_DIRECTORIES = 64
# Files that most jobs write: a spare directory keeps them, emptied, for the next job.
_REUSED_FILES = frozenset({"stdout", "stderr", "process"})


@dataclass(frozen=True)
class JobDirectory:
    """Layout of `<job_working_dir>/<job id mod 1000>/<job id>/`; spare directories are in
    `<job_working_dir>/spare/`."""

    root: Path

    @classmethod
    def for_job(cls, parent: Path, job_id: int) -> JobDirectory:
        return cls(parent / f"{job_id % 1000:03d}" / str(job_id))

    @property
    def working(self) -> Path:
        """The command's current directory."""
        return self.root / "working"

    @property
    def outputs(self) -> Path:
        return self.root / "outputs"

    @property
    def script(self) -> Path:
        return self.root / "job.sh"

    @property
    def stdout(self) -> Path:
        return self.root / "stdout"

    @property
    def stderr(self) -> Path:
        return self.root / "stderr"

    @property
    def params(self) -> Path:
        """JSON parameters for Nebula's own internal commands, such as uploads."""
        return self.root / "params.json"

    @property
    def overrides(self) -> Path:
        """JSON written by a command that decides an output's datatype itself, such as uploads."""
        return self.root / "outputs.json"

    @property
    def process_file(self) -> Path:
        """The identity (pid and start time) of the process running the job."""
        return self.root / "process"

    def output_path(self, name: str) -> Path:
        return self.outputs / f"{name}.dat"

    @property
    def spares(self) -> Path | None:
        """The folder of spare directories, or None for a directory not laid out by for_job."""
        name, parent = self.root.name, self.root.parent
        if not name.isdigit() or parent.name != f"{int(name) % 1000:03d}":
            return None
        return parent.parent / SPARE_FOLDER

    def create(self) -> None:
        """Create the directory with empty working and outputs folders; it must not exist yet.

        A spare directory, when there is one, is renamed into place instead.
        NOTE: a spare folder keeps the size its listing grew to in an earlier job (ext4
        does not shrink folders), which costs a little in jobs that list it.
        """
        if self._take_spare():
            return
        self.working.mkdir(parents=True)
        self.outputs.mkdir()

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def recycle(self) -> None:
        """Empty the directory and keep it as a spare for a later job, or remove it.

        Only a directory whose job has ended, and left no process behind, may be
        recycled: its files are emptied or removed. A directory without its working and
        outputs folders, or any error while emptying it, falls back to removing it whole.
        """
        spares = self.spares
        if spares is None:
            self.remove()
            return
        try:
            spares.mkdir(exist_ok=True)
            if len(os.listdir(spares)) >= MAX_SPARE_DIRECTORIES:
                self.remove()
                return
            self._empty()
            os.rename(self.root, spares / uuid.uuid4().hex)
        except OSError:
            self.remove()

    def _empty(self) -> None:
        for folder in (self.working, self.outputs):
            if not folder.is_dir() or folder.is_symlink() or not os.access(folder, os.W_OK | os.X_OK):
                raise NotADirectoryError(f"{folder} is not a writable folder")
        for entry in os.scandir(self.root):
            if entry.name in (self.working.name, self.outputs.name) and entry.is_dir(follow_symlinks=False):
                for inner in os.scandir(entry.path):
                    _remove_entry(inner)
            elif entry.name in _REUSED_FILES and entry.is_file(follow_symlinks=False):
                os.truncate(entry.path, 0)
            else:
                _remove_entry(entry)

    def _take_spare(self) -> bool:
        spares = self.spares
        if spares is None:
            return False
        try:
            names = os.listdir(spares)
        except FileNotFoundError:
            return False
        if names:
            self.root.parent.mkdir(exist_ok=True)
        for name in names:
            try:
                os.rename(spares / name, self.root)
                return True
            except OSError:
                # Another process took this one first, or it cannot be taken (a stale NFS
                # handle, say): the next one may do, and fresh folders otherwise.
                continue
        return False


def _remove_entry(entry: os.DirEntry[str]) -> None:
    if entry.is_dir(follow_symlinks=False):
        shutil.rmtree(entry.path)
    else:
        os.unlink(entry.path)


def read_tail(path: Path, limit: int) -> str:
    """Return the last `limit` bytes of a text file, decoded leniently; '' when missing."""
    try:
        # Most jobs write nothing to a stream, and a stat costs less than opening the file.
        if os.stat(path).st_size == 0:
            return ""
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            data = handle.read()
    except FileNotFoundError:
        return ""
    text = data.decode("utf-8", errors="replace")
    if size > limit:
        text = f"[... first {size - limit} bytes not kept ...]\n" + text
    return text


def end_job_directory(spec: JobSpec) -> None:
    """Reuse or remove the directory of a job that ended ok.

    A tool's command may leave a process that still writes to the directory's files
    (setsid, a double fork). Nebula's own entry points start no process, so only the
    directory of a job that ran one of them is kept as a spare.
    """
    directory = JobDirectory(Path(spec.job_dir))
    if spec.entry is not None:
        directory.recycle()
    else:
        directory.remove()
