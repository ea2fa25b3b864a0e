"""Rule cleaning (pipelines/cleaning.py) and the repetition learner, unit level."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from pipelines.cleaning import CleanContext, Cleaner, normalize, strip_icon_prefix
from pipelines.repetition import RepetitionLearner, block_hash

BODY = [
    "The municipal council approved the new budget on Tuesday after a long debate, the mayor said in a statement.",
    "Residents had asked for more money for schools and for the repair of roads damaged by the winter floods.",
    "The budget will be published in full next week, according to the city's finance office.",
]


@pytest.fixture(scope="module")
def cleaner() -> Cleaner:
    return Cleaner()


def kinds(removed):
    return [r.kind for r in removed]


@pytest.mark.parametrize(
    "line, kind",
    [
        ("tag icon ع ع ع", "widget"),
        ("ع ع ع", "widget"),
        ("A A A", "widget"),
        ("Share: Facebook Twitter WhatsApp", "share"),
        ("شارك: فيسبوك تويتر واتساب", "share"),
        ("Partager : Facebook Twitter", "share"),
        ("Paylaş: Facebook Twitter", "share"),
        ("اقرأ أيضًا: حرائق حقول القمح تقلق مزارعي الحسكة", "related"),
        ("Read also: Exhibition in Gaziantep showcases young painters", "related"),
        ("Lire aussi : la grève continue dans les transports", "related"),
        ("Lesen Sie auch: Neue Regeln für Mieter", "related"),
        ("Lee también: la sequía afecta a los agricultores", "related"),
        ("İlgili haberler: Yeni okul yılı başladı", "related"),
        ("© 2024 The Daily Ledger. All rights reserved.", "other"),
        ("جميع الحقوق محفوظة لعنب بلدي 2024", "other"),
        ("camera iconسيارات الهلال الأحمر في أثناء عملية التبادل", "caption"),
        ("We use cookies to improve your experience. Accept", "cookie"),
        ("Nous utilisons des cookies pour améliorer votre expérience. Accepter", "cookie"),
        ("Get our best stories in your inbox – subscribe to the newsletter", "newsletter"),
        ("اشترك في النشرة البريدية ليصلك أحدث الأخبار", "newsletter"),
    ],
)
def test_furniture_lines(cleaner, line, kind):
    kept, removed = cleaner.clean_blocks([BODY[0], line, BODY[1], BODY[2]], CleanContext())
    assert kept == BODY
    assert kinds(removed) == [kind]


def test_enab_baladi_appeal_run_removed(cleaner):
    appeal = [
        "الإعلام الموجّه يشوه الحقيقة في بلادنا ويطيل أمد الحرب..",
        "سوريا بحاجة للصحافة الحرة.. ونحن بحاجتك لنبقى مستقلين",
        "ادعم عنب بلدي",
        "دولار واحد شهريًا يصنع الفرق",
    ]
    body = ["نشر فصيل “جيش العزة” تسجيلًا مصورًا يظهر عددًا من مقاتلي قوات النظام، وفق ما قاله القيادي لعنب بلدي."] * 3
    ctx = CleanContext(site_names=[normalize("عنب بلدي")])
    kept, removed = cleaner.clean_blocks(body + appeal, ctx)
    assert kept == body
    assert kinds(removed) == ["donation"] * 4
    # in the middle of the body too
    kept, removed = cleaner.clean_blocks(body[:1] + appeal + body[1:], ctx)
    assert kept == body and len(removed) == 4


@pytest.mark.parametrize(
    "appeal",
    [
        ["Independent journalism needs you.", "Support The Daily Ledger from as little as $1 – it only takes a minute. Thank you."],
        ["Le journalisme indépendant a besoin de vous.", "Soutenez Le Courrier dès 1 € par mois.", "Faites un don"],
        ["Unterstützen Sie unabhängigen Journalismus.", "Jetzt spenden"],
        ["Apóyanos: hazte socio desde 1 € al mes."],
        ["Bağımsız gazeteciliğe destek olun.", "Bağış yapın"],
        ["الصحافة المستقلة تحتاج إلى دعمكم", "تبرع الآن لدعم استمرار تغطيتنا"],
    ],
)
def test_appeals_in_other_languages(cleaner, appeal):
    ctx = CleanContext(site_names=[normalize("The Daily Ledger"), normalize("Le Courrier")])
    kept, removed = cleaner.clean_blocks(BODY + appeal, ctx)
    assert kept == BODY, removed
    assert set(kinds(removed)) == {"donation"}


def test_article_about_donations_keeps_every_sentence(cleaner):
    body = [
        "The campaign asks Syrians abroad to donate one dollar a month to keep the camp school open, its organisers said.",
        "“Support from one dollar a month is enough for a notebook,” said Rania, a teacher at the school.",
        "Those who wish to donate can do so through the campaign website or at partner shops in Gaziantep.",
        "The school now teaches 300 children in two shifts, according to the camp administration.",
        "La campagne invite les habitants à faire un don d'un euro par mois, a expliqué l'organisatrice.",
        "أطلق ناشطون حملة تبرعات لإعادة تأهيل المدرسة، وقال أحد المنظمين لعنب بلدي إن التبرع يبدأ من دولار واحد شهريًا.",
    ]
    kept, removed = cleaner.clean_blocks(body, CleanContext(site_names=[normalize("Enab Baladi")]))
    assert kept == body and removed == []


def test_captions_match_images(cleaner):
    caption = "Olive harvest near Idlib - 3 November 2021 (Enab Baladi)"
    kept, removed = cleaner.clean_blocks(BODY + [caption], CleanContext(captions=[normalize(caption)]))
    assert kept == BODY and kinds(removed) == ["caption"]
    assert strip_icon_prefix("camera iconOlive harvest") == "Olive harvest"


def test_profile_text_patterns(cleaner):
    kept, removed = cleaner.clean_blocks(BODY + ["Enab Baladi's correspondent contributed"],
                                         CleanContext(drop_text_patterns=["^Enab Baladi's correspondent"]))
    assert kept == BODY and removed[0].rule.startswith("profile:")


def test_dom_pruning_and_guard(cleaner):
    paras = "".join(f"<p>{b}</p>" for b in BODY)
    page = (
        f"<html><body><article class='entry-content'>{paras}"
        "<div class='share-bar'>Share Facebook</div><div class='donation-box'><p>Donate now</p></div></article>"
        f"<div class='related-posts'>{paras}{paras}</div></body></html>"
    )
    tree = lxml_html.fromstring(page)
    removed = cleaner.prune_dom(tree)
    text = tree.text_content()
    assert "Share Facebook" not in text and "Donate now" not in text
    assert {r.kind for r in removed} >= {"share", "donation"}
    # a 'related' container holding most of the page's paragraphs is pruned only if small
    big = lxml_html.fromstring(f"<html><body><div class='post related'>{paras}{paras}</div></body></html>")
    cleaner.prune_dom(big)
    assert BODY[0] in big.text_content()


def test_repetition_learner_bounded_and_persisted():
    learner = RepetitionLearner(min_pages=3, max_blocks=100)
    template = "Zorblax fund keeps this site alive — give today"
    for page in ("a", "b"):
        assert learner.observe(page, [template, f"unique text of page {page} long enough"]) == []
    assert learner.split([template, "x" * 20]) == ([template, "x" * 20], [])
    learner.observe("a", [template])  # the same page again does not count
    assert dict(learner.store.candidate_blocks())[block_hash(template)] == 2
    assert not learner.is_template(block_hash(template))
    assert learner.observe("c", [template]) != []
    assert learner.split([template, "body text that stays"]) == (["body text that stays"], [template])
    assert learner.split([template]) == ([template], [])  # never empties an article
    for i in range(500):
        learner.observe(f"p{i}", [f"filler block number {i}"])
    counts = learner.store.block_counts()
    assert counts["candidates"] <= 100 and counts["learned"] == 1  # learned blocks are not evicted
    assert learner.store.stale_pages() == {"a": None, "b": None}  # "c" was cleaned when it taught the block
    copy = RepetitionLearner(min_pages=3, max_blocks=100)
    copy.load_json(learner.to_json())
    assert dict(copy.store.candidate_blocks()) == dict(learner.store.candidate_blocks())
    assert copy.store.learned_blocks() == learner.store.learned_blocks() == {block_hash(template)}
    assert copy.is_template(block_hash(template))


def test_phrase_set_whole_words_grouped_same_answers() -> None:
    """Whole-word phrases share one \\b(?:...)\\b group; answers are those of one alternative per phrase."""
    import re

    from pipelines.cleaning import PhraseSet, normalize

    phrases = [r"\bsaid\b", r"\bsays\b", "according to", r"\badd\b", r"\badded\b", r"don.t miss", "قال"]
    fast = PhraseSet(phrases)
    slow = re.compile("|".join(f"(?:{normalize(p)})" for p in phrases))
    assert fast.regex is not None and fast.regex.pattern.startswith(r"\b(?:")
    texts = ["he said so", "sayings", "she added that", "additional", "add it", "Don't miss this",
             "according to the ministry", "وقال المتحدث", "nothing here", "unsaid words", "says: yes"]
    for text in texts:
        norm = normalize(text)
        assert fast.search(norm) == bool(slow.search(norm)), text
    assert fast.count(normalize("he said, she says, they added")) == 3


@pytest.mark.parametrize(
    "line, kind, rule",
    [
        ("Advertisement", "other", "line:advert"),
        ("Passer la publicité", "other", "line:advert"),
        ("Image: Jane Doe/Independent Newspapers", "caption", "line:credit"),
        ("Foto [M]: Agentur", "caption", "line:credit"),
        ("Follow The Ledger on Twitter and Facebook for the latest news updates.", "share", "line:follow"),
        ("Folgst du schon der Zeitung auf Whatsapp?", "share", "line:follow"),
        ("Link copied", "share", "line:follow"),
        ("기사 URL이 복사되었습니다.", "share", "line:follow"),
        ("Got a story? Get in touch with our news team by emailing us at news@example.org.", "other", "line:contact"),
        ("Are floods hitting your area? Get in touch at news@example.org", "other", "line:contact"),
        ("Fehler gefunden? Jetzt melden.", "other", "line:contact"),
        ("For more stories like this, check our news page.", "other", "line:contact"),
        ("We may earn an affiliate commission from purchases made through links on this page.", "other", "line:affiliate"),
        ("Reporting by Jane Doe in Paris; Editing by John Smith", "other", "staff-credit"),
        ("- – additional reporting by Jane Doe", "other", "staff-credit"),
        ("Associated Press writer Jane Doe in Paris contributed to this report.", "other", "line:credits"),
        ("Redaktion: Erika Muster, Max Muster", "other", "line:credits"),
        ("Most read in Football", "related", "line:most_read"),
        ("MORE : Ten things to do this weekend", "related", "related-prefix"),
        ("READ NEXT: Storms expected over the weekend", "related", "related-prefix"),
        ("Les også: Slik blir været i helgen", "related", "related-prefix"),
        ("- Zum Artikel: Tarifrunde im Nahverkehr", "related", "related-prefix"),
        ("Stand: 22.04.2024, 06:00 Uhr", "widget", "timestamp"),
        ("05.08.2024, 20:59 Uhr", "widget", "timestamp"),
        ("20 Nisan 2026•Güncelleme: 20 Nisan 2026", "widget", "timestamp"),
        ("02:57 Min.. Verfügbar bis 06.05.2024.", "widget", "timestamp"),
        ("Von Anna Muster, Frankfurt", "other", "byline"),
        ("By Jane Doe and John Smith", "other", "byline"),
        ("By AFP", "other", "byline"),
    ],
)
def test_more_furniture_lines(cleaner, line, kind, rule):
    kept, removed = cleaner.clean_blocks([BODY[0], line, BODY[1], BODY[2]], CleanContext())
    assert kept == BODY
    assert [(r.kind, r.rule) for r in removed] == [(kind, rule)]


@pytest.mark.parametrize(
    "paragraph",
    [
        "The advertisement campaign cost the ministry 2 million euros, the auditor said in its report on Monday.",
        "Image rights were at the heart of the dispute between the club and the player, according to the court.",
        "Follow-up talks on Twitter's sale to the investors are expected next week, the company said on Friday.",
        "Police asked anyone with information to get in touch with detectives on 101, quoting the incident number.",
        "Anyone who found an error in their tax notice should contact the office within a month, the city said.",
        "The regulator said comparison sites may earn a commission on sales, which customers were not told about.",
        "Reporting by local journalists exposed the scheme in 2021, and the mayor resigned a month later.",
        "More than 200 people were evacuated from their homes on Tuesday as the river burst its banks.",
        "Most read books of the year were crime novels, the publishers' association said in its annual report.",
        "Dienstag, 27. August 2024",
        "The meeting on 22.04.2024 at 06:00 was cancelled after the union called a strike, the operator said.",
        "By Tuesday evening the fire had spread to the neighbouring forest, according to the fire brigade.",
        "Von Hamburg aus fahren die Züge nach dem Unwetter wieder planmäßig, teilte die Bahn am Abend mit.",
        "By midnight",
    ],
)
def test_real_paragraphs_like_the_new_rules_kept(cleaner, paragraph):
    kept, removed = cleaner.clean_blocks([BODY[0], paragraph, BODY[1], BODY[2]], CleanContext())
    assert removed == []
    assert kept == [BODY[0], paragraph, BODY[1], BODY[2]]


def test_headline_repeated_at_the_top_removed(cleaner):
    title = "Council approves the new budget after long debate"
    ctx = CleanContext(title=normalize(title))
    lines = [f"Budget 2025 {title}", *BODY, f"{title} was the headline of a rival paper, the mayor said."]
    kept, removed = cleaner.clean_blocks(lines, ctx)
    assert kept == lines[1:]
    assert [r.rule for r in removed] == ["title-repeat"]
    kept, removed = cleaner.clean_blocks([f"{title} | City News", *BODY], CleanContext(title=normalize(title)))
    assert kept == BODY and [r.rule for r in removed] == ["title-repeat"]


def test_read_also_teaser_title_on_its_own_line_removed(cleaner):
    teaser = "Storms expected to hit the coast over the weekend"
    kept, removed = cleaner.clean_blocks([BODY[0], teaser, BODY[1], f"Read more: {teaser}", BODY[2]], CleanContext())
    assert kept == BODY
    assert sorted(r.rule for r in removed) == ["related-prefix", "related-teaser-title"]
    # Without the teaser, a line like it stays.
    kept, removed = cleaner.clean_blocks([BODY[0], teaser, BODY[1], BODY[2]], CleanContext())
    assert removed == [] and teaser in kept


def test_restore_headings_does_not_bring_back_a_removed_line(cleaner):
    teaser = "Storms expected to hit the coast over the weekend"
    tree = lxml_html.fromstring(
        f"<html><body><article><p>{BODY[0]}</p><h3>{teaser}</h3><p>{BODY[1]}</p><p>Read more: {teaser}</p><p>{BODY[2]}</p>"
        "</article></body></html>"
    )
    ctx = CleanContext()
    kept, _ = cleaner.clean_blocks([BODY[0], teaser, BODY[1], f"Read more: {teaser}", BODY[2]], ctx)
    assert cleaner.restore_headings(tree, kept, ctx) == BODY
