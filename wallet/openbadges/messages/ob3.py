"""Messages of the Open Badges 3.0 checks, in English and Japanese."""

from __future__ import annotations

# message_id -> {language -> text}; see wallet.openbadges.messages.
OB3_MESSAGES: dict[str, dict[str, str]] = {
    "ob3.not_a_badge": {
        "en": "This is a verifiable credential, but not an Open Badge.",
        "ja": "検証可能な資格情報ですが、オープンバッジではありません。",
    },
    "ob3.conformance.ok": {
        "en": "The credential has the structure of an Open Badge 3.0.",
        "ja": "オープンバッジ 3.0 として正しい構造です。",
    },
    "ob3.conformance.unreadable": {
        "en": "The credential could not be read as an object.",
        "ja": "資格情報をオブジェクトとして読み取れませんでした。",
    },
    "ob3.context.invalid": {
        "en": "The credential does not declare the Open Badges 3.0 contexts correctly.",
        "ja": "オープンバッジ 3.0 のコンテキスト宣言が正しくありません。",
    },
    "ob3.type.invalid": {
        "en": "The credential is not marked as an Open Badge credential.",
        "ja": "オープンバッジの資格情報として型が指定されていません。",
    },
    "ob3.issuer.missing": {
        "en": "The credential does not identify its issuer.",
        "ja": "発行者が特定されていません。",
    },
    "ob3.issuer.invalid": {
        "en": "The issuer is not described as a profile.",
        "ja": "発行者の情報がプロフィールとして記述されていません。",
    },
    "ob3.dates.invalid": {
        "en": "A date in the credential is missing or not a valid date and time with a time zone.",
        "ja": "日付が欠けているか、タイムゾーン付きの正しい日時ではありません。",
    },
    "ob3.subject.invalid": {
        "en": "The credential does not say correctly who earned it.",
        "ja": "取得者の記述が正しくありません。",
    },
    "ob3.subject.no_id": {
        "en": "The badge does not identify its recipient by an id or identifier (its authenticity is not affected).",
        "ja": "バッジに取得者の ID（識別子）が記載されていません（真正性には影響しません）。",
    },
    "ob3.context.no_ob": {
        "en": "The credential does not declare the Open Badges 3.0 context.",
        "ja": "オープンバッジ 3.0 のコンテキストが宣言されていません。",
    },
    "ob3.subject.no_achievement": {
        "en": "The credential does not describe the achievement.",
        "ja": "取得した内容（アチーブメント）の記述がありません。",
    },
    "ob3.vc11": {
        "en": "This badge uses the older Verifiable Credentials 1.1 format.",
        "ja": "このバッジは旧形式（Verifiable Credentials 1.1）で作られています。",
    },
    "ob3.jsonld.ok": {
        "en": "Every field of the credential is covered by its signature.",
        "ja": "資格情報のすべての項目が署名の対象に含まれています。",
    },
    "ob3.jsonld.extension_types": {
        "en": "Some Open Badges extension types are used without their definition.",
        "ja": "オープンバッジ拡張の型が、その定義なしで使われています。",
    },
    "ob3.jsonld.undefined_terms": {
        "en": "The credential contains fields that its signature does not cover.",
        "ja": "署名の対象にならない項目が含まれています。",
    },
    "ob3.jsonld.unknown_context": {
        "en": "The credential refers to a vocabulary this wallet does not know, so it cannot be checked.",
        "ja": "このウォレットが知らない語彙を参照しているため、確認できません。",
    },
    "ob3.jsonld.too_complex": {
        "en": "The credential is too complex to check within the time allowed, so it cannot be verified.",
        "ja": "資格情報が複雑すぎて制限時間内に確認できないため、検証できません。",
    },
    "ob3.jsonld.invalid": {
        "en": "The credential is not valid linked data.",
        "ja": "資格情報のデータ形式（JSON-LD）が正しくありません。",
    },
    "ob3.proof.valid": {
        "en": "The issuer's digital signature is valid.",
        "ja": "発行者の電子署名は有効です。",
    },
    "ob3.proof.missing": {
        "en": "The credential carries no digital signature.",
        "ja": "電子署名がありません。",
    },
    "ob3.proof.deprecated": {
        "en": "The signature uses an older, deprecated method.",
        "ja": "署名に旧式（非推奨）の方式が使われています。",
    },
    "ob3.proof.unsupported": {
        "en": "The credential uses a signature type this wallet cannot check.",
        "ja": "このウォレットでは確認できない種類の署名が使われています。",
    },
    "ob3.proof.purpose": {
        "en": "The signature was not made for issuing credentials.",
        "ja": "この署名は資格情報の発行用のものではありません。",
    },
    "ob3.proof.malformed": {
        "en": "The digital signature is malformed.",
        "ja": "電子署名の形式が正しくありません。",
    },
    "ob3.proof.too_many": {
        "en": "The credential carries too many signatures.",
        "ja": "署名の数が多すぎます。",
    },
    "ob3.proof.sd_base": {
        "en": "The credential carries the issuer's selective-disclosure base proof, which is meant for its holder: it can be checked only in a copy the holder derives from it.",
        "ja": "発行者が保有者向けに付けた選択的開示の基本証明が付いています。検証できるのは、保有者がそこから導出した証明付きの資格情報だけです。",
    },
    "ob3.proof.selective": {
        "en": "The holder chose which parts of this credential to show. Fields the issuer did not make mandatory, such as an expiry date or revocation status, may be missing.",
        "ja": "この資格情報は、保有者が見せる部分を選んで提示したものです。発行者が必須としなかった項目（有効期限や失効状態など）は含まれていない可能性があります。",
    },
    "ob3.proof.bad_signature": {
        "en": "The signature does not match: the credential was changed after it was signed, or signed by another key.",
        "ja": "署名が一致しません。署名後に内容が変更されたか、別の鍵で署名されています。",
    },
    "ob3.key.invalid": {
        "en": "The issuer's key is not usable.",
        "ja": "発行者の鍵を使用できません。",
    },
    "ob3.key.malformed": {
        "en": "The issuer's key is malformed.",
        "ja": "発行者の鍵の形式が正しくありません。",
    },
    "ob3.key.unreachable": {
        "en": "The issuer's key could not be retrieved.",
        "ja": "発行者の鍵を取得できませんでした。",
    },
    "ob3.key.unknown": {
        "en": "The signing key is not listed in the issuer's key document.",
        "ja": "署名に使われた鍵が、発行者の鍵の文書に記載されていません。",
    },
    "ob3.key.purpose": {
        "en": "The signing key is not authorised to issue credentials.",
        "ja": "署名に使われた鍵には、資格情報を発行する権限がありません。",
    },
    "ob3.key.missing": {
        "en": "The signature does not say which key made it.",
        "ja": "署名にどの鍵を使ったかが示されていません。",
    },
    "ob3.key.unsupported": {
        "en": "The kind of key reference used by the signature is not supported.",
        "ja": "署名が参照する鍵の種類には対応していません。",
    },
    "ob3.key.wrong_type": {
        "en": "The signature was checked against a key of the wrong type.",
        "ja": "署名の方式と鍵の種類が一致しません。",
    },
    "ob3.key.issuer_ok": {
        "en": "The signing key belongs to the issuer.",
        "ja": "署名に使われた鍵は発行者のものです。",
    },
    "ob3.key.not_issuer": {
        "en": "The signing key does not belong to the issuer named in the badge.",
        "ja": "署名に使われた鍵は、バッジに記載された発行者のものではありません。",
    },
    "ob3.key.unconfirmed": {
        "en": "The signature is intact, but nothing published by {issuer} confirms that the key is the issuer's.",
        "ja": "署名は改ざんされていませんが、{issuer} が公開している情報では、その鍵が発行者のものであることを確認できません。",
    },
    "ob3.jwt.valid": {
        "en": "The issuer's digital signature (JWT) is valid.",
        "ja": "発行者の電子署名（JWT）は有効です。",
    },
    "ob3.jwt.malformed": {
        "en": "The signed token is malformed.",
        "ja": "署名付きトークンの形式が正しくありません。",
    },
    "ob3.jwt.shape_mismatch": {
        "en": "The signed token does not match the credential's format version.",
        "ja": "署名付きトークンの形式が資格情報のバージョンと一致しません。",
    },
    "ob3.jwt.bad_typ": {
        "en": "The signed token declares an unexpected type.",
        "ja": "署名付きトークンの種類が想定と異なります。",
    },
    "ob3.jwt.bad_alg": {
        "en": "The signed token uses a signature algorithm that is not accepted.",
        "ja": "受け付けていない署名アルゴリズムが使われています。",
    },
    "ob3.jwt.key_mismatch": {
        "en": "The signed token names two different keys.",
        "ja": "署名付きトークンが、異なる二つの鍵を指定しています。",
    },
    "ob3.jwt.no_key": {
        "en": "The signed token does not say which key signed it.",
        "ja": "署名付きトークンに署名鍵の情報がありません。",
    },
    "ob3.jwt.bad_signature": {
        "en": "The signature does not match: the token was changed or signed by another key.",
        "ja": "署名が一致しません。トークンが変更されたか、別の鍵で署名されています。",
    },
    "ob3.jwt.claims_ok": {
        "en": "The token's claims agree with the credential.",
        "ja": "トークンの内容は資格情報と一致しています。",
    },
    "ob3.jwt.iss_mismatch": {
        "en": "The token's issuer differs from the credential's issuer.",
        "ja": "トークンの発行者が資格情報の発行者と異なります。",
    },
    "ob3.jwt.jti_mismatch": {
        "en": "The token's identifier differs from the credential's identifier.",
        "ja": "トークンの識別子が資格情報の識別子と異なります。",
    },
    "ob3.jwt.sub_mismatch": {
        "en": "The token's subject differs from the credential's recipient.",
        "ja": "トークンの対象者が資格情報の取得者と異なります。",
    },
    "ob3.jwt.nbf_mismatch": {
        "en": "The token's start date differs from the credential's.",
        "ja": "トークンの有効開始日時が資格情報と異なります。",
    },
    "ob3.jwt.not_yet_valid": {
        "en": "The token is not valid yet.",
        "ja": "このトークンはまだ有効になっていません。",
    },
    "ob3.jwt.expired": {
        "en": "The token has expired.",
        "ja": "このトークンは有効期限が切れています。",
    },
    "ob3.status.none": {
        "en": "The issuer publishes no revocation status for this badge.",
        "ja": "発行者はこのバッジの失効情報を公開していません。",
    },
    "ob3.status.not_revoked": {
        "en": "The issuer has not revoked this badge.",
        "ja": "このバッジは発行者により失効されていません。",
    },
    "ob3.status.revoked": {
        "en": "The issuer has revoked this badge.",
        "ja": "このバッジは発行者により失効されています。",
    },
    "ob3.status.suspended": {
        "en": "The issuer has suspended this badge.",
        "ja": "このバッジは発行者により一時停止されています。",
    },
    "ob3.status.flagged": {
        "en": "The issuer has set a status flag on this badge.",
        "ja": "発行者がこのバッジに状態情報を設定しています。",
    },
    "ob3.status.short_list": {
        "en": "The badge is not revoked, but the issuer's status list is shorter than the standard requires.",
        "ja": "失効はしていませんが、発行者の失効リストが規格の長さに足りません。",
    },
    "ob3.status.unreachable": {
        "en": "The revocation status could not be retrieved from the issuer.",
        "ja": "発行者から失効情報を取得できませんでした。",
    },
    "ob3.status.malformed": {
        "en": "The issuer's revocation status information is malformed.",
        "ja": "発行者の失効情報の形式が正しくありません。",
    },
    "ob3.status.range": {
        "en": "The badge's position in the issuer's status list is out of range.",
        "ja": "失効リスト内のバッジの位置が範囲外です。",
    },
    "ob3.status.list_unverified": {
        "en": "The issuer's status list could not be verified.",
        "ja": "発行者の失効リストの真正性を確認できませんでした。",
    },
    "ob3.status.list_foreign": {
        "en": "The revocation list is not confirmed as the issuer's own, so the badge's status cannot be trusted.",
        "ja": "失効リストが発行者自身のものであると確認できないため、バッジの状態を確認できません。",
    },
    "ob3.status.list_expired": {
        "en": "The issuer's status list has expired.",
        "ja": "発行者の失効リストの有効期限が切れています。",
    },
    "ob3.endorsement.valid": {
        "en": "An endorsement included in the badge is valid.",
        "ja": "バッジに含まれる推薦（エンドースメント）は有効です。",
    },
    "ob3.endorsement.invalid": {
        "en": "An endorsement included in the badge could not be verified.",
        "ja": "バッジに含まれる推薦（エンドースメント）を検証できませんでした。",
    },
    "ob3.endorsement.skipped": {
        "en": "Some endorsements were not checked because there are too many.",
        "ja": "推薦（エンドースメント）が多すぎるため、一部は確認していません。",
    },
    "ob3.status.unsupported": {
        "en": "The badge uses a kind of revocation status this wallet does not support.",
        "ja": "このウォレットが対応していない種類の失効情報が使われています。",
    },
}
