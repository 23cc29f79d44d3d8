"""Chinese and Japanese search terms: character bigrams and single characters.

Both write without spaces, and no segmenter ships in a package small enough: bigrams of
each run of ideographs or kana match words without knowing where they end (护照, 丢失,
パスポート), single characters the one-character words (交 pay, 借 borrow). Question words
and particles are cut out first, so that they neither match nor glue two words into a
bigram no article has. Latin words and numbers (QR, ETAX, 120) stay words.
"""

from __future__ import annotations

import re

from chatbot.knowledge.terms import GRAM, LATIN_WORD, Phrases, grams, normalise

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HIRAGANA = "\u3041-\u309f"
_KATAKANA = "\u30a0-\u30ff"
_CHINESE_RUN = re.compile(f"[{_HAN}]+")
# Japanese words change script inside (忘れ物, 借りる): each script's run is its own piece.
_JAPANESE_RUN = re.compile(f"[{_HAN}]+|[{_KATAKANA}]+|[{_HIRAGANA}]+")
_HIRAGANA_RUN = re.compile(f"^[{_HIRAGANA}]+$")
MIN_HIRAGANA = 3
"""Shorter hiragana runs are particles and verb endings (を, が, りる)."""

SEPARATOR = " "

CHINESE_STOP = Phrases(
    dict.fromkeys(
        """
        请问 请 问一下 一下 谁 怎么办 怎么样 怎么 怎样 如何 哪里 哪儿 在哪 什么 为什么 时候 可以 能不能 能否 能 需要
        应该 把 里 我们 你们 他们 我的 你的 我 你 他 她 您 想要 想 要 知道 告诉 有没有 有 是不是 是 吗 呢 了 的 吧 啊 呀
        么 嘛 得 着 过 就 都 也 很 太 这个 那个 这 那 一个 现在 已经 谢谢 你好
        """.split(),
        SEPARATOR,
    )
)

CHINESE_SYNONYMS = Phrases(
    {
        "共享单车": "公共自行车",
        "单车": "自行车",
        "打车": "出租车",
        "的士": "出租车",
        "计程车": "出租车",
        "巴士": "公交车",
        "公车": "公交车",
        "公交车": "公交车",
        "公交": "公交车",
        "忘在": "丢失",
        "丢在": "丢失",
        "落在": "丢失",
        "丢了": "丢失",
        "弄丢": "丢失",
        "遗失": "丢失",
        "被偷": "被盗",
        "过期": "到期",
        "自来水费": "水费",
        "水钱": "水费",
        "月票": "定期票",
        "话费": "电话费",
        "这么贵": "太高",
        "太贵": "太高",
        "热线": "电话",
    }
)

# The few Traditional characters the knowledge base's Chinese needs, as Simplified.
_TRADITIONAL = str.maketrans(
    "護發過費車電話鐵遺證補辦號壞險預問請麼這聽錢單臺區廳醫療們簽報還滿氣狀",
    "护发过费车电话铁遗证补办号坏险预问请么这听钱单台区厅医疗们签报还满气状",
)

JAPANESE_STOP = Phrases(
    dict.fromkeys(
        """
        ください 下さい でしょうか ですか ですが です ませんか ません ました ます したいです したい たいです たい
        どうやって どうすれば どうしたら どう どこで どこに どこ いつから いつまで いつ 何時 なに 何 誰 教えて
        知りたい 聞きたい について んですが のですが すみません お願い なんですが みたいな ってどう って
        """.split(),
        SEPARATOR,
    )
)

JAPANESE_SYNONYMS = Phrases(
    {
        "携帯電話": "スマホ",
        "携帯": "スマホ",
        "ケータイ": "スマホ",
        "置き忘れ": "忘れ",
        "無くし": "なくし",
        "失くし": "なくし",
        "落とし": "なくし",
        "紛失": "なくし",
        "水道代": "水道料金",
        "レンタル": "借り",
        "チャリ": "自転車",
        "乗り継ぎ": "乗り換え",
        "乗換": "乗り換え",
        "旅券": "パスポート",
        "期限切れ": "期限切れ 更新",
    }
)


class ChineseAnalyser:
    """Chinese text, Simplified or Traditional, to character grams."""

    grams_are_words = True

    def terms(self, text: str) -> list[str]:
        """Bigrams and characters of each run of ideographs between question words; Latin words."""
        text = CHINESE_STOP.apply(CHINESE_SYNONYMS.apply(normalise(text).translate(_TRADITIONAL)))
        terms = LATIN_WORD.findall(text)
        for run in _CHINESE_RUN.findall(text):
            terms.extend(_grams_and_characters(run))
        return terms


class JapaneseAnalyser:
    """Japanese text to character grams."""

    grams_are_words = True

    def terms(self, text: str) -> list[str]:
        """Bigrams and characters of each run of kanji and of katakana, bigrams of longer
        hiragana runs; Latin words."""
        text = JAPANESE_STOP.apply(JAPANESE_SYNONYMS.apply(normalise(text)))
        terms = LATIN_WORD.findall(text)
        for run in _JAPANESE_RUN.findall(text):
            if _HIRAGANA_RUN.match(run):
                if len(run) >= MIN_HIRAGANA:
                    terms.extend(grams(run))
            else:
                terms.extend(_grams_and_characters(run))
        return terms


def _grams_and_characters(run: str) -> list[str]:
    """Bigrams and single characters: one character is often a word (交 pay, 借 borrow)."""
    return grams(run) + ([GRAM + character for character in run] if len(run) > 1 else [])
