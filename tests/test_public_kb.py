"""The public knowledge pages at /kb/ (docs/api.md, "Public knowledge pages"): what a citizen
reads and searches without logging in, and what portals fetch (sitemap, JSON Feed).

The HTTP tests run the hub in-process on each engine; the browser tests run a real
`dasan serve` and Debian's Chromium, as tests/test_browser.py does.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Locator, Page, expect

from chatbot.knowledge.files import demo_articles
from hub.config import Settings
from hub.core import Hub
from model import Article
from tests.browsers import PageWatch, serious_violations
from tests.conftest import hub_settings

PUBLIC_URL = "https://dasan.example.seoul.kr"
PASSPORT = "district-002"
"""The demo's passport reissue article, written in all six languages."""
KOREAN_ONLY = "transport-029"
"""A demo article without variants (car number plates)."""
HOSTILE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'

# A citizen's words for a passport reissue in each language (Vietnamese without diacritics,
# Mongolian in Latin letters, as they are typed on a phone).
PASSPORT_QUERIES = {
    "ko": "여권 재발급",
    "en": "passport renewal",
    "zh": "护照换发",
    "ja": "パスポート更新",
    "vi": "cap lai ho chieu",
    "mn": "pasport sungah",
}
SIMPLE_TAGS = {"input", "meta", "link", "br", "img", "hr"}


@dataclass
class Element:
    tag: str
    attributes: dict[str, str | None]
    text: str = ""


@dataclass
class Html:
    """A served page as a browser reads it: its language, title, links, and the elements
    that carry a data-testid with their text."""

    lang: str | None = None
    links: list[str] = field(default_factory=list)
    elements: list[Element] = field(default_factory=list)

    @property
    def title(self) -> str:
        return next(element.text for element in self.elements if element.tag == "title")

    def testid(self, name: str) -> list[Element]:
        return [element for element in self.elements if element.attributes.get("data-testid") == name]

    def one(self, name: str) -> Element:
        found = self.testid(name)
        assert len(found) == 1, f"{len(found)} elements {name!r}"
        return found[0]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = Html()
        self._open: list[Element | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.page.lang = attributes.get("lang")
        if tag == "a" and attributes.get("href"):
            self.page.links.append(str(attributes["href"]))
        element = Element(tag, attributes) if "data-testid" in attributes or tag in ("title", "option") else None
        if element is not None:
            self.page.elements.append(element)
        if tag not in SIMPLE_TAGS:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag not in SIMPLE_TAGS:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element in self._open:
            if element is not None:
                element.text += data


def read_html(text: str) -> Html:
    reader = _Reader()
    reader.feed(text)
    reader.close()
    return reader.page


async def fetch(client: TestClient, path: str, status: int = 200, headers: dict[str, str] | None = None) -> Html:
    response = await client.get(path, headers=headers, allow_redirects=False)
    assert response.status == status, await response.text()
    assert response.content_type == "text/html"
    return read_html(await response.text())


def selected_language(page: Html) -> str | None:
    picker = page.one("kb-language")
    assert picker.tag == "select"
    chosen = [element for element in page.elements if element.tag == "option" and "selected" in element.attributes]
    return chosen[0].attributes["value"] if len(chosen) == 1 else None


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The hub as citizens reach it through its public address (absolute links use it)."""
    return hub_settings(database_url, public_url=PUBLIC_URL)


# -- search and articles ---------------------------------------------------------------------


@pytest.mark.parametrize("language", list(PASSPORT_QUERIES))
async def test_a_citizen_finds_the_passport_answer_in_their_language(client: TestClient, language: str) -> None:
    page = await fetch(client, "/kb/?" + urlencode({"lang": language, "q": PASSPORT_QUERIES[language]}))
    assert page.lang == language
    assert selected_language(page) == language
    assert page.one("kb-search-input").attributes["value"] == PASSPORT_QUERIES[language]
    results = page.testid("kb-result")
    assert results, "no results"
    assert results[0].attributes["href"] == f"/kb/{language}/{PASSPORT}"
    # Only articles written in the citizen's language, each a link to its page.
    assert all(str(result.attributes["href"]).startswith(f"/kb/{language}/") for result in results)

    article = await fetch(client, str(results[0].attributes["href"]))
    assert article.lang == language
    written = [item for item in demo_articles() if item.id == PASSPORT and item.language == language][0]
    assert article.one("kb-article-title").text == written.title
    assert " ".join(article.one("kb-article-body").text.split()) == " ".join(written.body.split())
    assert written.title in article.title


async def test_an_article_links_its_other_languages_and_the_picker_keeps_it(client: TestClient) -> None:
    page = await fetch(client, f"/kb/en/{PASSPORT}")
    assert {f"/kb/{language}/{PASSPORT}" for language in ("ko", "zh", "ja", "vi", "mn")} <= set(page.links)

    # The language picker on an article page asks for the same article in the chosen language...
    response = await client.get(f"/kb/?lang=ja&article={PASSPORT}", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == f"/kb/ja/{PASSPORT}"
    # ...or for the language's first page when the article is not written in it.
    response = await client.get(f"/kb/?lang=ja&article={KOREAN_ONLY}", allow_redirects=False)
    assert response.status == 303
    assert urlsplit(response.headers["Location"]).path == "/kb/"
    assert parse_qs(urlsplit(response.headers["Location"]).query) == {"lang": ["ja"]}


async def test_the_first_page_links_every_article_of_its_language_once(client: TestClient) -> None:
    for language in ("ko", "vi"):
        page = await fetch(client, f"/kb/?lang={language}")
        written = {f"/kb/{language}/{item.id}" for item in demo_articles() if item.language == language}
        article_links = [link for link in page.links if link.startswith(f"/kb/{language}/")]
        assert sorted(article_links) == sorted(written)
        assert page.testid("kb-search-input") and page.testid("kb-search-submit")


async def test_without_a_choice_the_browsers_language_decides(client: TestClient) -> None:
    response = await client.get("/kb/", headers={"Accept-Language": "fr-FR,vi;q=0.8,ko;q=0.5"})
    assert response.status == 200
    assert read_html(await response.text()).lang == "vi"
    assert "Accept-Language" in response.headers["Vary"]
    assert (await fetch(client, "/kb/", headers={"Accept-Language": "de"})).lang == "ko"


async def test_a_search_that_finds_nothing_says_so(client: TestClient) -> None:
    page = await fetch(client, "/kb/?lang=ko&q=양자역학 초전도체")
    assert page.testid("kb-result") == []
    assert page.lang == "ko"


@pytest.mark.parametrize(
    ("path", "language"),
    [
        (f"/kb/fr/{PASSPORT}", "ko"),  # a language the hub does not speak: the page is in Korean
        ("/kb/en/no-such-article", "en"),
        (f"/kb/mn/{KOREAN_ONLY}", "mn"),  # written in Korean only
        ("/kb/?lang=fr", "ko"),
        ("/kb/xx/", "ko"),
    ],
)
async def test_unknown_articles_and_languages_are_a_readable_404(client: TestClient, path: str, language: str) -> None:
    page = await fetch(client, path, status=404)
    assert page.lang == language
    assert page.testid("kb-search-input"), "a way on from the error page"
    assert page.testid("kb-article-title") == []


# -- hostile content -------------------------------------------------------------------------


async def test_a_hostile_article_and_query_are_shown_as_text(client: TestClient, hub: Hub) -> None:
    await hub.knowledge.load(
        [Article("evil-1", "other", f"여권 {HOSTILE}", f'본문 "{HOSTILE}" 끝', ("여권", HOSTILE), "ko")]
    )
    hostile_search = "/kb/?" + urlencode({"lang": "ko", "q": f"여권 {HOSTILE}"})
    for path in ("/kb/ko/evil-1", hostile_search, "/kb/?lang=ko"):
        response = await client.get(path)
        text = await response.text()
        assert response.status == 200
        assert "<script>window.__xss" not in text
        assert "<img src=x" not in text
    article = await fetch(client, "/kb/ko/evil-1")
    assert article.one("kb-article-title").text == f"여권 {HOSTILE}"
    search = await fetch(client, hostile_search)
    assert search.one("kb-search-input").attributes["value"] == f"여권 {HOSTILE}"
    assert "/kb/ko/evil-1" in [result.attributes["href"] for result in search.testid("kb-result")]

    feed = await (await client.get("/kb/feed.json?lang=ko")).json()
    assert f"여권 {HOSTILE}" in [item["title"] for item in feed["items"]]
    sitemap = await client.get("/kb/sitemap.xml")
    ET.fromstring(await sitemap.read())  # still well-formed


# -- portals ---------------------------------------------------------------------------------


async def test_the_sitemap_lists_every_article_page_at_the_public_address(client: TestClient) -> None:
    response = await client.get("/kb/sitemap.xml")
    assert response.status == 200
    assert response.content_type == "application/xml"
    root = ET.fromstring(await response.read())
    namespace = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    assert root.tag == f"{namespace}urlset"
    listed = [loc.text for loc in root.iter(f"{namespace}loc")]
    expected = {f"{PUBLIC_URL}/kb/{item.language}/{item.id}" for item in demo_articles()}
    assert len(listed) == len(expected)
    assert set(listed) == expected
    # Each listed page is there for a citizen who follows it.
    for url in (f"{PUBLIC_URL}/kb/zh/{PASSPORT}", f"{PUBLIC_URL}/kb/ko/{KOREAN_ONLY}"):
        assert url in listed
        assert (await client.get(url.removeprefix(PUBLIC_URL))).status == 200


async def test_the_feed_is_a_json_feed_of_the_published_articles(client: TestClient) -> None:
    response = await client.get("/kb/feed.json")
    assert response.status == 200
    assert response.content_type == "application/feed+json"
    feed = json.loads(await response.text())
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"]
    assert feed["feed_url"] == f"{PUBLIC_URL}/kb/feed.json"
    assert feed["home_page_url"].startswith(f"{PUBLIC_URL}/kb/")
    articles = demo_articles()
    assert len(feed["items"]) == len(articles)
    assert len({item["id"] for item in feed["items"]}) == len(articles)
    for item in feed["items"]:
        assert item["url"].startswith(f"{PUBLIC_URL}/kb/{item['language']}/")
        assert item["title"] and item["content_text"]
    passport = [item for item in feed["items"] if item["url"] == f"{PUBLIC_URL}/kb/vi/{PASSPORT}"][0]
    assert passport["title"] == "Cách xin cấp lại hộ chiếu"
    assert passport["_dasan"] == {"article_id": PASSPORT, "category": "district"}

    english = await (await client.get("/kb/feed.json?lang=en")).json()
    assert english["language"] == "en"
    assert {item["language"] for item in english["items"]} == {"en"}
    assert len(english["items"]) == sum(item.language == "en" for item in articles)
    assert (await client.get("/kb/feed.json?lang=fr")).status == 404


async def test_portals_poll_cheaply_and_see_a_change(client: TestClient, hub: Hub) -> None:
    first = await client.get("/kb/feed.json?lang=ko")
    etag = first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    assert "public" in first.headers["Cache-Control"]

    again = await client.get("/kb/feed.json?lang=ko", headers={"If-None-Match": etag})
    assert again.status == 304
    assert await again.read() == b""

    changed = Article(PASSPORT, "district", "여권 재발급 안내(개정)", "새 안내문입니다.", ("여권",), "ko")
    await hub.knowledge.load([changed])
    after = await client.get("/kb/feed.json?lang=ko", headers={"If-None-Match": etag})
    assert after.status == 200
    assert after.headers["ETag"] != etag
    assert "여권 재발급 안내(개정)" in [item["title"] for item in (await after.json())["items"]]

    # Pages too: a browser's second visit costs no body.
    page = await client.get(f"/kb/ko/{PASSPORT}")
    assert "max-age" in page.headers["Cache-Control"]
    repeat = await client.get(f"/kb/ko/{PASSPORT}", headers={"If-None-Match": page.headers["ETag"]})
    assert repeat.status == 304


# -- in a browser ----------------------------------------------------------------------------


async def _tab_to(page: Page, target: Locator, presses: int = 15) -> None:
    """Press Tab until `target` has the focus, as a keyboard user would."""
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await target.evaluate("element => element === document.activeElement"):
            return
    await expect(target).to_be_focused()


@pytest.mark.browser
async def test_a_citizen_searches_reads_and_switches_language(hub_url: str, browser: Browser) -> None:
    watch = PageWatch()
    context = await browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
    page = watch.watch(await context.new_page(), "citizen")
    await page.goto(f"{hub_url}/kb/")
    await expect(page.locator("html")).to_have_attribute("lang", "ko")
    await page.get_by_test_id("kb-search-input").fill("여권 재발급")
    await page.get_by_test_id("kb-search-submit").click()
    await expect(page.get_by_test_id("kb-result").first).to_have_text("여권 재발급 신청 방법")
    await page.get_by_test_id("kb-result").first.click()
    await expect(page.get_by_test_id("kb-article-title")).to_have_text("여권 재발급 신청 방법")
    await expect(page.get_by_test_id("kb-article-body")).to_contain_text("정부24")

    # The picker turns the same article into English.
    await page.get_by_test_id("kb-language").select_option("en")
    await expect(page).to_have_url(f"{hub_url}/kb/en/{PASSPORT}")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_test_id("kb-article-title")).to_have_text("How to apply for a passport reissue")
    await expect(page.get_by_test_id("kb-language")).to_have_value("en")
    await context.close()
    assert watch.problems == []


@pytest.mark.browser
async def test_the_pages_work_without_javascript_in_english(hub_url: str, browser: Browser) -> None:
    context = await browser.new_context(locale="en-GB", java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{hub_url}/kb/")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.get_by_test_id("kb-search-input").fill("passport renewal")
    await page.get_by_test_id("kb-search-submit").click()
    await page.get_by_test_id("kb-result").first.click()
    await expect(page.get_by_test_id("kb-article-title")).to_have_text("How to apply for a passport reissue")
    await expect(page.get_by_test_id("kb-article-body")).to_contain_text("Government24")

    # Without a script the picker has its own button.
    await page.get_by_test_id("kb-language").select_option("zh")
    await page.get_by_role("button", name="Change").click()
    await expect(page.locator("html")).to_have_attribute("lang", "zh")
    await expect(page.get_by_test_id("kb-article-title")).to_have_text("护照重新签发的申请方法")
    await context.close()


@pytest.mark.browser
async def test_keyboard_only_and_no_serious_accessibility_violation(hub_url: str, browser: Browser) -> None:
    watch = PageWatch()
    context = await browser.new_context(locale="ko-KR")
    page = watch.watch(await context.new_page(), "citizen")
    await page.goto(f"{hub_url}/kb/?lang=ko")
    await _tab_to(page, page.get_by_test_id("kb-search-input"))
    await page.keyboard.type("따릉이 대여")
    await page.keyboard.press("Enter")
    first = page.get_by_test_id("kb-result").first
    await expect(first).to_have_text("따릉이 대여 방법")
    assert await serious_violations(page) == []

    await _tab_to(page, first)
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("kb-article-title")).to_have_text("따릉이 대여 방법")
    assert await serious_violations(page) == []

    for path in ("/kb/?lang=zh&q=护照换发", f"/kb/zh/{PASSPORT}", "/kb/?lang=mn", "/kb/ko/no-such-article"):
        await page.goto(f"{hub_url}{path}")
        assert await serious_violations(page) == [], path
    await context.close()
    assert watch.problems == []
