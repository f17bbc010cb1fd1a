"""All web forms: shape validation only (uniqueness and credentials live in services)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import EmailField
from wtforms import HiddenField
from wtforms import PasswordField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import EqualTo
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from wallet.services.password_policy import Strength
from wallet.services.password_policy import assess
from wallet.services.password_policy import personal_words
from wallet.services.validation import has_unusable_characters

PASSWORD_MESSAGES = {
    "short": _l("Use at least 8 characters."),
    "long": _l("Use at most 128 characters."),
    "personal": _l("It uses your name or email address."),
    "common": _l("It is a commonly used password."),
    "words": _l("Common words and names alone are guessed first."),
    "keyboard": _l("Keyboard patterns like qwerty are guessed first."),
    "sequence": _l("Sequences like abc or 1234 are guessed first."),
    "repeat": _l("Repeated characters are guessed first."),
    "dates": _l("Dates and years are guessed first."),
    "guessable": _l("Add a few more unrelated words or characters."),
}
STRENGTH_LABELS = {
    0: _l("Too easy to guess"),
    1: _l("Too easy to guess"),
    2: _l("Acceptable"),
    3: _l("Good"),
    4: _l("Strong"),
}


@dataclass(frozen=True)
class StrengthView:
    """A password's strength as the meter shows it: score, label and reasons in words."""

    score: int
    label: str
    reasons: list[str]

    @property
    def ok(self) -> bool:
        """Return whether the password is accepted."""
        return not self.reasons


def strength_view(strength: Strength) -> StrengthView:
    """Return the meter's view of a policy verdict, in the current language."""
    reasons = [str(PASSWORD_MESSAGES[p]) for p in strength.problems]
    if strength.problems and strength.problems[0] in ("short", "long"):
        label = str(_l("Too short")) if strength.problems[0] == "short" else str(_l("Too long"))
    else:
        label = str(STRENGTH_LABELS[strength.score])
    return StrengthView(strength.score, label, reasons)


PERSONAL_FIELDS = ("email", "family_name", "given_name", "family_name_kana", "given_name_kana")


def strip(value: str | None) -> str | None:
    """Trim surrounding white space (including full-width spaces) from a text field."""
    return value.strip().strip("\u3000").strip() if isinstance(value, str) else value


def usable_text(form: FlaskForm, field: StringField) -> None:
    """Refuse control characters, bidi overrides and bytes that were not valid UTF-8."""
    if field.data and has_unusable_characters(field.data):
        raise ValidationError(_l("This contains characters that cannot be used."))


def valid_password(form: FlaskForm, field: PasswordField) -> None:
    """Check the password policy; keep the verdict for the strength meter and say why."""
    strength = assess(field.data or "", form_personal_words(form))
    form.strength = strength_view(strength)
    if not strength.ok:
        reasons = form.strength.reasons
        if strength.problems[0] not in ("short", "long"):
            reasons = [str(_l("This password is too easy to guess.")), *reasons]
        raise ValidationError(" ".join(reasons))


def form_personal_words(form: FlaskForm) -> list[str]:
    """Return the holder's own words: the form's address and names, and the account's."""
    values = [getattr(getattr(form, name, None), "data", None) for name in PERSONAL_FIELDS]
    words = personal_words(*values)
    return words + list(getattr(form, "known_words", []))


def name_order_choices() -> list[SelectChoice]:
    """Return the name order choices in the current language."""
    return [
        SelectChoice("family-first", str(_l("Family name first (e.g. コンクリート 太郎)"))),
        SelectChoice("given-first", str(_l("Given name first (e.g. Taro Concrete)"))),
    ]


def language_choices() -> list[SelectChoice]:
    """Return the UI languages, each named in itself."""
    return [SelectChoice("ja", "日本語"), SelectChoice("en", "English")]


class EmailMixin:
    """An email field with the usual checks."""

    email = EmailField(
        _l("Email address"),
        validators=[
            InputRequired(message=_l("Enter your email address.")),
            Length(max=254, message=_l("The email address is too long.")),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
        filters=[strip],
    )


class NameFields:
    """Separately stored family and given names, furigana and romanized name."""

    family_name = StringField(
        _l("Family name"),
        validators=[
            DataRequired(message=_l("Enter your family name.")),
            Length(max=100),
            usable_text,
        ],
        filters=[strip],
    )
    given_name = StringField(
        _l("Given name"),
        validators=[
            DataRequired(message=_l("Enter your given name.")),
            Length(max=100),
            usable_text,
        ],
        filters=[strip],
    )
    family_name_kana = StringField(
        _l("Family name (furigana)"),
        validators=[Optional(), Length(max=100), usable_text],
        filters=[strip],
    )
    given_name_kana = StringField(
        _l("Given name (furigana)"),
        validators=[Optional(), Length(max=100), usable_text],
        filters=[strip],
    )
    romanized_name = StringField(
        _l("Name in Latin letters"),
        validators=[Optional(), Length(max=200), usable_text],
        filters=[strip],
    )
    name_order = RadioField(_l("Name order"), default="family-first")
    language = SelectField(_l("Language"), default="ja")


class RegisterForm(EmailMixin, NameFields, FlaskForm):
    """Create a wallet account."""

    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(message=_l("Enter a password.")), valid_password],
    )
    password_confirm = PasswordField(
        _l("Password again"),
        validators=[
            InputRequired(message=_l("Enter the password again.")),
            EqualTo("password", message=_l("The two passwords differ.")),
        ],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.name_order.choices = name_order_choices()
        self.language.choices = language_choices()


class LoginForm(EmailMixin, FlaskForm):
    """Sign in."""

    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(message=_l("Enter your password.")), Length(max=200)],
    )
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class ReauthForm(FlaskForm):
    """Confirm it's you: the password again (a passkey works without this form)."""

    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(message=_l("Enter your password.")), Length(max=1000)],
    )
    next = HiddenField()


class ForgotPasswordForm(EmailMixin, FlaskForm):
    """Ask for a password reset mail."""


class ResetPasswordForm(FlaskForm):
    """Choose a new password from a reset link."""

    password = PasswordField(
        _l("New password"),
        validators=[InputRequired(message=_l("Enter a password.")), valid_password],
    )
    password_confirm = PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(message=_l("Enter the password again.")),
            EqualTo("password", message=_l("The two passwords differ.")),
        ],
    )


class ChangePasswordForm(ResetPasswordForm):
    """Change the password while signed in."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(message=_l("Enter your current password.")), Length(max=200)],
    )


class ProfileForm(NameFields, FlaskForm):
    """Edit the account's names and preferences (the email address is fixed)."""

    default_visibility = RadioField(
        _l("New badges are"),
        default="public",
    )
    profile_public = BooleanField(_l("Show a public profile page with my public badges"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.name_order.choices = name_order_choices()
        self.language.choices = language_choices()
        self.default_visibility.choices = [
            SelectChoice("public", str(_l("Public"))),
            SelectChoice("private", str(_l("Private"))),
        ]


class LanguageForm(FlaskForm):
    """Switch the UI language."""

    lang = SelectField(_l("Language"))
    next = HiddenField()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.lang.choices = language_choices()


class ConfirmForm(FlaskForm):
    """A bare form: CSRF token only, for buttons that post."""
