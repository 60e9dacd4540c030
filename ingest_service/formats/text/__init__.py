"""Short text reports: ``LAPOR <place> <what was seen>`` from SMS and chat.

Field officers and citizens type on small phones, so the grammar is forgiving::

    LAPOR SATUI ada 5 WNA kerja di tambang
    lapor: Simpang 4   tiga orang asing overstay
    Lpr Batu Licin
    ada WN China 2 org menginap
    /lapor@TimporaBot Kec. Angsana ada WNA mencurigakan

* the keyword is case-insensitive and tolerant of typos and abbreviations ("Lpr", "lapr",
  "laporan", "LAPOR:", a leading "/" or "#" for chat commands, an @mention before it);
* the place is the longest run of words that the region resolver finds with good
  confidence inside the source's home area and that spells, as typed, the place found and
  its parents ("desa sungaicuka kec satui"): first right after the keyword, then after
  "di"/"Kec."/"Desa" (and after everyday words: "di hotel Batulicin"). Level words are
  optional, names match run together or split, longer names with one typo when no other
  home-area name is as near (``place``); when nothing resolves the words before the first
  non-place word are kept as the address as written;
* a head count ("ada 5 WNA", "5 orang asing", "lima WNA", "seorang WNA"), nationalities
  ("WN China", "warga negara Tiongkok", "Korea") and category keywords (kerja/tambang →
  illegal_work, overstay/izin habis → overstay, narkoba → narcotics...) are extracted.

This package has no parser of its own in ``PARSERS``: the SMS and chat parsers call
:func:`ingest_service.formats.text.report.parse_text_report` with the message text and
its envelope. Its modules: ``tokens`` (splitting, typo distances), ``keyword`` (LAPOR),
``place`` (finding or guessing the place), ``vocabulary`` (everyday words that are never
a misspelt place), ``subjects`` (head count, nationalities) and ``report`` (one message →
one report). ``bench.bench_places`` and ``bench.bench_classify`` measure the place and the
category on generated sets.
"""
