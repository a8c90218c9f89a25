"""The rules `helpdesk kb check` adds for short answers: length, details, duplicate labels, jargon, contacts."""

import datetime as dt
import textwrap

import pytest

from knowledge import kb as kb_module

VALUES = {
    "contacts": {
        "kbri_kuala_lumpur": "+60 17-668 8032 (hotline KBRI Kuala Lumpur)",
        "malaysia_emergency": "999 (polisi/ambulans/pemadam, Malaysia)",
        "kp2mi_callcentre": "0800-1000 (KP2MI, bebas pulsa, dari Indonesia)",
    },
    "office": {"address": None},
}
TOPICS = (kb_module.Topic("paspor", "Paspor"),)


def entry(**over) -> kb_module.Entry:
    base = {"id": "paspor-x", "topic": "paspor", "question": "Bagaimana membuat paspor?",
            "phrasings": ("a", "b", "c", "d"), "keywords": (), "answer": "Datang ke kantor imigrasi.",
            "sources": ("UU 18/2017",), "reviewed": dt.date(2026, 11, 1), "related": ()}
    base.update(over)
    return kb_module.Entry(**base)


def problems_of(*entries: kb_module.Entry, **kw) -> list[str]:
    return kb_module.check(kb_module.KnowledgeBase(TOPICS, entries), VALUES, **kw)


def test_a_short_answer_with_details_behind_the_button_passes() -> None:
    assert problems_of(entry(answer="Telepon {contacts.malaysia_emergency}.", more="Dasar: UU 18/2017.")) == []


def test_the_first_message_is_measured_after_the_placeholders_are_filled() -> None:
    placeholder = "{contacts.kbri_kuala_lumpur}"
    filled = len(VALUES["contacts"]["kbri_kuala_lumpur"])
    fits_as_written = "x" * (kb_module.MAX_ANSWER_CHARS - len(placeholder)) + placeholder
    assert len(fits_as_written) == kb_module.MAX_ANSWER_CHARS
    problems = problems_of(entry(answer=fits_as_written))
    expected = kb_module.MAX_ANSWER_CHARS - len(placeholder) + filled
    assert [p for p in problems if "characters" in p] == [
        f"entry paspor-x: answer is {expected} characters, at most {kb_module.MAX_ANSWER_CHARS}"]


def test_the_details_have_their_own_limit_and_the_same_checks_as_the_answer() -> None:
    assert problems_of(entry(more="y" * kb_module.MAX_MORE_CHARS)) == []
    problems = problems_of(entry(more="y" * (kb_module.MAX_MORE_CHARS + 1)))
    assert any("more is" in p and "characters" in p for p in problems), problems
    assert any("phone number in the more" in p for p in problems_of(entry(more="Telepon +62 812 9007 0027.")))
    assert any("not in config.yaml" in p for p in problems_of(entry(more="{contacts.nope}")))
    assert any("stray brace in more" in p for p in problems_of(entry(more="lihat {sini")))


def test_two_entries_asking_the_same_question_are_flagged() -> None:
    a = entry()
    b = entry(id="paspor-y", question="  bagaimana membuat  PASPOR ")
    assert any("paspor-y: same question as entry paspor-x" in p for p in problems_of(a, b))
    assert problems_of(a, entry(id="paspor-y", question="Berapa biaya paspor?")) == []


def test_two_buttons_that_look_the_same_beside_one_answer_are_flagged() -> None:
    long_start = "Bagaimana cara mengurus paspor yang hilang atau rusak ketika sedang bekerja di luar negeri"
    a = entry(id="paspor-a", question=long_start + " di Malaysia?")
    b = entry(id="paspor-b", question=long_start + " di Singapura?")
    main = entry(related=("paspor-a", "paspor-b"))
    assert any("two buttons look the same" in p for p in problems_of(main, a, b))  # alike in the first 64 chars
    c = entry(id="paspor-c", question="Menu utama")
    problems = problems_of(entry(related=("paspor-c",)), c, fixed_labels=("Menu utama", "Selengkapnya"))
    assert any("two buttons look the same: 'Menu utama'" in p for p in problems), problems
    assert problems_of(entry(related=("paspor-c",)), c) == []


@pytest.mark.parametrize("text, flagged", [
    ("Pastikan ada job order yang sah.", ["job order"]),
    ("Pastikan ada job order (permintaan tenaga kerja) yang sah.", []),
    ("Ikut program G to G, yaitu penempatan antarpemerintah.", []),
    ("Daftar program G-to-G di portal.", ["G to G"]),
    ("Banyak WNI menjadi korban penipuan daring (online scam).", []),
    ("Banyak WNI menjadi korban online scam. Itu penipuan daring.", ["online scam"]),  # explained too late
    ("Gaji caregiver naik.", ["caregiver"]),
    ("Gaji caregiver (perawat lansia) naik. Caregiver libur Minggu.", []),  # explained at the first use
    ("Tulis ke jobordersaya@contoh.id.", []),  # a word containing the letters is not the term
])
def test_english_terms_need_an_indonesian_explanation_at_their_first_use(text, flagged) -> None:
    assert kb_module.unexplained_jargon(text) == flagged
    problems = problems_of(entry(more=text))
    assert [p for p in problems if "Indonesian explanation" in p] == [
        f"entry paspor-x: more uses {t!r} without an Indonesian explanation" for t in flagged]


def test_every_jargon_term_is_caught_in_its_usual_spellings() -> None:
    for term in kb_module.JARGON:
        assert kb_module.unexplained_jargon(f"Ini soal {term.upper()} saja.") == [term]


@pytest.mark.parametrize("text, twice", [
    ("Hubungi hotline KBRI Kuala Lumpur: {contacts.kbri_kuala_lumpur}.", ["kbri_kuala_lumpur (kbri, kuala, lumpur)"]),
    ("Hubungi {contacts.kbri_kuala_lumpur}.", []),
    ("Di Malaysia, telepon {contacts.malaysia_emergency}.", ["malaysia_emergency (malaysia)"]),
    ("Anda di Malaysia? Telepon {contacts.malaysia_emergency}.", []),  # another sentence
    ("Kontak di Malaysia:\n• {contacts.malaysia_emergency}\n• lainnya", []),  # another line (a bullet)
    ("• {contacts.malaysia_emergency} di Malaysia\n• lainnya", ["malaysia_emergency (malaysia)"]),
    ("Dari Indonesia: {contacts.kp2mi_callcentre}.", []),  # "Indonesia" qualifies, it names nobody
    ("Telepon KP2MI di {contacts.kp2mi_callcentre}.", ["kp2mi_callcentre (kp2mi)"]),
    ("hubungi hotline kbri {contacts.kbri_kuala_lumpur}", ["kbri_kuala_lumpur (kbri)"]),  # acronyms in any case
    ("Polisi dan ambulans di sana: {contacts.malaysia_emergency}.", []),  # ordinary words are no name
])
def test_a_contact_named_by_the_answer_and_by_its_config_value_is_flagged(text, twice) -> None:
    assert kb_module.contacts_named_twice(text, VALUES["contacts"]) == twice
    flagged = [p for p in problems_of(entry(answer=text)) if "twice" in p]
    assert len(flagged) == len(twice)


def test_the_loader_reads_more_and_an_entry_without_it_has_none(tmp_path) -> None:
    (tmp_path / "_topics.yaml").write_text("topics:\n  - id: paspor\n    title: Paspor\n")
    (tmp_path / "paspor.yaml").write_text(textwrap.dedent("""\
        entries:
          - id: paspor-a
            topic: paspor
            question: "A?"
            phrasings: [a, b, c, d]
            answer: "Pendek."
            more: |
              Langkah 1.
              Dasar: UU 18/2017.
            sources: [x]
            reviewed: 2026-11-01
            related: []
          - id: paspor-b
            topic: paspor
            question: "B?"
            phrasings: [a, b, c, d]
            answer: "Pendek juga."
            sources: [x]
            reviewed: 2026-11-01
            related: []
        """))
    loaded = kb_module.load(tmp_path)
    assert loaded.entry("paspor-a").more == "Langkah 1.\nDasar: UU 18/2017."
    assert loaded.entry("paspor-b").more == ""
