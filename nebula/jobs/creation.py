"""Creating jobs: one transaction writes the job, its inputs and its queued outputs."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from nebula.datatypes import DatatypeRegistry
from nebula.errors import NotFound
from nebula.managers.actors import Actor
from nebula.managers.datasets import ItemFacts, create_items, get_item_facts
from nebula.model import History, Job, JobInput, JobOutput, JobState
from nebula.model.rows import insert_row
from nebula.security.ids import IdEncoder
from nebula.tools import Tool
from nebula.tools.conversion import PENDING_FORMAT
from nebula.tools.state import DatasetInfo

logger = logging.getLogger(__name__)

FORMATS_PENDING = "formats_pending"


@dataclass
class HistoryItemResolver:
    """Resolves the opaque dataset ids of a tool request to datasets the actor may read."""

    session: Session
    actor: Actor
    ids: IdEncoder
    _items: dict[str, ItemFacts] = field(default_factory=dict)

    def resolve(self, ref: str) -> DatasetInfo:
        item = self.item(ref)
        return DatasetInfo(
            id=ref,
            ext=item.extension,
            metadata=dict(item.metadata or {}),
            name=item.name,
            state=item.state.value,
        )

    def item(self, ref: str) -> ItemFacts:
        # Validation and job creation both look up each input, so the checks run once per input.
        item = self._items.get(ref)
        if item is None:
            item = get_item_facts(self.session, self.actor, self.ids.decode(str(ref), "dataset"))
            if item.purged:
                raise NotFound(f"dataset {ref} has been purged")
            self._items[ref] = item
        return item


class NewOutput(NamedTuple):
    """One dataset a new job will write: its output name, dataset name, format and genome build."""

    name: str
    label: str
    ext: str
    dbkey: str


def create_tool_job(
    session: Session,
    actor: Actor,
    history: History,
    tool: Tool,
    raw_inputs: dict[str, Any],
    ids: IdEncoder,
    datatypes: DatatypeRegistry,
) -> Job:
    """Validate the request against the tool and queue a job; raises ParameterError on bad input."""
    resolver = HistoryItemResolver(session, actor, ids)
    state = tool.validate_inputs(raw_inputs, resolver)

    inputs = [(name, resolver.item(ref)) for name, ref in state.data_inputs()]
    input_exts = {name: item.extension for name, item in inputs}
    formats = tool.output_formats(state, input_exts)
    on_string = _on_string(item.hid for _, item in inputs)
    dbkey = inputs[0][1].dbkey if inputs else "?"
    outputs = [
        NewOutput(output.name, _output_name(tool, output.label, on_string), formats[output.name], dbkey)
        for output in tool.outputs
    ]

    params = state.to_json()
    if any(item.extension == PENDING_FORMAT for _, item in inputs):
        # Checked again, with the detected formats, before the job runs.
        params[FORMATS_PENDING] = True
    input_ids = [(name, item.id) for name, item in inputs]
    return _write_job(session, actor, history, tool, params, input_ids, outputs)


def create_internal_job(
    session: Session,
    actor: Actor,
    history: History,
    tool: Tool,
    params: dict[str, Any],
    outputs: list[NewOutput],
) -> Job:
    """Queue a job whose parameters Nebula built itself (uploads)."""
    return _write_job(session, actor, history, tool, params, [], outputs)


def _write_job(
    session: Session,
    actor: Actor,
    history: History,
    tool: Tool,
    params: dict[str, Any],
    inputs: list[tuple[str, int]],
    outputs: list[NewOutput],
) -> Job:
    """Write a new job, its input links (name, history item id) and its queued outputs as loaded rows."""
    job = insert_row(
        session,
        Job,
        {
            "user_id": actor.user_id,
            "session_id": actor.session_id,
            "history_id": history.id,
            "tool_id": tool.id,
            "tool_version": tool.version,
            "params": params,
            "state": JobState.NEW,
        },
    )
    job_inputs = [
        insert_row(session, JobInput, {"job_id": job.id, "name": name, "history_item_id": item_id})
        for name, item_id in inputs
    ]
    items = create_items(session, history, [(spec.label, spec.ext, spec.dbkey) for spec in outputs])
    job_outputs = [
        insert_row(
            session,
            JobOutput,
            {"job_id": job.id, "name": spec.name, "history_item_id": item.id},
            history_item=item,
        )
        for spec, item in zip(outputs, items, strict=True)
    ]
    for name, value in (("inputs", job_inputs), ("outputs", job_outputs)):
        set_committed_value(job, name, value)

    logger.info(
        "job %s created: tool %s, history %s, user %s", job.id, tool.id, history.id, actor.user_id
    )
    return job


def _on_string(input_hids: Iterable[int]) -> str:
    hids = [str(hid) for hid in input_hids]
    if not hids:
        return ""
    if len(hids) == 1:
        return f"data {hids[0]}"
    return "data " + ", ".join(hids[:-1]) + f" and {hids[-1]}"


def _output_name(tool: Tool, label: str | None, on_string: str) -> str:
    # Galaxy labels are Cheetah templates; the two placeholders tools use in practice are
    # filled here, anything richer falls back to the default name.
    if label and "$" not in label.replace("${tool.name}", "").replace("${on_string}", "").replace(
        "$on_string", ""
    ):
        return (
            label.replace("${tool.name}", tool.name)
            .replace("${on_string}", on_string)
            .replace("$on_string", on_string)
        )
    return f"{tool.name} on {on_string}" if on_string else tool.name
