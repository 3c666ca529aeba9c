"""The web pages over plain HTTP: status codes, sessions, CSRF, escaping and page fragments."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import Api, NebulaServer, create_user
from tests.ui.conftest import GENOMIC, PASSWORD, PageClient

SCRIPT_NAME = "<script>alert(1)</script>"
_ITEM_ID = re.compile(r'id="item-title-([0-9a-f]{16})"')


@pytest.fixture
def visitor(ui_server: NebulaServer) -> PageClient:
    return PageClient(ui_server.url)


@pytest.fixture(scope="module")
def scripted_key(ui_server: NebulaServer) -> str:
    """The API key of scripted@example.org (password 'secret-password'), made by the CLI."""
    return create_user(ui_server.data_dir, "scripted@example.org")


def registered(ui_server: NebulaServer, email: str) -> str:
    """Register `email` through the pages in a separate browser session and log it out."""
    client = PageClient(ui_server.url)
    assert client.register(email).status_code == 303
    client.post_form("/logout", {})
    return email


def paste(client: PageClient, content: str, name: str, ext: str = "auto") -> str:
    """Upload pasted text through the page's form and return the new dataset's id once it is final."""
    before = set(_ITEM_ID.findall(client.get("/").text))
    response = client.post_form("/upload", {"paste": content, "paste_name": name, "ext": ext, "dbkey": "?"})
    assert response.status_code == 303, response.text
    new_ids = set(_ITEM_ID.findall(client.get("/").text)) - before
    assert len(new_ids) == 1
    item_id = new_ids.pop()
    wait_until_final(client, item_id)
    return item_id


def wait_until_final(client: PageClient, item_id: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        details = client.get(f"/datasets/{item_id}/details").text
        state = re.search(r"<dt>State</dt><dd>([^<]+)</dd>", details)
        if state and state.group(1) in ("ok", "error", "discarded"):
            return state.group(1)
        time.sleep(0.1)
    raise TimeoutError(f"dataset {item_id} did not finish within {timeout} s")


def history_id_of(client: PageClient) -> str:
    match = re.search(r'name="history" value="([0-9a-f]{16})"', client.get("/").text)
    assert match
    return match.group(1)


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/upload", "/histories", "/tools/gops_intersect_1", "/tools/ui_form_features"])
def test_page_opens(visitor: PageClient, path: str) -> None:
    response = visitor.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text


def test_unknown_page_is_an_html_404(visitor: PageClient) -> None:
    response = visitor.get("/no/such/page")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "There is no page at /no/such/page" in response.text


def test_unknown_tool_page_names_the_tool(visitor: PageClient) -> None:
    response = visitor.get("/tools/no_such_tool")

    assert response.status_code == 404
    assert "no_such_tool" in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_api_errors_stay_json(visitor: PageClient) -> None:
    unknown = visitor.get("/api/no/such/route")
    unauthenticated = httpx.get(f"{visitor.url}/api/histories")

    assert unknown.status_code == 404
    assert unknown.json()["err_code"] == 404001
    assert unauthenticated.status_code == 403
    assert unauthenticated.json()["err_msg"].startswith("authentication required: send your API key")


def test_first_visit_sets_a_safe_session_cookie(visitor: PageClient) -> None:
    response = visitor.get("/")

    cookie = response.headers["set-cookie"]
    assert cookie.startswith("nebula_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie


def test_session_is_stored_as_a_digest(visitor: PageClient, ui_server: NebulaServer) -> None:
    visitor.get("/")
    token = visitor.client.cookies["nebula_session"].split(".")[0]

    with sqlite3.connect(ui_server.data_dir / "nebula.sqlite") as database:
        hashes = {row[0] for row in database.execute("SELECT token_hash FROM sessions")}

    assert hashlib.sha256(token.encode()).hexdigest() in hashes
    assert token not in hashes


def test_tampered_cookie_starts_a_new_session(visitor: PageClient) -> None:
    visitor.get("/")
    original = visitor.client.cookies["nebula_session"]
    token, signature = original.split(".")
    forged = f"{token[:-1]}{'0' if token[-1] != '0' else '1'}.{signature}"
    visitor.client.cookies.set("nebula_session", forged)

    response = visitor.get("/")

    assert response.headers["set-cookie"].split(";")[0] != f"nebula_session={forged}"


def test_form_post_without_csrf_token_is_rejected(visitor: PageClient) -> None:
    visitor.get("/")

    response = visitor.client.post("/history/new", data={"name": "forged"})

    assert response.status_code == 403
    assert "security token is missing or out of date" in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_csrf_token_of_another_session_is_rejected(visitor: PageClient, ui_server: NebulaServer) -> None:
    other = PageClient(ui_server.url)
    foreign_token = other.csrf_token()
    visitor.get("/")

    response = visitor.client.post("/history/new", data={"name": "forged", "csrf_token": foreign_token})

    assert response.status_code == 403


def test_csrf_header_is_accepted_for_htmx_requests(visitor: PageClient) -> None:
    token = visitor.csrf_token()
    history_id = history_id_of(visitor)

    response = visitor.client.post(
        "/history/rename", data={"history": history_id, "name": "Renamed by htmx"}, headers={"HX-Request": "true", "X-CSRF-Token": token}
    )

    assert response.status_code == 200
    assert 'class="history-name">Renamed by htmx<' in response.text


def test_dataset_name_is_escaped(visitor: PageClient) -> None:
    item_id = paste(visitor, "chr1\t1\t10\n", SCRIPT_NAME)

    panel = visitor.get("/history/panel").text
    details = visitor.get(f"/datasets/{item_id}/details").text
    view = visitor.get(f"/datasets/{item_id}").text

    for html in (panel, view):
        assert SCRIPT_NAME not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT_NAME not in details


def test_dataset_content_is_escaped(visitor: PageClient) -> None:
    item_id = paste(visitor, "<b>bold</b> & <script>x()</script>\n", "markup.txt", ext="txt")

    view = visitor.get(f"/datasets/{item_id}").text

    assert "<script>x()</script>" not in view
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;x()&lt;/script&gt;" in view


def test_register_then_login_carries_history_over(visitor: PageClient) -> None:
    paste(visitor, "chr2\t5\t50\n", "before registering")

    registered = visitor.register("carrier@example.org")
    page = visitor.get("/").text
    histories = visitor.get("/histories").text

    assert registered.status_code == 303
    assert "carrier@example.org" in page
    assert "before registering" in page
    assert histories.count('<td class="history-name">') == 1


def test_login_replaces_the_session_token(visitor: PageClient, ui_server: NebulaServer) -> None:
    registered(ui_server, "rotating@example.org")
    visitor.get("/")
    anonymous_cookie = visitor.client.cookies["nebula_session"]

    response = visitor.post_form("/login", {"email": "rotating@example.org", "password": PASSWORD})
    stale = httpx.get(f"{ui_server.url}/", cookies={"nebula_session": anonymous_cookie})

    assert response.status_code == 303
    assert visitor.client.cookies["nebula_session"] != anonymous_cookie
    assert "rotating@example.org" in visitor.get("/").text
    assert "rotating@example.org" not in stale.text


def test_wrong_password_is_rejected_in_words(visitor: PageClient, ui_server: NebulaServer) -> None:
    registered(ui_server, "careful@example.org")

    response = visitor.post_form("/login", {"email": "careful@example.org", "password": "not the password"})

    assert response.status_code == 401
    assert "the email address or password is incorrect" in response.text


def test_register_rejects_a_taken_email(visitor: PageClient) -> None:
    visitor.register("twice@example.org")
    other = PageClient(visitor.url)

    response = other.register("twice@example.org")

    assert response.status_code == 409
    assert "already exists" in response.text


def test_logout_ends_the_session(visitor: PageClient) -> None:
    visitor.register("leaving@example.org")
    logged_in_cookie = visitor.client.cookies["nebula_session"]

    response = visitor.post_form("/logout", {})
    reused = httpx.get(f"{visitor.url}/", cookies={"nebula_session": logged_in_cookie})

    assert response.status_code == 303
    assert "leaving@example.org" not in reused.text
    assert "Anonymous visitor" in reused.text


def test_slow_upload_form_leaves_database_free(visitor: PageClient, scripted_key: str, ui_server: NebulaServer) -> None:
    """An upload form whose body arrives slowly keeps no database session open, with the token in a header too."""
    token = visitor.csrf_token()
    boundary = "nebula-slow-upload"
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"paste\"\r\n\r\nchr1\t10\t20\n\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"ext\"\r\n\r\nbed\r\n"
    ).encode()
    tail = f"--{boundary}--\r\n".encode()
    first_part_sent = threading.Event()
    other_request_done = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield head
        first_part_sent.set()
        other_request_done.wait(timeout=30)
        yield tail

    results: list[httpx.Response] = []
    headers = {"X-CSRF-Token": token, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    posting = threading.Thread(
        target=lambda: results.append(visitor.client.post("/upload", content=slow_body(), headers=headers))
    )
    posting.start()
    assert first_part_sent.wait(timeout=10)
    try:
        other = Api(ui_server.url, scripted_key).client.post("/api/histories", json={"name": "during a slow form"}, timeout=10)
    finally:
        other_request_done.set()
        posting.join(timeout=30)

    assert other.status_code == 200, other.text
    assert results[0].status_code == 303, results[0].text


def test_tus_patch_checks_credentials(visitor: PageClient) -> None:
    token = visitor.csrf_token()
    created = visitor.client.post(
        "/api/upload/resumable_upload", headers={"Upload-Length": "5", "X-CSRF-Token": token, "Tus-Resumable": "1.0.0"}
    )
    location = created.headers["location"]
    headers = {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream", "Tus-Resumable": "1.0.0"}

    without_token = visitor.client.patch(location, content=b"01234", headers=headers)
    anonymous = httpx.patch(visitor.client.base_url.join(location), content=b"01234", headers=headers)
    with_token = visitor.client.patch(location, content=b"01234", headers={**headers, "X-CSRF-Token": token})

    assert created.status_code == 201
    assert without_token.status_code == 403
    assert "X-CSRF-Token" in without_token.json()["err_msg"]
    assert anonymous.status_code == 403
    assert "API key" in anonymous.json()["err_msg"]
    assert with_token.status_code == 204


def test_tus_upload_and_fetch_accept_the_session_cookie(visitor: PageClient) -> None:
    token = visitor.csrf_token()
    content = (GENOMIC / "aorta.bed").read_bytes()

    without_header = visitor.client.post("/api/upload/resumable_upload", headers={"Upload-Length": str(len(content))})
    created = visitor.client.post(
        "/api/upload/resumable_upload", headers={"Upload-Length": str(len(content)), "X-CSRF-Token": token, "Tus-Resumable": "1.0.0"}
    )
    location = created.headers["location"]
    patched = visitor.client.patch(
        location,
        content=content,
        headers={"X-CSRF-Token": token, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream", "Tus-Resumable": "1.0.0"},
    )
    payload = {
        "history_id": history_id_of(visitor),
        "targets": [{"destination": {"type": "hdas"}, "elements": [{"src": "files", "name": "aorta.bed", "ext": "auto"}]}],
        "files_0|file_data": {"session_id": location.rsplit("/", 1)[-1], "name": "aorta.bed"},
    }
    fetched = visitor.client.post("/api/tools/fetch", json=payload, headers={"X-CSRF-Token": token})

    assert without_header.status_code == 403
    assert "X-CSRF-Token" in without_header.json()["err_msg"]
    assert created.status_code == 201
    assert patched.status_code == 204
    assert fetched.status_code == 200
    assert fetched.json()["outputs"][0]["name"] == "aorta.bed"
    assert wait_until_final(visitor, fetched.json()["outputs"][0]["id"]) == "ok"


def test_api_key_still_works_beside_a_cookie(ui_server: NebulaServer, scripted_key: str) -> None:
    client = PageClient(ui_server.url)
    client.get("/")

    response = client.client.post("/api/histories", json={"name": "from a script"}, headers={"x-api-key": scripted_key})

    assert response.status_code == 200
    assert response.json()["name"] == "from a script"


def test_dataset_rename_datatype_delete_and_undelete(visitor: PageClient) -> None:
    item_id = paste(visitor, "chr3\t1\t100\tgeneA\n", "to edit")

    renamed = visitor.post_form(f"/datasets/{item_id}/rename", {"name": "edited"}, htmx=True)
    bad_name = visitor.post_form(f"/datasets/{item_id}/rename", {"name": "  "}, htmx=True)
    retyped = visitor.post_form(f"/datasets/{item_id}/datatype", {"extension": "tabular"}, htmx=True)
    bad_type = visitor.post_form(f"/datasets/{item_id}/datatype", {"extension": "nonsense"}, htmx=True)
    deleted = visitor.post_form(f"/datasets/{item_id}/delete", {}, htmx=True)
    hidden_after_delete = item_id not in visitor.get("/history/panel").text
    shown_with_deleted = item_id in visitor.get("/history/panel?show_deleted=true").text
    undeleted = visitor.post_form(f"/datasets/{item_id}/undelete", {}, htmx=True)

    assert renamed.status_code == 200
    assert '<span class="name">edited</span>' in renamed.text
    assert bad_name.status_code == 422
    assert "dataset name must be 1 to 255 characters" in bad_name.text
    assert retyped.status_code == 200
    assert '<dd class="format">tabular</dd>' in retyped.text
    assert bad_type.status_code == 422
    assert "unknown datatype &#39;nonsense&#39;" in bad_type.text
    assert deleted.status_code == 200
    assert "This dataset has been deleted." in deleted.text
    assert hidden_after_delete
    assert shown_with_deleted
    assert undeleted.status_code == 200
    assert "This dataset has been deleted." not in undeleted.text


def test_download_sends_the_file(visitor: PageClient) -> None:
    item_id = paste(visitor, "chr4\t1\t5\n", "to download")

    response = visitor.get(f"/datasets/{item_id}/download")

    assert response.status_code == 200
    assert response.content == b"chr4\t1\t5\n"
    assert "attachment" in response.headers["content-disposition"]


def test_other_visitors_cannot_see_a_dataset(visitor: PageClient, ui_server: NebulaServer) -> None:
    item_id = paste(visitor, "chr5\t1\t5\n", "private")
    stranger = PageClient(ui_server.url)

    details = stranger.get(f"/datasets/{item_id}/details")
    view = stranger.get(f"/datasets/{item_id}")

    assert details.status_code == 404
    assert view.status_code == 404
    assert "private" not in view.text


def test_histories_create_switch_and_list_with_sizes(visitor: PageClient) -> None:
    first = history_id_of(visitor)
    paste(visitor, "chr6\t1\t5\n", "in the first history")

    created = visitor.post_form("/history/new", {"name": "Second analysis"})
    second_page = visitor.get("/").text
    listing = visitor.get("/histories").text
    switched = visitor.post_form("/history/switch", {"history": first})
    back_page = visitor.get("/").text

    assert created.status_code == 303
    assert 'class="history-name">Second analysis<' in second_page
    assert "in the first history" not in second_page
    assert "Second analysis" in listing
    assert re.search(r'<td class="history-datasets">1</td>\s*<td class="history-size">9 bytes</td>', listing)
    assert switched.status_code == 303
    assert "in the first history" in back_page


def test_switch_to_a_foreign_history_is_refused(visitor: PageClient, ui_server: NebulaServer) -> None:
    other = PageClient(ui_server.url)
    foreign = history_id_of(other)

    response = visitor.post_form("/history/switch", {"history": foreign})

    assert response.status_code == 404
    assert "history not found" in response.text.lower()


def test_table_view_pages_through_rows(visitor: PageClient) -> None:
    lines = [f"chr1\t{index * 10}\t{index * 10 + 5}\tfeature{index}" for index in range(1, 251)]
    item_id = paste(visitor, "\n".join(lines) + "\n", "250 rows", ext="interval")

    first = visitor.get(f"/datasets/{item_id}").text
    next_link = re.search(r'href="(/datasets/[0-9a-f]+\?offset=\d+&amp;row=\d+)" class="next-page"', first)
    assert next_link
    second = visitor.get(next_link.group(1).replace("&amp;", "&")).text
    previous_link = re.search(r'href="(/datasets/[0-9a-f]+\?offset=\d+&amp;row=\d+)" class="previous-page"', second)
    assert previous_link
    back = visitor.get(previous_link.group(1).replace("&amp;", "&")).text

    assert first.count("<tr><td class=\"row-number\">") == 100
    assert "<td>feature1</td>" in first
    assert "<td>feature101</td>" not in first
    assert "<td>feature101</td>" in second
    assert "<td>feature200</td>" in second
    assert "<td>feature201</td>" not in second
    assert '<td class="row-number">101</td>' in second
    assert back.count("<td>feature") == 100
    assert "<td>feature1</td>" in back
    assert re.findall(r"<th>([^<]*)</th>", first) == ["chrom", "start", "end", "name"]


def test_column_names_come_from_the_header_line(visitor: PageClient) -> None:
    item_id = paste(visitor, "#gene\tcount\tscore\nabc\t3\t0.5\n", "with header", ext="tabular")

    view = visitor.get(f"/datasets/{item_id}").text

    assert re.findall(r"<th>([^<]*)</th>", view) == ["gene", "count", "score"]
    assert "<td>abc</td>" in view


def test_columns_fragment_lists_the_dataset_columns(visitor: PageClient) -> None:
    item_id = paste(visitor, "chr1\t1\t5\tx\t0\t+\n", "six columns", ext="bed")

    response = visitor.get(
        "/tools/ui_form_features/columns", params={"param": "mode|column", "data_param": "input", "input": item_id}
    )

    assert response.status_code == 200
    assert re.findall(r"<option value=\"(\d+)\"", response.text) == ["1", "2", "3", "4", "5", "6"]
    assert "c6: strand" in response.text
    assert 'hx-trigger="change from:#param-input"' in response.text


def test_poll_reports_new_and_changed_datasets(visitor: PageClient) -> None:
    history = history_id_of(visitor)
    item_id = paste(visitor, "chr7\t1\t5\n", "polled")

    response = visitor.get("/history/poll", params={"history": history, "max_hid": 0, "watch": [item_id]})

    assert response.status_code == 200
    assert f'id="item-title-{item_id}" hx-swap-oob="true"' in response.text
    assert 'hx-swap-oob="afterbegin:#history-items"' in response.text
    assert 'data-watching="false"' in response.text
    assert "every 1s" not in response.text


def test_bad_parameter_returns_422(visitor: PageClient) -> None:
    item_id = paste(visitor, "chr1\t1\t5\n", "for intersect", ext="bed")

    response = visitor.post_form(
        "/tools/gops_intersect_1/run", {"input1": item_id, "input2": item_id, "min": "abc", "returntype": ""}, htmx=True
    )

    assert response.status_code == 422
    assert re.search(r'id="param-min-field"[^>]*>.*?class="field-error"', response.text, re.S)
    assert "must be an integer &gt;= 1, got &#39;abc&#39;" in response.text


def test_tool_run_without_javascript_renders_the_page(visitor: PageClient) -> None:
    item_id = paste(visitor, "chr1\t1\t5\n", "no script", ext="bed")

    response = visitor.post_form("/tools/gops_intersect_1/run", {"input1": item_id, "input2": item_id, "min": "1", "returntype": ""})

    assert response.status_code == 200
    assert "<!doctype html>" in response.text
    assert "Intersect was queued" in response.text


def test_upload_without_content_is_refused_in_words(visitor: PageClient) -> None:
    response = visitor.post_form("/upload", {"paste": "  ", "ext": "auto"})

    assert response.status_code == 400
    assert "choose at least one file or paste some text" in response.text.lower()


def test_api_sees_browser_datasets_after_login(ui_server: NebulaServer, scripted_key: str) -> None:
    client = PageClient(ui_server.url)
    paste(client, "chr8\t1\t5\n", "made anonymously")
    client.post_form("/login", {"email": "scripted@example.org", "password": "secret-password"})

    api = Api(ui_server.url, scripted_key)
    histories = api.get("/api/histories").json()
    names = [item["name"] for history in histories for item in api.get(f"/api/histories/{history['id']}/contents").json()]

    assert "made anonymously" in names


def test_cookie_is_secure_behind_https_proxy(ui_server: NebulaServer) -> None:
    response = httpx.get(f"{ui_server.url}/", headers={"X-Forwarded-Proto": "https"})

    assert "Secure" in response.headers["set-cookie"]


def test_data_fields_offer_only_matching_formats(visitor: PageClient) -> None:
    text_id = paste(visitor, "just some words\n", "plain words", ext="txt")
    bed_id = paste(visitor, "chr1\t1\t5\n", "an interval", ext="bed")

    intersect_form = visitor.get("/tools/gops_intersect_1").text
    fail_form = visitor.get("/tools/test_fail").text

    assert f'<option value="{bed_id}"' in intersect_form
    assert f'<option value="{text_id}"' not in intersect_form
    assert f'<option value="{text_id}"' in fail_form
    assert f'<option value="{bed_id}"' in fail_form


def test_failed_dataset_view_shows_the_job_stderr(visitor: PageClient) -> None:
    input_id = paste(visitor, "chr1\t1\t5\n", "input of a failing job", ext="bed")

    queued = visitor.post_form("/tools/test_fail/run", {"input": input_id}, htmx=True)
    output_id = re.search(r'id="item-title-([0-9a-f]{16})"', visitor.get("/history/panel").text)
    assert output_id
    state = wait_until_final(visitor, output_id.group(1))
    view = visitor.get(f"/datasets/{output_id.group(1)}").text

    assert queued.status_code == 200
    assert queued.headers["hx-trigger"] == "history-changed"
    assert state == "error"
    assert "The job that was to create this dataset failed (exit code 3)." in view
    assert "something went wrong in step 2" in view
