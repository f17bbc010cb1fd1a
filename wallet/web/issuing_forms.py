"""The issuing portal's forms: issuers, achievements, awards one by one or by CSV, revocation,
operators and reminders."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField
from wtforms import DateField
from wtforms import EmailField
from wtforms import IntegerField
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import Regexp

from wallet.web.forms import language_choices
from wallet.web.forms import strip
from wallet.web.forms import usable_text

ERRORS = {
    "bad_slug": _l("Use lower-case letters, digits and hyphens (not at the start or end)."),
    "slug_taken": _l("This short name is taken already."),
    "bad_name": _l("Enter a name (200 characters at most)."),
    "bad_url": _l("Enter an address that starts with https://."),
    "bad_email": _l("Enter a valid email address."),
    "bad_description": _l("Enter a description."),
    "bad_criteria": _l("Enter the criteria."),
    "bad_image": _l("The image must be a PNG, JPEG, GIF or WebP picture."),
    "bad_validity": _l("Enter a number of days between 1 and 36,600."),
    "key_unreadable": _l(
        "The issuer's key cannot be read: ISSUER_KEY_SECRET has changed. An owner can give "
        "the issuer a new key."
    ),
    "bad_reminder": _l("Enter a number of days between 1 and 365, or leave it empty."),
    "bad_role": _l("Choose a role."),
    "no_account": _l(
        "No wallet account has this address. Ask the person to create an account first."
    ),
    "last_owner": _l("The issuer needs at least one owner: make someone else an owner first."),
    "busy": _l("Someone changed this at the same moment. Please try again."),
}
ROLE_LABELS = {
    "owner": _l("Owner: operators, keys, badges and the log"),
    "issuer": _l("Issuer: awards, re-sends and revokes"),
    "viewer": _l("Viewer: reads only"),
}


class IssuerForm(FlaskForm):
    """A new issuer (institute); its short name in URLs is made from its web site."""

    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=200), usable_text], filters=[strip]
    )
    url = StringField(
        _l("Web site"),
        validators=[
            DataRequired(),
            Length(max=2000),
            Regexp(r"^https?://", message=ERRORS["bad_url"]),
        ],
        filters=[strip],
    )
    email = EmailField(
        _l("Contact email"),
        validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)],
        filters=[strip],
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=2000), usable_text], filters=[strip]
    )
    image = FileField(_l("Logo (PNG or JPEG)"))


class AchievementForm(FlaskForm):
    """A new badge class of an issuer; its short name is made from its name."""

    name = StringField(
        _l("Badge name"), validators=[DataRequired(), Length(max=200), usable_text], filters=[strip]
    )
    description = TextAreaField(
        _l("Description"), validators=[DataRequired(), Length(max=5000), usable_text]
    )
    criteria = TextAreaField(
        _l("Criteria"), validators=[DataRequired(), Length(max=10000), usable_text]
    )
    validity_days = IntegerField(
        _l("Valid for (days, empty: no expiry)"),
        validators=[Optional(), NumberRange(min=1, max=36600)],
    )
    reminder_days = IntegerField(
        _l("Remind unclaimed recipients after (days, empty: no reminder)"),
        validators=[Optional(), NumberRange(min=1, max=365)],
    )
    image = FileField(_l("Badge image (PNG)"))


class AwardForm(FlaskForm):
    """Award one badge to one address."""

    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)],
        filters=[strip],
    )
    family_name = StringField(
        _l("Family name"),
        validators=[DataRequired(), Length(max=100), usable_text],
        filters=[strip],
    )
    given_name = StringField(
        _l("Given name"), validators=[DataRequired(), Length(max=100), usable_text], filters=[strip]
    )
    issue_date = DateField(_l("Issue date (empty: today)"), validators=[Optional()])
    expiry = DateField(_l("Expiry (empty: the badge's default)"), validators=[Optional()])
    pass_number = StringField(
        _l("Pass number"), validators=[Optional(), Length(max=200), usable_text], filters=[strip]
    )
    registration_number = StringField(
        _l("Registration number"),
        validators=[Optional(), Length(max=200), usable_text],
        filters=[strip],
    )
    language = SelectField(_l("Language of the mails"), default="ja")
    same_person = BooleanField(
        _l("The same person as before under a new name (the address is theirs)")
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()


class CsvForm(FlaskForm):
    """Award from a CSV file."""

    file = FileField(_l("CSV file"))


class RevokeForm(FlaskForm):
    """Revoke an award, with the reason the portal keeps and shows on its pages."""

    reason = TextAreaField(
        _l("Reason (optional, shown on the portal's pages)"),
        validators=[Optional(), Length(max=500), usable_text],
        filters=[strip],
    )


def role_choices() -> list[SelectChoice]:
    """Return the roles an operator can have, described."""
    return [SelectChoice(value, str(label)) for value, label in ROLE_LABELS.items()]


class OperatorForm(FlaskForm):
    """Give an account a role for the issuer."""

    email = EmailField(
        _l("Email address of their wallet account"),
        validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)],
        filters=[strip],
    )
    role = SelectField(_l("Role"), choices=role_choices, default="issuer")


class RoleForm(FlaskForm):
    """Change an operator's role."""

    role = SelectField(_l("Role"), choices=role_choices)


class ReminderForm(FlaskForm):
    """Turn the reminder of unclaimed awards on or off."""

    reminder_days = IntegerField(
        _l("Remind unclaimed recipients after (days, empty: no reminder)"),
        validators=[Optional(), NumberRange(min=1, max=365)],
    )
