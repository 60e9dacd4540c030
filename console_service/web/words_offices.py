"""The words of the offices pages (``/offices``), in Bahasa Indonesia and English;
:mod:`console_service.web.words` merges them into its own. Keys start with ``of_``
(field labels ``of_f_<field>``), so they never shadow a word there."""

from __future__ import annotations

OFFICE_WORDS: dict[str, dict[str, str]] = {
    "id": {
        "of_offices": "Kantor",
        "of_office": "Kantor imigrasi",
        "of_new": "Tambah kantor",
        "of_teams": "Tim di wilayahnya",
        "of_users": "Pengguna",
        "of_overrides": "Pengaturan sendiri",
        "of_f_id": "ID (tetap; pengguna terikat padanya)",
        "of_f_name": "Nama",
        "of_f_home_area": "Wilayah kerja (kode Kemendagri, dipisah koma)",
        "of_f_fallback_team": "Tim cadangan (laporan yang tidak dilayani tim mana pun)",
        "of_f_sources": "Sumber (kunci API) milik kantor",
        "of_f_group_key": "Kunci pengelompokan",
        "of_f_group_window": "Jendela pengelompokan (mis. 6h)",
        "of_f_escalate_after": "Eskalasi setelah (mis. 30m; never: tanpa eskalasi)",
        "of_f_update_sms_every": "SMS pembaruan paling sering tiap (mis. 1h)",
        "of_defaults_hint": "Kosongkan untuk memakai nilai bawaan kebijakan. Berlaku untuk "
        "laporan di wilayah kantor ini; aturan yang menetapkan nilainya sendiri tetap "
        "memakainya. Layanan routing memakai perubahan dalam 30 detik.",
        "of_save": "Simpan kantor",
        "of_not_saved": "Belum disimpan:",
        "of_read_only": "Hanya administrator yang dapat mengubah kantor.",
        "of_none": "Belum ada data kantor: routing memakai daftar kantor di berkas kebijakan.",
        "admins_only": "Hanya untuk administrator.",
    },
    "en": {
        "of_offices": "Offices",
        "of_office": "Immigration office",
        "of_new": "Add an office",
        "of_teams": "Teams in its area",
        "of_users": "Users",
        "of_overrides": "Own settings",
        "of_f_id": "Id (fixed; users belong to it)",
        "of_f_name": "Name",
        "of_f_home_area": "Home area (Kemendagri codes, comma separated)",
        "of_f_fallback_team": "Fallback team (reports no team serves)",
        "of_f_sources": "Sources (API keys) the office owns",
        "of_f_group_key": "Grouping key",
        "of_f_group_window": "Grouping window (e.g. 6h)",
        "of_f_escalate_after": "Escalate after (e.g. 30m; never: no escalation)",
        "of_f_update_sms_every": "Update SMS at most every (e.g. 1h)",
        "of_defaults_hint": "Leave empty for the policy's default. Applies to the reports "
        "of this office's area; a rule that sets its own value keeps it. Routing applies a "
        "change within 30 seconds.",
        "of_save": "Save office",
        "of_not_saved": "Not saved:",
        "of_read_only": "Only an administrator can change an office.",
        "of_none": "No office records yet: routing uses the policy file's list of offices.",
        "admins_only": "Administrators only.",
    },
}
