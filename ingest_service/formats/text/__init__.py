"""Short text reports: ``LAPOR <place> <what was seen>`` from SMS and chat.

Field officers and citizens type on small phones, so the grammar is forgiving::

    LAPOR SATUI ada 5 WNA kerja di tambang
    lapor: Simpang 4   tiga orang asing overstay
    Lpr Batu Licin
    ada WN China 2 org menginap
    /lapor@TimporaBot Kec. Angsana ada WNA mencurigakan

* the keyword is case-insensitive and tolerant of typos and abbreviations ("Lpr", "lapr",
  "laporan", "LAPOR:", a leading "/" or "#" for chat commands, an @mention before it);
* the place is the longest run of words (up to five) that the region resolver finds with
  good confidence inside the source's home area: first right after the keyword, then after
  "di"/"Kec."/"Desa"; when nothing resolves the words before the first non-place word are
  kept as the address as written, and routing retries;
* a head count ("ada 5 WNA", "5 orang asing", "lima WNA", "seorang WNA"), nationalities
  ("WN China", "warga negara Tiongkok", "Korea") and category keywords (kerja/tambang →
  illegal_work, overstay/izin habis → overstay, narkoba → narcotics...) are extracted.

This package has no parser of its own in ``PARSERS``: the SMS and chat parsers call
:func:`ingest_service.formats.text.report.parse_text_report` with the message text and
its envelope. Its modules: ``tokens`` (splitting, typo distance), ``keyword`` (LAPOR),
``place`` (finding or guessing the place), ``subjects`` (head count, nationalities) and
``report`` (one message → one report).
"""
