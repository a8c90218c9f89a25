"""What the staff desk writes in the Telegram staff chat: announcements, notes, notices, refusals.

User-visible texts are Indonesian, as the officers read them; the desk itself is
bot/channels/staff_desk.py.
"""

from __future__ import annotations

from flows import rating
from storage.staff_threads import CaseCard, TopicChange

PRIORITY_LABELS = {"emergency": "DARURAT", "high": "tinggi", "normal": "biasa"}
CHANNEL_LABELS = {"whatsapp": "WhatsApp", "telegram": "Telegram", "web": "web chat", "cli": "CLI"}
REFUSE_NOT_MEMBER = "Maaf, hanya anggota grup petugas yang dapat menangani kasus di sini."
REFUSE_UNCHECKED = "Maaf, keanggotaan Anda belum bisa diperiksa saat ini. Silakan coba lagi sebentar lagi."
REFUSE_UNLINKED = ("Maaf, akun Telegram Anda belum terhubung dengan akun petugas yang aktif. "
                   "Mohon minta admin menghubungkannya (ID Telegram Anda: {user_id}).")
OUTSIDE_CASE = "Perintah ini hanya bisa dipakai di topik (atau utas balasan) sebuah kasus."
NOT_SENT = "Pesan tidak diteruskan ke pelapor: {reason}"
CANNOT = "Tidak bisa: {reason}"
CLAIMED = "Kasus {number} diambil oleh {name}."
MIRROR = "💬 Pelapor: {text}"
ATTACHMENTS = "📎 {count} lampiran (tersimpan di kasus; lihat konsol)"
DONE = "✅ Kasus {number} {what} oleh {name}. Topik ini ditutup."
DONE_WHAT = {"resolved": "ditandai selesai", "closed": "ditutup"}
DONE_BY_UNKNOWN = "petugas"  # the done note's name when no officer finished the case
DONE_PREFIX = "✅ "
REOPENED = "🔄 Kasus {number} dibuka kembali."
FILE_NOT_SENT = ("📎 Lampiran ini tidak diteruskan ke pelapor: dari sini hanya teks yang bisa dikirim. "
                 "Tulis isinya sebagai pesan teks bila perlu.")
FILE_CAPTION_ONLY = ("📎 Keterangannya sudah diteruskan ke pelapor, tetapi lampirannya tidak: dari sini hanya teks "
                     "yang bisa dikirim.")
NOTICES = {
    "sla_reminder": "⏰ Kasus {number} belum diambil dan sudah melewati batas waktu (SLA). Mohon segera /ambil.",
    "escalated_to_supervisor": "⚠️ Kasus {number} diteruskan ke supervisor karena belum ditangani.",
    # the whole-case SLA (storage/case_sla.py) and an officer's own call for help (bot/web/console_alerts.py)
    "next_response_reminder": "⏰ Pelapor kasus {number} menunggu balasan melewati batas waktu (SLA). Mohon segera dibalas.",
    "next_response_escalated": "⚠️ Kasus {number} diteruskan ke supervisor: pelapor belum dibalas.",
    "resolution_overdue": "⏰ Kasus {number} melewati batas waktu penyelesaian.",
    "follow_up_due": "📅 Kasus {number}: tanggal tindak lanjut tiba; kasus kembali ke antrean.",
    "escalated_by_officer": "⚠️ Kasus {number} dieskalasi ke supervisor oleh petugas. Mohon supervisor menanganinya.",
}
RATING_PROMPT = rating.prompt()


def topic_name(card: CaseCard) -> str:
    return f"{'🆘 ' if card.emergency else ''}{card.number} · {card.category}"[:128]


def done_note(change: TopicChange) -> str:
    return DONE.format(number=change.card.number, what=DONE_WHAT.get(change.status, "ditutup"),
                       name=change.by or DONE_BY_UNKNOWN)


def announcement(card: CaseCard, in_topic: bool) -> str:
    lines = [f"{'🆘 ' if card.emergency else ''}Kasus baru {card.number}",
             (f"Prioritas: {PRIORITY_LABELS.get(card.priority, card.priority)} · Kategori: {card.category} · "
             f"Saluran: {CHANNEL_LABELS.get(card.channel, card.channel)}")]
    if card.summary:
        lines.append(f"Ringkasan: {card.summary[:500]}")
    lines += ["", "Tulis di topik ini untuk membalas pelapor." if in_topic
              else "Balas (reply) pesan ini untuk membalas pelapor.",
              "/ambil — ambil kasus · /selesai — tandai selesai"]
    return "\n".join(lines)
