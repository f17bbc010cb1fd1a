"""Messages of the Open Badges 0.5-2.0 checks, in English and Japanese."""

from __future__ import annotations

# message_id -> {language -> text}; see wallet.openbadges.messages.
LEGACY_MESSAGES: dict[str, dict[str, str]] = {
    "v2.context_ok": {
        "en": "The badge uses the Open Badges context.",
        "ja": "バッジはオープンバッジのコンテキストを使用しています。",
    },
    "v2.context_inline": {
        "en": "The badge carries its own copy of the Open Badges context.",
        "ja": "バッジにオープンバッジのコンテキストの写しが埋め込まれています。",
    },
    "v2.context_missing": {
        "en": "The badge does not declare an Open Badges context.",
        "ja": "バッジにオープンバッジのコンテキストが宣言されていません。",
    },
    "v2.context_invalid": {
        "en": "The badge declares an unknown Open Badges context.",
        "ja": "バッジに不明なオープンバッジのコンテキストが宣言されています。",
    },
    "v2.type_missing": {
        "en": "The document does not say what type it is.",
        "ja": "文書の種類（type）が指定されていません。",
    },
    "v2.type_unknown": {
        "en": "The document has an unknown type: {type}.",
        "ja": "文書の種類が不明です: {type}",
    },
    "v2.type_wrong": {
        "en": "The document is not of the expected type ({type}).",
        "ja": "文書が想定された種類（{type}）ではありません。",
    },
    "v2.id_missing": {
        "en": "The badge has no valid identifier.",
        "ja": "バッジに有効な識別子がありません。",
    },
    "v2.badge_missing": {
        "en": "The badge does not say which badge class it awards.",
        "ja": "バッジに授与するバッジクラスが記載されていません。",
    },
    "v2.badge_embedded": {
        "en": "The badge class could only be read from the badge itself, not from the issuer.",
        "ja": "バッジクラスを発行者から取得できず、バッジ内の記載のみで確認しました。",
    },
    "v2.badge_field_missing": {
        "en": "The badge class lacks a required field: {field}.",
        "ja": "バッジクラスに必須の項目がありません: {field}",
    },
    "v2.issuer_embedded": {
        "en": "The issuer profile could only be read from the badge itself, not from the issuer.",
        "ja": "発行者プロフィールを発行者から取得できず、バッジ内の記載のみで確認しました。",
    },
    "v2.issuer_field_missing": {
        "en": "The issuer profile lacks a field: {field}.",
        "ja": "発行者プロフィールに項目がありません: {field}",
    },
    "v2.verification_invalid": {
        "en": "The badge does not say how it can be verified (hosted or signed).",
        "ja": "バッジに検証方法（ホスト型または署名型）が記載されていません。",
    },
    "v2.recipient_invalid": {
        "en": "The badge's recipient identity is missing or malformed.",
        "ja": "バッジの受領者の識別情報がないか、形式が正しくありません。",
    },
    "v2.recipient_type": {
        "en": "The recipient identity is of an unusual type.",
        "ja": "受領者の識別情報の種類が一般的ではありません。",
    },
    "v2.assertion_data_image": {
        "en": "The badge image is embedded as a data URI, which awarded badges may not do.",
        "ja": "授与されたバッジの画像を data URI で埋め込むことは認められていません。",
    },
    "v2.date_invalid": {
        "en": "A date in the badge cannot be read.",
        "ja": "バッジ内の日付を読み取れません。",
    },
    "v2.date_no_timezone": {
        "en": "The issue date has no time zone.",
        "ja": "発行日にタイムゾーンが指定されていません。",
    },
    "v2.issued_missing": {
        "en": "The badge has no issue date.",
        "ja": "バッジに発行日がありません。",
    },
    "v2.evidence_invalid": {
        "en": "The badge's evidence is malformed.",
        "ja": "バッジのエビデンスの形式が正しくありません。",
    },
    "v2.extension_invalid": {
        "en": "The badge contains a malformed extension.",
        "ja": "バッジに形式の正しくない拡張が含まれています。",
    },
    "v2.alignment_invalid": {
        "en": "The alignment lacks a required field: {field}.",
        "ja": "アラインメントに必須の項目がありません: {field}",
    },
    "document.not_an_assertion": {
        "en": "This document describes a badge or issuer, but is not an awarded badge.",
        "ja": "この文書はバッジや発行者の説明であり、授与されたバッジではありません。",
    },
    "document.valid": {
        "en": "The document is well-formed.",
        "ja": "文書の形式は正しいです。",
    },
    "node.id_mismatch": {
        "en": "A linked document declares a different address than the one it was retrieved from.",
        "ja": "リンク先の文書が、取得したアドレスとは異なるアドレスを自身のIDとしています。",
    },
    "node.malformed": {
        "en": "A linked document could not be read.",
        "ja": "リンク先の文書を読み取れませんでした。",
    },
    "hosted.retrieved": {
        "en": "The issuer's hosted copy of the badge was retrieved.",
        "ja": "発行者が公開しているバッジの原本を取得しました。",
    },
    "hosted.no_url": {
        "en": "The badge has no address where the issuer hosts it, so it cannot be checked.",
        "ja": "発行者がバッジを公開しているアドレスがないため、確認できません。",
    },
    "hosted.malformed": {
        "en": "The issuer's hosted copy of the badge cannot be read.",
        "ja": "発行者が公開しているバッジの原本を読み取れません。",
    },
    "hosted.id_redirect": {
        "en": "The hosted badge declares a different address; that address was checked instead.",
        "ja": "公開されているバッジが別のアドレスを示しているため、そのアドレスで確認しました。",
    },
    "hosted.id_mismatch": {
        "en": "The hosted badge does not match the address it was retrieved from.",
        "ja": "公開されているバッジが、取得したアドレスと一致しません。",
    },
    "hosted.supplied_differs": {
        "en": "The badge you supplied differs from the issuer's hosted copy; that copy is shown.",
        "ja": "提出されたバッジが発行者の公開している原本と異なるため、原本を表示しています。",
    },
    "scope.ok": {
        "en": "The badge is hosted where its issuer allows.",
        "ja": "バッジは発行者が認めた場所で公開されています。",
    },
    "scope.origin": {
        "en": "The badge is hosted on a site its issuer does not allow.",
        "ja": "バッジが発行者の認めていないサイトで公開されています。",
    },
    "scope.starts_with": {
        "en": "The badge's address is outside the locations its issuer allows.",
        "ja": "バッジのアドレスが発行者の認めた場所の範囲外です。",
    },
    "scope.issuer_not_http": {
        "en": "The issuer's identifier is not a web address, so the hosting site is unchecked.",
        "ja": "発行者の識別子がWebアドレスではないため、公開場所を確認できません。",
    },
    "scope.property_unsupported": {
        "en": "The issuer uses a verification rule this wallet does not support.",
        "ja": "発行者がこのウォレットの対応していない検証規則を指定しています。",
    },
    "scope.no_issuer": {
        "en": "The hosting site could not be checked without the issuer profile.",
        "ja": "発行者プロフィールがないため、公開場所を確認できませんでした。",
    },
    "signed.signature_ok": {
        "en": "The issuer's signature is valid.",
        "ja": "発行者の署名は有効です。",
    },
    "signed.signature_invalid": {
        "en": "The signature does not match the badge: it may have been altered.",
        "ja": "署名がバッジと一致しません。改ざんされている可能性があります。",
    },
    "signed.token_missing": {
        "en": "This signed badge was supplied without its signature.",
        "ja": "この署名型バッジは署名なしで提出されました。",
    },
    "signed.no_issuer": {
        "en": "The issuer profile is needed to trust the signing key, and it could not be had.",
        "ja": "署名鍵を信頼するには発行者プロフィールが必要ですが、取得できませんでした。",
    },
    "signed.no_key": {
        "en": "The badge does not name the key it was signed with.",
        "ja": "バッジに署名に使われた鍵が記載されていません。",
    },
    "signed.key_not_listed": {
        "en": "The signing key is not one the issuer lists as its own.",
        "ja": "署名鍵が、発行者が自身の鍵として公開しているものではありません。",
    },
    "signed.key_owner_mismatch": {
        "en": "The signing key belongs to someone other than the issuer.",
        "ja": "署名鍵の所有者が発行者ではありません。",
    },
    "signed.key_owner_missing": {
        "en": "The signing key does not name its owner.",
        "ja": "署名鍵に所有者が記載されていません。",
    },
    "signed.key_unusable": {
        "en": "The signing key cannot be used.",
        "ja": "署名鍵を使用できません。",
    },
    "signature.invalid": {
        "en": "The signature or its algorithm is not acceptable.",
        "ja": "署名または署名アルゴリズムが受け入れられません。",
    },
    "baking.compressed": {
        "en": "The badge data in the image is compressed, which the baking rules do not allow.",
        "ja": "画像内のバッジデータが圧縮されていますが、これはベイク規則で認められていません。",
    },
    "baking.duplicate": {
        "en": "The image contains the badge data more than once; the first copy was used.",
        "ja": "画像にバッジデータが複数含まれています。最初のものを使用しました。",
    },
    "fetch.node_unavailable": {
        "en": "A document needed to check the badge could not be retrieved.",
        "ja": "バッジの確認に必要な文書を取得できませんでした。",
    },
    "v3.unavailable": {
        "en": "Open Badges 3.0 verification is not available.",
        "ja": "オープンバッジ 3.0 の検証は利用できません。",
    },
}
