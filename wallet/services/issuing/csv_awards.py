"""Award CSV files: an institute's spreadsheet checked line by line, and every good line awarded."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from typing import Any

from flask import has_request_context
from flask_babel import gettext

from wallet.extensions import db
from wallet.models import Achievement
from wallet.models import Award
from wallet.models.names import full_name
from wallet.services.issuing import AwardRow
from wallet.services.issuing import award
from wallet.services.issuing import person_of
from wallet.services.issuing import recipients
from wallet.services.issuing import today
from wallet.services.issuing.audit import SYSTEM
from wallet.services.issuing.audit import Actor
from wallet.services.issuing.errors import IssuingError
from wallet.services.issuing.issuers import valid_email
from wallet.services.issuing.keys import private_key_of
from wallet.services.validation import has_unusable_characters

# Extra CSV columns become identifiers `ext:<name>` (the OB 3.0 schema allows ASCII only there).
EXTRA_COLUMN = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}\Z")
MAX_CSV_ROWS = 20_000
MAX_IDENTIFIER = 200


BUILT_IN = ("email", "family_name", "given_name", "issue_date", "expiry", "language")

# Header aliases: the institute's spreadsheet may use the Japanese column names.
COLUMNS = {
    "email": "email",
    "email_address": "email",
    "メールアドレス": "email",
    "family_name": "family_name",
    "姓": "family_name",
    "氏": "family_name",
    "given_name": "given_name",
    "名": "given_name",
    "issue_date": "issue_date",
    "issued_on": "issue_date",
    "発行日": "issue_date",
    "expiry": "expiry",
    "expires": "expiry",
    "有効期限": "expiry",
    "language": "language",
    "lang": "language",
    "言語": "language",
    "合格番号": "pass_number",
    "登録番号": "registration_number",
}
REQUIRED_COLUMNS = ("email", "family_name", "given_name")
# The reason column of a refused-lines file (refused_csv): ignored when the file comes back.
PROBLEM_COLUMN = "problem"


def N_(text: str) -> str:
    """Mark text for translation; it is translated when shown (CLI output stays English)."""
    return text


ROW_MESSAGES = {
    "encoding": N_("The file is not UTF-8 or Shift_JIS text."),
    "empty": N_("The file has no header line."),
    "missing_column": N_("Column %(value)s is missing."),
    "bad_column": N_(
        "Column name %(value)s cannot be used: extra columns need letters, digits, . - _ only."
    ),
    "duplicate_column": N_("Column %(value)s appears twice."),
    "too_many_rows": N_("The file has more than %(value)s rows."),
    "columns": N_("The line has %(value)s fields; the header has a different number."),
    "email": N_("The email address %(value)s is not valid."),
    "family_name": N_("The family name is missing, too long or contains unusable characters."),
    "given_name": N_("The given name is missing, too long or contains unusable characters."),
    "issue_date": N_("The issue date %(value)s is not a date (YYYY-MM-DD)."),
    "issue_date_future": N_("The issue date %(value)s is in the future."),
    "expiry": N_("The expiry %(value)s is not a date (YYYY-MM-DD)."),
    "expiry_order": N_("The expiry %(value)s is not after the issue date."),
    "expiry_past": N_("The expiry %(value)s has passed already."),
    "identifier": N_("The value of %(value)s is too long or contains unusable characters."),
    "repeated": N_("The same address and issue date already appear on line %(value)s."),
    "failed": N_("The badge could not be issued (%(value)s)."),
    "address_shared": N_(
        "Lines %(value)s give this address to different people. One address belongs to one "
        "person: give each person their own address."
    ),
    "address_award": N_(
        "This address was given to another person before: %(value)s. One address belongs to "
        "one person: correct the address, or, if it is the same person whose name changed, "
        "award this line on the form and confirm it."
    ),
    "address_account": N_(
        "A wallet account with this address belongs to a person of another name. Correct the "
        "address, or, if it is the same person whose name changed, award this line on the form "
        "and confirm it."
    ),
}
# Codes that concern one address given to two people (the operator resolves them).
ADDRESS_CODES = ("address_shared", "address_award", "address_account")


@dataclass(frozen=True)
class RowProblem:
    """A line of the CSV that was not awarded, and why (``code`` keys ROW_MESSAGES)."""

    line: int
    code: str
    value: str = ""
    # The line's fields as the file had them (for the refused-lines CSV).
    fields: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """Return the explanation in the current language."""
        text = ROW_MESSAGES[self.code]
        if has_request_context():
            text = gettext(text)
        return text % {"value": self.value}


@dataclass
class CsvFile:
    """A parsed award CSV: good rows (line, row, fields), refused lines, and how many lines."""

    rows: list[tuple[int, AwardRow, tuple[str, ...]]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    lines: int = 0  # data lines (not blank, not the header), good and refused
    header: tuple[str, ...] = ()


@dataclass
class CsvReport:
    """What an award run did, line by line."""

    created: list[tuple[int, Award]] = field(default_factory=list)
    existing: list[tuple[int, Award]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    lines: int = 0
    header: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Return True when every line was awarded (now or before)."""
        return not self.problems


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _column_key(header: str) -> str | None:
    """Return the canonical column name, or None when the header cannot be used."""
    name = header.strip().strip("\ufeff")
    known = COLUMNS.get(name) or COLUMNS.get(name.lower())
    if known:
        return known
    if EXTRA_COLUMN.match(name):
        return name
    return None


def identifier_type(column: str) -> str:
    """Return the identifier type of an extra column: snake_case becomes camelCase."""
    head, *rest = re.split(r"[_]+", column)
    return head + "".join(part[:1].upper() + part[1:] for part in rest if part)


def _parse_date(text: str) -> date | None:
    text = text.strip().replace("/", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if not match:
            return None
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None


def parse_csv(data: bytes) -> tuple[list[tuple[int, AwardRow]], list[RowProblem]]:
    """Parse and check an award CSV: good rows with their line numbers, and the bad ones."""
    parsed = read_csv(data)
    return [(line, row) for line, row, _fields in parsed.rows], parsed.problems


def read_csv(data: bytes) -> CsvFile:
    """Parse and check an award CSV line by line (see CsvFile), shared addresses included."""
    text = _decode(data)
    if text is None:
        return CsvFile(problems=[RowProblem(1, "encoding")])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return CsvFile(problems=[RowProblem(1, "empty")])
    parsed = CsvFile(header=tuple(header))
    columns: list[str] = []
    for raw in header:
        key = _column_key(raw)
        if key is None:
            parsed.problems.append(RowProblem(1, "bad_column", raw.strip()[:60]))
        elif key in columns:
            parsed.problems.append(RowProblem(1, "duplicate_column", raw.strip()[:60]))
        columns.append(key or "")
    parsed.problems += [
        RowProblem(1, "missing_column", c) for c in REQUIRED_COLUMNS if c not in columns
    ]
    if parsed.problems:
        return parsed
    # (address, day) -> (line, person): the same person twice is a repeated line; another
    # person on that address is a shared address (_refuse_shared_addresses), not a repeat.
    seen: dict[tuple[str, date], tuple[int, recipients.Person]] = {}
    now = today()
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            parsed.lines += 1
            if len(parsed.rows) + len(parsed.problems) >= MAX_CSV_ROWS:
                parsed.problems.append(RowProblem(line, "too_many_rows", str(MAX_CSV_ROWS)))
                break
            row, problem = _row(columns, fields, line, now)
            if problem is None and row is not None:
                key = (row.email.lower(), row.issued_on)
                earlier = seen.get(key)
                if earlier is None:
                    seen[key] = (line, person_of(row))
                elif recipients.same_person(earlier[1], person_of(row)):
                    problem = RowProblem(line, "repeated", str(earlier[0]))
            if problem is not None:
                parsed.problems.append(_with_fields(problem, fields))
            elif row is not None:
                parsed.rows.append((line, row, tuple(fields)))
    except csv.Error:
        parsed.problems.append(RowProblem(reader.line_num, "columns", "?"))
    _refuse_shared_addresses(parsed)
    return parsed


def _with_fields(problem: RowProblem, fields: list[str] | tuple[str, ...]) -> RowProblem:
    return RowProblem(problem.line, problem.code, problem.value, tuple(fields))


def _refuse_shared_addresses(parsed: CsvFile) -> None:
    """Move every good line whose address the file gives to several people to the problems."""
    shared = recipients.shared_in_file(
        (line, row.email, person_of(row), full_name(_named(row))) for line, row, _f in parsed.rows
    )
    if not shared:
        return
    kept = []
    for line, row, fields in parsed.rows:
        if line in shared:
            parsed.problems.append(RowProblem(line, "address_shared", shared[line], fields))
        else:
            kept.append((line, row, fields))
    parsed.rows = kept
    parsed.problems.sort(key=lambda p: p.line)


@dataclass(frozen=True)
class _Named:
    family_name: str
    given_name: str
    name_order: str


def _named(row: AwardRow) -> _Named:
    return _Named(
        row.family_name, row.given_name, "family-first" if row.language == "ja" else "given-first"
    )


def problem_of(line: int, exc: Exception, fields: tuple[str, ...] = ()) -> RowProblem:
    """Return the report line for an award that raised (an address conflict says with whom)."""
    if isinstance(exc, recipients.AddressTaken):
        return RowProblem(line, exc.code, exc.detail[:300], fields)
    return RowProblem(line, "failed", str(exc)[:200], fields)


def _row(
    columns: list[str], fields: list[str], line: int, now: date
) -> tuple[AwardRow | None, RowProblem | None]:
    if len(fields) != len(columns):
        return None, RowProblem(line, "columns", str(len(fields)), tuple(fields))
    values = {c: f.strip().strip("\u3000").strip() for c, f in zip(columns, fields, strict=True)}
    values.pop(PROBLEM_COLUMN, None)
    email = valid_email(values["email"])
    if email is None:
        return None, RowProblem(line, "email", values["email"][:100])
    for name in ("family_name", "given_name"):
        value = values[name]
        if not value or len(value) > 100 or has_unusable_characters(value):
            return None, RowProblem(line, name)
    issued_text = values.get("issue_date", "")
    issued_on = _parse_date(issued_text) if issued_text else now
    if issued_on is None:
        return None, RowProblem(line, "issue_date", issued_text[:40])
    if issued_on > now:
        return None, RowProblem(line, "issue_date_future", issued_text[:40])
    expiry_text = values.get("expiry", "")
    expires_on = None
    if expiry_text:
        expires_on = _parse_date(expiry_text)
        if expires_on is None:
            return None, RowProblem(line, "expiry", expiry_text[:40])
        if expires_on < issued_on:
            return None, RowProblem(line, "expiry_order", expiry_text[:40])
        if expires_on < now:
            # The holder's wallet refuses an expired badge: it could never be claimed.
            return None, RowProblem(line, "expiry_past", expiry_text[:40])
    identifiers: list[tuple[str, str]] = []
    for column in columns:
        if column in (*BUILT_IN, PROBLEM_COLUMN):
            continue
        value = values[column]
        if not value:
            continue
        if len(value) > MAX_IDENTIFIER or has_unusable_characters(value):
            return None, RowProblem(line, "identifier", column)
        identifiers.append((identifier_type(column), value))
    language = values.get("language", "").lower() or "ja"
    return (
        AwardRow(
            email=email,
            family_name=values["family_name"],
            given_name=values["given_name"],
            issued_on=issued_on,
            expires_on=expires_on,
            identifiers=tuple(identifiers),
            language=language if language in ("ja", "en") else "ja",
        ),
        None,
    )


def award_csv(
    achievement: Achievement,
    data: bytes,
    *,
    notify: Callable[[Award], Any] | None = None,
    actor: Actor = SYSTEM,
) -> CsvReport:
    """Award every good line of a CSV (bad lines reported); re-running creates no duplicates.

    ``notify(award)`` is called for each newly created award (the claims service mails it).
    """
    parsed = read_csv(data)
    report = CsvReport(problems=list(parsed.problems), lines=parsed.lines, header=parsed.header)
    if not parsed.rows:
        return report
    key = private_key_of(achievement.issuer)  # decrypted once per run
    for line, row, fields in parsed.rows:
        try:
            outcome = award(achievement, row, key=key, actor=actor)
        except (IssuingError, ValueError) as exc:
            db.session.rollback()
            report.problems.append(problem_of(line, exc, fields))
            continue
        if outcome.created:
            report.created.append((line, outcome.award))
            if notify is not None:
                notify(outcome.award)
        else:
            report.existing.append((line, outcome.award))
    report.problems.sort(key=lambda p: p.line)
    return report
