"""Word lists for the agency lookup: what people write *around* an agency name, and which words
are company-name words.

All lists are generic Indonesian vocabulary (question words, chat fillers, places), never
names taken from a registry. Everything is lower case, as produced by `agencies.name_tokens`.
"""

from __future__ import annotations

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

# Pieces of a licence number that are words ("KEP.61 MEN IV 2016", "2/8177/HK 04 01/II/2020").
LICENCE_WORDS: frozenset[str] = frozenset({"kep", "kepmen", "men", "menaker", "hk", "sk", "kpts", "b"})

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
entikong; ambon; jayapura
"""

# First word -> place phrases starting with it, longest first.
PLACE_PHRASES: dict[str, tuple[tuple[str, ...], ...]] = {}
for _p in sorted({tuple(s.split()) for s in _PLACES.replace("\n", " ").split(";") if s.strip()}, key=len, reverse=True):
    PLACE_PHRASES[_p[0]] = PLACE_PHRASES.get(_p[0], ()) + (_p,)

# Common words of Indonesian company names. A query word equal to one of these is a real word,
# so it is never taken as a typo of a different registered word: "PT Putri Jaya" against a
# registered "PT Putra Jaya" is a swapped word (a lookalike), not a typo.
COMPANY_WORDS: frozenset[str] = frozenset(
    """
    abadi adi adhi agung agro alam amanah amanat andalan aneka anugerah anugrah arafah arta artha
    asia asri bahagia bahari bahtera bakti bhakti bangun bangsa barat barokah berkah berkat berlian
    bersama bestari bhumi bumi bina bintang buana bunga cahaya cakra cakrawala catur cemerlang cipta
    citra daya delta dharma darma dinamika duta dwi eka emas fajar gading gemilang gilang global graha
    griya guna handal harapan harmoni harum hikmah hutama ikhlas ilham indah indo indonesia insan
    intan inti internasional international jagat jasa jati jaya kamil karsa kartika karya kencana
    kerja kharisma karisma kirana kreasi kurnia karunia kusuma laksana lancar langgeng lestari lintas
    madani mahkota maju makmur mandiri mapan megah mega mekar melati mentari merdeka mitra mulia
    mulya multi murni mustika mutiara nirwana nusa nusantara pancaran panca pelita perdana perkasa
    permata persada pertama pesona prima pratama pusaka putra putri raharja rahayu rahmat raya
    rezeki rejeki rizki ria rukun sakti samudra samudera santosa sapta sarana sari satria sehat
    sejahtera sejati selatan semesta sentosa sentral setia sinar sinergi solusi sukma sukses sumber
    surya tama tangguh tenaga terang timur tirta tri tunggal utama utara wahana wahyu widya wijaya
    wisesa yasa zamrud
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
