"""Indonesian chat vocabulary: slang and abbreviations, domain synonyms, function words.

Sources: our own reading of how migrants write on WhatsApp/Telegram, plus the common
entries of the "Kamus Alay" colloquial lexicon (Salsabila et al.). Kept small and
reviewed on purpose: a wrong mapping silently changes what a question means.
"""

# One chat token -> its standard form (may be several words).
SLANG: dict[str, str] = {
    # question words and particles
    "gmn": "bagaimana", "gmna": "bagaimana", "gimana": "bagaimana", "gmana": "bagaimana",
    "bgmn": "bagaimana", "gimn": "bagaimana", "gemana": "bagaimana", "bgaimana": "bagaimana",
    "brp": "berapa", "brapa": "berapa", "berapah": "berapa",
    "dmn": "dimana", "dimn": "dimana", "mana": "mana",
    "knp": "kenapa", "napa": "kenapa", "ngapain": "mengapa",
    "kpn": "kapan", "kapn": "kapan",
    "ap": "apa", "apah": "apa", "apakh": "apakah", "apkh": "apakah",
    "aja": "saja", "aj": "saja", "ajah": "saja",
    # negation, tense, modality
    "gk": "tidak", "ga": "tidak", "gak": "tidak", "nggak": "tidak", "ngga": "tidak",
    "engga": "tidak", "enggak": "tidak", "tdk": "tidak", "tak": "tidak", "kagak": "tidak",
    "ngak": "tidak", "gx": "tidak", "ndak": "tidak", "nda": "tidak", "td": "tidak",
    "blm": "belum", "blom": "belum", "belom": "belum", "lom": "belum",
    "udh": "sudah", "udah": "sudah", "sdh": "sudah", "dah": "sudah", "uda": "sudah", "sudh": "sudah",
    "lg": "lagi", "lgi": "lagi",
    "bs": "bisa", "bsa": "bisa", "bisakah": "bisa",
    "hrs": "harus", "mesti": "harus",
    "mo": "mau", "pengen": "ingin", "pingin": "ingin", "pgn": "ingin",
    "blh": "boleh", "bolehkah": "boleh",
    "jgn": "jangan", "jngn": "jangan",
    "msh": "masih", "masi": "masih",
    "br": "baru",
    "skrg": "sekarang", "skr": "sekarang", "skrang": "sekarang",
    "bln": "bulan", "thn": "tahun", "th": "tahun", "hr": "hari", "mgg": "minggu",
    "jt": "juta", "jta": "juta", "rb": "ribu",
    # pronouns and people
    "sy": "saya", "sya": "saya", "aku": "saya", "aq": "saya", "ak": "saya", "gw": "saya",
    "gue": "saya", "gua": "saya", "ane": "saya", 
    "km": "kamu", "kmu": "kamu", "lu": "kamu", "lo": "kamu",
    "org": "orang", "ortu": "orang tua", "sodara": "saudara", "sdr": "saudara",
    
    "suamiku": "suami saya", "istriku": "istri saya", "anakku": "anak saya",
    "ibuku": "ibu saya", "ayahku": "ayah saya", "kakakku": "kakak saya", "adikku": "adik saya",
    "majikanku": "majikan saya", "pasporku": "paspor saya", "gajiku": "gaji saya",
    # connectors
    "yg": "yang", "yng": "yang", "dgn": "dengan", "dg": "dengan", "sm": "sama", "ama": "sama",
    "krn": "karena", "krna": "karena", "soalnya": "karena", "tp": "tapi", "tpi": "tapi",
    "utk": "untuk", "untk": "untuk", "buat": "untuk", "bwt": "untuk",
    "dr": "dari", "dri": "dari", "kl": "kalau", "kalo": "kalau", "klo": "kalau", "klw": "kalau",
    "kalu": "kalau", "jd": "jadi", "jdi": "jadi", "trs": "terus", "trus": "terus",
    "sblm": "sebelum", "stlh": "setelah", "abis": "habis", "ttg": "tentang", "tntg": "tentang",
    "sj": "saja", "ato": "atau", "atw": "atau", "dpt": "dapat", "dapet": "dapat",
    "pd": "pada", "spy": "supaya", "biar": "supaya", "sampe": "sampai", "smpe": "sampai",
    "emg": "memang", "emang": "memang", "bgt": "banget", "bener": "benar", "bnr": "benar",
    "tau": "tahu", "tao": "tahu", "dikasih": "diberi", "dikasi": "diberi",
    "gimanain": "bagaimana", "minta": "minta", "tolongin": "tolong", "tlg": "tolong", "tolon": "tolong",
    "mksh": "terima kasih", "makasih": "terima kasih", "makasi": "terima kasih", "trims": "terima kasih",
    "thx": "terima kasih", "thanks": "terima kasih", "tq": "terima kasih", "ty": "terima kasih",
    "ok": "oke", "okay": "oke", "okey": "oke", "sip": "oke",
    "hp": "telepon", "wa": "whatsapp", "nomer": "nomor", "no": "nomor", "nmr": "nomor", "telp": "telepon",
    "tlp": "telepon",
    # domain words people abbreviate or misspell
    "kerjo": "kerja", "krj": "kerja", "kerj": "kerja",
    "ln": "luar negeri", "luarnegeri": "luar negeri", "lnegeri": "luar negeri",
    "pasport": "paspor", "passport": "paspor", "pasprt": "paspor", "pspr": "paspor",
    "visanya": "visa", "medikal": "medical", "medcheck": "medical", "mcu": "medical",
    "duit": "uang", "doku": "uang", "fulus": "uang", "gajih": "gaji", "gji": "gaji",
    "bos": "majikan", "boss": "majikan", "majikn": "majikan", "mjikan": "majikan", "employer": "majikan",
    "agensi": "agen", "agency": "agen", "agent": "agen",
    "kontrk": "kontrak", "kontraknya": "kontrak",
    "deport": "deportasi", "dideport": "dideportasi",
    "kbri": "kbri", "kjri": "kjri",
    "malay": "malaysia", "msia": "malaysia", "my": "malaysia", "mly": "malaysia",
    "spore": "singapura", "singapore": "singapura", "sg": "singapura", "spura": "singapura",
    "hongkong": "hong kong", "hk": "hong kong", "taiwan": "taiwan", "tw": "taiwan",
    "korsel": "korea selatan", "korea": "korea", "jpn": "jepang", "japan": "jepang",
    "saudi": "arab saudi", "ksa": "arab saudi",
    "diberangkatin": "diberangkatkan", "berangkatin": "berangkatkan", "diberangkatkn": "diberangkatkan",
    "ditahen": "ditahan", "dipukulin": "dipukuli", "dikurungin": "dikurung", "dikunciin": "dikunci",
    "dibayarin": "dibayar", "ngasih": "memberi", "nyampe": "sampai", "nyampenya": "sampai",
    "nahan": "menahan", "nipu": "menipu", "ketipu": "tertipu", "ditipuin": "ditipu",
    "ngurus": "mengurus", "ngecek": "cek", "ngecheck": "cek", "check": "cek", "dicek": "cek", "dicekin": "cek",
    "resmiga": "resmi", "legalkah": "legal", "resmikah": "resmi", "amankah": "aman",
    "tolonggg": "tolong",
}

# Multi-word synonyms and old terms -> the canonical token the knowledge base uses.
# Applied after slang, on whole words, longest first.
SYNONYMS: dict[str, str] = {
    "tenaga kerja indonesia": "pmi",
    "tenaga kerja wanita": "pmi",
    "pekerja migran indonesia": "pmi",
    "pekerja migran": "pmi",
    "buruh migran": "pmi",
    "tki": "pmi",
    "tkw": "pmi",
    "bmi": "pmi",
    "cpmi": "calon pmi",
    "ctki": "calon pmi",
    "pjtki": "p3mi",
    "pptkis": "p3mi",
    "ppptki": "p3mi",
    "p3mi": "p3mi",
    "perusahaan penempatan": "p3mi",
    "perusahaan penyalur": "p3mi",
    "agen penyalur": "p3mi",
    "penyalur": "p3mi",
    "sponsor": "calo",
    "makelar": "calo",
    "perekrut perorangan": "calo",
    "bp2mi": "kp2mi",
    "bnp2tki": "kp2mi",
    "kementerian p2mi": "kp2mi",
    "bp3tki": "bp3mi",
    "p4mi": "bp3mi",
    "trafficking": "tppo",
    "perdagangan manusia": "perdagangan orang",
    "human trafficking": "tppo",
    "medical check up": "medical",
    "medical checkup": "medical",
    "cek kesehatan": "pemeriksaan kesehatan",
    "tes kesehatan": "pemeriksaan kesehatan",
    "jalur tikus": "jalur tidak resmi",
    "pelabuhan tikus": "jalur tidak resmi",
    "ilegal": "tidak resmi",
    "illegal": "tidak resmi",
    "non prosedural": "nonprosedural",
    "unprosedural": "nonprosedural",
    "visa turis": "visa kunjungan",
    "visa wisata": "visa kunjungan",
    "visa pelancong": "visa kunjungan",
    "visa umroh": "visa kunjungan",
    "visa umrah": "visa kunjungan",
    "work permit": "izin kerja",
    "permit kerja": "izin kerja",
    "bpjs tk": "bpjs ketenagakerjaan",
    "bpjamsostek": "bpjs ketenagakerjaan",
    "jamsostek": "bpjs ketenagakerjaan",
    "kontrak kerja": "perjanjian kerja",
    "surat kontrak": "perjanjian kerja",
    "job order": "job order",
    "jo": "job order",
    "pulang kampung": "pulang",
    "remitansi": "kirim uang",
    "transfer uang": "kirim uang",
}

# Function words that carry little meaning for retrieval. Deliberately short: question
# words and negations ("berapa", "kapan", "tidak", "belum") are NOT here, they carry intent.
FUNCTION_WORDS: frozenset[str] = frozenset(
    """yang di ke dari dan atau itu ini ya sih dong nih kah lah pun deh kok tuh loh lho
    kak kakak min admin gan sis bro mas mbak bang om tante pak bu mohon tolong maaf
    saja juga untuk dengan pada adalah akan sudah bisa mau ingin apa apakah bagaimana
    cara mana dimana siapa yg nya tanya bertanya info informasi mohon kalau jika bila
    apabila saya kami kita anda kamu ada""".split()
)
