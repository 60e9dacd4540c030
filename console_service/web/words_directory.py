"""The words of the directory's member form (``/teams/{id}/members/...``), in Bahasa
Indonesia and English; :mod:`console_service.web.words` merges them into its own. Keys
start with ``md_`` (field labels ``md_f_<field>``), so they never shadow a word there."""

from __future__ import annotations

DIRECTORY_WORDS: dict[str, dict[str, str]] = {
    "id": {
        "md_members_edit": "Ubah",
        "md_add": "Tambah anggota",
        "md_edit": "Ubah anggota",
        "md_who": "Orang",
        "md_contacts": "Kontak",
        "md_f_name": "Nama",
        "md_f_role": "Jabatan",
        "md_f_language": "Bahasa pesan",
        "md_f_on_duty": "Aktif (menerima peringatan bila tim tanpa jadwal piket)",
        "md_f_phone": "Nomor telepon (SMS)",
        "md_f_whatsapp": "Nomor WhatsApp",
        "md_f_email": "Surel",
        "md_f_telegram_chat_id": "ID chat Telegram",
        "md_f_webhook_url": "URL webhook",
        "md_f_channels": "Urutan saluran",
        "md_f_quiet_hours": "Jam tenang",
        "md_lang_id": "Bahasa Indonesia",
        "md_lang_en": "English",
        "md_channels_hint": "Saluran pertama dipakai lebih dulu; berikutnya cadangan bila "
        "gagal. Setiap saluran perlu alamatnya (SMS: nomor telepon, WhatsApp: nomor "
        "WhatsApp, surel: alamat surel, Telegram: ID chat).",
        "md_quiet_hint": "Kosongkan keduanya bila tidak ada. Peringatan kritis tetap dikirim "
        "pada jam tenang.",
        "md_pii_hint": "Formulir ini memuat data pribadi lengkap; setiap kali dibuka dicatat "
        "di log audit.",
        "md_save": "Simpan anggota",
        "md_cancel": "Batal",
        "md_remove": "Keluarkan dari tim",
        "md_remove_hint": "Anggota ini juga dihapus dari slot dan pengecualian jadwal piket "
        "tim; periksa jadwalnya sesudahnya agar tidak ada jam tanpa petugas.",
        "md_fix": "Belum disimpan. Periksa isian berikut:",
        "md_required": "wajib diisi",
        "md_too_long": "terlalu panjang",
        "md_invalid": "tidak sah",
        "md_not_a_phone": "bukan nomor telepon yang dapat dipakai (contoh 0812-3456-7890 "
        "atau +6281234567890)",
        "md_needed_by_channel": "wajib diisi karena dipakai oleh saluran",
        "md_email_invalid": "bukan alamat surel (contoh nama@contoh.go.id)",
        "md_telegram_invalid": "ID chat Telegram berupa angka (contoh 700000021)",
        "md_no_channel": "pilih sedikitnya satu saluran",
        "md_channel_twice": "satu saluran dipilih dua kali",
        "md_quiet_hours": "isi jam mulai dan selesai (atau kosongkan keduanya)",
        "md_added": "Anggota ditambahkan. Peringatan berikutnya memakai data baru.",
        "md_saved": "Anggota disimpan. Peringatan berikutnya memakai data baru.",
        "md_removed": "Anggota dikeluarkan dari tim (dan dari jadwal piketnya).",
        "md_group": "Grup Telegram tim",
        "md_group_current": "Setiap versi peringatan dikirim sekali ke grup",
        "md_group_none": "Tim ini tidak punya grup Telegram.",
        "md_group_chat_id": "Chat id grup",
        "md_group_save": "Simpan grup",
        "md_group_hint": "Tambahkan bot Timpora ke grup dulu. Chat id grup berupa angka negatif "
        "(contoh -1001234567890); kosongkan untuk berhenti mengirim ke grup. Pesan pribadi "
        "anggota tetap dikirim seperti biasa.",
        "md_group_saved": "Grup Telegram disimpan. Peringatan berikutnya memakainya.",
    },
    "en": {
        "md_members_edit": "Edit",
        "md_add": "Add a member",
        "md_edit": "Edit member",
        "md_who": "Person",
        "md_contacts": "Contacts",
        "md_f_name": "Name",
        "md_f_role": "Role",
        "md_f_language": "Message language",
        "md_f_on_duty": "Active (receives alerts when the team has no duty roster)",
        "md_f_phone": "Phone number (SMS)",
        "md_f_whatsapp": "WhatsApp number",
        "md_f_email": "E-mail",
        "md_f_telegram_chat_id": "Telegram chat id",
        "md_f_webhook_url": "Webhook URL",
        "md_f_channels": "Channel order",
        "md_f_quiet_hours": "Quiet hours",
        "md_lang_id": "Bahasa Indonesia",
        "md_lang_en": "English",
        "md_channels_hint": "The first channel is used first; the next ones are fallbacks "
        "when it fails. Each channel needs its address (SMS: phone number, WhatsApp: "
        "WhatsApp number, e-mail: address, Telegram: chat id).",
        "md_quiet_hint": "Leave both empty for none. Critical alerts are sent during quiet "
        "hours too.",
        "md_pii_hint": "This form holds personal data in full; every time it is opened is "
        "written to the audit log.",
        "md_save": "Save member",
        "md_cancel": "Cancel",
        "md_remove": "Remove from the team",
        "md_remove_hint": "The member is also taken out of the team's roster slots and "
        "exceptions; check the roster afterwards so that no hours are left without anyone.",
        "md_fix": "Not saved. Check these fields:",
        "md_required": "required",
        "md_too_long": "too long",
        "md_invalid": "not valid",
        "md_not_a_phone": "not a usable phone number (e.g. 0812-3456-7890 or +6281234567890)",
        "md_needed_by_channel": "required because it is used by the channel",
        "md_email_invalid": "not an e-mail address (e.g. name@example.go.id)",
        "md_telegram_invalid": "a Telegram chat id is a number (e.g. 700000021)",
        "md_no_channel": "choose at least one channel",
        "md_channel_twice": "a channel is chosen twice",
        "md_quiet_hours": "fill in both the start and the end (or leave both empty)",
        "md_added": "Member added. The next alert uses the new details.",
        "md_saved": "Member saved. The next alert uses the new details.",
        "md_removed": "Member removed from the team (and from its roster).",
        "md_group": "The team's Telegram group",
        "md_group_current": "Each alert version goes once to the group",
        "md_group_none": "This team has no Telegram group.",
        "md_group_chat_id": "Group chat id",
        "md_group_save": "Save group",
        "md_group_hint": "Add the Timpora bot to the group first. A group's chat id is a negative "
        "number (e.g. -1001234567890); leave it empty to stop posting to the group. The "
        "members' own messages go out as before.",
        "md_group_saved": "Telegram group saved. The next alert uses it.",
    },
}
