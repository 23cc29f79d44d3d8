"""Personal data found and masked (model.masking): resident and foreigner registration numbers,
card numbers, bank accounts and phone numbers, and the numbers that only look like them; what a
translation engine is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.clock import utcnow
from model.masking import PersonalData, PersonalDataKind, find_personal_data, has_personal_data, mask, masked
from store.db import Store
from tests.standins.libretranslate import LibreTranslateStandIn
from tests.test_translation import libre_engine
from translation.glossary import Glossary
from translation.service import Translator

RESIDENT = PersonalDataKind.RESIDENT_NUMBER
CARD = PersonalDataKind.CARD_NUMBER
ACCOUNT = PersonalDataKind.BANK_ACCOUNT
PHONE = PersonalDataKind.PHONE_NUMBER


def old_check_digit_holds(number: str) -> bool:
    """The check digit resident numbers carried before October 2020."""
    digits = [int(d) for d in number if d.isdigit()]
    weighted = sum(d * w for d, w in zip(digits[:12], (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5), strict=True))
    return (11 - weighted % 11) % 10 == digits[12]


def kinds(text: str) -> list[PersonalDataKind]:
    return [found.kind for found in find_personal_data(text)]


def test_a_new_resident_number_without_a_check_digit_is_still_one() -> None:
    # Issued since October 2020: the last digit is random, so most fail the old check.
    assert not old_check_digit_holds("211015-3000000")
    assert kinds("제 아이 주민번호는 211015-3000000 입니다") == [RESIDENT]
    assert not old_check_digit_holds("900101-1234567") and kinds("900101-1234567") == [RESIDENT]


@pytest.mark.parametrize(
    "number",
    [
        "900101-1234567",  # 1990, man
        "9001011234567",  # without the hyphen
        "900101 1234567",  # with a space
        "851231-2345678",
        "000229-3123456",  # 2000 was a leap year
        "040229-4123456",
        "211015-3000000",
        "850315-5123456",  # foreigner, 1900s
        "010203-7123456",  # foreigner, 2000s
        "920710-6123457",
        "０１０２０３－７１２３４５６",  # full-width digits
    ],
)
def test_resident_and_foreigner_numbers_are_found(number: str) -> None:
    assert kinds(f"주민번호 {number} 확인 부탁드립니다") == [RESIDENT]


@pytest.mark.parametrize(
    "number",
    [
        "901301-1234567",  # month 13
        "900001-1234567",  # month 0
        "900132-1234567",  # 32 January
        "900431-1234567",  # 31 April
        "010229-3123456",  # 2001 was no leap year
        "000229-1123456",  # G 1 makes it 1900, no leap year
        "900101-9234567",  # no century digit 9
        "900101-0234567",
        "991231-3123456",  # born in 2099
        "9001011234567890",  # sixteen digits
        "id9001011234567",  # part of an identifier
        "900101-12345678",
    ],
)
def test_impossible_dates_and_other_digit_runs_are_not_resident_numbers(number: str) -> None:
    assert RESIDENT not in kinds(number)


@pytest.mark.parametrize(
    "number",
    [
        "4111-1111-1111-1111",  # Visa
        "4111 1111 1111 1111",
        "4111111111111111",
        "5555-5555-5555-4444",  # Mastercard
        "2223-0031-2200-3222",  # Mastercard's 2-series
        "3782-822463-10005",  # Amex 4-6-5
        "3782 822463 10005",
        "378282246310005",
        "3056-930902-5904",  # Diners 4-6-4
        "3530-1113-3330-0000",  # JCB
        "6011-1111-1111-1117",  # Discover
        "9410-1234-5678-9010",  # Korean domestic card
    ],
)
def test_card_numbers_are_found(number: str) -> None:
    assert kinds(f"카드번호 {number} 로 결제했어요") == [CARD]


@pytest.mark.parametrize(
    "number",
    [
        "4111-1111-1111-1112",  # fails Luhn
        "4111111111111112",
        "5555 5555 5555 4445",
        "1234-5678-1234-5670",  # passes Luhn, but no card network starts with 1
        "4111-1111 1111-1111",  # mixed separators
        "4111-1111-1111",  # too short
    ],
)
def test_numbers_that_fail_luhn_or_have_no_network_are_not_cards(number: str) -> None:
    assert CARD not in kinds(number)


@pytest.mark.parametrize(
    ("bank", "number"),
    [
        ("신한은행", "110-123-456789"),  # 3-3-6
        ("SC제일은행", "123-45-678901"),  # 3-2-6
        ("우리은행", "1002-123-456789"),  # 4-3-6
        ("국민은행", "123456-78-901234"),  # 6-2-6
        ("국민은행", "123-45-6789-012"),  # 3-2-4-3
        ("하나은행", "123-456789-12345"),  # 3-6-5
        ("농협", "301-1234-5678-91"),  # 3-4-4-2
        ("기업은행", "123-456789-01-234"),  # 3-6-2-3
        ("카카오뱅크", "3333-01-1234567"),  # 4-2-7
        ("토스뱅크", "1000-1234-5678"),  # 4-4-4 from 100x
        ("새마을금고", "9002-12-345678-9"),  # 4-2-6-1
    ],
)
def test_hyphenated_accounts_are_found_with_or_without_the_bank(bank: str, number: str) -> None:
    assert kinds(f"{bank} {number} 으로 보내 주세요") == [ACCOUNT]
    assert kinds(f"환불은 {number} 으로 해 주세요") == [ACCOUNT]


@pytest.mark.parametrize(
    "text",
    [
        "국민은행 12345678901234",
        "계좌번호 110123456789 로 환불해 주세요",
        "3333011234567 카카오뱅크로 보내 주세요",
        "입금 계좌 1002-12345-67890",  # an unlisted grouping, next to 계좌
        "account 1234567890 please",
    ],
)
def test_bare_digits_next_to_a_bank_word_are_an_account(text: str) -> None:
    assert kinds(text) == [ACCOUNT]


@pytest.mark.parametrize(
    "text",
    [
        "주문번호 20240115123456 배송 언제 오나요",  # an order number
        "송장번호 123456789012",  # a tracking number
        "1234-5678-9012 부품",  # 4-4-4 that is not a 토스뱅크 account
        "사업자등록번호 123-45-67890",  # 3-2-5
        "계좌 문의는 1588-9999",  # a bank word, but too few digits
        "은행 가는 날 2024-01-15",
    ],
)
def test_order_and_other_numbers_are_not_accounts(text: str) -> None:
    assert ACCOUNT not in kinds(text)


@pytest.mark.parametrize(
    "number",
    [
        "010-1234-5678",
        "010 1234 5678",
        "010.1234.5678",
        "01012345678",
        "011-123-4567",
        "019-1234-5678",
        "+82 10-1234-5678",
        "+821012345678",
        "+82 (0)10 1234 5678",
        "0082-10-1234-5678",
        "02-123-4567",
        "02-2133-1234",
        "(02) 2133-1234",
        "02)2133-1234",
        "0212345678",
        "031-123-4567",
        "064-712-3456",
        "+82-2-2133-1234",
        "070-1234-5678",
        "0505-123-4567",
    ],
)
def test_phone_numbers_are_found(number: str) -> None:
    assert kinds(f"연락처는 {number} 입니다") == [PHONE]


@pytest.mark.parametrize(
    "text",
    [
        "120",
        "02-120",
        "112 신고",
        "119에 전화했어요",
        "109 자살예방 상담",
        "1588-1234",
        "1577 1234",
        "080-123-4567",  # free-call numbers are businesses'
        "020-1234-5678",  # no such area code
        "2026년 3월 15일 오후 3시",
        "15,000원",
        "1,500,000원 환불",
        "2024-01-15",
        "2024.01.15",
        "2024. 1. 15.",
        "10:30~18:00",
        "c0ffee0101234567890123456789abcd",  # a conversation id
        "메시지 2147483647",
        "v0.10.1234.5678",
        "010-123-456",
    ],
)
def test_short_numbers_prices_dates_and_ids_are_not_personal(text: str) -> None:
    assert find_personal_data(text) == [] and not has_personal_data(text) and mask(text) == text


def test_positions_and_kinds_of_everything_found() -> None:
    text = "주민 900101-1234567 카드 4111-1111-1111-1111 신한 110-123-456789 전화 010-1234-5678"
    found = find_personal_data(text)
    assert [text[f.start : f.end] for f in found] == [
        "900101-1234567",
        "4111-1111-1111-1111",
        "110-123-456789",
        "010-1234-5678",
    ]
    assert found[0] == PersonalData(RESIDENT, 3, 17)
    assert has_personal_data(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("900101-1234567", "900101-1******"),
        ("9001011234567", "9001011******"),
        ("4111-1111-1111-1111", "4111-****-****-1111"),
        ("4111111111111111", "4111********1111"),
        ("3782-822463-10005", "3782-******-*0005"),
        ("110-123-456789", "110-***-***789"),
        ("국민은행 12345678901234", "국민은행 123********234"),
        ("010-1234-5678", "010-****-5678"),
        ("01012345678", "010****5678"),
        ("+82 10 1234 5678", "+82 10 **** 5678"),
        ("+821012345678", "+8210****5678"),
        ("02-123-4567", "02-***-4567"),
        ("(02) 2133-1234", "(02) ****-1234"),
        ("０１０－１２３４－５６７８", "０１０－****－５６７８"),
        ("연락처 010-1234-5678, 요금 15,000원 (2024-01-15)", "연락처 010-****-5678, 요금 15,000원 (2024-01-15)"),
    ],
)
def test_masking_keeps_enough_to_tell_records_apart(text: str, expected: str) -> None:
    assert mask(text) == expected


def test_a_number_hidden_by_an_overlapping_one_is_masked_too() -> None:
    # The card reading wins over the phone reading it overlaps; once the card is masked, the
    # phone number stands alone and is masked as well.
    text = "010 1234 5555 5555 5555 4444"
    assert kinds(text) == [CARD]
    assert mask(text) == "010 **** 5555 **** **** 4444"


def test_a_masked_text_gives_its_numbers_back() -> None:
    hidden = masked("전화 010-1234-5678, 주민번호 900101-1234567")
    assert hidden.text == "전화 010-****-5678, 주민번호 900101-1******"
    assert hidden.restore(f"[en] Phone {hidden.text}") == "[en] Phone 전화 010-1234-5678, 주민번호 900101-1234567"
    # A mask the engine did not keep stays masked; the ones it kept come back.
    assert hidden.restore("Phone 010-****-5678, ID 900101-1 ******") == "Phone 010-1234-5678, ID 900101-1 ******"


PIECES = st.sampled_from(
    [
        "900101-1234567",
        "4111 1111 1111 1111",
        "3782-822463-10005",
        "110-123-456789",
        "010-1234-5678",
        "+82 10 1234 5678",
        "02)123-4567",
        "０１０－１２３４－５６７８",
        "계좌",
        "국민은행",
        "15,000원",
        "2024-01-15",
        "1588-1234",
    ]
)
WIDE_DIGITS = str.maketrans({chr(0xFF10 + d): str(d) for d in range(10)})
TEXTS = st.lists(
    st.one_of(PIECES, st.text(alphabet="0123456789-. +()", max_size=16), st.text(max_size=4)), max_size=10
).map("".join)


# No deadline: a busy machine must not fail a test that asserts no timing.
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_masked_text_holds_no_personal_data_and_masking_again_changes_nothing(text: str) -> None:
    once = mask(text)
    assert find_personal_data(once) == []
    assert mask(once) == once
    # Only digits turn into *: the text keeps its length, words and separators.
    assert len(once) == len(text)
    assert all(a == b or (b == "*" and a.translate(WIDE_DIGITS).isdigit()) for a, b in zip(text, once, strict=True))


@settings(deadline=None)
@given(TEXTS.filter(lambda text: "*" not in text))
def test_a_masked_text_restores_to_the_original(text: str) -> None:
    hidden = masked(text)
    assert hidden.restore(hidden.text) == text


@pytest.fixture
async def libre() -> AsyncIterator[LibreTranslateStandIn]:
    async with LibreTranslateStandIn() as server:
        yield server


async def test_a_translation_engine_never_sees_personal_numbers(store: Store, libre: LibreTranslateStandIn) -> None:
    translator = Translator([libre_engine(libre)], store, Glossary.read(), utcnow)
    said = "My number is 010-1234-5678 and my card 4111 1111 1111 1111"
    try:
        found = await translator.translate(said, "en", "ko")
        # The engine got the masks; the agent's Korean has the numbers back where the engine kept them.
        sent = " ".join(str(body.get("q")) for body in libre.received)
        assert "1234-5678" not in sent and "1111 1111 1111 1111" not in sent
        assert "010-****-5678" in sent and "4111 **** **** 1111" in sent
        assert found.text == f"[ko] {said}"
        # The cache holds the masked translation: another number with the same mask is another
        # citizen's, and gets its own number back.
        other = await translator.translate("My number is 010-9999-5678 and my card 4111 1111 1111 1111", "en", "ko")
        assert other.cached and other.text == "[ko] My number is 010-9999-5678 and my card 4111 1111 1111 1111"
    finally:
        await translator.close()
