"""The dashboard's figures as tables: one place that the console page, its charts, the monthly
report (XLSX/CSV) and the `helpdesk report` command all read.

The database does the counting (storage/dashboard.py); this module names things in
Indonesian, fills empty days and categories with zeros, folds days into weeks and maps
knowledge-base entries to their topics. A table marked `in_report=False` holds words people
wrote (the top unanswered questions) and stays on the console: the report carries only
aggregates — no names, numbers or message text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.web.console_pages import CATEGORY_LABELS, CHANNEL_LABELS, PRIORITY_LABELS
from knowledge.job_offer import destinations
from knowledge.kb import KnowledgeBase
from storage import dashboard as queries
from storage.dashboard import Period

MEASURE_LABELS = {"claim": "Sampai diambil petugas", "first_reply": "Sampai balasan pertama petugas",
                  "resolution": "Sampai selesai"}
AGE_BOUNDS = (dt.timedelta(days=1), dt.timedelta(days=3), dt.timedelta(days=7), dt.timedelta(days=30))
AGE_LABELS = ("Kurang dari 1 hari", "1–3 hari", "3–7 hari", "7–30 hari", "Lebih dari 30 hari")
NOT_TOLD = "Tidak disebut"
OTHER_TOPIC = "Lainnya (entri sudah dihapus)"
MAX_DAYS = 366


@dataclass(frozen=True)
class Table:
    """One figure: a title, column headers and rows of plain values (str, int, float, date, None)."""

    key: str  # sheet name in the report and id on the page
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str = ""
    in_report: bool = True


@dataclass(frozen=True)
class Figures:
    first_day: dt.date
    last_day: dt.date
    generated_at: dt.datetime
    tables: tuple[Table, ...]
    totals: dict[str, Any] = field(default_factory=dict)  # the headline numbers above the charts

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def report_tables(self) -> tuple[Table, ...]:
        return tuple(t for t in self.tables if t.in_report)


def period_for(first_day: dt.date, last_day: dt.date, tz: ZoneInfo) -> Period:
    """The local days first..last (inclusive) as a UTC range, with the zone's offset for day buckets."""
    start = dt.datetime.combine(first_day, dt.time(), tz)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tz)
    offset = start.utcoffset() or dt.timedelta(0)
    return Period(start.astimezone(dt.UTC), end.astimezone(dt.UTC), int(offset.total_seconds() // 60))


def month_days(month: str) -> tuple[dt.date, dt.date]:
    """'2026-11' -> first and last day of that month."""
    first = dt.datetime.strptime(month, "%Y-%m").date()
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _week(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())  # the Monday that starts its week


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def duration_text(seconds: float | None) -> str:
    """'2 hari 3 jam', '1 jam 5 menit', '4 menit' — or '—' when nothing was measured."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} hari {hours} jam" if hours else f"{days} hari"
    if hours:
        return f"{hours} jam {mins} menit" if mins else f"{hours} jam"
    return f"{mins} menit"


class TopicMap:
    """Knowledge-base entries to topic titles."""

    def __init__(self, kb: KnowledgeBase) -> None:
        titles = {t.id: t.title for t in kb.topics}
        self.topic_of_entry = {e.id: titles.get(e.topic, e.topic) for e in kb.entries}

    def entry(self, entry_id: str | None) -> str:
        """The topic title of an entry; an entry since removed from the KB counts as "other"."""
        return self.topic_of_entry.get(entry_id or "", OTHER_TOPIC)


def place_named(told: str | None, recorded: str | None = None) -> str:
    """The destination country: the one an officer recorded, when it names a country we know,
    else the first country named in what the reporter told about where (or in the report itself).
    Only names from the knowledge package's list come out: never the words typed."""
    for text in (recorded, told):
        named = destinations(text) if text else []
        if named:
            return named[0]
    return NOT_TOLD


def _ordered(keys: Sequence[str], labels: Mapping[str, str], found: set[str]) -> list[str]:
    return [k for k in labels if k in found or k in keys] + sorted(found - set(labels))


def build(session: Session, *, first_day: dt.date, last_day: dt.date, tz: ZoneInfo, sla_minutes: Mapping[str, int],
          topics: TopicMap, now: dt.datetime, unanswered_limit: int = 10) -> Figures:
    """Every figure of the dashboard for the local days first_day..last_day."""
    period = period_for(first_day, last_day, tz)
    days = _days(first_day, last_day)
    tables: list[Table] = []

    # messages per day and channel
    per_day = queries.messages_per_day(session, period=period)
    channels = _ordered(("web", "whatsapp", "telegram"), CHANNEL_LABELS, {c for _, c, _ in per_day})
    counts = {(d, c): n for d, c, n in per_day}
    rows: list[tuple[Any, ...]] = [
        (d, *(counts.get((d, c), 0) for c in channels), sum(counts.get((d, c), 0) for c in channels)) for d in days]
    tables.append(Table("pesan_per_hari", "Pesan masuk per hari menurut saluran",
                        ("Tanggal", *(CHANNEL_LABELS.get(c, c) for c in channels), "Jumlah"), tuple(rows),
                        note="Pesan yang dikirim orang ke layanan (bukan balasan bot atau petugas)."))
    messages_total = sum(r[-1] for r in rows)

    # cases opened and closed per week and category
    weeks = sorted({_week(d) for d in days})
    categories = list(CATEGORY_LABELS)
    case_totals = {}
    for key, title, data in (
            ("kasus_dibuka", "Kasus dibuka per minggu menurut kategori",
             queries.cases_opened_per_day(session, period=period)),
            ("kasus_selesai", "Kasus selesai atau ditutup per minggu menurut kategori",
             queries.cases_closed_per_day(session, period=period))):
        extra = sorted({c for _, c, _ in data} - set(categories))
        cats = categories + extra
        week_counts: dict[tuple[dt.date, str], int] = {}
        for day, category, n in data:
            k = (_week(day), category)
            week_counts[k] = week_counts.get(k, 0) + n
        rows = [(w, *(week_counts.get((w, c), 0) for c in cats), sum(week_counts.get((w, c), 0) for c in cats))
                for w in weeks]
        case_totals[key] = sum(r[-1] for r in rows)
        tables.append(Table(key, title, ("Minggu mulai", *(CATEGORY_LABELS.get(c, c) for c in cats), "Jumlah"),
                            tuple(rows),
                            note="Minggu mulai hari Senin; minggu pertama dan terakhir bisa tidak penuh. "
                                 "Kasus yang ditutup sebagai spam tidak dihitung."))

    # first officer reply against the SLA
    sla = {r.priority: r for r in queries.sla_by_priority(session, period=period, sla_minutes=sla_minutes, now=now)}
    rows = []
    met_all = judged_all = 0
    for p in _ordered(tuple(sla_minutes), PRIORITY_LABELS, set(sla)):
        r = sla.get(p, queries.SlaRow(p, 0, 0, 0, 0))
        judged = r.met + r.late + r.unanswered
        met_all, judged_all = met_all + r.met, judged_all + judged
        rows.append((PRIORITY_LABELS.get(p, p), sla_minutes.get(p), r.met, r.late, r.unanswered, r.pending,
                     _percent(r.met, judged)))
    tables.append(Table("sla", "Balasan pertama petugas tepat waktu (SLA) menurut prioritas",
                        ("Prioritas", "Batas SLA (menit)", "Tepat waktu", "Terlambat", "Belum dibalas, lewat batas",
                         "Belum dinilai", "% tepat waktu"), tuple(rows),
                        note="Kasus yang dibuka dalam periode ini. Tepat waktu: balasan pertama petugas paling lambat "
                             "batas SLA prioritasnya (config.yaml sla_minutes) sejak kasus dibuka. Belum dinilai: "
                             "belum dibalas tetapi batasnya belum lewat, atau kasus selesai sebelum batas."))

    # medians
    medians = queries.median_durations(session, period=period)
    tables.append(Table("median_waktu", "Median waktu penanganan",
                        ("Ukuran", "Median", "Median (menit)", "Jumlah kasus"),
                        tuple((MEASURE_LABELS[m], duration_text(v.seconds),
                               None if v.seconds is None else round(v.seconds / 60, 1), v.cases)
                              for m, v in medians.items()),
                        note="Dihitung dari saat kasus dibuka, untuk kasus yang dibuka dalam periode ini "
                             "dan sudah sampai pada tahap itu."))

    # open cases by age (now, whatever the period)
    ages = queries.open_cases_by_age(session, now=now, bounds=AGE_BOUNDS)
    tables.append(Table("kasus_terbuka_umur", "Kasus terbuka menurut umur (saat ini)", ("Umur", "Jumlah kasus"),
                        tuple(zip(AGE_LABELS, ages)), note="Semua kasus yang masih terbuka sekarang, "
                                                            "tidak terbatas pada periode."))

    # destinations
    places: dict[str, int] = {}
    for recorded, told, n in queries.places_told(session, period=period):
        place = place_named(told, recorded)
        places[place] = places.get(place, 0) + n
    ranked = sorted(places.items(), key=lambda kv: (kv[0] == NOT_TOLD, -kv[1], kv[0]))
    tables.append(Table("negara_tujuan", "Negara yang disebut dalam laporan", ("Negara", "Jumlah kasus"),
                        tuple(ranked),
                        note="Negara tujuan yang dicatat petugas; bila belum dicatat, negara pertama yang disebut "
                             "pelapor (jawaban \"di mana\" atau isi laporannya). Kasus yang dibuka dalam periode ini."))

    # FAQ topics asked, feedback per topic, unanswered questions
    asked: dict[str, int] = {}
    for entry_id, n in queries.faq_answers(session, period=period):
        topic = topics.entry(entry_id)
        asked[topic] = asked.get(topic, 0) + n
    tables.append(Table("topik_faq", "Topik FAQ yang paling sering dijawab", ("Topik", "Jumlah jawaban"),
                        tuple(sorted(asked.items(), key=lambda kv: (kv[0] == OTHER_TOPIC, -kv[1], kv[0]))), note="Jawaban bot dari basis pengetahuan (termasuk \"Selengkapnya\")."))
    feedback: dict[str, list[int]] = {}
    for entry_id, helpful, n in queries.feedback_by_entry(session, period=period):
        pair = feedback.setdefault(topics.entry(entry_id), [0, 0])
        pair[0 if helpful else 1] += n
    tables.append(Table("umpan_balik", "Umpan balik \"membantu / tidak membantu\" per topik",
                        ("Topik", "Membantu", "Tidak membantu", "% membantu"),
                        tuple((t, y, no, _percent(y, y + no))
                              for t, (y, no) in sorted(feedback.items(), key=lambda kv: (-sum(kv[1]), kv[0])))))
    unanswered = queries.top_unanswered(session, period=period, limit=unanswered_limit)
    tables.append(Table("belum_terjawab", "Pertanyaan yang paling sering belum bisa dijawab bot",
                        ("Pertanyaan", "Jumlah"), tuple(unanswered), in_report=False,
                        note="Kata-kata penanya; hanya di konsol, tidak ikut laporan bulanan."))
    near: dict[str, int] = {}
    for nearest_id, n in queries.unanswered_by_entry(session, period=period):
        topic = topics.entry(nearest_id) if nearest_id else "Tidak ada yang mirip"
        near[topic] = near.get(topic, 0) + n
    tables.append(Table("belum_terjawab_topik", "Pertanyaan belum terjawab menurut topik terdekat",
                        ("Topik terdekat", "Jumlah"), tuple(sorted(near.items(), key=lambda kv: (-kv[1], kv[0])))))

    # ratings
    given = queries.ratings(session, period=period)
    rated = sum(given.values())
    average = round(sum(r * n for r, n in given.items()) / rated, 2) if rated else None
    tables.append(Table("penilaian", "Penilaian pelapor (1 buruk – 5 sangat baik)", ("Nilai", "Jumlah"),
                        tuple((r, given.get(r, 0)) for r in range(1, 6)),
                        note="Kasus yang selesai dalam periode ini dan dinilai pelapornya."))

    totals = {"messages": messages_total, "opened": case_totals["kasus_dibuka"],
              "closed": case_totals["kasus_selesai"], "sla_percent": _percent(met_all, judged_all),
              "rating_average": average, "rated": rated, "open_now": sum(ages)}
    return Figures(first_day, last_day, now, tuple(tables), totals)
