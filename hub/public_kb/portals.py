"""What portals and search engines read: the sitemap and the JSON Feed of published articles."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from hub.public_kb.pages import article_path, home_path
from model import Article

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def sitemap(public_url: str, articles: list[Article]) -> str:
    """Every article page (sitemaps.org), each with its pages in the other languages as
    alternates, so that a search engine shows a citizen the page in their language."""
    by_id: dict[str, list[Article]] = {}
    for article in articles:
        by_id.setdefault(article.id, []).append(article)
    urls = []
    for variants in by_id.values():
        alternates = "".join(
            f'<xhtml:link rel="alternate" hreflang="{variant.language}"'
            f' href="{escape(public_url + article_path(variant.id, variant.language))}"/>'
            for variant in variants
        )
        urls += [
            f"<url><loc>{escape(public_url + article_path(variant.id, variant.language))}</loc>{alternates}</url>"
            for variant in variants
        ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
        + "\n".join(urls)
        + "\n</urlset>\n"
    )


def feed(public_url: str, articles: list[Article], texts: dict[str, str], language: str | None) -> str:
    """A JSON Feed 1.1 of the articles, UTF-8 text as its readers expect (not \\u escapes);
    `texts` are the catalogue's `kb.*` texts in the feed's language. Each item's id is its
    page's address; `_dasan` carries the article's id and category."""
    query = f"?lang={language}" if language else ""
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": texts["kb.site"],
        "description": texts["kb.feed_description"],
        "home_page_url": public_url + (home_path(language) if language else "/kb/"),
        "feed_url": f"{public_url}/kb/feed.json{query}",
        "authors": [{"name": texts["kb.site"], "url": f"{public_url}/kb/"}],
    }
    if language:
        document["language"] = language
    document["items"] = [_item(public_url, article) for article in articles]
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _item(public_url: str, article: Article) -> dict[str, Any]:
    url = public_url + article_path(article.id, article.language)
    return {
        "id": url,
        "url": url,
        "title": article.title,
        "content_text": article.body,
        "language": article.language,
        "tags": list(article.keywords),
        "_dasan": {"article_id": article.id, "category": article.category},
    }
