"""Configuration defaults, overridden by WALLET_* environment variables, then by the mapping."""

from __future__ import annotations

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"

# htmx is loaded from a CDN, pinned to one release and checked by its SRI hash (notes/stack.md §6).
HTMX_VERSION = "2.0.11"
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
HTMX_CDN_ORIGIN = "https://cdn.jsdelivr.net"
HTMX_CDN_URL = f"{HTMX_CDN_ORIGIN}/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"


class InsecureConfiguration(RuntimeError):
    """The app was asked to start with settings that are unsafe (a built-in or weak secret)."""


class Config:
    """Safe defaults for every setting the application reads."""

    ENV = "development"
    SECRET_KEY = DEFAULT_SECRET_KEY
    DATABASE_URL: str | None = None  # default: SQLite file in the instance folder
    BASE_URL = "http://127.0.0.1:5000"

    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {}
    # A pooled connection idle longer than this (seconds) is pinged before use (web/db_pool.py).
    DATABASE_PING_IDLE_SECONDS = 10.0

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "wallet_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 14
    # Server-side sessions (services/sessions.py): idle and absolute lifetimes of a sign-in,
    # longer with "keep me signed in" (at most 30 days); re-authentication for sensitive actions.
    SESSION_IDLE_MINUTES = 30
    SESSION_MAX_HOURS = 12
    REMEMBER_DAYS = 30
    REMEMBER_IDLE_DAYS = 7
    REAUTH_MINUTES = 10

    # The token lives in <main hx-headers>; boosted navigation re-renders it, and a
    # long-lived tab gets a fresh one on each full page (notes/security.md §2).
    WTF_CSRF_TIME_LIMIT = 60 * 60 * 8
    WTF_CSRF_SSL_STRICT = True

    MAX_CONTENT_LENGTH = 12 * 1024 * 1024

    LANGUAGES = ("ja", "en")
    BABEL_DEFAULT_LOCALE = "en"
    # The issuing portal's calendar: award dates are days in this zone (services/issuing).
    BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"

    # argon2id cost (argon2-cffi RFC 9106 low-memory profile); tests lower these.
    PASSWORD_TIME_COST = 3
    PASSWORD_MEMORY_COST = 65536
    PASSWORD_PARALLELISM = 4

    EMAIL_TOKEN_MAX_AGE = 24 * 60 * 60
    RESET_TOKEN_MAX_AGE = 60 * 60

    MAIL_BACKEND = "outbox"  # "outbox" writes .eml files to instance/outbox; "smtp" sends
    MAIL_FROM = "Badge Wallet <no-reply@wallet.invalid>"
    MAIL_OUTBOX_DIR: str | None = None
    SMTP_HOST = "localhost"
    SMTP_PORT = 25
    SMTP_SECURITY = "none"  # "none", "starttls" or "tls"
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_TIMEOUT = 10.0
    SMTP_CAFILE: str | None = None  # CA bundle to trust for the SMTP server (default: system CAs)

    # A CSV uploaded on the web is awarded in steps of at most this long / this many lines, each
    # its own request, well under a worker's timeout (services/award_batches.py).
    AWARD_STEP_SECONDS = 5.0
    AWARD_STEP_ROWS = 500

    RATELIMIT_STORAGE_URL = "memory://"
    # Redis down: limit in each worker's memory meanwhile rather than answer 500.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_LOGIN_IP = "20 per 5 minutes"
    # Failed sign-ins per account and address: each window adds a longer wait (never a lockout
    # of the holder's own address by others); account-wide, only for devices that never signed
    # in to it before (ASVS 4.0 2.2.1: at most 100 failures an hour). See web/login_limits.py.
    RATELIMIT_LOGIN_ACCOUNT_ADDRESS = "5 per minute;10 per 15 minutes;20 per hour"
    RATELIMIT_LOGIN_ACCOUNT = "100 per hour"
    # Wrong current passwords per holder (password change, re-authentication, account deletion).
    RATELIMIT_PASSWORD_CHECK = "5 per 15 minutes;20 per day"
    # Re-verification (outbound requests): per holder, per badge, and a minimum interval.
    RATELIMIT_REVERIFY_HOLDER = "30 per hour"
    RATELIMIT_REVERIFY_BADGE = "6 per hour"
    REVERIFY_MIN_SECONDS = 60
    # CPU-heavy holder actions (PDF documents, export, issuing), per account.
    RATELIMIT_HEAVY = "60 per hour"
    # Passkey ceremonies (options and verification), per address.
    RATELIMIT_PASSKEY = "30 per minute"
    RATELIMIT_REGISTER_IP = "10 per hour"
    RATELIMIT_RESET_IP = "10 per hour"
    RATELIMIT_PASSWORD_STRENGTH = "60 per minute"  # the strength meter while typing, per address
    RATELIMIT_IMPORT = "30 per hour"  # badge imports per user (web and htmx)
    # 404s of public URLs per address (views are not counted: see wallet/web/miss_limit.py).
    RATELIMIT_PUBLIC_MISSES = "60 per minute"

    FETCH_ALLOWED_NETWORKS: str | list[str] = ""

    # OAuth 2.0 and the OB 3.0 API (wallet/api): lifetimes, caps and limits.
    OAUTH_CODE_LIFETIME = 600  # seconds an authorization code may wait to be exchanged
    OAUTH_ACCESS_TOKEN_LIFETIME = 3600  # seconds
    OAUTH_REFRESH_TOKEN_DAYS = 90
    API_MAX_BODY_BYTES = 2 * 1024 * 1024  # one upserted credential or profile
    API_PAGE_LIMIT = 100  # the most credentials one GET returns (and the default page)
    API_TERMS_URL = ""  # the discovery document's termsOfService (default: the home page)
    API_PRIVACY_URL = ""  # its x-imssf-privacyPolicyUrl (default: the home page)
    RATELIMIT_API_REGISTER = "20 per hour"  # client registrations per address
    RATELIMIT_API_TOKEN = "60 per minute"  # token and revocation requests per address
    RATELIMIT_API = "600 per minute"  # API calls per access token
    RATELIMIT_API_UPSERT = "120 per hour"  # credentials pushed per access token
    RATELIMIT_BRING = "10 per hour"  # "bring badges from another wallet" runs per holder

    # Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host/-Port
    # headers are trusted (werkzeug ProxyFix). 0: ignore them (direct exposure, or tests).
    PROXY_FIX = 0

    # Per-field caps on the import form (MAX_CONTENT_LENGTH caps the whole request).
    IMPORT_MAX_FILE_BYTES = 10 * 1024 * 1024
    IMPORT_MAX_TEXT_BYTES = 2 * 1024 * 1024

    # A stored verification older than this (seconds) is re-checked by `wallet reverify` (cron);
    # visitors' page loads never fetch anything remote.
    VERIFY_MAX_AGE = 24 * 60 * 60
    # A badge whose last check could not be completed (issuer unreachable, ...) is due sooner.
    VERIFY_RETRY_AGE = 60 * 60

    # The time zone of a reader who chose none (IANA names by UI language): holders change theirs
    # in the account settings; visitors of public pages get their language's (the page says so).
    DEFAULT_TIMEZONES = {"ja": "Asia/Tokyo", "en": "UTC"}

    # Rendered verification pages kept per worker for signed-out visitors (0: none). The key
    # holds everything the page shows, so no entry goes stale; ~5 KB each.
    PUBLIC_PAGE_CACHE_SIZE = 500

    # Operations (README "Running in production"): logs, metrics, readiness, the job queue.
    LOG_FORMAT: str | None = None  # "json", "text" or "none" (default: json in production)
    LOG_LEVEL = "INFO"
    LOG_REQUESTS = True  # one line per request (health checks only at DEBUG)
    METRICS_ALLOWED_NETWORKS: str | list[str] = ""  # CIDRs that may read /metrics; empty: off
    READY_TIMEOUT = 2.0  # seconds /readyz waits for the database and Redis
    # Redis URL of the job queue run by `wallet worker`; empty: jobs run in the web process,
    # after the response (at once outside a web request), without retries.
    QUEUE_URL = ""
    QUEUE_AFTER_RESPONSE = True  # tests turn it off so that a request's jobs have run on return
    MAIL_RETRY_DELAYS = "30,120,600,1800,3600,7200"  # seconds between attempts of a queued mail
    REVERIFY_INTERVAL = 3600  # a worker queues stale badges for re-verification this often (0: off)
    REMINDER_INTERVAL = 3600  # a worker sends due award reminders this often (0: off)
    EXPIRY_REMINDER_INTERVAL = 3600  # a worker mails due expiry reminders this often (0: off)
    # Additional email addresses added (each mails a confirmation link), per holder.
    RATELIMIT_ADD_ADDRESS = "5 per hour;20 per day"

    HTMX_SRC = HTMX_CDN_URL
    HTMX_SRI = HTMX_SRI
    HTMX_LOCAL = False  # serve a hash-checked copy from static/vendor instead of the CDN
