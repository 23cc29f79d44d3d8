"""The HTML of the public knowledge pages: plain server-rendered pages that need no script.

Everything that comes from an article or a request is escaped with `html.escape`; the
catalogue's texts are escaped too, after their values are put in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import quote, urlencode

from chatbot.knowledge.index import Hit
from model import Article, Category

STYLE = (Path(__file__).parent / "static" / "kb.css").read_text(encoding="utf-8")
SCRIPT = (Path(__file__).parent / "static" / "kb.js").read_text(encoding="utf-8")
"""The language picker's script, served as /kb/kb.js: the content security policy runs no inline script."""
LANGUAGE_NAMES = {
    "ko": "한국어",
    "en": "English",
    "zh": "中文",
    "ja": "日本語",
    "vi": "Tiếng Việt",
    "mn": "Монгол",
}
"""Each language by its own name, as its readers look for it in the picker."""
HOME = "/kb/"


def article_path(article_id: str, language: str) -> str:
    """The article page's path: one per article and language."""
    return f"/kb/{language}/{quote(article_id, safe='')}"


def home_path(language: str, **query: str) -> str:
    """The search page in `language`, with an optional query."""
    return f"{HOME}?{urlencode({'lang': language, **query})}"


@dataclass(frozen=True)
class Chrome:
    """What every page shares: its language, the catalogue's `kb.*` texts in it, the hub's address."""

    language: str
    texts: dict[str, str]
    public_url: str

    def text(self, key: str, **values: object) -> str:
        """A catalogue text with its values put in, escaped for HTML."""
        return escape(self.texts[key].format(**values))

    def category(self, category: str) -> str:
        """A category's name for citizens; an imported category without one keeps its own."""
        return escape(self.texts.get(f"kb.category.{category}", category))


def home_page(chrome: Chrome, articles: list[Article], korean_has_more: bool) -> str:
    """The search box and every published article in the page's language, by category."""
    sections = []
    for category, items in _by_category(articles):
        sections.append(
            f'<section class="topic"><h3>{chrome.category(category)}</h3><ul>{_article_links(items)}</ul></section>'
        )
    korean = (
        f'<p class="more"><a href="{home_path("ko")}" hreflang="ko">{chrome.text("kb.more_in_korean")}'
        f' → <span lang="ko">{LANGUAGE_NAMES["ko"]}</span></a></p>'
        if korean_has_more
        else ""
    )
    main = f"""
<div class="hero">
  <h1>{chrome.text("kb.heading")}</h1>
  <p class="intro">{chrome.text("kb.intro")}</p>
  {_search_form(chrome)}
</div>
<section class="browse" aria-labelledby="browse-title">
  <h2 id="browse-title">{chrome.text("kb.browse")}</h2>
  {korean}
  <div class="topics">{"".join(sections)}</div>
</section>"""
    return _page(chrome, chrome.text("kb.site"), main, canonical=home_path(chrome.language))


def search_page(chrome: Chrome, query: str, hits: list[Hit]) -> str:
    """The results for `query`, each a link to its article with the start of its text."""
    if hits:
        items = "".join(
            f"""<li class="result">
  <a data-testid="kb-result" href="{article_path(hit.article.id, hit.article.language)}">{escape(hit.article.title)}</a>
  <p class="snippet">{escape(hit.snippet(160))}</p>
  <p class="tag">{chrome.category(hit.article.category)}</p>
</li>"""
            for hit in hits
        )
        found = f'<ol class="results">{items}</ol>'
    else:
        found = f'<p class="empty">{chrome.text("kb.no_results", query=query)}</p>'
    main = f"""
<div class="hero compact">
  {_search_form(chrome, query)}
</div>
<section aria-labelledby="results-title">
  <h1 id="results-title" class="results-title">{chrome.text("kb.results", query=query, count=len(hits))}</h1>
  {found}
  <p class="back"><a href="{home_path(chrome.language)}">← {chrome.text("kb.all_answers")}</a></p>
</section>"""
    return _page(chrome, chrome.text("kb.search_title", query=query), main, robots="noindex, follow")


def article_page(
    chrome: Chrome, article: Article, languages: list[str], related: list[Article], offices: list[dict[str, str]]
) -> str:
    """One article in one language, with the offices to call, its other languages and a few
    related articles."""
    paragraphs = "".join(f"<p>{escape(part)}</p>" for part in article.body.splitlines() if part.strip())
    others = [language for language in LANGUAGE_NAMES if language in languages and language != article.language]
    main = f"""
<p class="crumbs"><a href="{home_path(chrome.language)}">← {chrome.text("kb.all_answers")}</a>
  <span aria-hidden="true">·</span> {chrome.category(article.category)}</p>
<article class="answer">
  <h1 data-testid="kb-article-title">{escape(article.title)}</h1>
  {_outdated(chrome) if article.outdated else ""}
  <div class="body" data-testid="kb-article-body">{paragraphs}</div>
  {_offices(chrome, offices) if offices else ""}
</article>
{_translations(chrome, article.id, others) if others else ""}
{_related(chrome, related) if related else ""}
<div class="hero compact again">
  {_search_form(chrome)}
</div>"""
    alternates = "".join(
        f'<link rel="alternate" hreflang="{language}" href="{chrome.public_url}{article_path(article.id, language)}">'
        for language in languages
    )
    return _page(
        chrome,
        escape(article.title),
        main,
        canonical=article_path(article.id, article.language),
        description=escape(" ".join(article.body.split())[:160]),
        head=alternates,
        article_id=article.id,
    )


def _outdated(chrome: Chrome) -> str:
    return f'<p class="notice" role="note" data-testid="kb-article-outdated">{escape(chrome.text("kb.outdated"))}</p>'


def _offices(chrome: Chrome, offices: list[dict[str, str]]) -> str:
    items = "".join(
        f'<li>{escape(office["name"])} <a href="tel:{escape(office["number"])}">{escape(office["number"])}</a></li>'
        for office in offices
    )
    return f"""<section class="offices" data-testid="kb-article-directory">
    <h2>{escape(chrome.text("kb.directory"))}</h2><ul>{items}</ul></section>"""


def _translations(chrome: Chrome, article_id: str, languages: list[str]) -> str:
    links = "".join(
        f'<li><a href="{article_path(article_id, language)}" lang="{language}" hreflang="{language}">'
        f"{LANGUAGE_NAMES[language]}</a></li>"
        for language in languages
    )
    return f"""<nav class="languages" aria-labelledby="languages-title">
  <h2 id="languages-title">{chrome.text("kb.other_languages")}</h2>
  <ul>{links}</ul>
</nav>"""


def _related(chrome: Chrome, articles: list[Article]) -> str:
    return f"""<section class="related" aria-labelledby="related-title">
  <h2 id="related-title">{chrome.text("kb.related")}</h2>
  <ul>{_article_links(articles)}</ul>
</section>"""


def _article_links(articles: Iterable[Article]) -> str:
    """One list item per article, each a link to its page."""
    return "".join(
        f'<li><a href="{article_path(item.id, item.language)}">{escape(item.title)}</a></li>' for item in articles
    )


def not_found_page(chrome: Chrome) -> str:
    """What a citizen sees at an address that has no published article."""
    main = f"""
<div class="hero">
  <h1>{chrome.text("kb.not_found_title")}</h1>
  <p class="intro">{chrome.text("kb.not_found")}</p>
  {_search_form(chrome)}
  <p class="back"><a href="{home_path(chrome.language)}">← {chrome.text("kb.all_answers")}</a></p>
</div>"""
    return _page(chrome, chrome.text("kb.not_found_title"), main, robots="noindex")


def _by_category(articles: Iterable[Article]) -> list[tuple[str, list[Article]]]:
    """Articles grouped by category: the hub's categories in their order, any others after."""
    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(article.category, []).append(article)
    order = [category.value for category in Category]
    return sorted(
        groups.items(), key=lambda group: (order.index(group[0]) if group[0] in order else len(order), group[0])
    )


def _search_form(chrome: Chrome, query: str = "") -> str:
    return f"""<form class="search" role="search" action="{HOME}" method="get">
    <input type="hidden" name="lang" value="{chrome.language}">
    <label for="kb-q">{chrome.text("kb.search_label")}</label>
    <div class="field">
      <input id="kb-q" name="q" type="search" value="{escape(query)}" data-testid="kb-search-input"
        maxlength="200" autocomplete="off" enterkeyhint="search" aria-describedby="kb-q-example">
      <button type="submit" data-testid="kb-search-submit">{chrome.text("kb.search_submit")}</button>
    </div>
    <p id="kb-q-example" class="example">{chrome.text("kb.search_example")}</p>
  </form>"""


def _language_form(chrome: Chrome, article_id: str | None) -> str:
    """The language picker: a plain form (its button shows without script; with it, choosing
    is enough). On an article page it asks for the same article in the chosen language."""
    options = "".join(
        f'<option value="{code}" lang="{code}"{" selected" if code == chrome.language else ""}>{name}</option>'
        for code, name in LANGUAGE_NAMES.items()
    )
    article = f'<input type="hidden" name="article" value="{escape(article_id)}">' if article_id else ""
    return f"""<form class="language" action="{HOME}" method="get">
    <label for="kb-language">{chrome.text("kb.language")}</label>
    <select id="kb-language" name="lang" data-testid="kb-language">{options}</select>
    {article}
    <noscript><button type="submit">{chrome.text("kb.language_apply")}</button></noscript>
  </form>"""


def _page(
    chrome: Chrome,
    title: str,
    main: str,
    *,
    canonical: str | None = None,
    description: str | None = None,
    robots: str | None = None,
    head: str = "",
    article_id: str | None = None,
) -> str:
    """The frame of every page; `title` and `description` come escaped."""
    site = chrome.text("kb.site")
    full_title = title if title == site else f"{title} | {site}"
    meta = [
        f'<link rel="canonical" href="{chrome.public_url}{canonical}">' if canonical else "",
        f'<meta name="description" content="{description}">' if description else "",
        f'<meta name="robots" content="{robots}">' if robots else "",
    ]
    return f"""<!doctype html>
<html lang="{chrome.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{full_title}</title>
{"".join(meta)}{head}
<link rel="alternate" type="application/feed+json" href="/kb/feed.json?lang={chrome.language}" title="{site}">
<style>{STYLE}</style>
<script src="/kb/kb.js" defer></script>
</head>
<body>
<a class="skip" href="#main">{chrome.text("kb.skip")}</a>
<header class="top">
  <div class="bar">
    <a class="brand" href="{home_path(chrome.language)}">{site}</a>
    {_language_form(chrome, article_id)}
  </div>
</header>
<main id="main" tabindex="-1">
{main}
</main>
<footer class="bottom">
  <p>{chrome.text("kb.contact")}</p>
  <p><a class="call" href="tel:120">☎ 120</a></p>
</footer>
</body>
</html>
"""
