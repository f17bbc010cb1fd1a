"""Human messages for verification check ids, in every UI language: the one place they live."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Mapping
from datetime import datetime

from wallet.openbadges.messages.legacy import LEGACY_MESSAGES
from wallet.openbadges.messages.ob3 import OB3_MESSAGES

_ISO_INSTANT = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)

# message_id -> {language -> text}; text may use {name} placeholders filled from Check.params.
# The OB 0.5-2.0 and OB 3.0 tables live in messages/legacy.py and messages/ob3.py.
_INPUT_AND_SHARED: dict[str, dict[str, str]] = {
    # --- input (owned by the input/detection code) ---
    "input.unreadable": {
        "en": "The file or text could not be read.",
        "ja": "ファイルまたはテキストを読み取れませんでした。",
    },
    "input.malformed": {
        "en": "This is not a well-formed badge file.",
        "ja": "バッジのファイルとして正しい形式ではありません。",
    },
    "input.not_a_badge": {
        "en": "No Open Badge was found in this input.",
        "ja": "オープンバッジが見つかりませんでした。",
    },
    "input.too_large": {
        "en": "The input is too large or too deeply nested.",
        "ja": "入力が大きすぎるか、入れ子が深すぎます。",
    },
    "fetch.failed": {
        "en": "The address could not be reached, or its answer was refused.",
        "ja": "アドレスに接続できなかったか、応答を受け付けられませんでした。",
    },
    # --- what exactly was wrong with unreadable input (BadgeError.reason) ---
    "input.not_utf8": {
        "en": "The text is not valid UTF-8.",
        "ja": "テキストが UTF-8 として正しくありません。",
    },
    "input.json_syntax": {
        "en": "The text is not valid JSON.",
        "ja": "テキストが JSON として正しくありません。",
    },
    "input.json_syntax_at": {
        "en": "The text is not valid JSON (line {line}, column {column}).",
        "ja": "テキストが JSON として正しくありません（{line} 行目、{column} 文字目）。",
    },
    "input.json_not_object": {
        "en": "The JSON is a list or a single value, not an object, so it cannot be a badge.",
        "ja": "JSON がオブジェクトではなく配列や単一の値なので、バッジではありません。",
    },
    "input.json_duplicate_key": {
        "en": "The JSON names the same field twice, so programs could read it differently.",
        "ja": "JSON に同じ項目が 2 回あり、読むプログラムによって内容が変わるおそれがあります。",
    },
    "input.json_not_badge": {
        "en": "The JSON is not an Open Badge: it has neither an Open Badges or Verifiable "
        "Credentials context nor the fields of a badge assertion.",
        "ja": "この JSON はオープンバッジではありません。オープンバッジや検証可能な資格情報の"
        "コンテキストも、バッジの項目もありません。",
    },
    "input.png_no_badge": {
        "en": "The file is a PNG image without badge data.",
        "ja": "このファイルはバッジのデータを含まない PNG 画像です。",
    },
    "input.png_damaged": {
        "en": "The PNG file is damaged or incomplete.",
        "ja": "PNG ファイルが壊れているか、途中で切れています。",
    },
    "input.svg_no_badge": {
        "en": "The file is an SVG image without badge data.",
        "ja": "このファイルはバッジのデータを含まない SVG 画像です。",
    },
    "input.svg_damaged": {
        "en": "The SVG file is damaged or cannot be read safely.",
        "ja": "SVG ファイルが壊れているか、安全に読み取れません。",
    },
    "input.not_svg": {
        "en": "The file is an XML document, not an SVG image.",
        "ja": "このファイルは SVG 画像ではなく XML 文書です。",
    },
    "input.jws_damaged": {
        "en": "The signed badge text (JWS or JWT) is damaged: it should be three parts "
        "separated by dots.",
        "ja": "署名付きバッジのテキスト（JWS・JWT）が壊れています。ドットで区切られた 3 つの"
        "部分からなるはずです。",
    },
    "input.web_page": {
        "en": "This is a web page (HTML), not a badge.",
        "ja": "これはバッジではなく、ウェブページ（HTML）です。",
    },
    "input.unknown_format": {
        "en": "This is neither a badge image (PNG, SVG) nor badge text (JSON, JWS, JWT).",
        "ja": "バッジの画像（PNG・SVG）でも、バッジのテキスト（JSON・JWS・JWT）でもありません。",
    },
    "input.other_image": {
        "en": "The file is a {kind} image. Badge data travels only in PNG and SVG images.",
        "ja": "このファイルは {kind} 画像です。バッジのデータを含められるのは PNG と SVG の画像だけです。",
    },
    "input.other_file": {
        "en": "The file is a {kind} file, not a badge.",
        "ja": "このファイルはバッジではなく {kind} ファイルです。",
    },
    "fetch.status": {
        "en": "The address answered with HTTP status {status} instead of a badge.",
        "ja": "このアドレスはバッジではなく HTTP ステータス {status} を返しました。",
    },
    # --- shared checks (dates, recipient, revocation) ---
    "dates.issued_ok": {
        "en": "Issued on {date}.",
        "ja": "{date} に発行されました。",
    },
    "dates.issued_in_future": {
        "en": "The badge claims to be issued in the future ({date}).",
        "ja": "バッジの発行日が未来の日付（{date}）になっています。",
    },
    "dates.valid_from_ok": {
        "en": "Valid since {date}.",
        "ja": "{date} から有効です。",
    },
    "dates.not_yet_valid": {
        "en": "The badge is not valid until {date}.",
        "ja": "このバッジは {date} まで有効になりません。",
    },
    "dates.no_expiry": {
        "en": "The badge does not expire.",
        "ja": "このバッジに有効期限はありません。",
    },
    "dates.not_expired": {
        "en": "Valid until {date}.",
        "ja": "{date} まで有効です。",
    },
    "dates.expired": {
        "en": "The badge expired on {date}.",
        "ja": "このバッジは {date} に有効期限が切れました。",
    },
    "dates.expires_before_issued": {
        "en": "The badge expires ({date}) before it was issued.",
        "ja": "バッジの有効期限（{date}）が発行日より前になっています。",
    },
    "recipient.matched": {
        "en": "The badge was awarded to your email address.",
        "ja": "このバッジはあなたのメールアドレス宛てに授与されています。",
    },
    "recipient.mismatch": {
        "en": "The badge was not awarded to any of your email addresses.",
        "ja": "このバッジはあなたのどのメールアドレス宛てにも授与されていません。",
    },
    "recipient.no_email_identity": {
        "en": "The badge does not identify its recipient by email address.",
        "ja": "このバッジは受領者をメールアドレスで識別していません。",
    },
    "recipient.not_checked": {
        "en": "The recipient was not checked.",
        "ja": "受領者は確認していません。",
    },
    "revocation.revoked": {
        "en": "The issuer has revoked this badge.",
        "ja": "発行者がこのバッジを失効させました。",
    },
    "revocation.revoked_reason": {
        "en": "The issuer has revoked this badge: {reason}",
        "ja": "発行者がこのバッジを失効させました。理由: {reason}",
    },
    "revocation.not_revoked": {
        "en": "The badge is not revoked.",
        "ja": "このバッジは失効していません。",
    },
    "revocation.no_list": {
        "en": "The issuer publishes no revocation list.",
        "ja": "発行者は失効リストを公開していません。",
    },
    "verify.internal_error": {
        "en": "Verification stopped on an unexpected error.",
        "ja": "予期しないエラーにより検証を中断しました。",
    },
}
MESSAGES: dict[str, dict[str, str]] = {**_INPUT_AND_SHARED, **LEGACY_MESSAGES, **OB3_MESSAGES}

# How a caller shows an instant found in a message's values: (instant, date only?) -> text.
# The wallet passes its own, in the reader's time zone; without one, the instant's own offset.
InstantFormat = Callable[[datetime, bool], str]


def message(
    message_id: str,
    lang: str = "en",
    params: Mapping[str, str] | None = None,
    instant: InstantFormat | None = None,
) -> str:
    """Return the message for ``message_id`` in ``lang`` (English fallback), filled with params."""
    texts = MESSAGES.get(message_id)
    if texts is None:
        return message_id
    text = texts.get(lang) or texts["en"]
    if params:
        try:
            return text.format(
                **{key: _readable(value, lang, instant) for key, value in params.items()}
            )
        except (KeyError, IndexError, ValueError):
            return text
    return text


_PLACEHOLDER = re.compile(r"\s*\(?\{\w+\}\)?")


def message_text(
    message_id: str | None,
    lang: str = "en",
    params: Mapping[str, str] | None = None,
    instant: InstantFormat | None = None,
) -> str:
    """Return the message as a person reads it: placeholders without values are left out."""
    if not message_id:
        return ""
    text = message(message_id, lang, params or None, instant)
    return _PLACEHOLDER.sub("", text) if "{" in text else text


_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _day_and_time(instant: datetime, lang: str, with_time: bool) -> str:
    """Write what Babel writes for "d MMMM y[, HH:mm]" (en) and "y年M月d日[ HH:mm]" (ja).

    Babel costs a command-line verification about 40 ms (import, local time zone probe, locale
    data) for two fixed patterns; a test compares this with Babel's own output.
    """
    if lang == "ja":
        text = f"{instant.year}年{instant.month}月{instant.day}日"
        return f"{text} {instant.hour:02d}:{instant.minute:02d}" if with_time else text
    text = f"{instant.day} {_EN_MONTHS[instant.month - 1]} {instant.year}"
    return f"{text}, {instant.hour:02d}:{instant.minute:02d}" if with_time else text


def _readable(value: str, lang: str, instant_format: InstantFormat | None = None) -> str:
    """Show an ISO 8601 instant as a day people read (2026年4月1日 / 1 April 2026 UTC 09:00)."""
    if not isinstance(value, str) or not _ISO_INSTANT.match(value):
        return value
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if instant_format is not None:
        return instant_format(instant, len(value) <= 10)
    with_time = len(value) > 10
    if lang in ("en", "ja"):
        text = _day_and_time(instant, lang, with_time)
    else:
        from babel.dates import format_datetime

        pattern = "d MMMM y, HH:mm" if with_time else "d MMMM y"
        text = format_datetime(instant, pattern, tzinfo=instant.tzinfo, locale=lang)
    zone = instant.strftime("%z") if instant.tzinfo else ""
    if zone and len(value) > 10:
        text += " UTC" if zone == "+0000" else f" (UTC{zone[:3]}:{zone[3:]})"
    return text
