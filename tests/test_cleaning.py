"""Rule cleaning (pipelines/cleaning.py) and the repetition learner, unit level."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from pipelines.cleaning import CleanContext, Cleaner, normalize, strip_icon_prefix
from pipelines.repetition import RepetitionLearner

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
    assert not learner.is_template(next(iter(learner.blocks)))
    assert learner.observe("c", [template]) != []
    assert learner.split([template, "body text that stays"]) == (["body text that stays"], [template])
    assert learner.split([template]) == ([template], [])  # never empties an article
    for i in range(500):
        learner.observe(f"p{i}", [f"filler block number {i}"])
    assert len(learner.blocks) <= 100
    copy = RepetitionLearner(min_pages=3, max_blocks=100)
    copy.load_json(learner.to_json())
    assert copy.blocks.keys() == learner.blocks.keys()


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
