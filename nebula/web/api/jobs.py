"""Jobs: list, show, cancel, and their inputs, outputs and metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from nebula.errors import RequestError
from nebula.managers import jobs as job_manager
from nebula.managers.histories import get_history
from nebula.model import JobState
from nebula.web.api.params import decode_id, parse_bool
from nebula.web.deps import CurrentActor, DbSession, Nebula
from nebula.web.serializers import job_detail, job_summary

router = APIRouter(tags=["jobs"])


@router.get("/api/jobs")
def list_jobs(
    actor: CurrentActor,
    session: DbSession,
    nebula: Nebula,
    state: list[str] = Query(default=[]),
    tool_id: str | None = None,
    history_id: str | None = None,
    user_details: str | None = None,
    view: str | None = None,
    limit: int = Query(default=500, ge=0, le=5000),
    offset: int = Query(default=0, ge=0),
) -> list[dict[str, Any]]:
    states = [part for value in state for part in value.split(",") if part]
    known = {job_state.value for job_state in JobState}
    unknown = [value for value in states if value not in known]
    if unknown:
        raise RequestError(
            f"unknown job state {unknown[0]!r}; known states: {', '.join(sorted(known))}"
        )
    history_pk = None
    if history_id is not None:
        history_pk = get_history(session, actor, decode_id(nebula.ids, history_id, "history")).id
    detailed = view == "admin_job_list"
    jobs = job_manager.list_jobs(
        session, actor, states, tool_id, history_pk, limit, offset, with_details=detailed
    )
    if detailed:
        return [job_detail(job, nebula.ids, full=False) for job in jobs]
    return [job_summary(job, nebula.ids) for job in jobs]


@router.get("/api/jobs/{job_id}")
def show_job(
    job_id: str, actor: CurrentActor, session: DbSession, nebula: Nebula, full: str | None = None
) -> dict[str, Any]:
    job = job_manager.get_job(session, actor, decode_id(nebula.ids, job_id, "job"))
    return job_detail(job, nebula.ids, full=bool(parse_bool(full, "full", default=True)))


@router.delete("/api/jobs/{job_id}")
def cancel_job(job_id: str, actor: CurrentActor, session: DbSession, nebula: Nebula) -> bool:
    """Cancel a queued or running job; returns false when the job had already ended."""
    job = job_manager.get_job(session, actor, decode_id(nebula.ids, job_id, "job"))
    return job_manager.cancel_job(session, job)


@router.get("/api/jobs/{job_id}/metrics")
def job_metrics(
    job_id: str, actor: CurrentActor, session: DbSession, nebula: Nebula
) -> list[dict[str, Any]]:
    job = job_manager.get_job(session, actor, decode_id(nebula.ids, job_id, "job"))
    return job_detail(job, nebula.ids, full=True)["job_metrics"]


@router.get("/api/jobs/{job_id}/inputs")
def job_inputs(
    job_id: str, actor: CurrentActor, session: DbSession, nebula: Nebula
) -> list[dict[str, Any]]:
    job = job_manager.get_job(session, actor, decode_id(nebula.ids, job_id, "job"))
    return [
        {"name": ji.name, "dataset": {"id": nebula.ids.encode(ji.history_item_id), "src": "hda"}}
        for ji in job.inputs
    ]


@router.get("/api/jobs/{job_id}/outputs")
def job_outputs(
    job_id: str, actor: CurrentActor, session: DbSession, nebula: Nebula
) -> list[dict[str, Any]]:
    job = job_manager.get_job(session, actor, decode_id(nebula.ids, job_id, "job"))
    return [
        {"name": jo.name, "dataset": {"id": nebula.ids.encode(jo.history_item_id), "src": "hda"}}
        for jo in job.outputs
    ]
