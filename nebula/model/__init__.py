"""The database model: every state that outlives a request or a process lives here."""

from nebula.model.base import Base
from nebula.model.enums import ACTIVE_JOB_STATES, DatasetState, JobState
from nebula.model.histories import Dataset, History, HistoryItem
from nebula.model.jobs import Job, JobHandlerRecord, JobInput, JobMetric, JobOutput
from nebula.model.users import ApiKey, Session, User

__all__ = [
    "ACTIVE_JOB_STATES",
    "ApiKey",
    "Base",
    "Dataset",
    "DatasetState",
    "History",
    "HistoryItem",
    "Job",
    "JobHandlerRecord",
    "JobInput",
    "JobMetric",
    "JobOutput",
    "JobState",
    "Session",
    "User",
]
