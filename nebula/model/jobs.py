"""Jobs, the datasets they read and write, their metrics, and the handlers that run them."""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nebula.model.base import Base, StrEnum, Timestamps
from nebula.model.enums import JobState
from nebula.model.histories import History, HistoryItem
from nebula.model.users import User


class Job(Timestamps, Base):
    __tablename__ = "jobs"
    # The handler's queries filter on state; its claim takes each owner's oldest jobs.
    __table_args__ = (
        Index("ix_jobs_state_id", "state", "id"),
        Index("ix_jobs_state_user_id_id", "state", "user_id", "id"),
        Index("ix_jobs_state_session_id_id", "state", "session_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id"), index=True)
    history_id: Mapped[int] = mapped_column(ForeignKey("histories.id"), index=True)
    tool_id: Mapped[str] = mapped_column(String(255), index=True)
    tool_version: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[JobState] = mapped_column(StrEnum(JobState), default=JobState.NEW)
    handler: Mapped[str | None] = mapped_column(String(255), index=True)
    runner: Mapped[str | None] = mapped_column(String(64))
    runner_job_id: Mapped[str | None] = mapped_column(String(255))
    command_line: Mapped[str | None] = mapped_column(Text)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    stdout: Mapped[str | None] = mapped_column(Text)
    stderr: Mapped[str | None] = mapped_column(Text)
    info: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    start_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    end_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)

    user: Mapped[User | None] = relationship()
    history: Mapped[History] = relationship()
    inputs: Mapped[list[JobInput]] = relationship(
        back_populates="job", cascade="all, delete-orphan"
    )
    outputs: Mapped[list[JobOutput]] = relationship(
        back_populates="job", cascade="all, delete-orphan"
    )
    metrics: Mapped[list[JobMetric]] = relationship(
        back_populates="job", cascade="all, delete-orphan"
    )


class JobInput(Base):
    __tablename__ = "job_inputs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    history_item_id: Mapped[int] = mapped_column(ForeignKey("history_items.id"), index=True)

    job: Mapped[Job] = relationship(back_populates="inputs")
    history_item: Mapped[HistoryItem] = relationship()


class JobOutput(Base):
    __tablename__ = "job_outputs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    history_item_id: Mapped[int] = mapped_column(ForeignKey("history_items.id"), index=True)

    job: Mapped[Job] = relationship(back_populates="outputs")
    history_item: Mapped[HistoryItem] = relationship(foreign_keys=[history_item_id])


class JobMetric(Base):
    """One measured figure of a finished job: runtime_seconds, cpu_seconds, peak_memory_bytes."""

    __tablename__ = "job_metrics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)

    job: Mapped[Job] = relationship(back_populates="metrics")


class JobHandlerRecord(Base):
    """A running job handler and its heartbeat; a handler whose heartbeat stops is taken over."""

    __tablename__ = "job_handlers"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[datetime.datetime] = mapped_column(DateTime)
    heartbeat_time: Mapped[datetime.datetime] = mapped_column(DateTime, index=True)
