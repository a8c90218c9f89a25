"""Word lists for the agency lookup: what people write *around* an agency name, and which words
are company-name words; and the word shapes that read as chat (abbreviations, inflected verbs).

All lists are generic vocabulary (question words, chat fillers, places; Indonesian, slang, Malay,
English), never names taken from a registry. The long chat lexicon is data, in
data/chat_words.yaml. Everything is lower case, as produced by `agencies.name_tokens`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import yaml

from knowledge.lexicon import FUNCTION_WORDS, SLANG
from knowledge.normalise import stem

# Legal forms that are part of how a name is written, not of which company it is.
LEGAL_FORMS: frozenset[str] = frozenset({"pt", "tbk", "persero", "perseroan", "terbatas"})

# Other kinds of organisation. "CV Sinar Jaya" or "LPK Sinar Jaya" is not the licensed
# "PT Sinar Jaya" (only a PT can hold a placement licence), so these are never ignored.
OTHER_ENTITY_FORMS: frozenset[str] = frozenset(
    {"cv", "ud", "pd", "fa", "firma", "yayasan", "koperasi", "lpk", "blk", "bkk"}
)

# Words around a name in a question ("tolong cek izin …", "apakah … resmi?", "agen sy … aman ga").
# Deliberately NO company-name words (kerja, tenaga, jasa, mitra, global, indonesia …): a word
# listed here next to a name is ignored, so listing a company word would let "PT Sinar Jaya
# Tenaga" pass as "PT Sinar Jaya". The matcher also treats a filler word that some registered
# name uses as weak (see AgencyIndex._strong_filler).
FILLER_WORDS: frozenset[str] = frozenset(
    """
    apakah apa apakh apkh apkah benarkah betulkah tolong tlg tolongin mohon minta bantu bantuin
    cek cekin ceck check dicek dicekin ngecek mengecek periksa diperiksa cari carikan tanya nanya
    bertanya mau mo pengen ingin izin ijin izinnya ijinnya perizinan perijinan legalitas status
    statusnya resmi resmikah legal legalkah ilegal illegal aman amankah terpercaya terdaftar
    terdaftarkah tercatat asli palsu bodong penipu penipuan abal valid aktif berlaku beneran bener
    benar betul gak ga gk ngak nggak ngga enggak engga tidak tdk ndak kah ya yah yaa iya dong donk
    sih nih tuh deh kok lah kan bukan atau masih punya ada sudah udah udh sdh belum blm nya ini itu
    tersebut yang yg di dari dr ke pada oleh lewat via melalui dengan dgn dan untuk utk buat saya
    sy aku aq ku gue gw kami kita adik adek kakak suami istri pak bu bang mas mbak mba kak min
    admin gan sis bro halo hallo hai hi permisi assalamualaikum selamat pagi siang sore malam
    terima kasih makasih trims thanks thx agen agensi agency perusahaan perusahaannya company
    nama namanya bernama kantor kantornya alamat alamatnya dimana mana gimana bagaimana gmn bgmn
    kenapa kapan berapa nomor nomer no nmr sip3mi sip2mi siup nib p3mi pptkis pjtki ppmi bp2mi kp2mi
    bp3mi kemnaker disnaker disnakertrans siskop2mi ltsa pemerintah penyalur penyalurnya sponsor
    calo info infonya informasi tau tahu kenal pernah dengar katanya kata mereka dia teman temen
    tetangga boleh bisa bisakah sebenarnya sebenernya emang memang daftar tki tkw pmi cpmi jadi
    lowongan loker kk kalau kalo apa2 ok oke okey bagus baik jelas jujur beres tipu nipu menipu
    scam abal2 kredibel rekomen gitu begitu cabang kota kab kabupaten provinsi prov wilayah daerah
    kecamatan siapa punyanya milik atas
    """.split()
)

# Words no company name starts with. After "PT" they show "PT" used as a common noun:
# "nama PT nya apa", "PT itu resmi?", "PT yang kemarin", "PT mana?".
NOT_A_NAME_START: frozenset[str] = frozenset(
    """
    nya yg yang itu ini tsb tersebut apa apakah mana mananya dimana kok sih dong deh nih tuh ni tu je
    dan atau sama dengan dgn di ke dari utk untuk buat lain lainnya lagi juga jg tadi kemarin kmrn td
    saya sy aku gw kami kita dia mereka kamu anda punya punyanya milik is the a an that this which
    """.split()
)

# Pieces of a licence number that are words ("KEP.61 MEN IV 2016", "2/8177/HK 04 01/II/2020",
# "B.456/PPTKIS/VI/2021", "No. 1234 Tahun 2020").
LICENCE_WORDS: frozenset[str] = frozenset(
    {"kep", "kepmen", "men", "menaker", "hk", "sk", "kpts", "b", "pptkis", "pjtki", "p3mi", "dpmptsp", "bnp2tki",
     "bp2mi", "kp2mi", "tahun", "thn", "th"}
)
# Words that label a number as a licence number ("no. izin", "SIP3MI", "nomor"). They are not
# part of the number: "SIP3MI 2/1234/HK.04.01/V/2022" is the number 2/1234/HK.04.01/V/2022.
LICENCE_LABELS: frozenset[str] = frozenset(
    {"no", "nomor", "nomer", "nmr", "nr", "num", "number", "izin", "ijin", "sip3mi", "sip2mi", "sipptki", "siup",
     "lisensi", "licence", "license", "lesen", "reg", "registrasi"}
)
# "thn", "th" and "tahun" are one word inside a licence number ("No. 1234 thn 2020").
YEAR_WORDS: frozenset[str] = frozenset({"tahun", "thn", "th"})

# Words that show a message is about an agency's licence. A registered name written without
# "PT" inside a sentence is only taken as that name when the message also says what it asks.
CUE_WORDS: frozenset[str] = frozenset(
    """
    agen agensi agency agencies agent perusahaan perusahaannya perusahan company firm syarikat syarikatnya ejen
    ejennya recruiter penyalur penyalurnya sponsor calo p3mi pjtki pptkis ppmi pt izin ijin izinnya ijinnya
    perizinan lisensi lesen license licence licenced licensed berlesen unlicensed resmi resmikah legal legalkah
    legit ilegal illegal sah terdaftar terdaftarkah berdaftar registered unregistered tercatat daftar status
    statusnya cek ngecek dicek check periksa semak verify dicabut cabut skorsing diskors dibekukan suspended
    revoked expired kadaluarsa kedaluwarsa kadaluwarsa aktif berlaku valid asli palsu bodong penipu penipuan
    scam tipu aman amankah terpercaya kantor cabang lewat melalui via bp2mi kp2mi bp3mi disnaker kemnaker
    sip3mi blacklist beroperasi operasional reputasi rekrut merekrut direkrut rekrutmen kredibel dipercaya
    bonafide penempatan legalitas keabsahan kesahihan approved approval permit
    """.split()
)

_PLACES = """
aceh; bali; banten; bengkulu; gorontalo; jambi; lampung; maluku; maluku utara; papua; papua barat;
papua selatan; papua tengah; papua pegunungan; riau; kepulauan riau; kepri; bangka belitung;
kepulauan bangka belitung; babel; yogyakarta; jogja; jogjakarta; diy; di yogyakarta; jakarta;
dki jakarta; dki; jakarta pusat; jakarta utara; jakarta barat; jakarta selatan; jakarta timur;
jawa barat; jawa tengah; jawa timur; jabar; jateng; jatim; kalimantan barat; kalimantan tengah;
kalimantan selatan; kalimantan timur; kalimantan utara; kalbar; kalteng; kalsel; kaltim; kaltara;
nusa tenggara barat; nusa tenggara timur; ntb; ntt; sulawesi utara; sulawesi tengah;
sulawesi selatan; sulawesi tenggara; sulawesi barat; sulut; sulteng; sulsel; sultra; sulbar;
sumatera utara; sumatera barat; sumatera selatan; sumatra utara; sumatra barat; sumatra selatan;
sumut; sumbar; sumsel;
batam; tanjung pinang; tanjungpinang; tanjung uban; karimun; tanjung balai karimun; bintan; lingga;
natuna; anambas; tanjung balai; medan; binjai; deli serdang; pekanbaru; dumai; bengkalis; padang;
bukittinggi; palembang; bandar lampung; pangkal pinang; pangkalpinang; bandung; bekasi; bogor;
depok; tangerang; tangerang selatan; tangsel; serang; cilegon; karawang; purwakarta; subang;
indramayu; cirebon; kuningan; majalengka; sumedang; garut; tasikmalaya; ciamis; cianjur; sukabumi;
semarang; solo; surakarta; cilacap; banyumas; purwokerto; brebes; tegal; pemalang; pekalongan;
kendal; demak; kudus; pati; jepara; grobogan; wonosobo; kebumen; klaten; boyolali; sragen;
surabaya; sidoarjo; gresik; malang; kediri; blitar; tulungagung; trenggalek; ponorogo; madiun;
ngawi; magetan; jember; banyuwangi; lumajang; probolinggo; pasuruan; mojokerto; jombang;
bojonegoro; tuban; lamongan; madura; sumenep; denpasar; mataram; lombok; lombok timur;
lombok tengah; lombok barat; sumbawa; bima; dompu; kupang; ende; flores; sikka; maumere;
makassar; manado; kendari; palu; balikpapan; samarinda; pontianak; banjarmasin; nunukan; tarakan;
entikong; ambon; jayapura; batam center; batu aji; sagulung; sekupang; nongsa; bengkong; lubuk baja;
batu ampar; sei beduk; tiban; jodoh; nagoya;
malaysia; kuala lumpur; johor; johor bahru; penang; sabah; sarawak; kuching; kota kinabalu; tawau; selangor;
singapura; singapore; brunei; brunei darussalam; hong kong; hongkong; taiwan; taipei; korea; korea selatan;
korsel; jepang; japan; arab saudi; saudi arabia; saudi; turki; polandia; qatar; kuwait; oman; bahrain;
uni emirat arab; uea; dubai; abu dhabi; kamboja; thailand; vietnam; filipina; australia; selandia baru;
new zealand; amerika; inggris; jerman; belanda; eropa; timur tengah; asia tenggara
"""

# First word -> place phrases starting with it, longest first.
PLACE_PHRASES: dict[str, tuple[tuple[str, ...], ...]] = {}
for _p in sorted({tuple(s.split()) for s in _PLACES.replace("\n", " ").split(";") if s.strip()}, key=len, reverse=True):
    PLACE_PHRASES[_p[0]] = PLACE_PHRASES.get(_p[0], ()) + (_p,)

_DATA = Path(__file__).resolve().parent / "data" / "chat_words.yaml"
_LEXICON_WORD_RE = re.compile(r"[^\W_]+")


@cache
def dictionary_words() -> frozenset[str]:
    """Indonesian root words (the dictionary PySastrawi ships). Used only to recognise an
    inflected verb ("dijanjikan", "ditawarkan") as chat: root words themselves may be company
    words ("cendana", "lautan"), so a root alone is never taken as talk."""
    import Sastrawi  # the stemmer's package; imported here so only the matcher pays for it

    path = Path(Sastrawi.__file__).resolve().parent / "Stemmer" / "data" / "kata-dasar.txt"
    return frozenset(path.read_text(encoding="utf-8").split())


@cache
def chat_words() -> frozenset[str]:
    """Everyday words (Indonesian, chat slang, Malay, English) people write around a name.

    Read once, on first use, from data/chat_words.yaml, plus the filler words above and the
    chat vocabulary of knowledge.lexicon. Legal forms and company words are never in it
    (a listed word that some registered name uses is handled by the matcher as weak talk)."""
    data = yaml.safe_load(_DATA.read_text(encoding="utf-8")) or {}
    words = {w for block in data.values() for w in _LEXICON_WORD_RE.findall(str(block).casefold())}
    words |= FILLER_WORDS | CUE_WORDS | FUNCTION_WORDS | set(SLANG)
    return frozenset(words - LEGAL_FORMS - OTHER_ENTITY_FORMS)


# Common words of Indonesian company names. A query word equal to one of these is a real word,
# so it is never taken as a typo of a different registered word: "PT Putri Jaya" against a
# registered "PT Putra Jaya" is a swapped word (a lookalike), not a typo.
COMPANY_WORDS: frozenset[str] = frozenset(
    """
    abadi adi adhi agung agro alam amanah amanat andalan aneka anugerah anugrah arafah arta artha
    asia asri bahagia bahari bahtera bakti bhakti bangun bangsa barat barokah berkah berkat berlian
    bersama bestari bhumi bumi bina bintang buana bunga cahaya cakra cakrawala catur cemerlang cipta
    citra daya delta dharma darma dinamika duta dwi eka emas fajar gading gemilang gilang global graha
    griya group grup guna handal harapan harmoni harum hikmah hutama ikhlas ilham indah indo indonesia insan
    intan inti internasional international jagat jasa jati jaya kamil karsa kartika karya kencana
    kerja kharisma karisma kirana kreasi kurnia karunia kusuma laksana lancar langgeng lestari lintas
    madani mahkota maju makmur mandiri mapan megah mega mekar melati mentari merdeka mitra mulia
    mulya multi murni mustika mutiara nirwana nusa nusantara pancaran panca pelita perdana perkasa
    permata persada pertama pesona prima pratama pusaka putra putri raharja rahayu rahmat raya
    rezeki rejeki rizki ria rukun sakti samudra samudera santosa sapta sarana sari satria sehat
    sejahtera sejati selatan semesta sentosa sentral setia sinar sinergi solusi sukma sukses sumber
    surya tama tangguh tenaga terang timur tirta tri tunggal utama utara wahana wahyu widya wijaya
    wisesa yasa zamrud
    adil adikarya adiguna anggrek angkasa asih bahana bangkit berdikari bijak cakrabuana candra
    cemara cendana cendrawasih chandra dirgantara elang garuda gempita giri gunung hasta jasindo
    kenanga kartini karunia kemilau laut lautan luhur majapahit mandala margatama mawar mayana
    merpati mitra nirmala nusindo pandu pelangi permai pertiwi prakarsa prayoga puspa rajawali
    rinjani sakura samudera selaras semeru senja sentausa sinergi sriwijaya teratai trisakti wibawa
    wira wirya yudha
    """.split()
)

# Words that end an agency name found inside a longer message ("PT Sinar Jaya membuka lowongan").
TEXT_STOP_WORDS: frozenset[str] = FILLER_WORDS | frozenset(
    """
    membuka buka dibuka menerima mencari dicari dibutuhkan butuh membutuhkan merekrut rekrut
    rekrutmen recruitment hiring open adalah sebagai berizin beralamat jl jln jalan telp telepon tlp
    hp wa whatsapp hub hubungi kontak cp cabang penempatan program tujuan gaji syarat posisi
    lokasi untuk segera resmi keberangkatan berangkat visa kontrak
    """.split()
)


# --------------------------------------------------------------------------- word shapes

# Chat affixes on everyday words ("dicabutnya", "nanyain", "ngecekin"). Noun affixes (pe-, per-,
# ke-, -an) are left out: with them a misspelt company word reads as chat ("peliat" = pe + liat).
CHAT_PREFIXES = ("di", "ter", "me", "mem", "men", "meng", "meny", "nge", "ng", "ny")
CHAT_SUFFIXES = ("nya", "kah", "lah", "in", "kan", "ku", "mu", "tuh", "sih", "dong", "deh", "aja")
# Verbal affixes: with one of these and a dictionary root, a word is an inflected verb.
VERB_PREFIXES = ("di", "ter", "me", "nge", "ng", "ny")
VERB_SUFFIXES = ("kan", "in", "nya", "kah", "lah")


def abbreviation(word: str) -> bool:
    """Very short, or written without vowels ("bsk", "bnrn", "brngkt"): chat, never a company word."""
    return len(word) <= 2 or not any(c in "aiueo" for c in word)


def verb_form(word: str) -> bool:
    """A verb with a verbal affix whose root is a dictionary word: "ditawarkan" (tawar),
    "terdaftarnya" (daftar). Noun affixes (ber-, pe-, -an) are left out: "Lautan", "Bersama"
    and "Permata" are company words."""
    if not (word.startswith(VERB_PREFIXES) or word.endswith(VERB_SUFFIXES)):
        return False
    root = stem(word)
    return root != word and root in dictionary_words()


def affix_stems(word: str) -> Iterable[str]:
    """The word without one chat prefix and/or suffix: "dicabutnya" -> "cabutnya", "dicabut", "cabut"."""
    for suffix in ("", *CHAT_SUFFIXES):
        if suffix and not word.endswith(suffix):
            continue
        base = word[: len(word) - len(suffix)]
        for prefix in ("", *CHAT_PREFIXES):
            if (prefix or suffix) and base.startswith(prefix) and len(base) - len(prefix) >= 3:
                yield base[len(prefix) :]
