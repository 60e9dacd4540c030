"""The words of the sources page (``/sources``), in Bahasa Indonesia and English;
:mod:`console_service.web.words` merges them into its own. Keys start with ``sr_``."""

from __future__ import annotations

SOURCE_WORDS: dict[str, dict[str, str]] = {
    "id": {
        "sr_sources": "Sumber & pelanggan",
        "sr_hint": "Hanya baca; kunci baru dibuat (dan ditampilkan sekali) dengan",
        "sr_senders": "Sistem pengirim laporan",
        "sr_source": "Sumber",
        "sr_formats": "Format",
        "sr_home_area": "Wilayah laporannya",
        "sr_kafka": "Pengguna Kafka",
        "sr_anywhere": "di mana saja",
        "sr_national": "nasional (tanpa kantor)",
        "sr_no_sources": "Tidak ada sumber.",
        "sr_readers": "Instansi pembaca umpan CAP",
        "sr_subscriber": "Pelanggan",
        "sr_feed": "Umpan",
        "sr_rate": "Permintaan per menit",
        "sr_default": "bawaan",
        "sr_no_subscribers": "Tidak ada pelanggan umpan.",
    },
    "en": {
        "sr_sources": "Sources & subscribers",
        "sr_hint": "Read-only; new keys are made (and shown once) with",
        "sr_senders": "Systems sending reports",
        "sr_source": "Source",
        "sr_formats": "Formats",
        "sr_home_area": "Home area",
        "sr_kafka": "Kafka user",
        "sr_anywhere": "anywhere",
        "sr_national": "national (no office)",
        "sr_no_sources": "No source.",
        "sr_readers": "Agencies reading the CAP feed",
        "sr_subscriber": "Subscriber",
        "sr_feed": "Feed",
        "sr_rate": "Requests a minute",
        "sr_default": "default",
        "sr_no_subscribers": "No feed subscriber.",
    },
}
