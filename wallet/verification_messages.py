"""Human messages for verification check ids, in every UI language: the one place they live."""

from __future__ import annotations

from collections.abc import Mapping

# message_id -> {language -> text}; text may use {name} placeholders filled from Check.params.
MESSAGES: dict[str, dict[str, str]] = {
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
    # --- OB 0.5-2.0 checks ---
    # --- OB 3.0 checks ---
    # --- shared checks (dates, recipient, revocation) ---
}


def message(message_id: str, lang: str = "en", params: Mapping[str, str] | None = None) -> str:
    """Return the message for ``message_id`` in ``lang`` (English fallback), filled with params."""
    texts = MESSAGES.get(message_id)
    if texts is None:
        return message_id
    text = texts.get(lang) or texts["en"]
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text
