"""Histories, stored datasets and the history items that show a dataset in a history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nebula.model.base import Base, StrEnum, Timestamps
from nebula.model.enums import DatasetState
from nebula.model.users import Session, User


class History(Timestamps, Base):
    __tablename__ = "histories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="Unnamed history")
    annotation: Mapped[str | None] = mapped_column(Text)
    hid_counter: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    purged: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    user: Mapped[User | None] = relationship()
    session: Mapped[Session | None] = relationship(foreign_keys=[session_id])
    items: Mapped[list[HistoryItem]] = relationship(
        back_populates="history", order_by="HistoryItem.hid"
    )


class Dataset(Timestamps, Base):
    """A stored file, addressed in the object store by `object_key`."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_key: Mapped[str] = mapped_column(String(255), unique=True)
    state: Mapped[DatasetState] = mapped_column(
        StrEnum(DatasetState), default=DatasetState.QUEUED, index=True
    )
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    checksum: Mapped[str | None] = mapped_column(String(80))
    purged: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class HistoryItem(Timestamps, Base):
    """A dataset as it appears in one history (Galaxy's HDA)."""

    __tablename__ = "history_items"
    __table_args__ = (UniqueConstraint("history_id", "hid", name="uq_history_items_history_hid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    history_id: Mapped[int] = mapped_column(ForeignKey("histories.id"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    hid: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    extension: Mapped[str] = mapped_column(String(64), default="data")
    dbkey: Mapped[str] = mapped_column(String(64), default="?", server_default="?")
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    peek: Mapped[str | None] = mapped_column(Text)
    info: Mapped[str | None] = mapped_column(Text)
    visible: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    purged: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    history: Mapped[History] = relationship(back_populates="items")
    dataset: Mapped[Dataset] = relationship(lazy="joined")

    @property
    def state(self) -> DatasetState:
        return self.dataset.state
