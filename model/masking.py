"""Personal data in what citizens write: found, and masked wherever it must not travel whole
(logs, exports, the bot's training data, translation engines, the agent's first view).

Four kinds are found, each by its format and by a check that the format alone would not pass:

- resident and foreigner registration numbers (주민등록번호, 외국인등록번호): YYMMDD-GNNNNNN with
  G 1–8 (5–8 foreigners) and a hyphen, a space or nothing after the birth date. The birth date
  must exist in the century G names (1, 2, 5, 6: 1900s; 3, 4, 7, 8: 2000s) and not lie in the
  future. Numbers issued since October 2020 carry no check digit, so none is checked.
- card numbers: 13–19 digits, whole or grouped 4-4-4-4, 4-6-5 (Amex) or 4-6-4 (Diners) with
  hyphens or spaces, starting as a card network's numbers do (3 Amex, JCB, Diners; 4 Visa;
  5 and 2221–2720 Mastercard; 6 Discover, UnionPay; 9 and 16 digits: Korean domestic cards)
  and passing Luhn.
- bank accounts: the hyphenated formats of `ACCOUNT_FORMATS` anywhere; 10–14 digits written
  whole or otherwise grouped only within a few characters of a word about banks (은행, 계좌,
  통장, 입금, 이체, a bank's name…), so that an order or tracking number stays readable.
- phone numbers: mobiles (010, 011, 016–019), landlines (02, 031–064), 070 and the 0502–0508
  safe numbers, with hyphens, dots, spaces or nothing between the parts, also as +82 or 0082.
  Businesses' numbers (1588-xxxx, 080) and short numbers (120, 112, 119) are not personal.

A number glued to letters, to other digits or to a digit and a hyphen or dot (the hub's ids,
dates such as 2024.01.15, serials) is not taken. Full-width digits count as digits.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class PersonalDataKind(StrEnum):
    RESIDENT_NUMBER = "resident_number"
    CARD_NUMBER = "card_number"
    BANK_ACCOUNT = "bank_account"
    PHONE_NUMBER = "phone_number"


@dataclass(frozen=True)
class PersonalData:
    """One personal number in a text: `text[start:end]`."""

    kind: PersonalDataKind
    start: int
    end: int


ACCOUNT_FORMATS: dict[tuple[int, ...], str] = {
    (3, 2, 6): "신한 (old), SC제일, NH농협 (old), IBK기업 (old)",
    (3, 3, 6): "신한, 케이뱅크",
    (4, 3, 6): "우리",
    (6, 2, 6): "KB국민, NH농협 member co-operatives (회원조합), 우체국",
    (3, 6, 5): "하나",
    (3, 6, 3): "하나 (former 외환), 씨티",
    (3, 4, 4, 2): "NH농협",
    (3, 2, 4, 3): "KB국민 (old)",
    (3, 6, 2, 3): "IBK기업",
    (4, 2, 7): "카카오뱅크",
    (4, 2, 6, 1): "새마을금고",
}
"""Hyphenated account formats (digits per group) masked wherever they appear, and whose they are.
토스뱅크's 4-4-4 is recognised by its 100x prefix (a bare 4-4-4 is too common to take)."""

# Kept visible when masking (leading digits, trailing digits): enough to tell records apart.
_KEPT = {
    PersonalDataKind.RESIDENT_NUMBER: (7, 0),  # birth date and the century/sex digit
    PersonalDataKind.CARD_NUMBER: (4, 4),
    PersonalDataKind.BANK_ACCOUNT: (3, 3),
    PersonalDataKind.PHONE_NUMBER: (0, 4),  # and the country and area code or mobile prefix
}

# A number starts and ends clear of letters, digits, masks and a digit joined by - or .
_START = r"(?<![0-9A-Za-z*])(?<![0-9*][-.])"
_END = r"(?![0-9A-Za-z*])(?![-.][0-9*])"
_DIGIT = re.compile(r"[0-9]")
_ENOUGH_DIGITS = re.compile(r"[0-9](?:[^0-9]{0,5}[0-9]){8}")
"""The shortest number taken has nine digits: texts without nine close together hold none."""
_WIDE = str.maketrans({chr(0xFF10 + d): str(d) for d in range(10)} | {"－": "-", "．": ".", "＋": "+"})
"""Full-width digits and signs, one character each, so that positions stay those of the text."""

_RESIDENT_NUMBER = re.compile(_START + r"(\d\d)(\d\d)(\d\d)[- ]?([1-8])\d{6}" + _END, re.ASCII)
_CARD_NUMBER = re.compile(
    _START + r"(?:\d{4}([- ]?)\d{4}\1\d{4}\1\d{4}|\d{4}([- ]?)\d{6}\2\d{4,5}|\d{13,19})" + _END, re.ASCII
)
_ACCOUNT = re.compile(
    _START
    + "(?:"
    + "|".join("-".join(rf"\d{{{n}}}" for n in groups) for groups in ACCOUNT_FORMATS)
    + r"|100\d-\d{4}-\d{4})"
    + _END,
    re.ASCII,
)
_DIGITS_NEAR_BANK = re.compile(_START + r"\d+(?:-\d+){0,3}" + _END, re.ASCII)
_BANK_WORD = re.compile(
    r"은행|계좌|통장|입금|송금|이체|뱅크|농협|신협|수협|새마을금고|우체국|KB|IBK|NH|SC제일|씨티|(?i:account|bank)"
)
_BANK_WORD_REACH = 20
"""How many characters before or after bare digits a bank word makes them an account number."""
_AREA = r"(?:1[016-9]|2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70|50[2-8])"
"""After the leading 0: mobile prefixes, area codes, 070 and the 050x safe numbers."""
_PHONE_NUMBER = re.compile(
    _START
    + rf"(?P<lead>(?:\+|00)82[-. ]?(?:\(0\)[-. ]?)?{_AREA}|\(?0{_AREA}\)|0{_AREA})"
    + r"[-. ]?\d{3,4}[-. ]?\d{4}"
    + _END,
    re.ASCII,
)


@dataclass(frozen=True)
class _Finding:
    data: PersonalData
    kept: tuple[int, int]


def find_personal_data(text: str) -> list[PersonalData]:
    """Every personal number in `text`, in order. Where two readings overlap, a resident
    number wins over a card, a card over an account in a bank's format, that over a phone
    number, and a phone number over bare digits near a bank word."""
    return [finding.data for finding in _findings(text)]


def has_personal_data(text: str) -> bool:
    """Whether `text` holds any personal number."""
    return bool(_findings(text))


def mask(text: str) -> str:
    """The text with personal numbers masked, keeping enough to tell records apart:
    900101-1******, 4111-****-****-1111, 110-***-***789, 010-****-5678."""
    return masked(text).text


@dataclass(frozen=True)
class MaskedText:
    """A text masked for the way out of the hub, and what each mask stood for."""

    text: str
    rounds: tuple[tuple[tuple[str, str], ...], ...]
    """Per round of masking, (masked form, original) of each number masked, in order."""

    def restore(self, text: str) -> str:
        """`text` (the masked text, e.g. translated) with each mask it still holds given its
        number back; a mask the text no longer holds stays masked."""
        for masks in reversed(self.rounds):
            pieces, cursor = [], 0
            for masked_form, original in masks:
                at = text.find(masked_form, cursor)
                if at >= 0:
                    pieces += [text[cursor:at], original]
                    cursor = at + len(masked_form)
            text = "".join(pieces) + text[cursor:]
        return text


def masked(text: str) -> MaskedText:
    """`text` with its personal numbers masked, able to give them back (`MaskedText.restore`)."""
    rounds = []
    # A number that overlapped a masked one may stand alone once that is masked: mask until
    # none is left (each round masks digits, so this ends).
    while findings := _findings(text):
        pieces, masks, cursor = [], [], 0
        for finding in findings:
            number = text[finding.data.start : finding.data.end]
            masks.append((_masked_number(number, finding.kept), number))
            pieces += [text[cursor : finding.data.start], masks[-1][0]]
            cursor = finding.data.end
        text = "".join(pieces) + text[cursor:]
        rounds.append(tuple(masks))
    return MaskedText(text, tuple(rounds))


class MaskingFilter(logging.Filter):
    """Installed on the hub's log handlers: masks every formatted record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        return True


def _findings(text: str) -> list[_Finding]:
    plain = text.translate(_WIDE)
    if _ENOUGH_DIGITS.search(plain) is None:
        return []
    taken: list[_Finding] = []
    for finding in _candidates(plain):
        if not any(finding.data.start < t.data.end and t.data.start < finding.data.end for t in taken):
            taken.append(finding)
    return sorted(taken, key=lambda finding: finding.data.start)


def _candidates(plain: str) -> Iterator[_Finding]:
    """Valid readings of `plain`, most specific kind first."""
    for match in _valid(_RESIDENT_NUMBER, plain, lambda m: _birth_date_exists(*m.groups())):
        yield _finding(PersonalDataKind.RESIDENT_NUMBER, match)
    for match in _valid(_CARD_NUMBER, plain, _is_card):
        yield _finding(PersonalDataKind.CARD_NUMBER, match)
    for match in _valid(_ACCOUNT, plain, lambda m: True):
        yield _finding(PersonalDataKind.BANK_ACCOUNT, match)
    for match in _valid(_PHONE_NUMBER, plain, lambda m: True):
        yield _finding(PersonalDataKind.PHONE_NUMBER, match, lead=len(_digits(match.group("lead"))))
    for match in _valid(_DIGITS_NEAR_BANK, plain, lambda m: _near_bank_account(plain, m)):
        yield _finding(PersonalDataKind.BANK_ACCOUNT, match)


def _valid(pattern: re.Pattern[str], plain: str, valid: Callable[[re.Match[str]], bool]) -> Iterator[re.Match[str]]:
    """The matches of `pattern` that pass `valid`; one that fails does not hide another that starts
    inside it (4111 1111 1111 1111 in 1234 4111 1111 1111 1111)."""
    position = 0
    while match := pattern.search(plain, position):
        if valid(match):
            yield match
            position = match.end()
        else:
            position = match.start() + 1


def _finding(kind: PersonalDataKind, match: re.Match[str], lead: int = 0) -> _Finding:
    head, tail = _KEPT[kind]
    return _Finding(PersonalData(kind, match.start(), match.end()), (head + lead, tail))


def _birth_date_exists(year: str, month: str, day: str, century_digit: str) -> bool:
    century = 1900 if century_digit in "1256" else 2000
    try:
        born = date(century + int(year), int(month), int(day))
    except ValueError:
        return False
    return born <= date.today()


def _is_card(match: re.Match[str]) -> bool:
    digits = _digits(match.group())
    return _card_network(digits) and _luhn(digits)


def _card_network(digits: str) -> bool:
    """Whether the number starts as a card network's do (Korean domestic cards: 16 digits from 9)."""
    return digits[0] in "3456" or 2221 <= int(digits[:4]) <= 2720 or (digits[0] == "9" and len(digits) == 16)


def _luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _near_bank_account(plain: str, match: re.Match[str]) -> bool:
    """10–14 digits with a bank word within reach before or after."""
    if not 10 <= len(_digits(match.group())) <= 14:
        return False
    before = plain[max(0, match.start() - _BANK_WORD_REACH) : match.start()]
    after = plain[match.end() : match.end() + _BANK_WORD_REACH]
    return bool(_BANK_WORD.search(before) or _BANK_WORD.search(after))


def _digits(text: str) -> str:
    return "".join(_DIGIT.findall(text))


def _masked_number(number: str, kept: tuple[int, int]) -> str:
    """`number` with its digits but the first and last `kept` replaced by *, separators kept."""
    head, tail = kept
    plain = number.translate(_WIDE)
    total = len(_digits(plain))
    out, seen = [], 0
    for character, normal in zip(number, plain, strict=True):
        if normal.isascii() and normal.isdigit():
            out.append("*" if head <= seen < total - tail else character)
            seen += 1
        else:
            out.append(character)
    return "".join(out)
