"""The web pages in a real browser: accounts, upload, tool forms, the live history panel.

A researcher's session is shared by the tests of this module: it registers, uploads
exons.bed and cpg.bed through the upload form, and the later tests run tools on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import NebulaServer
from tests.ui.conftest import ARTIFACTS, GENOMIC, PASSWORD

WAIT_MS = 60_000
INTERSECT_OUTPUT = "Intersect on data 1 and 2"


@dataclass
class Researcher:
    page: Any
    context: Any
    email: str


@pytest.fixture(scope="module")
def researcher(browser: Any, ui_server: NebulaServer) -> Iterator[Researcher]:
    """A registered user whose current history contains exons.bed (hid 1) and cpg.bed (hid 2)."""
    context = browser.new_context(base_url=ui_server.url)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    email = "researcher@example.org"
    _register(page, email)

    page.goto("/upload")
    page.set_input_files("#upload-files", [str(GENOMIC / "exons.bed")])
    page.set_input_files("#upload-files", [str(GENOMIC / "cpg.bed")])
    page.click("#upload-start")
    page.locator("#upload-status.success").wait_for()
    _item_title(page, "exons.bed", "ok").wait_for()
    _item_title(page, "cpg.bed", "ok").wait_for()
    yield Researcher(page, context, email)
    context.close()


def test_register_log_out_and_log_in(browser: Any, ui_server: NebulaServer) -> None:
    context = browser.new_context(base_url=ui_server.url)
    page = context.new_page()

    _register(page, "newcomer@example.org")
    registered = page.locator(".masthead .who").inner_text()
    page.click("text=Log out")
    after_logout = page.locator(".masthead .who").inner_text()
    _log_in(page, "newcomer@example.org", PASSWORD)
    after_login = page.locator(".masthead .who").inner_text()
    _log_in(page, "newcomer@example.org", "a wrong password")
    wrong_password = page.locator("p.error").inner_text()
    context.close()

    assert registered == "newcomer@example.org"
    assert after_logout == "Anonymous visitor"
    assert after_login == "newcomer@example.org"
    assert "email address or password is incorrect" in wrong_password


def test_login_carries_anonymous_history_over(browser: Any, ui_server: NebulaServer, researcher: Researcher) -> None:
    context = browser.new_context(base_url=ui_server.url)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto("/upload")
    page.fill("#upload-paste", "chr1\t10\t20\nchr1\t30\t40\n")
    page.fill("#upload-paste-name", "anonymous intervals")
    page.click("#upload-start")
    _item_title(page, "anonymous intervals", "ok").wait_for()
    anonymous_history = page.locator("#history-header .history-name").inner_text()

    _log_in(page, researcher.email, PASSWORD)
    carried = page.locator("#history-items .item-title", has_text="anonymous intervals").count()
    history_after_login = page.locator("#history-header .history-name").inner_text()
    page.goto("/histories")
    history_names = page.locator("table.histories .history-name").all_inner_texts()
    context.close()

    assert carried == 1
    assert history_after_login == anonymous_history
    assert anonymous_history in history_names
    assert len(history_names) >= 2


def test_upload_form_creates_datasets_with_detected_formats(researcher: Researcher) -> None:
    page = researcher.page
    page.goto("/")

    _item_title(page, "exons.bed", "ok").click()
    exons_format = page.locator(".item-details .format").first.inner_text()

    assert exons_format == "bed"
    assert page.locator("#history-items .item-title", has_text="cpg.bed").count() == 1


def test_intersect_runs_and_history_updates_without_reload(
    researcher: Researcher, capsys: pytest.CaptureFixture[str]
) -> None:
    page = researcher.page
    page.goto("/tools/gops_intersect_1")
    page.select_option("#param-input1", label="1: exons.bed")
    page.select_option("#param-input2", label="2: cpg.bed")
    ARTIFACTS.mkdir(exist_ok=True)
    form_shot = ARTIFACTS / "intersect-form.png"
    page.screenshot(path=str(form_shot), full_page=True)
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    page.evaluate("window.nebulaTestMarker = 'still the same page'")

    page.click("button.run-tool")
    page.locator("#job-queued").wait_for()
    _item_title(page, INTERSECT_OUTPUT, "ok").wait_for()
    marker = page.evaluate("window.nebulaTestMarker")
    panel_shot = ARTIFACTS / "history-panel.png"
    page.locator("#history-panel").screenshot(path=str(panel_shot))
    with capsys.disabled():
        print(f"\nscreenshots: {form_shot} {panel_shot}")

    assert navigations == []
    assert marker == "still the same page"
    assert form_shot.stat().st_size > 0
    assert panel_shot.stat().st_size > 0


def test_history_panel_follows_a_running_job(researcher: Researcher) -> None:
    page = researcher.page
    page.goto("/tools/test_sleep")
    page.fill("#param-seconds", "2")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)

    page.click("button.run-tool")
    unfinished = page.locator("#history-items .item-title:not(.state-ok)", has_text="Sleep").first
    unfinished.wait_for()
    state_while_running = unfinished.get_attribute("data-state")
    _item_title(page, "Sleep", "ok").wait_for()
    watched_after = page.locator("#history-items .item-watch").count()
    polling_after = page.locator("#history-poller").get_attribute("data-watching")

    assert state_while_running in ("queued", "running")
    assert navigations == []
    assert watched_after == 0
    assert polling_after == "false"


def test_intersect_output_shows_expected_rows(researcher: Researcher) -> None:
    page = researcher.page
    expected = _intersect(GENOMIC / "exons.bed", GENOMIC / "cpg.bed")
    page.goto("/")
    _item_title(page, INTERSECT_OUTPUT, "ok").click()
    page.locator(".item-details .view-link").first.click()
    page.locator("table.dataset-table").wait_for()

    headers = page.locator("table.dataset-table thead th").all_inner_texts()
    rows = page.locator("table.dataset-table tbody tr")
    first_row = rows.first.locator("td").all_inner_texts()[1:]

    assert len(expected) == 78
    assert rows.count() == 78
    assert headers[:4] == ["#", "chrom", "start", "end"]
    assert first_row == expected[0]


def test_bad_parameter_is_shown_next_to_its_field(researcher: Researcher) -> None:
    page = researcher.page
    page.goto("/tools/gops_intersect_1")
    page.select_option("#param-input1", label="1: exons.bed")
    page.select_option("#param-input2", label="2: cpg.bed")
    page.fill("#param-min", "0")

    page.click("button.run-tool")
    error = page.locator("#param-min-field .field-error")
    error.wait_for()

    assert "min" in error.inner_text()
    assert "must be an integer >= 1, got '0'" in error.inner_text()
    assert page.locator("#param-min").input_value() == "0"
    assert page.locator(".field-error").count() == 1
    assert "Traceback" not in page.content()


def test_conditional_shows_and_hides_its_branch(researcher: Researcher) -> None:
    page = researcher.page
    page.goto("/tools/ui_form_features")
    column = page.locator("#param-mode-7c-column-field")
    pattern = page.locator("#param-mode-7c-pattern-field")
    before = (column.is_visible(), pattern.is_visible())

    page.select_option("#param-mode-7c-kind", "pattern")
    after_switch = (column.is_visible(), pattern.is_visible())
    page.select_option("#param-mode-7c-kind", "columns")
    after_switch_back = (column.is_visible(), pattern.is_visible())

    assert before == (True, False)
    assert after_switch == (False, True)
    assert after_switch_back == (True, False)


def test_repeat_adds_and_removes_instances(researcher: Researcher) -> None:
    page = researcher.page
    page.goto("/tools/ui_form_features")
    instances = page.locator("#param-queries .repeat-instances > .repeat-instance")
    add = page.locator("#param-queries > [data-repeat-add]")
    initial = instances.count()

    add.click()
    add.click()
    after_adding = instances.count()
    add_disabled_at_max = add.is_disabled()
    page.fill("#param-queries_2-7c-label", "third")
    instances.nth(1).locator("[data-repeat-remove]").click()
    after_removing = instances.count()
    numbers = page.locator("#param-queries .instance-number").all_inner_texts()

    assert initial == 1
    assert after_adding == 3
    assert add_disabled_at_max
    assert after_removing == 2
    assert numbers[:2] == ["1", "2"]
    assert page.locator("#param-queries_2-7c-label").input_value() == "third"


def test_repeat_values_reach_the_job(researcher: Researcher) -> None:
    page = researcher.page
    page.goto("/tools/ui_form_features")
    page.select_option("#param-input", label="1: exons.bed")
    page.locator("#param-queries > [data-repeat-add]").click()
    page.fill("#param-queries_0-7c-label", "alpha")
    page.fill("#param-queries_1-7c-label", "beta")
    page.locator("details.section > summary").click()
    page.check("#param-advanced-7c-flag")

    page.click("button.run-tool")
    page.locator("#job-queued").wait_for()
    output = page.locator("#job-queued li").first.inner_text()
    hid = output.split(":")[0]
    title = page.locator("#history-items .item-title.state-ok", has=page.locator(".hid", has_text=re.compile(rf"^{hid}:$")))
    title.wait_for()
    title.click()
    peek = page.locator(".item-details .peek").first.inner_text()

    assert "query=alpha" in peek
    assert "query=beta" in peek
    assert "flag=yes" in peek


def test_column_choices_follow_the_chosen_dataset(researcher: Researcher) -> None:
    page = researcher.page
    page.goto("/tools/ui_form_features")
    options = page.locator("#param-mode-7c-column option")
    page.select_option("#param-input", label="1: exons.bed")
    page.wait_for_function("document.querySelectorAll('#param-mode-7c-column option').length === 6")
    exons_columns = options.all_inner_texts()

    page.select_option("#param-input", label="2: cpg.bed")
    page.wait_for_function("document.querySelectorAll('#param-mode-7c-column option').length === 4")
    cpg_columns = options.all_inner_texts()

    assert exons_columns[:3] == ["c1: chrom", "c2: start", "c3: end"]
    assert exons_columns[5] == "c6: strand"
    assert len(cpg_columns) == 4


def test_tool_help_is_rendered_without_raw_html(researcher: Researcher) -> None:
    page = researcher.page
    page.goto("/tools/ui_form_features")

    help_text = page.locator(".tool-help").inner_text()

    assert "What it does" in page.locator(".tool-help strong").first.inner_text()
    assert "raw html ran" not in page.title()
    assert "document.title" not in help_text


def test_tool_search_filters_the_panel(researcher: Researcher) -> None:
    page = researcher.page
    page.goto("/")

    total = page.locator(".tool-link").count()
    page.fill("#tool-search", "intersect")
    shown = page.locator(".tool-link:visible a").all_inner_texts()
    page.fill("#tool-search", "")
    shown_again = page.locator(".tool-link:visible").count()

    assert shown == ["Intersect"]
    assert shown_again == total


def test_failing_job_shows_its_stderr(researcher: Researcher) -> None:
    page = researcher.page
    page.goto("/tools/test_fail")
    page.select_option("#param-input", label="1: exons.bed")

    page.click("button.run-tool")
    failed = _item_title(page, "Fail on data 1", "error")
    failed.wait_for()
    failed.click()
    stderr = page.locator(".item-details .job-stderr").first

    assert "something went wrong in step 2" in stderr.inner_text()
    assert "exit code 3" in page.locator(".item-details .error").first.inner_text()


def test_form_post_without_csrf_token_is_rejected(researcher: Researcher) -> None:
    page = researcher.page
    page.goto("/")
    before = page.locator("#history-header .history-name").inner_text()

    rejected = researcher.context.request.post(f"{page.url.rstrip('/')}/history/new", form={"name": "forged"})
    page.goto("/")

    assert rejected.status == 403
    assert "security token" in rejected.text()
    assert page.locator("#history-header .history-name").inner_text() == before


def test_session_cookie_is_http_only_and_same_site(researcher: Researcher) -> None:
    cookies = {cookie["name"]: cookie for cookie in researcher.context.cookies()}

    session = cookies["nebula_session"]

    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    assert researcher.page.evaluate("document.cookie").find("nebula_session") == -1


def test_large_and_dropped_files_upload_with_progress(researcher: Researcher, tmp_path: Path) -> None:
    page = researcher.page
    large = tmp_path / "large.bed"
    large.write_text("".join(f"chr1\t{n * 100}\t{n * 100 + 50}\tfeature{n}\n" for n in range(120_000)))
    page.goto("/upload")

    page.set_input_files("#upload-files", [str(large)])
    page.evaluate(
        """() => {
            const files = new DataTransfer();
            files.items.add(new File(["chr2\\t10\\t20\\n"], "dropped.bed"));
            const drop = new DragEvent("drop", {dataTransfer: files, bubbles: true, cancelable: true});
            document.querySelector("#drop-zone").dispatchEvent(drop);
        }"""
    )
    listed = page.locator("#upload-list tbody td:first-child").all_inner_texts()
    page.click("#upload-start")
    page.locator("#upload-status.success").wait_for()
    # On a loaded machine the last progress event can be painted after the status changes.
    page.wait_for_function(
        "() => [...document.querySelectorAll('#upload-list progress')].every(bar => bar.value === 100)"
    )
    progress = page.locator("#upload-list progress").evaluate_all("bars => bars.map(bar => bar.value)")
    _item_title(page, "large.bed", "ok").wait_for()
    _item_title(page, "dropped.bed", "ok").wait_for()

    assert large.stat().st_size > 3 * 1024 * 1024
    assert listed == ["large.bed", "dropped.bed"]
    assert progress == [100, 100]


def _register(page: Any, email: str) -> None:
    page.goto("/register")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("form.account-form button[type=submit]")
    page.wait_for_url("**/")


def _log_in(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form.account-form button[type=submit]")
    page.wait_for_load_state()


def _item_title(page: Any, name: str, state: str) -> Any:
    return page.locator(f"#history-items .item-title.state-{state}", has_text=name).first


def _intersect(first: Path, second: Path) -> list[list[str]]:
    """Return the rows of `first` that overlap a row of `second` by at least one base."""
    def rows(path: Path) -> list[list[str]]:
        return [line.rstrip("\n").split("\t") for line in path.read_text().splitlines() if line and not line.startswith("#")]

    intervals = [(row[0], int(row[1]), int(row[2])) for row in rows(second)]
    return [
        row for row in rows(first)
        if any(chrom == row[0] and max(start, int(row[1])) < min(end, int(row[2])) for chrom, start, end in intervals)
    ]
