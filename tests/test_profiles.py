from __future__ import annotations

from pathlib import Path

import pytest

from crawler.profiles import ProfileError, list_profiles, load_profile, profile_for_url


def test_shipped_profiles_load():
    names = list_profiles()
    assert {"enabbaladi", "enabbaladi-en", "demo"} <= set(names)
    for name in names:
        profile = load_profile(name)
        assert profile.name == name
        assert profile.allowed_domains
        assert all(u.startswith("http") for u in profile.start_urls + profile.feeds + profile.sitemaps)


def test_enabbaladi_patterns():
    ar = load_profile("enabbaladi")
    assert ar.language == "ar" and ar.timezone == "Asia/Damascus"
    assert ar.is_article_url("https://www.enabbaladi.net/archives/372146")
    assert not ar.is_article_url("https://www.enabbaladi.net/archives/category/news")
    assert ar.feeds == ["https://www.enabbaladi.net/feed"]
    en = load_profile("enabbaladi-en")
    assert en.is_article_url("https://english.enabbaladi.net/archives/2024/03/some-story-title/")
    assert not en.is_article_url("https://english.enabbaladi.net/archives/category/news/")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "body, field",
    [
        ('name = "x"\n', "base_url"),
        ('name = "X Y"\nbase_url = "https://a.org/"\n', "name"),
        ('name = "x"\nbase_url = "ftp://a.org/"\n', "base_url"),
        ('name = "x"\nbase_url = "https://a.org/"\nstart_url = ["/"]\n', "start_url"),
        ('name = "x"\nbase_url = "https://a.org/"\narticle_patterns = ["("]\n', "article_patterns[0]"),
        ('name = "x"\nbase_url = "https://a.org/"\ntimezone = "Mars/Base"\n', "timezone"),
        ('name = "x"\nbase_url = "https://a.org/"\nfeeds = "/feed"\n', "feeds"),
        ('name = "x"\nbase_url = "https://a.org/"\nallowed_domains = ["https://a.org"]\n', "allowed_domains[0]"),
        ('name = "x"\nbase_url = "https://a.org/"\n[extraction]\ndrop_selectors = ["div[["]\n',
         "extraction.drop_selectors[0]"),
        ('name = "x"\nbase_url = "https://a.org/"\n[extraction]\nselectors = []\n', "extraction.selectors"),
    ],
)
def test_invalid_profile_names_file_and_field(tmp_path, body, field):
    path = _write(tmp_path, body)
    with pytest.raises(ProfileError) as err:
        load_profile(str(path))
    assert str(path) in str(err.value)
    assert f"'{field}'" in str(err.value)


def test_bad_toml_and_unknown_name(tmp_path):
    path = _write(tmp_path, "name = \n")
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile(str(path))
    with pytest.raises(ProfileError, match="available: .*enabbaladi"):
        load_profile("no-such-site")


def test_rebase_and_adhoc():
    demo = load_profile("demo").rebase("http://127.0.0.1:9999/")
    assert demo.allowed_domains == ["127.0.0.1"]
    assert demo.feeds == ["http://127.0.0.1:9999/feed/", "http://127.0.0.1:9999/en/feed/"]
    assert demo.start_urls[0] == "http://127.0.0.1:9999/"
    adhoc = profile_for_url("https://example.org/news/")
    assert adhoc.allowed_domains == ["example.org"] and adhoc.start_urls == ["https://example.org/news/"]
    with pytest.raises(ProfileError):
        profile_for_url("example.org")
