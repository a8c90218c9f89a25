"""Agency licence check in the chat: result cards, lookalike warnings, job-offer analysis.

A message that names several agencies (or an agency and a licence number) gets one short line
per agency, each with its own status, instead of a single card.
"""

from __future__ import annotations

from flows import phrases
from flows.context import FlowContext
from flows.messages import Button, Outbound
from flows.state import Flow, State, Step, StepResult
from knowledge.agencies import Agency
from knowledge.agency_result import CheckResult
from knowledge.job_offer import analyse_offer, destinations, looks_like_job_offer
from knowledge.lexicon import FUNCTION_WORDS
from knowledge.normalise import normalise

REPORT_RECRUITER = Button("Laporkan perekrut ini", "licence:report")
CHECK_ANOTHER = Button("Cek perusahaan lain", "menu:licence")
DONT_PAY = "Jangan bayar apa pun dan jangan serahkan dokumen (paspor, KTP, ijazah) kepada perusahaan ini."
DONT_PAY_MARKED = ("Jangan bayar apa pun dan jangan serahkan dokumen (paspor, KTP, ijazah) kepada perusahaan "
                   "yang bertanda ⛔, ❌ atau ⚠️.")
WARNING_SIGNS = (
    "Waspadai tanda perekrutan tidak resmi:\n"
    "• diminta uang di muka atau biaya besar\n"
    "• berangkat pakai visa kunjungan/turis/umroh untuk bekerja\n"
    "• tanpa pelatihan, tanpa perjanjian kerja, proses sangat cepat\n"
    "• perekrut perorangan (calo/sponsor), bukan perusahaan berizin"
)
_VERDICT_HEAD = {
    "suspended": "DISKORSING (izin sedang dihentikan sementara)",
    "revoked": "DICABUT (izinnya sudah tidak berlaku)",
    "expired": "KEDALUWARSA (masa berlaku izin sudah habis)",
}
# One line per agency when a message names several.
_SHORT_STATUS = {
    "licensed": "✅ terdaftar, izin aktif",
    "suspended": "⛔ izin DISKORSING",
    "revoked": "⛔ izin DICABUT",
    "expired": "⛔ izin KEDALUWARSA",
}


def data_note(ctx: FlowContext) -> str:
    when = ctx.registry.imported_at.strftime("%d-%m-%Y") if ctx.registry.imported_at else "belum diketahui"
    note = f"(Data per {when}.)"
    if ctx.registry.is_sample:
        note += " PERHATIAN: yang terpasang adalah DATA CONTOH fiktif, bukan daftar resmi."
    return note


# What the card says about validity once a licence no longer holds: a revoked or suspended licence
# keeps its old end date in the registry, and "Berlaku sampai: 2031" would read as an all-clear.
_VALIDITY = {
    "suspended": "Status izin: diskorsing, tidak boleh merekrut atau menempatkan",
    "revoked": "Status izin: dicabut, tidak berlaku lagi",
}


def _agency_lines(agency: Agency, verdict: str = "licensed") -> list[str]:
    until = agency.valid_until.strftime('%d-%m-%Y')
    validity = (f"Berlaku sampai: {until}" if verdict == "licensed" else
                f"Masa berlaku habis: {until}" if verdict == "expired" else _VALIDITY[verdict])
    return [
        f"Nama: {agency.name}",
        f"Nomor izin: {agency.licence_no}",
        validity,
        f"Alamat: {agency.address or '-'}",
        f"Negara tujuan terdaftar: {', '.join(agency.countries) or '-'}",
    ]


def card(result: CheckResult, wanted_countries: list[str], ctx: FlowContext) -> Outbound:
    """The result card for one check, with the buttons for the next step."""
    verdict = result.verdict
    if verdict == "licensed":
        agency = result.matches[0].agency
        lines = ["✅ Perusahaan ini TERDAFTAR dan izinnya aktif.", *_agency_lines(agency)]
        if result.fuzzy:
            lines.append("Pastikan nama dan nomor izin di dokumen Anda sama persis dengan data di atas.")
        missing = [c for c in wanted_countries if c not in agency.countries]
        if missing:
            lines.append(f"⚠️ Perusahaan ini TIDAK terdaftar untuk penempatan ke {', '.join(missing)}. "
                         "Jangan berangkat ke negara itu lewat perusahaan ini.")
        lines.append("Tetap minta perjanjian kerja tertulis dan ikuti alur resmi di Disnaker.")
        buttons: tuple[Button, ...] = (CHECK_ANOTHER, phrases.TO_MENU)
    elif verdict in _VERDICT_HEAD:
        agency = result.matches[0].agency
        lines = [f"⛔ Izin perusahaan ini {_VERDICT_HEAD[verdict]}.", *_agency_lines(agency, verdict)[:3], DONT_PAY]
        buttons = (REPORT_RECRUITER, CHECK_ANOTHER, phrases.TO_MENU)
    elif verdict == "ambiguous":
        lines = ["Ada beberapa perusahaan terdaftar dengan nama mirip. Pilih yang Anda maksud:"]
        buttons = tuple(Button(m.agency.name, f"licence:no:{m.agency.licence_no}") for m in result.matches[:3])
        buttons += (phrases.TO_MENU,)
    elif result.lookalike_of is not None and not result.by_licence:
        real = result.lookalike_of.agency
        lines = [
            f"⚠️ Nama ini mirip dengan {real.name} yang terdaftar, tetapi TIDAK SAMA.",
            f"Perusahaan terdaftar: {real.name}, nomor izin {real.licence_no}.",
            "Bandingkan nama dan nomor izin di dokumen Anda. Penipu sering memakai nama yang mirip.",
            DONT_PAY,
        ]
        buttons = (REPORT_RECRUITER, CHECK_ANOTHER, phrases.TO_MENU)
    elif result.by_licence and result.lookalike_of is not None:
        real = result.lookalike_of.agency
        lines = [
            f"⚠️ Nomor izin itu milik {real.name}, BUKAN perusahaan yang Anda sebut.",
            "Perusahaan yang memakai nomor izin milik perusahaan lain tidak bisa dianggap resmi.",
            DONT_PAY,
        ]
        buttons = (REPORT_RECRUITER, CHECK_ANOTHER, phrases.TO_MENU)
    else:
        what = "Nomor izin ini" if result.by_licence else "Nama ini"
        lines = [f"❌ {what} TIDAK ditemukan dalam daftar perusahaan penempatan (P3MI) berizin.", WARNING_SIGNS,
                 DONT_PAY]
        buttons = (REPORT_RECRUITER, CHECK_ANOTHER, phrases.TO_MENU)
    lines.append(data_note(ctx))
    return Outbound("\n".join(lines), buttons)


def check(text: str, ctx: FlowContext) -> StepResult:
    """Check what the user typed: a job offer, a licence number or a name."""
    if ctx.agencies is None:
        reply = Outbound("Maaf, daftar perusahaan belum tersedia. Silakan tanyakan ke petugas.",
                         (phrases.ASK_HUMAN, phrases.TO_MENU))
        return StepResult([reply], State(), intent="licence_check")
    if looks_like_job_offer(text):
        return offer(text, ctx)
    result = ctx.agencies.check(text, ctx.today())
    if result.verdict == "not_found" and result.lookalike_of is None and not _has_name(text):
        return StepResult([Outbound(phrases.ASK_AGENCY, (phrases.TO_MENU,))], State(Flow.LICENCE, Step.ASK),
                          intent="licence_check")
    if len(result.mentions) > 1:
        reply = several_card(result, destinations(text), ctx)
    else:
        reply = card(result, destinations(text), ctx)
    slots = {"query": text[:300], "verdict": result.verdict}
    return StepResult([reply], State(Flow.LICENCE, Step.RESULT, slots), intent="licence_check")


def several_card(result: CheckResult, wanted_countries: list[str], ctx: FlowContext) -> Outbound:
    """One short line per agency (or licence number) the message names, each with its own status."""
    lines = [f"Hasil cek {len(result.mentions)} nama/nomor izin yang Anda sebut:"]
    lines += ["• " + mention_line(m, wanted_countries) for m in result.mentions]
    if result.verdict == "licensed":
        lines.append("Tetap minta perjanjian kerja tertulis dan ikuti alur resmi di Disnaker.")
        buttons: tuple[Button, ...] = (CHECK_ANOTHER, phrases.TO_MENU)
    else:
        lines.append(DONT_PAY_MARKED)
        buttons = (REPORT_RECRUITER, CHECK_ANOTHER, phrases.TO_MENU)
    lines.append(data_note(ctx))
    return Outbound("\n".join(lines), buttons)


def mention_line(m: CheckResult, wanted_countries: list[str]) -> str:
    """The answer for one agency or licence number, in one line."""
    if m.verdict in _SHORT_STATUS:
        agency = m.matches[0].agency
        line = f"{agency.name} (izin {agency.licence_no}): {_SHORT_STATUS[m.verdict]}"
        missing = [c for c in wanted_countries if c not in agency.countries] if m.verdict == "licensed" else []
        if missing:
            line += f", tetapi TIDAK terdaftar untuk {', '.join(missing)}"
        return line
    if m.verdict == "ambiguous":
        names = ", ".join(f"{x.agency.name} ({x.agency.licence_no})" for x in m.matches)
        return f"{m.query}: ada beberapa perusahaan terdaftar dengan nama ini: {names}. Cek nomor izinnya."
    if m.by_licence and m.lookalike_of is not None:
        return f"{m.query}: ⚠️ nomor izin itu milik {m.lookalike_of.agency.name}, BUKAN perusahaan yang disebut"
    if m.lookalike_of is not None:
        real = m.lookalike_of.agency
        return f"{m.query}: ⚠️ TIDAK terdaftar; mirip {real.name} (izin {real.licence_no}), tetapi TIDAK SAMA"
    if m.by_licence:
        return f"Nomor izin {m.query}: ❌ TIDAK ditemukan dalam daftar P3MI berizin"
    return f"{m.query}: ❌ TIDAK terdaftar sebagai P3MI berizin"


_GENERIC = FUNCTION_WORDS | {"cek", "izin", "perusahaan", "pt", "agen", "p3mi", "resmi", "legal", "tidak",
            "terdaftar", "nama", "nomor", "apa", "aman", "tolong", "mohon", "periksa"}


def _has_name(text: str) -> bool:
    """Whether the message names something to check at all (not just "cek izin dong")."""
    return any(w not in _GENERIC for w in normalise(text).split())


def offer(text: str, ctx: FlowContext) -> StepResult:
    analysis = analyse_offer(text, ctx.agencies, ctx.today())
    lines = ["Hasil cek pesan lowongan:"]
    if analysis.countries:
        lines.append(f"Negara tujuan: {', '.join(analysis.countries)}")
    for res in analysis.agencies:
        head = card(res, analysis.countries, ctx).text.split("\n")[0]
        name = (res.matches[0].agency.name if res.matches else
                res.lookalike_of.agency.name if res.lookalike_of is not None else res.query or "perusahaan yang disebut")
        lines.append(f"• {name}: {head}")
    if analysis.flags:
        lines.append("Tanda bahaya yang ditemukan:")
        lines += [f"• {f.label} — \"{f.trigger}\"" for f in analysis.flags]
    else:
        lines.append("Tidak ditemukan tanda penipuan yang umum. Tetap cek izin perusahaannya.")
    lines.append(analysis.verdict_text)
    lines.append(data_note(ctx))
    buttons = (REPORT_RECRUITER, CHECK_ANOTHER, phrases.TO_MENU) if analysis.flags else (CHECK_ANOTHER, phrases.TO_MENU)
    return StepResult([Outbound("\n".join(lines), buttons)], State(Flow.LICENCE, Step.RESULT, {"query": text[:300]}),
                      intent="licence_check")

