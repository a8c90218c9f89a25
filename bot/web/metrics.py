"""Prometheus metrics at /metrics.

Counters and the latency histogram are per process; the gauges (inbox and outbox backlog,
undelivered replies, open cases by priority, SLA breaches) are read from the database at
scrape time, so they are right whichever worker is scraped.

The figures (open emergencies, SLA breaches, volumes) are not public. With
HELPDESK_METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>`; without it
only a request made on this machine directly (a loopback peer, no forwarding header) is
answered, never one that came through the reverse proxy.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterator

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.engine import Engine

from flows.engine import Handled
from flows.messages import Inbound
from storage import cases, first_response, inbox, outbox
from storage.db import read_session
from storage.models import utcnow

log = logging.getLogger(__name__)
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def scrape_refused(request: Request, token: str | None) -> Response | None:
    """Why this request may not read the metrics (the response to send), or None when it may."""
    if token:
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode()):
            return None
        log.warning("/metrics refused: bearer token missing or wrong")
        return PlainTextResponse("metrics: bearer token required\n", status_code=401,
                                 headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    proxied = any(request.headers.get(name) for name in FORWARDING_HEADERS)
    if _loopback(request.client.host if request.client else None) and not proxied:
        return None
    return PlainTextResponse("metrics: only from this machine unless HELPDESK_METRICS_TOKEN is set\n",
                             status_code=403)


class DatabaseGauges:
    def __init__(self, db: Engine) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with read_session(self.db) as s:  # reads only: a scrape takes no write turn
            backlog, undelivered = outbox.counts(s)
            by_priority = cases.open_case_counts(s)
            breaches = first_response.overdue_unclaimed_count(s, now=utcnow())
            waiting, oldest = inbox.backlog(s)
        yield GaugeMetricFamily("helpdesk_inbox_backlog", "Acknowledged deliveries not handled yet", value=waiting)
        yield GaugeMetricFamily("helpdesk_inbox_oldest_seconds", "Age of the oldest delivery not handled yet",
                                value=(utcnow() - oldest).total_seconds() if oldest else 0.0)
        yield GaugeMetricFamily("helpdesk_outbox_backlog", "Replies waiting to be sent", value=backlog)
        yield GaugeMetricFamily("helpdesk_undelivered_replies", "Replies given up on after the last try",
                                value=undelivered)
        open_cases = GaugeMetricFamily("helpdesk_open_cases", "Open cases by priority", labels=["priority"])
        for priority, n in by_priority.items():  # every priority, 0 when none
            open_cases.add_metric([priority], n)
        yield open_cases
        yield GaugeMetricFamily("helpdesk_sla_breaches", "Unclaimed cases past their SLA due time", value=breaches)


def install(app: FastAPI) -> None:
    service = app.state.service
    registry = CollectorRegistry()
    messages = Counter("helpdesk_messages", "Messages handled", ["channel", "direction"], registry=registry)
    duplicates = Counter("helpdesk_duplicate_deliveries", "Retried deliveries acknowledged, not handled",
                         ["channel"], registry=registry)
    latency = Histogram("helpdesk_handling_seconds", "Time to handle one inbound message", registry=registry,
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
    registry.register(DatabaseGauges(service.db))

    def observe(inbound: Inbound, handled: Handled, seconds: float) -> None:
        if handled.duplicate:
            duplicates.labels(inbound.channel).inc()
            return
        messages.labels(inbound.channel, "in").inc()
        messages.labels(inbound.channel, "out").inc(len(handled.replies))
        latency.observe(seconds)

    service.events.on_message(observe)

    token = app.state.settings.secrets.metrics_token

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        refused = scrape_refused(request, token)
        if refused is not None:
            return refused
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
