"""Every sentence the bot says, in plain Indonesian, short enough for a phone screen."""

from __future__ import annotations

import datetime as dt

from flows.messages import Button

MENU_FAQ, MENU_LICENCE, MENU_REPORT, MENU_HUMAN = "menu:faq", "menu:licence", "menu:report", "menu:human"
TO_MENU = Button("Menu utama", "menu")
FEEDBACK_YES = Button("Ya, membantu", "fb:yes")
FEEDBACK_NO = Button("Tidak membantu", "fb:no")
MORE_LABEL = "Selengkapnya"  # the details of an FAQ answer; payload MORE_PREFIX + entry id
MORE_PREFIX = "more:"
NONE_OF_THESE = Button("Bukan semuanya", "faq:none")
ASK_HUMAN = Button("Bicara dengan petugas", MENU_HUMAN)
REPORT = Button("Laporkan masalah", MENU_REPORT)
SKIP = Button("Lewati", "skip")
YES = Button("Ya", "yes")
NO = Button("Tidak", "no")

MAIN_MENU_BUTTONS = (
    Button("Tanya prosedur kerja ke luar negeri", MENU_FAQ),
    Button("Cek izin perusahaan (P3MI)", MENU_LICENCE),
    Button("Laporkan masalah / minta tolong", MENU_REPORT),
    Button("Bicara dengan petugas", MENU_HUMAN),
)


def greeting(service_name: str) -> str:
    return (
        f"Halo, selamat datang di layanan {service_name} (BP3MI Kepulauan Riau).\n"
        "Kami membantu calon PMI, PMI, dan keluarganya. Pilih salah satu atau tulis pertanyaan Anda:"
    )


YOU_ARE_WELCOME = "Sama-sama, semoga membantu. Jika ada pertanyaan lain, tulis saja di sini."
MENU_AGAIN = "Silakan pilih layanan atau tulis pertanyaan Anda:"
CANCELLED = "Baik, dibatalkan."
ASK_QUESTION = "Silakan tulis pertanyaan Anda tentang kerja ke luar negeri. Contoh: \"apa syarat jadi PMI?\""
HELPFUL_Q = "Apakah jawaban ini membantu?"
THANKS_FEEDBACK = "Terima kasih atas masukannya."
SORRY_FEEDBACK = (
    "Terima kasih, masukan Anda kami catat untuk memperbaiki jawaban. "
    "Jika perlu, petugas kami bisa membantu langsung."
)
DID_YOU_MEAN = "Saya belum yakin maksud Anda. Apakah salah satu pertanyaan ini?"
CANNOT_ANSWER = (
    "Maaf, saya belum bisa menjawab pertanyaan itu dengan pasti. "
    "Pertanyaan Anda kami catat agar petugas melengkapi jawabannya. "
    "Anda bisa bicara langsung dengan petugas, atau kembali ke menu."
)
NOT_UNDERSTOOD = "Maaf, saya belum mengerti pesan Anda. Silakan tulis dengan kata-kata, atau pilih menu:"

ASK_AGENCY = (
    "Tulis nama perusahaan (PT) atau nomor izinnya (SIP3MI). "
    "Anda juga bisa menempelkan pesan lowongan kerja yang Anda terima untuk dicek."
)

EMERGENCY = (
    "Keselamatan Anda yang utama.\n"
    "Jika Anda dalam bahaya sekarang, segera hubungi:\n{contacts}\n\n"
    "Laporan Anda kami catat sebagai DARURAT dengan nomor {case_number}. "
    "Petugas akan membalas di chat ini secepatnya.\n"
    "Jika aman, kirim: di mana Anda sekarang (negara, kota, alamat), dan nama majikan/agen. "
    "Jika tidak aman membalas, tidak apa-apa; simpan nomor laporan ini."
)
SAFETY_QUESTION = (
    "Apakah Anda dalam bahaya sekarang?\n"
    "Jika ya, segera hubungi:\n{contacts}\n\n"
    "Pilih jawaban di bawah agar kami bisa membantu dengan tepat."
)
SAFETY_YES = Button("Ya, saya dalam bahaya sekarang", "safety:yes")
SAFETY_NO = Button("Tidak, saya mau bertanya", "safety:no")
EMERGENCY_OTHER = (
    "Terima kasih sudah melapor. Keselamatan orang yang Anda laporkan yang utama.\n"
    "Jika dia dalam bahaya sekarang, segera hubungi (atau minta dia menghubungi):\n{contacts}\n\n"
    "Laporan ini kami catat sebagai DARURAT dengan nomor {case_number}. Petugas akan menghubungi Anda di chat ini.\n"
    "Jika bisa, kirim: di mana dia sekarang (negara, kota, alamat), nama majikan/agen, dan nomor yang bisa dihubungi."
)
EMERGENCY_AGAIN = (
    "Pesan darurat Anda sudah kami teruskan ke petugas (laporan {case_number}). "
    "Jika Anda dalam bahaya, hubungi:\n{contacts}"
)

# Report intake: the case opens first; every question after it can be skipped.
INTAKE_START = "Kami siap membantu. Apa yang terjadi? Ceritakan singkat (boleh dilewati)."
CASE_OPENED = (
    "Laporan Anda sudah kami catat dengan nomor {case_number} dan sudah terlihat oleh petugas. "
    "Agar petugas bisa menolong, jawab beberapa pertanyaan singkat berikut (semua boleh dilewati)."
)
NOTHING_TOLD = "(Pelapor belum menceritakan masalahnya.)"
INTAKE_WHERE = "Di mana Anda (atau orang yang dilaporkan) sekarang? Tulis negara dan kota."
INTAKE_WHO = "Siapa nama majikan atau agen/perusahaan yang terlibat (jika tahu)?"
INTAKE_SAFE_NOW = "Apakah Anda (atau orang yang dilaporkan) aman saat ini?"
INTAKE_SAFE_REPLY = "Apakah aman jika petugas membalas ke nomor/akun ini?"
INTAKE_SAFE_CONTACT = (
    "Tulis nomor lain atau waktu yang aman untuk menghubungi Anda. "
    "Jika tidak ada, lewati saja: petugas hanya akan membalas bila Anda menulis lebih dulu."
)
INTAKE_CONSENT = (
    "Bolehkah kami membagikan laporan ini kepada KBRI/KJRI atau polisi bila diperlukan untuk menolong Anda?"
)
NOT_SAFE_NOW = "Laporan Anda kami jadikan DARURAT. Jika dalam bahaya sekarang, segera hubungi:\n{contacts}"
INTAKE_DONE = (
    "Terima kasih. Laporan {case_number} sudah lengkap untuk petugas.\n"
    "Petugas akan membalas di chat ini. Tulis \"status laporan\" untuk melihat perkembangannya. "
    "Data Anda dijaga kerahasiaannya."
)
INTAKE_DONE_NO_REPLY = (
    "Terima kasih. Laporan {case_number} sudah lengkap untuk petugas.\n"
    "Karena membalas ke akun ini tidak aman, petugas tidak akan mengirim pesan lebih dulu: "
    "petugas menghubungi lewat kontak/waktu yang Anda tulis, atau membalas saat Anda menulis di sini."
)
SAME_OR_NEW = "Anda masih punya laporan {case_number} yang sedang ditangani. Apakah ini masalah yang sama?"
WRITE_TO_CASE = "Silakan tulis tambahan informasinya di sini; pesan Anda diteruskan ke petugas laporan {case_number}."
WITHDRAW_Q = "Laporan {case_number} sudah tercatat. Batalkan laporan ini?"
WITHDRAWN = "Baik, laporan {case_number} dibatalkan dan tidak diproses. Anda bisa melapor lagi kapan saja."
HUMAN_QUEUED = (
    "Baik, permintaan Anda sudah kami teruskan ke petugas (nomor {case_number}). "
    "Petugas akan membalas di chat ini pada jam kerja secepatnya. "
    "Jika darurat, tulis \"darurat\" atau hubungi:\n{contacts}"
)
CASE_FORWARDED = (
    "Pesan Anda sudah diteruskan ke petugas yang menangani laporan {case_number}.{due}\n"
    "Tulis \"menu\" untuk kembali ke menu."
)
CASE_FORWARDED_SHORT = "Diteruskan ke petugas. Tulis \"menu\" untuk kembali ke menu."


def due_in(left: "dt.timedelta", lang: str = "id") -> str:
    """When an officer is due, in words: " Petugas dijadwalkan menanggapi dalam ± 3 jam." """
    minutes = int(left.total_seconds() // 60)
    en = lang == "en"
    if minutes <= 0:
        return " An officer will answer as soon as possible." if en else " Petugas akan menanggapi secepatnya."
    amount, unit, unit_en = ((max(minutes, 5), "menit", "minutes") if minutes < 90 else
                             (round(minutes / 60), "jam", "hours") if minutes < 48 * 60 else
                             (round(minutes / 1440), "hari", "days"))
    if en:
        return f" An officer is due to answer within about {amount} {unit_en}."
    return f" Petugas dijadwalkan menanggapi dalam ± {amount} {unit}."


STATUS_NONE = "Anda belum punya laporan di layanan ini. Tulis \"lapor\" untuk membuat laporan."
STATUS_LINE = "Laporan {case_number}: {status}.{assignee}"
STATUS_LABELS = {
    "new": "sudah diterima, menunggu petugas",
    "claimed": "sedang ditangani petugas",
    "waiting": "petugas menunggu balasan Anda",
    "resolved": "sudah diselesaikan",
    "closed": "sudah ditutup",
}
RATING_ASK = "Laporan {case_number} sudah diselesaikan. Seberapa puas Anda dengan bantuan kami? Pilih 1 (buruk) sampai 5 (sangat baik)."
RATING_THANKS = "Terima kasih atas penilaian Anda. Semoga Anda selalu aman."
RATING_BUTTONS = tuple(Button(str(i), f"rate:{i}") for i in range(1, 6))

RATE_LIMITED = "Pesan Anda banyak sekali dalam waktu singkat. Mohon tunggu sebentar, lalu kirim lagi."
ERROR_FALLBACK = (
    "Maaf, terjadi gangguan di sistem kami. Pesan Anda tersimpan dan petugas akan memeriksanya. "
    "Jika darurat, hubungi:\n{contacts}"
)


def contact_lines(contacts: dict[str, str], keys: tuple[str, ...]) -> str:
    return "\n".join(f"• {contacts[k]}" for k in keys if k in contacts)

ERASE_CONFIRM = (
    "Anda meminta agar data Anda dihapus: pesan-pesan dan profil Anda di layanan ini. "
    "Jika Anda punya laporan yang masih ditangani, isinya disimpan sampai laporan selesai, lalu dihapus juga. "
    "Lanjutkan?"
)
ERASE_YES = Button("Ya, hapus data saya", "privacy:erase")
ERASE_DONE = "Permintaan Anda sudah kami proses. Data Anda di layanan ini dihapus. Anda tetap bisa menulis kapan saja."


# English for the paths a frightened English writer must understand: safety, report, acknowledgement.
# The knowledge base itself stays Indonesian (CANNOT_ANSWER says so).
ENGLISH = {
    "SAFETY_QUESTION": (
        "Are you in danger right now?\nIf yes, call now:\n{contacts}\n\nChoose an answer below so we can help you."
    ),
    "EMERGENCY": (
        "Your safety comes first.\nIf you are in danger now, call:\n{contacts}\n\n"
        "We have recorded your report as an EMERGENCY, number {case_number}. An officer will answer in this chat "
        "as soon as possible.\nIf it is safe, send: where you are now (country, city, address) and the name of your "
        "employer or agent. If it is not safe to reply, that is fine; keep this report number."
    ),
    "EMERGENCY_OTHER": (
        "Thank you for reporting. The safety of the person you report comes first.\n"
        "If they are in danger now, call (or ask them to call):\n{contacts}\n\n"
        "We have recorded this as an EMERGENCY, number {case_number}. An officer will contact you in this chat.\n"
        "If you can, send: where they are now (country, city, address), the employer or agent, and a number to reach them."
    ),
    "EMERGENCY_AGAIN": "Your urgent message has been passed to the officers (report {case_number}). If you are in danger, call:\n{contacts}",
    "CASE_OPENED": (
        "Your report is recorded as number {case_number} and the officers can see it. "
        "To help them help you, please answer a few short questions (you may skip any)."
    ),
    "INTAKE_START": "We are here to help. What happened? Tell us briefly (you may skip).",
    "INTAKE_WHERE": "Where are you (or the person you report) now? Write the country and city.",
    "INTAKE_WHO": "What is the name of the employer or agent/company involved (if you know)?",
    "INTAKE_SAFE_NOW": "Are you (or the person you report) safe right now?",
    "INTAKE_SAFE_REPLY": "Is it safe for an officer to reply to this number/account?",
    "INTAKE_SAFE_CONTACT": (
        "Write another number or a time when it is safe to contact you. If there is none, skip: "
        "an officer will only answer when you write first."
    ),
    "INTAKE_CONSENT": "May we share this report with the Indonesian embassy/consulate or the police if needed to help you?",
    "NOT_SAFE_NOW": "We have made your report an EMERGENCY. If you are in danger now, call:\n{contacts}",
    "INTAKE_DONE": (
        "Thank you. Report {case_number} is complete for the officers.\nAn officer will answer in this chat. "
        "Write \"status laporan\" to see its progress. Your data is kept confidential."
    ),
    "INTAKE_DONE_NO_REPLY": (
        "Thank you. Report {case_number} is complete for the officers.\nBecause replying here is not safe, the officers "
        "will not write first: they use the contact or time you gave, or answer when you write here."
    ),
    "CASE_FORWARDED": (
        "Your message has been passed to the officer handling report {case_number}.{due}\nWrite \"menu\" to return to the menu."
    ),
    "CASE_FORWARDED_SHORT": "Passed to the officer. Write \"menu\" to return to the menu.",
    "HUMAN_QUEUED": (
        "Your request has been passed to an officer (number {case_number}), who will answer in this chat as soon as "
        "possible in office hours. In an emergency, write \"darurat\" or call:\n{contacts}"
    ),
    "CANNOT_ANSWER": (
        "Sorry, I cannot answer that yet. Our information is in Indonesian; an officer can help you in English. "
        "Your question is recorded."
    ),
}
ENGLISH_LABELS = {
    "safety:yes": "Yes, I am in danger now", "safety:no": "No, I want to ask",
    "yes": "Yes", "no": "No", "skip": "Skip", "menu": "Main menu", MENU_HUMAN: "Talk to an officer",
}


def t(name: str, lang: str) -> str:
    """The text called `name`, in English for an English writer when it exists."""
    if lang == "en" and name in ENGLISH:
        return ENGLISH[name]
    return str(globals()[name])


def buttons(items: tuple[Button, ...], lang: str) -> tuple[Button, ...]:
    if lang != "en":
        return items
    return tuple(Button(ENGLISH_LABELS.get(b.payload, b.label), b.payload) for b in items)
