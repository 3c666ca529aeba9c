"""States of datasets and jobs, stored as their string values."""

from __future__ import annotations

import enum


class DatasetState(enum.StrEnum):
    """Life of a stored file: created queued, filled by a job, then ok or error."""

    QUEUED = "queued"
    RUNNING = "running"
    SETTING_METADATA = "setting_metadata"
    OK = "ok"
    ERROR = "error"
    DISCARDED = "discarded"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_DATASET_STATES


class JobState(enum.StrEnum):
    """Life of a job: new (in the queue), queued (claimed by a handler), running, then final."""

    NEW = "new"
    QUEUED = "queued"
    RUNNING = "running"
    OK = "ok"
    ERROR = "error"
    DELETING = "deleting"
    DELETED = "deleted"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_JOB_STATES


TERMINAL_DATASET_STATES = frozenset({DatasetState.OK, DatasetState.ERROR, DatasetState.DISCARDED})
TERMINAL_JOB_STATES = frozenset({JobState.OK, JobState.ERROR, JobState.DELETED})
ACTIVE_JOB_STATES = frozenset({JobState.NEW, JobState.QUEUED, JobState.RUNNING, JobState.DELETING})
