"""Galaxy-shaped JSON for users, histories, datasets and jobs.

Field names and value shapes follow Galaxy's API, because BioBlend and existing scripts
read them; ids are always the opaque encoded form.
"""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy.orm import Session

from nebula.managers.histories import history_size, item_ids_by_state, state_counts
from nebula.model import DatasetState, History, HistoryItem, Job, User
from nebula.security.ids import IdEncoder

API_VERSION_MAJOR = "24.1"


def iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def nice_size(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def user_dict(user: User, ids: IdEncoder, disk_usage: int | None = None) -> dict[str, Any]:
    return {
        "model_class": "User",
        "id": ids.encode(user.id),
        "email": user.email,
        "username": user.username,
        "is_admin": user.is_admin,
        "deleted": user.deleted,
        "purged": False,
        "active": True,
        "total_disk_usage": disk_usage or 0,
        "nice_total_disk_usage": nice_size(disk_usage or 0),
        "quota_percent": None,
        "preferences": {},
        "tags_used": [],
    }


def history_summary(history: History, ids: IdEncoder, count: int | None = None) -> dict[str, Any]:
    history_id = ids.encode(history.id)
    return {
        "model_class": "History",
        "id": history_id,
        "name": history.name,
        "deleted": history.deleted,
        "purged": history.purged,
        "archived": False,
        "count": count if count is not None else history.hid_counter - 1,
        "url": f"/api/histories/{history_id}",
        "tags": [],
        "annotation": history.annotation,
        "published": False,
        "update_time": iso(history.update_time),
        "create_time": iso(history.create_time),
    }


def history_detail(session: Session, history: History, ids: IdEncoder) -> dict[str, Any]:
    counts = state_counts(session, history.id)
    by_state = item_ids_by_state(session, history.id)
    size = history_size(session, history.id)
    state = _history_state(counts)
    summary = history_summary(history, ids, count=sum(counts.values()))
    summary.update(
        {
            "user_id": ids.encode(history.user_id) if history.user_id else None,
            "state": state,
            "state_details": {s.value: counts.get(s.value, 0) for s in DatasetState},
            "state_ids": {
                state.value: [ids.encode(item_id) for item_id in by_state.get(state.value, [])] for state in DatasetState
            },
            "size": size,
            "nice_size": nice_size(size),
            "contents_url": f"/api/histories/{summary['id']}/contents",
            "hid_counter": history.hid_counter,
            "genome_build": None,
            "importable": False,
            "slug": None,
            "username_and_slug": None,
            "empty": not counts,
            "preferred_object_store_id": None,
        }
    )
    return summary


def item_summary(item: HistoryItem, ids: IdEncoder) -> dict[str, Any]:
    item_id = ids.encode(item.id)
    history_id = ids.encode(item.history_id)
    return {
        "model_class": "HistoryDatasetAssociation",
        "id": item_id,
        "name": item.name,
        "hid": item.hid,
        "history_id": history_id,
        "state": item.dataset.state.value,
        "extension": item.extension,
        "deleted": item.deleted,
        "visible": item.visible,
        "purged": item.purged,
        "type": "file",
        "history_content_type": "dataset",
        "type_id": f"dataset-{item_id}",
        "dataset_id": ids.encode(item.dataset_id),
        "url": f"/api/histories/{history_id}/contents/{item_id}",
        "create_time": iso(item.create_time),
        "update_time": iso(item.update_time),
        "tags": [],
    }


def item_detail(
    item: HistoryItem, ids: IdEncoder, creating_job_id: int | None = None
) -> dict[str, Any]:
    detail = item_summary(item, ids)
    metadata = dict(item.metadata_ or {})
    detail.update(
        {
            "file_ext": item.extension,
            "data_type": item.extension,
            "file_size": item.dataset.file_size or 0,
            "nice_size": nice_size(item.dataset.file_size or 0),
            "genome_build": item.dbkey,
            "misc_info": item.info or "",
            "misc_blurb": _blurb(item, metadata),
            "peek": item.peek,
            "metadata": metadata,
            "creating_job": ids.encode(creating_job_id) if creating_job_id else None,
            "download_url": f"/api/datasets/{detail['id']}/display",
            "accessible": True,
            "api_type": "file",
            "resubmitted": False,
            "annotation": None,
            "hashes": [
                {"hash_function": "SHA-256", "hash_value": item.dataset.checksum.split(":", 1)[1]}
            ]
            if item.dataset.checksum
            else [],
        }
    )
    for key, value in metadata.items():
        detail[f"metadata_{key}"] = value
    return detail


def job_summary(job: Job, ids: IdEncoder) -> dict[str, Any]:
    return {
        "model_class": "Job",
        "id": ids.encode(job.id),
        "tool_id": job.tool_id,
        "tool_version": job.tool_version,
        "state": job.state.value,
        "exit_code": job.exit_code,
        "history_id": ids.encode(job.history_id),
        "create_time": iso(job.create_time),
        "update_time": iso(job.update_time),
        "galaxy_version": API_VERSION_MAJOR,
    }


def job_detail(job: Job, ids: IdEncoder, full: bool = True) -> dict[str, Any]:
    detail = job_summary(job, ids)
    detail.update(
        {
            "inputs": {
                job_input.name: {
                    "id": ids.encode(job_input.history_item_id),
                    "src": "hda",
                    "uuid": None,
                }
                for job_input in job.inputs
            },
            "outputs": {
                job_output.name: {
                    "id": ids.encode(job_output.history_item_id),
                    "src": "hda",
                    "uuid": None,
                }
                for job_output in job.outputs
            },
            "output_collections": {},
            "params": _job_params(job),
            "user_email": job.user.email if job.user else None,
            "handler": job.handler,
            "job_runner_name": job.runner,
            "info": job.info,
            "start_time": iso(job.start_time),
            "end_time": iso(job.end_time),
        }
    )
    if full:
        detail.update(
            {
                "command_line": job.command_line,
                "stdout": job.stdout or "",
                "stderr": job.stderr or "",
                "tool_stdout": job.stdout or "",
                "tool_stderr": job.stderr or "",
                "job_stdout": "",
                "job_stderr": job.info or "",
                "job_messages": [job.info] if job.info else [],
                "job_metrics": [
                    {
                        "name": metric.name,
                        "plugin": "core",
                        "title": metric.name.replace("_", " "),
                        "value": _metric_text(metric.name, metric.value),
                        "raw_value": str(metric.value),
                    }
                    for metric in job.metrics
                ],
                "attempts": job.attempts,
            }
        )
    return detail


def _job_params(job: Job) -> dict[str, Any]:
    params = job.params or {}
    return params.get("values", params) if isinstance(params, dict) else {}


def _metric_text(name: str, value: float) -> str:
    if name.endswith("_bytes"):
        return nice_size(int(value))
    if name.endswith("_seconds"):
        return f"{value:.3f} seconds"
    return f"{value:g}"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def _history_state(counts: dict[str, int]) -> str:
    for state in ("error", "running", "queued", "setting_metadata"):
        if counts.get(state):
            return "running" if state == "setting_metadata" else state
    return "ok" if counts else "new"


def _blurb(item: HistoryItem, metadata: dict[str, Any]) -> str:
    state = item.dataset.state
    if state in (DatasetState.QUEUED, DatasetState.RUNNING):
        return f"{state.value}"
    if state != DatasetState.OK:
        return "error" if state == DatasetState.ERROR else state.value
    if "sequences" in metadata:
        return _count(metadata["sequences"], "sequence")
    if "data_lines" in metadata:
        return _count(metadata["data_lines"], "region" if "chromCol" in metadata else "line")
    return nice_size(item.dataset.file_size)
