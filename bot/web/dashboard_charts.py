"""Charts of the dashboard's tables, drawn on the server as SVG with pygal.

Each chart goes into the page as an <img> with a data: URL: nothing is fetched from
elsewhere, the console's Content-Security-Policy (img-src 'self' data:) allows it, and
pygal's own script and styles stay inside the image, where no script runs. The numbers are
always in the table beside the chart; the chart adds the shape, not new information.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pygal
from pygal.style import Style

from bot.web.dashboard_figures import Table

PALETTE = ("#1f5f8b", "#e07b39", "#3a9a5b", "#b8413c", "#7a5aa6", "#8c6d46", "#c65b9c", "#6b7b8c")
STYLE = Style(background="white", plot_background="white", foreground="#222", foreground_strong="#111",
              foreground_subtle="#666", colors=PALETTE, font_family="system-ui, sans-serif",
              label_font_size=15, major_label_font_size=15, legend_font_size=15, value_font_size=14,
              no_data_font_size=20)
# drawn small with large letters: the same image is shrunk to a phone's width and enlarged to at
# most 1.4x on a desktop (dashboard.css), and its labels stay readable at both
TOP = 10  # rows drawn in the ranked (horizontal) charts; the table lists them all


@dataclass(frozen=True)
class Chart:
    key: str
    alt: str
    data_url: str


def _label(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.strftime("%d-%m")
    return str(value)


def _config(**extra: Any) -> dict[str, Any]:
    base = {"style": STYLE, "js": [], "disable_xml_declaration": True, "width": 560, "height": 330, "explicit_size": False,
                "legend_at_bottom": True, "no_data_text": "Belum ada data", "truncate_label": 28, "truncate_legend": 30,
                "print_values": False, "show_y_guides": True, "margin": 12}
    return {**base, **extra}


def _stacked_by_column(table: Table) -> pygal.Graph:
    """One bar per row (a day or a week), one coloured part per column between the first and "Jumlah"."""
    series = sum(1 for i in range(1, len(table.columns) - 1) if any(r[i] for r in table.rows))
    chart = pygal.StackedBar(**_config(x_label_rotation=-45 if len(table.rows) > 6 else 0, show_minor_x_labels=False,
                                       legend_at_bottom_columns=2 if series > 3 else 3,
                                       height=330 + 24 * max(0, (series + 1) // 2 - 2)))
    chart.x_labels = [_label(r[0]) for r in table.rows]
    if len(table.rows) > 16:  # a label every few days keeps them readable on a phone
        step = -(-len(table.rows) // 8)
        chart.x_labels_major = chart.x_labels[::step]
    for i, name in enumerate(table.columns[1:-1], start=1):
        values = [r[i] for r in table.rows]
        if any(values):
            chart.add(name, values)
    return chart


def _ranked(table: Table, column: int, unit: str = "") -> pygal.Graph:
    """A horizontal bar per row, largest first, for the first TOP rows with a value."""
    rows = [r for r in table.rows if r[column]][:TOP]
    chart = pygal.HorizontalBar(**_config(show_legend=False, height=max(200, 70 + 36 * len(rows))))
    chart.x_labels = [str(r[0]) for r in reversed(rows)]  # pygal draws the first label at the bottom
    chart.add(unit or table.columns[column], [r[column] for r in reversed(rows)])
    return chart


def _ranked_stacked(table: Table, columns: tuple[int, ...]) -> pygal.Graph:
    rows = table.rows[:TOP]
    chart = pygal.HorizontalStackedBar(**_config(height=max(220, 100 + 36 * len(rows)), legend_at_bottom_columns=2))
    chart.x_labels = [str(r[0]) for r in reversed(rows)]
    for i in columns:
        chart.add(table.columns[i], [r[i] for r in reversed(rows)])
    return chart


def _bars(table: Table, column: int) -> pygal.Graph:
    chart = pygal.Bar(**_config(show_legend=False))
    chart.x_labels = [str(r[0]) for r in table.rows]
    chart.add(table.columns[column], [r[column] for r in table.rows])
    return chart


def _sla(table: Table) -> pygal.Graph:
    chart = pygal.HorizontalBar(**_config(show_legend=False, range=(0, 100), height=240))
    rows = [r for r in table.rows]
    chart.x_labels = [str(r[0]) for r in reversed(rows)]
    chart.add("% tepat waktu", [r[-1] for r in reversed(rows)])  # None (nothing judged) draws no bar
    return chart


def _medians(table: Table) -> pygal.Graph:
    chart = pygal.HorizontalBar(**_config(show_legend=False, height=270, x_title="jam"))
    chart.x_labels = [str(r[0]) for r in reversed(table.rows)]
    chart.add("jam", [None if r[2] is None else round(r[2] / 60, 2) for r in reversed(table.rows)])
    return chart


DRAW: dict[str, tuple[Callable[[Table], pygal.Graph], str]] = {
    "pesan_per_hari": (_stacked_by_column, "batang bertumpuk per hari, satu warna per saluran"),
    "kasus_dibuka": (_stacked_by_column, "batang bertumpuk per minggu, satu warna per kategori"),
    "kasus_selesai": (_stacked_by_column, "batang bertumpuk per minggu, satu warna per kategori"),
    "sla": (_sla, "persentase tepat waktu per prioritas"),
    "median_waktu": (_medians, "median dalam jam"),
    "kasus_terbuka_umur": (lambda t: _bars(t, 1), "jumlah kasus per kelompok umur"),
    "negara_tujuan": (lambda t: _ranked(t, 1, "kasus"), "jumlah kasus per negara"),
    "topik_faq": (lambda t: _ranked(t, 1, "jawaban"), "jumlah jawaban per topik"),
    "umpan_balik": (lambda t: _ranked_stacked(t, (1, 2)), "membantu dan tidak membantu per topik"),
    "belum_terjawab_topik": (lambda t: _ranked(t, 1, "pertanyaan"), "jumlah per topik terdekat"),
    "penilaian": (lambda t: _bars(t, 1), "jumlah penilaian per nilai 1 sampai 5"),
}


@functools.lru_cache(maxsize=128)
def chart_for(table: Table) -> Chart | None:
    """The table's chart, or None for a table that is a list (the unanswered questions).

    Drawing is most of a page's time (pygal builds every bar as an XML element), so charts are
    kept by their table's content: a table is frozen and hashable, so an unchanged one (a
    reload, a colleague viewing the same weeks) reuses its drawing and a changed one never does.
    """
    how = DRAW.get(table.key)
    if how is None:
        return None
    draw, shape = how
    svg = draw(table).render(is_unicode=True)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Chart(table.key, f"Grafik {table.title.lower()}: {shape}. Angkanya ada di tabel.",
                 f"data:image/svg+xml;base64,{data}")
