"""Canned replies for officers: plain Indonesian, editable before sending, no phone numbers.

Hotlines belong in config.yaml (`contacts`), where they are checked; a canned text that
needs one tells the officer to add it, rather than carrying a number that may go stale.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Canned:
    key: str
    title: str  # what the officer sees in the list
    text: str  # what the person receives


CANNED: tuple[Canned, ...] = (
    Canned("salam", "Perkenalan petugas",
           "Halo, saya petugas Migrant Center BP3MI Kepulauan Riau. Laporan Anda sudah kami terima "
           "dan sekarang saya tangani. Anda bisa membalas di chat ini."),
    Canned("aman", "Tanya keadaan aman",
           "Apakah Anda sekarang berada di tempat yang aman? Jika Anda dalam bahaya, segera hubungi "
           "nomor darurat di negara tempat Anda berada, lalu kabari kami jika sudah bisa."),
    Canned("lokasi", "Minta lokasi",
           "Jika aman, mohon kirim lokasi Anda sekarang: negara, kota, dan alamat atau nama tempat "
           "terdekat. Informasi ini hanya untuk membantu Anda."),
    Canned("pihak", "Minta nama majikan/agen",
           "Mohon tuliskan nama majikan, nama agen atau perusahaan (PT) yang memberangkatkan Anda, "
           "dan sejak kapan Anda bekerja di sana."),
    Canned("bukti", "Minta bukti/dokumen",
           "Jika ada dan aman, mohon kirim foto paspor, kontrak kerja, slip gaji, atau bukti lain "
           "yang berkaitan dengan masalah Anda. Jangan kirim jika itu membahayakan Anda."),
    Canned("rujuk_perwakilan", "Dirujuk ke KBRI/KJRI",
           "Kasus Anda sudah kami teruskan ke perwakilan RI (KBRI/KJRI) di negara tempat Anda berada. "
           "Petugas di sana akan menghubungi Anda. Kami tetap memantau kasus Anda."),
    Canned("koordinasi", "Sedang berkoordinasi",
           "Terima kasih atas informasinya. Kami sedang berkoordinasi dengan pihak terkait dan akan "
           "mengabari Anda secepatnya di chat ini."),
    Canned("hapus_chat", "Saran hapus percakapan",
           "Demi keamanan Anda, hapus percakapan ini dari ponsel Anda jika ada orang lain yang bisa "
           "membacanya. Anda tetap bisa menghubungi kami lagi kapan saja."),
)

BY_KEY = {c.key: c for c in CANNED}
