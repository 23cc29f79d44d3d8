"""Gives a conversation its category (DESIGN.md) from its first messages, in any language."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from hub.model import Category

# Words that point to a category in each of the six languages. Ingest falls back on the
# knowledge base, which knows far more Korean words than this list.
_KEYWORDS: dict[Category, list[str]] = {
    Category.TRANSPORT: [
        "버스", "지하철", "따릉이", "자전거", "택시", "교통", "주차", "주정차", "분실물", "유실물", "교통카드", "티머니", "정류장", "환승", "심야",
        "bus", "subway", "metro", "train", "taxi", "bike", "bicycle", "parking", "transport", "lost and found", "left my", "t-money",
        "公交", "地铁", "出租车", "自行车", "停车", "交通",
        "バス", "地下鉄", "タクシー", "自転車", "駐車", "交通",
        "xe buýt", "tàu điện", "taxi", "xe đạp", "đỗ xe", "giao thông",
        "автобус", "метро", "такси", "унадаг дугуй", "зогсоол", "тээвэр",
    ],
    Category.WATER: [
        "수도", "상수도", "수돗물", "누수", "녹물", "단수", "계량기", "하수",
        "water bill", "water leak", "leak", "tap water", "water meter", "no water", "water supply",
        "水费", "漏水", "自来水", "停水", "水表",
        "水道", "漏水", "断水", "水道料金",
        "tiền nước", "rò rỉ nước", "nước máy", "mất nước", "đồng hồ nước",
        "усны төлбөр", "ус алдаж", "ус тасар", "усны тоолуур",
    ],
    Category.CITY: [
        "청년수당", "축제", "행사", "한강", "복지", "주택", "일자리", "서울시", "문화", "공원", "미세먼지", "전시", "공연", "지원금",
        "festival", "event", "youth allowance", "welfare", "housing", "job", "museum", "park", "seoul city",
        "节日", "活动", "福利", "住房", "工作", "公园",
        "祭り", "イベント", "福祉", "住宅", "仕事", "公園",
        "lễ hội", "sự kiện", "phúc lợi", "nhà ở", "việc làm", "công viên",
        "наадам", "арга хэмжээ", "халамж", "орон сууц", "ажлын байр", "цэцэрлэгт хүрээлэн",
    ],
    Category.DISTRICT: [
        "여권", "등본", "초본", "주민등록", "전입", "인감", "구청", "주민센터", "동사무소", "소음", "쓰레기", "무단투기", "대형폐기물", "보건소", "예방접종", "자동차세", "지방세", "과태료",
        "passport", "resident registration", "certificate", "district office", "community center", "noise", "garbage", "trash", "vaccination", "vaccine", "health center", "tax",
        "护照", "居民登记", "区厅", "噪音", "垃圾", "疫苗", "保健所",
        "パスポート", "住民登録", "区役所", "騒音", "ゴミ", "ごみ", "予防接種", "保健所",
        "hộ chiếu", "đăng ký cư trú", "ủy ban quận", "tiếng ồn", "rác", "tiêm chủng", "vắc xin", "thuế",
        "паспорт", "оршин суугч", "дүүргийн", "дуу чимээ", "хог", "вакцин", "татвар",
    ],
    Category.OTHER: [
        "전화번호", "번호 알려", "연락처", "보이스피싱", "스팸", "날씨", "응급",
        "phone number", "contact number", "scam", "phishing", "spam", "weather", "emergency",
        "电话号码", "诈骗", "天气", "急救",
        "電話番号", "詐欺", "天気", "救急",
        "số điện thoại", "lừa đảo", "thời tiết", "cấp cứu",
        "утасны дугаар", "залилан", "цаг агаар", "яаралтай",
    ],
}


@dataclass(frozen=True)
class CategoryGuess:
    category: Category
    reason: str


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def guess_category(text: str) -> CategoryGuess | None:
    """The category a message's keywords point to, if any."""
    normal = _normalise(text)
    scores = {
        category: [word for word in words if word in normal] for category, words in _KEYWORDS.items()
    }
    best = max(scores, key=lambda category: len(scores[category]))
    return CategoryGuess(best, f"keywords: {', '.join(scores[best][:3])}") if scores[best] else None
