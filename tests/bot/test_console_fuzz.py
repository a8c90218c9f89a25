"""Random and malformed console form posts: a 4xx or a proper page, never a 500, never a half-written row."""

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from bot.web.app import create_app
from storage import repo
from storage.db import unit_of_work
from storage.models import CaseEvent, Outbox
from tests.bot.console_util import add_staff, first_case, login, web_report

ACTIONS = ["claim", "assign", "reply", "note", "refer", "status", "resolve", "close"]
FIELD_NAMES = ["text", "note", "to", "status", "officer_id", "csrf_token", "canned", "x"]
VALUES = st.one_of(st.text(max_size=200), st.sampled_from(["", "0", "-1", "99999999999999999999", "embassy", "police",
                                                            "ngo", "resolved", "closed", "new", "\x00", "<script>"]))


@pytest.fixture
def console(settings, service):
    add_staff(service, "sup", role="supervisor")
    with TestClient(create_app(settings, service), raise_server_exceptions=False) as c:
        web_report(c)
        token = login(c, "sup")
        yield c, token, first_case(c)["id"]


@hsettings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.sampled_from(ACTIONS), case_ref=st.one_of(st.just("own"), st.sampled_from(["0", "-5", "abc", "9999"])),
       fields=st.dictionaries(st.sampled_from(FIELD_NAMES), VALUES, max_size=4), keep_token=st.booleans())
def test_random_console_posts_never_fail_with_500(console, service, action, case_ref, fields, keep_token) -> None:
    client, token, case_id = console
    if keep_token:
        fields = {**fields, "csrf_token": token}
    ref = case_id if case_ref == "own" else case_ref
    with unit_of_work(service.db) as s:
        before = (repo.count(s, CaseEvent), repo.count(s, Outbox))
    r = client.post(f"/console/cases/{ref}/{action}", data=fields, follow_redirects=False)
    assert r.status_code < 500, (action, fields, r.status_code, r.text[:300])
    if r.status_code >= 400:
        with unit_of_work(service.db) as s:
            assert (repo.count(s, CaseEvent), repo.count(s, Outbox)) == before  # nothing half-written
