"""Everyday words of text reports that are never read as a misspelt place name.

Members write where and what they saw in the same words every day ("kerja di tambang",
"menginap di mess", "di kebun sawit"). A few are one typo from a village of the home area
("tambang" / Tamiang, "galian" / Kalian, "gunung" / Guntung), some are one ("Pantai",
"Tengah"). A word listed here is never read as a misspelt name, and alone it only
names a place after a level word ("Desa Pantai"): "di pantai", "di tengah hutan" say
where, not which village. Data only.
"""

from __future__ import annotations

# fmt: off
EVERYDAY_WORDS: frozenset[str] = frozenset(
    """
    tambang tambangan pertambangan galian tambak kebun perkebunan sawit karet kelapa pabrik
    proyek pelabuhan dermaga jetty tongkang kapal perahu speedboat feri ferry mess hotel
    wisma losmen penginapan kontrakan kosan kost rumah warung toko pasar kantor sekolah
    masjid mesjid gereja klinik puskesmas kampung dusun jalan lokasi daerah wilayah sekitar
    dekat pinggir pantai sungai gunung bukit hutan laut pulau teluk tanjung muara camp
    basecamp site mining batubara galangan smelter pembangkit jembatan gudang bangunan
    perusahaan bandara terminal stasiun mobil motor truk emas nikel bijih besi
    menginap tinggal bekerja kerja pekerja buruh karyawan tenaga asing orang warga negara
    turis wisatawan bule ekspatriat imigran pendatang tamu rombongan kelompok keluarga
    sedang lagi sudah telah belum tidak tanpa dengan untuk kepada mohon tolong segera cepat
    info informasi laporan lapor masyarakat kades lurah camat polsek koramil babinsa
    mencurigakan curiga overstay ilegal illegal gelap kabur datang pergi pulang masuk keluar
    malam siang pagi sore kemarin minggu senin selasa kamis jumat sabtu bulan tahun
    banyak beberapa kurang lebih jumlah total semua mereka bapak
    paspor visa izin ijin kitas kitap dokumen surat identitas habis berlaku expired
    narkoba narkotika sabu ganja perdagangan penyelundupan judi mabuk keributan
    menuju bersama tengah ujung pinggiran seberang
    """.split()  # noqa: SIM905
)
# fmt: on
