"""Read-only queries behind the history pages that the managers do not offer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from nebula.managers.actors import Actor
from nebula.managers.histories import list_histories
from nebula.model import Dataset, History, HistoryItem, Job, JobOutput


@dataclass(frozen=True)
class HistorySummary:
    history: History
    datasets: int
    size: int


def history_summaries(session: Session, actor: Actor) -> list[HistorySummary]:
    """Return the actor's undeleted histories, newest first, with dataset counts and sizes.

    One grouped query covers all histories. The size counts every dataset that is not
    purged, deleted ones included, because their files still take space.
    """
    histories = list_histories(session, actor)
    if not histories:
        return []
    rows = session.execute(
        select(
            HistoryItem.history_id,
            func.sum(case((HistoryItem.deleted.is_(False), 1), else_=0)),
            func.coalesce(func.sum(Dataset.file_size), 0),
        )
        .join(Dataset, Dataset.id == HistoryItem.dataset_id)
        .where(HistoryItem.history_id.in_([history.id for history in histories]), HistoryItem.purged.is_(False))
        .group_by(HistoryItem.history_id)
    )
    totals = {history_id: (int(count or 0), int(size or 0)) for history_id, count, size in rows}
    return [HistorySummary(history, *totals.get(history.id, (0, 0))) for history in histories]


def creating_job(session: Session, item: HistoryItem) -> Job | None:
    return session.scalar(
        select(Job).join(JobOutput, JobOutput.job_id == Job.id).where(JobOutput.history_item_id == item.id).limit(1)
    )


def datasets_of_formats(session: Session, history: History, extensions: list[str] | None) -> list[HistoryItem]:
    """Return the history's usable datasets, newest first, of the given formats (all when None)."""
    query = (
        select(HistoryItem)
        .join(Dataset, Dataset.id == HistoryItem.dataset_id)
        .where(
            HistoryItem.history_id == history.id,
            HistoryItem.deleted.is_(False),
            HistoryItem.purged.is_(False),
            HistoryItem.visible.is_(True),
            Dataset.state.not_in(["error", "discarded"]),
        )
    )
    if extensions is not None:
        query = query.where(HistoryItem.extension.in_(extensions))
    return list(session.scalars(query.order_by(HistoryItem.hid.desc())).unique())
