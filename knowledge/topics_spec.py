"""The topic ids every release must cover (shared/spec/topics.md). Add, never rename."""

REQUIRED_TOPICS = (
    "migrant-center", "syarat-pmi", "dokumen-pmi", "alur-resmi", "skema-penempatan", "biaya-penempatan",
    "cek-p3mi", "calo-penipuan", "risiko-nonprosedural", "tanda-tppo", "cara-lapor", "kontak-darurat", "paspor",
    "paspor-ditahan", "visa-izin-kerja", "perjanjian-kerja", "pelatihan-sertifikasi", "pemeriksaan-kesehatan",
    "orientasi-pemberangkatan", "jaminan-sosial", "gaji-bermasalah", "kekerasan-majikan", "ganti-majikan-kontrak",
    "kepulangan", "sakit-meninggal", "remitansi", "hak-kewajiban", "lowongan-kerja", "negara-tujuan",
    "keluarga-pmi", "data-privasi",
)
