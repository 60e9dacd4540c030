"""The words of the region codes page (``/regions``), in Bahasa Indonesia and English;
:mod:`console_service.web.words` merges them into its own. Keys start with ``rg_``."""

from __future__ import annotations

REGION_WORDS: dict[str, dict[str, str]] = {
    "id": {
        "rg_regions": "Kode wilayah",
        "rg_stored": "Kode di basis data mengikuti",
        "rg_data": "Data wilayah layanan mengikuti",
        "rg_behind": "Kode yang tersimpan dan data wilayah mengikuti keputusan yang berbeda: "
        "layanan belum memakai berkas wilayah yang baru (TIMPORA_REGIONS_FILE), atau "
        "migrasinya belum dijalankan:",
        "rg_stale": "Tim dengan kode yang tidak ada di data",
        "rg_stale_hint": "Tidak ada laporan yang sampai ke tim ini sampai wilayahnya "
        "dipindahkan (lihat docs/regions.md).",
        "rg_team": "Tim",
        "rg_code": "Kode",
        "rg_former": "Nama lama",
        "rg_in_step": "Sesuai: {n} tim, semua kodenya ada di data.",
        "rg_history": "Migrasi",
        "rg_applied": "Waktu",
        "rg_decree": "Keputusan",
        "rg_previous": "Sebelumnya",
        "rg_by": "Oleh",
        "rg_changed": "Diubah",
        "rg_no_history": "Belum ada migrasi: kode mengikuti data bawaan.",
    },
    "en": {
        "rg_regions": "Region codes",
        "rg_stored": "Codes in the database follow",
        "rg_data": "The services' region data follows",
        "rg_behind": "The stored codes and the region data follow different decrees: the "
        "services lack the new regions file (TIMPORA_REGIONS_FILE), or the migration has "
        "not run yet:",
        "rg_stale": "Teams whose code the data does not have",
        "rg_stale_hint": "No report reaches these teams until their area is moved "
        "(see docs/regions.md).",
        "rg_team": "Team",
        "rg_code": "Code",
        "rg_former": "Former name",
        "rg_in_step": "In step: {n} teams, every code in the data.",
        "rg_history": "Migrations",
        "rg_applied": "When",
        "rg_decree": "Decree",
        "rg_previous": "Previous",
        "rg_by": "By",
        "rg_changed": "Changed",
        "rg_no_history": "No migration yet: the codes follow the shipped data.",
    },
}
