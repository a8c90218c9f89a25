"""Every integer in a console or web-chat URL is bounded: a huge id is a 4xx, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.web.app import create_app
from tests.bot.console_util import add_staff, login

HUGE = str(2**70)


@pytest.fixture
def client(settings, service):  # type: ignore[no-untyped-def]
    with TestClient(create_app(settings, service)) as c:
        yield c


@pytest.mark.parametrize("path", [f"/console/cases/{HUGE}", f"/console/cases/{HUGE}/evidence/{HUGE}",
                                  "/console/cases/-1", f"/try/api/messages?after={HUGE}"])
def test_a_huge_or_negative_id_is_refused_not_a_server_error(client, path: str) -> None:
    add_staff(client.app.state.service, "ani", role="supervisor")
    login(client, "ani")
    assert 400 <= client.get(path).status_code < 500


def test_a_huge_officer_id_in_a_form_is_refused(client) -> None:
    add_staff(client.app.state.service, "ani", role="supervisor")
    login(client, "ani")
    r = client.post(f"/console/cases/{HUGE}/claim")
    assert 400 <= r.status_code < 500


def test_the_case_page_links_the_persons_other_cases(client) -> None:
    from sqlmodel import select

    from storage.db import unit_of_work
    from storage.models import Case

    post = lambda text: client.post("/try/api/messages", json={"text": text})  # noqa: E731
    post("paspor saya ditahan agen di Johor")
    post("menu")
    post("3")
    post("report:new")
    post("gaji adik saya di Taiwan tiga bulan belum dibayar")
    with unit_of_work(client.app.state.service.db) as s:
        first, second = s.exec(select(Case).order_by(Case.id)).all()
        ids = (first.id, second.id, first.number)
    add_staff(client.app.state.service, "ani", role="supervisor")
    login(client, "ani")
    page = client.get(f"/console/cases/{ids[1]}").text
    assert f'href="/console/cases/{ids[0]}">{ids[2]}</a>' in page
