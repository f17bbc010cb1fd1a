"""Human messages for verification check ids, in every UI language: the one place they live."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

_ISO_INSTANT = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)

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
    # --- OB 3.0 checks ---
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
        "en": "The credential is too complex to check safely.",
        "ja": "資格情報が複雑すぎるため、安全に確認できません。",
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
        "en": "The signature is valid, but it could not be confirmed that the key belongs to the issuer.",
        "ja": "署名は有効ですが、その鍵が発行者のものであることは確認できませんでした。",
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
        "ja": "発行者がこのバッジを取り消しました。",
    },
    "revocation.revoked_reason": {
        "en": "The issuer has revoked this badge: {reason}",
        "ja": "発行者がこのバッジを取り消しました。理由: {reason}",
    },
    "revocation.not_revoked": {
        "en": "The badge is not revoked.",
        "ja": "このバッジは取り消されていません。",
    },
    "revocation.no_list": {
        "en": "The issuer publishes no revocation list.",
        "ja": "発行者は取り消しリストを公開していません。",
    },
    "verify.internal_error": {
        "en": "Verification stopped on an unexpected error.",
        "ja": "予期しないエラーにより検証を中断しました。",
    },
}


def message(message_id: str, lang: str = "en", params: Mapping[str, str] | None = None) -> str:
    """Return the message for ``message_id`` in ``lang`` (English fallback), filled with params."""
    texts = MESSAGES.get(message_id)
    if texts is None:
        return message_id
    text = texts.get(lang) or texts["en"]
    if params:
        try:
            return text.format(**{key: _readable(value, lang) for key, value in params.items()})
        except (KeyError, IndexError, ValueError):
            return text
    return text


def _readable(value: str, lang: str) -> str:
    """Show an ISO 8601 instant as a day people read (2026年4月1日 / 1 April 2026 UTC 09:00)."""
    if not isinstance(value, str) or not _ISO_INSTANT.match(value):
        return value
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    from babel.dates import format_datetime

    if len(value) <= 10:
        pattern = "y年M月d日" if lang == "ja" else "d MMMM y"
    else:
        pattern = "y年M月d日 HH:mm" if lang == "ja" else "d MMMM y, HH:mm"
    text = format_datetime(instant, pattern, tzinfo=instant.tzinfo, locale=lang)
    zone = instant.strftime("%z") if instant.tzinfo else ""
    if zone and len(value) > 10:
        text += " UTC" if zone == "+0000" else f" (UTC{zone[:3]}:{zone[3:]})"
    return text
