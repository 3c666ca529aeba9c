"""A tool's page: the form generated from its XML, running it, and its columns fragment."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from nebula.errors import Conflict, DatatypeError, NotFound, ParameterError, RequestError
from nebula.jobs.creation import create_tool_job
from nebula.managers.datasets import get_item, history_for_write
from nebula.managers.uploads import UPLOAD_TOOL_ID
from nebula.tools import Tool
from nebula.tools.parameters import DataColumnParameter, DataParameter, find_parameter
from nebula.web.api.params import decode_id
from nebula.web.deps import wake_handler_after
from nebula.web.ui.context import Page, PageContext
from nebula.web.ui.dataset_pages import column_headers
from nebula.web.ui.form_values import FormValues, read_form
from nebula.web.ui.history_panel import build_panel
from nebula.web.ui.history_queries import datasets_of_formats
from nebula.web.ui.tool_form_view import Choice, FieldView, FormBuilder
from nebula.web.ui.tool_help import render_help

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)


async def _form(request: Request) -> FormData:
    return await request.form()


SubmittedForm = Annotated[FormData, Depends(_form)]


@router.get("/tools/{tool_id}", response_model=None)
def tool_page(tool_id: str, ctx: Page) -> HTMLResponse | RedirectResponse:
    if tool_id == UPLOAD_TOOL_ID:
        return RedirectResponse("/upload", status_code=303)
    tool = ctx.nebula.toolbox.get(tool_id)
    return _render(ctx, tool, FormValues(), {})


@router.post("/tools/{tool_id}/run", response_model=None)
def run_tool(tool_id: str, ctx: Page, form: SubmittedForm) -> HTMLResponse | RedirectResponse:
    if tool_id == UPLOAD_TOOL_ID:
        return RedirectResponse("/upload", status_code=303)
    tool = ctx.nebula.toolbox.get(tool_id)
    submitted = read_form(tool.inputs, form)
    try:
        history = history_for_write(ctx.db, ctx.actor, ctx.history.id)
        job = create_tool_job(
            ctx.db, ctx.actor, history, tool, submitted.run_inputs(), ctx.nebula.ids, ctx.nebula.datatypes
        )
    except ParameterError as exc:
        logger.info("tool form of %s rejected for session %s: %s", tool.id, ctx.browser.id, exc.message)
        return _render(ctx, tool, submitted, {exc.parameter: exc.message}, status_code=422)
    except (RequestError, NotFound, Conflict, DatatypeError) as exc:
        logger.info("tool form of %s rejected for session %s: %s", tool.id, ctx.browser.id, exc.message)
        return _render(ctx, tool, submitted, {"": exc.message}, status_code=422)

    queued = [output.history_item for output in job.outputs]
    # The history panel listens for this event and fetches the new datasets.
    response = _render(ctx, tool, submitted, {}, queued=queued, headers={"HX-Trigger": "history-changed"})
    return wake_handler_after(response, ctx.request)


@router.get("/tools/{tool_id}/columns", response_class=HTMLResponse)
def column_field(tool_id: str, ctx: Page, param: str, data_param: str) -> HTMLResponse:
    """Redraw a data_column field for the dataset now chosen in the data field it follows."""
    tool = ctx.nebula.toolbox.get(tool_id)
    column = find_parameter(tool.inputs, param)
    if not isinstance(column, DataColumnParameter):
        raise NotFound(f"tool {tool_id} has no column parameter {param!r}")
    dataset_id = ctx.request.query_params.get(data_param) or None
    data = FieldView("data", data_param, "", "", "", dataset_id)
    builder = _builder(ctx, FormValues(), {})
    field = builder.column_field(column, param, data)
    return ctx.render("tools/_column_field.html", field=field, tool=tool)


def _render(
    ctx: PageContext,
    tool: Tool,
    submitted: FormValues,
    errors: dict[str, str],
    status_code: int = 200,
    queued: list[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    builder = _builder(ctx, submitted, errors)
    values = {"tool": tool, "nodes": builder.build(tool.inputs), "form_errors": builder.unplaced_errors(), "queued": queued}
    if ctx.is_htmx:
        return ctx.render("tools/_form.html", status_code=status_code, response_headers=headers, **values)
    return ctx.render(
        "tools/form.html", status_code=status_code, response_headers=headers,
        help_html=render_help(tool.help), panel=build_panel(ctx), **values,
    )


def _builder(ctx: PageContext, submitted: FormValues, errors: dict[str, str]) -> FormBuilder:
    datatypes = ctx.nebula.datatypes
    by_formats: dict[tuple[str, ...], list[Choice]] = {}

    def dataset_choices(param: DataParameter) -> list[Choice]:
        if param.formats not in by_formats:
            extensions = None if "data" in param.formats else _accepted_extensions(param.formats, datatypes)
            items = datasets_of_formats(ctx.db, ctx.history, extensions)
            by_formats[param.formats] = [Choice(ctx.encode(item.id), f"{item.hid}: {item.name}") for item in items]
        return by_formats[param.formats]

    def column_choices(dataset_id: str | None) -> list[Choice] | None:
        if dataset_id is None:
            return None
        try:
            item = get_item(ctx.db, ctx.actor, decode_id(ctx.nebula.ids, dataset_id, "dataset"))
        except NotFound:
            return None
        metadata = item.metadata_ or {}
        columns = metadata.get("columns")
        if not isinstance(columns, int) or isinstance(columns, bool) or columns < 1:
            return None
        headers = column_headers(metadata, columns)
        return [
            Choice(str(number), f"c{number}" if header == f"c{number}" else f"c{number}: {header}")
            for number, header in enumerate(headers, start=1)
        ]

    return FormBuilder(submitted, errors, dataset_choices, column_choices)


def _accepted_extensions(formats: tuple[str, ...], datatypes: Any) -> list[str]:
    accepted = set(formats)
    for ext in datatypes.extensions():
        for fmt in formats:
            try:
                if datatypes.is_subtype(ext, fmt):
                    accepted.add(ext)
            except DatatypeError:
                continue
    return sorted(accepted)
