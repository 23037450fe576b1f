"""Default configuration of the NRM application.

Precedence (lowest first): these defaults, ``instance/config.py``, ``NRM_*`` environment
variables (``NRM_SECRET_KEY`` sets ``SECRET_KEY``; values are parsed as JSON when they can be),
then the ``test_config`` mapping given to ``create_app``.

Values marked *default* are our configurable choices, not Kyrgyz law (DOMAIN.md §7).
"""

from datetime import timedelta

# "production" unless told otherwise: secure cookies, real hashing cost, no demo accounts.
# `make run` and `init --demo` set "development"; the test suite sets "test".
ENV = "production"

# Set by `flask --app nrm init` from instance/keys/secret.key; may be given as NRM_SECRET_KEY.
SECRET_KEY = None
# Key-encryption keys of the vault: instance/keys/master/<key-id>.key, or NRM_MASTER_KEYS as
# "key-id:base64url-key,key-id:base64url-key". The newest key id (sorted) seals new data.
MASTER_KEYS = None
# HMAC key of the audit trail, kept outside the database: instance/keys/audit.key or NRM_AUDIT_KEY.
AUDIT_KEY = None
# Root key of the blind indexes (duplicate detection): instance/keys/index.key or NRM_INDEX_KEY.
INDEX_KEY = None

# SQLite in instance/ unless NRM_DATABASE_URL names another database (PostgreSQL in production).
DATABASE_URL = None
# hide_parameters: a database error must never carry field values into a log.
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
# How long a write waits for another transaction's lock before the user is told that nothing was
# saved and to send the form again (503): SQLite's busy_timeout, PostgreSQL's lock_timeout.
DATABASE_LOCK_WAIT_MS = 10000

# The SOP catalogue (criteria, agency scripts, routing, directory). None = the sops/ folder
# shipped with the product. The app refuses to start while it has any problem.
SOP_PATH = None

# Languages of the interface; the first is the fallback (Kyrgyz is the State language).
LANGUAGES = ("ky", "ru", "en")
BABEL_DEFAULT_LOCALE = "ky"
# Where the system is used: "today", the year a person is counted in, the working days of every
# clock and every date shown or printed. Times are stored in UTC.
TIMEZONE = "Asia/Bishkek"
BABEL_DEFAULT_TIMEZONE = TIMEZONE

# /api/v1 (docs/api.md): the OpenAPI document flask-smorest generates, served beside the API; no
# browsable UI (it would load scripts from elsewhere). Calls per client per minute.
API_TITLE = "National Referral Mechanism of the Kyrgyz Republic"
API_VERSION = "1"
OPENAPI_VERSION = "3.1.0"
OPENAPI_URL_PREFIX = "/api/v1"
OPENAPI_JSON_PATH = "openapi.json"
API_RATE_LIMIT = "300 per minute"
# Behind Tunduk (the national X-Road): the addresses of our security server(s). A request from one of
# them may name its client by the X-Road-Client header instead of a token (nrm.services.api_clients).
XROAD_SECURITY_SERVERS = ()

# The numbers the screening's emergency page shows large, in this order: (number, service). The
# services are labelled in nrm.labels.EMERGENCY_SERVICE_LABELS. 189 is the free hotline on safe
# migration and trafficking; confirm each number with the ministry before a regional deployment.
EMERGENCY_NUMBERS = (("102", "police"), ("103", "ambulance"), ("112", "emergency"),
                     ("189", "trafficking_hotline"))

# Sessions: only an opaque session id lives in the signed cookie; the rest is server-side.
SESSION_IDLE_TIMEOUT = timedelta(minutes=15)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=8)
# A password accepted but a second factor not yet given expires after this long.
SESSION_PENDING_TIMEOUT = timedelta(minutes=5)
# The page warns this long before the idle sign-out, with a button to stay signed in; a screening
# step's answers are saved into the sealed draft at the warning, and every AUTOSAVE_SECONDS while
# the officer types (nothing typed is lost to the timeout).
SESSION_WARNING_SECONDS = 120
AUTOSAVE_SECONDS = 30
SESSION_COOKIE_NAME = "nrm_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = None  # None = True in production, False elsewhere (set in create_app)
PERMANENT_SESSION_LIFETIME = SESSION_ABSOLUTE_TIMEOUT
# Never re-send an unchanged cookie: a slow concurrent request (a favicon, a second tab) carrying
# the cookie from before sign-in would otherwise overwrite the new one. Expiry is server-side.
SESSION_REFRESH_EACH_REQUEST = False

# Passwords (Argon2id). None = argon2-cffi's RFC 9106 "low memory" profile (t=3, m=64 MiB, p=4),
# above the OWASP minimums. Tests pass fast parameters; production must not.
PASSWORD_HASH_PARAMS = None
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256

# Per-account lockout: LOCKOUT_THRESHOLD failures within LOCKOUT_WINDOW lock for LOCKOUT_DURATION.
LOCKOUT_THRESHOLD = 5
LOCKOUT_WINDOW = timedelta(minutes=1)
LOCKOUT_DURATION = timedelta(minutes=15)
# Wrong second-factor codes per account, across every pending sign-in: TOTP_LOCKOUT_THRESHOLD within
# TOTP_LOCKOUT_WINDOW lock the account until an administrator unlocks it (so a slow pace gains
# nothing: 10 a day is about one chance in 100,000 of guessing a 6-digit code).
TOTP_LOCKOUT_THRESHOLD = 10
TOTP_LOCKOUT_WINDOW = timedelta(hours=24)
# Per-address limit on sign-in attempts, against password spraying across many accounts.
RATELIMIT_ENABLED = True
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_LOGIN = "30 per minute"
RATELIMIT_HEADERS_ENABLED = False

# Second factor: every role by default (the issue requires it for roles that see personal data;
# administrators and auditors hold keys to the kingdom, so they get it too).
TOTP_REQUIRED_ROLES = (
    "screening_officer", "case_worker", "coordinator", "analyst", "auditor", "administrator",
)
TOTP_ISSUER = "NRM Kyrgyz Republic"

# Number of reverse proxies in front of the app (1 behind nginx): their X-Forwarded-For/-Proto/-Host
# are then trusted, so the audit trail records the real client and cookies can be Secure.
TRUSTED_PROXIES = 0

WTF_CSRF_TIME_LIMIT = 8 * 3600
# Flask-WTF's HTTPS Referer check cannot work with "Referrer-Policy: no-referrer" (browsers send
# no Referer, and Origin is "null"); CSRF rests on the session-bound token, SameSite=Lax cookies
# and the Sec-Fetch-Site check in nrm.web.
WTF_CSRF_SSL_STRICT = False
MAX_CONTENT_LENGTH = 16 * 1024 * 1024

# The NRM clocks (DOMAIN.md §7). All are *defaults* of ours unless the comment gives a source; an
# administrator changes them here (or NRM_CLOCKS='{"acknowledgement_hours": 12, ...}'), no code.
CLOCKS = {
    "acknowledgement_hours": 24,             # receiving service acknowledges a referral (default)
    "acknowledgement_urgent_hours": 4,       # ... when shelter or safety is urgent (default)
    "acceptance_hours": 72,                  # crisis centre accepts or declines (default)
    "consular_notification_hours": 24,       # "promptly" after the safety check (001:269)
    "asylum_application_working_days": 10,   # to the competent authority (001:276)
    "reflection_period_days": 30,            # Council of Europe Convention art. 13 (best practice)
    "identification_decision_working_days": 10,  # coordinator's decision (default)
    "case_review_days": 14,                  # while a case is active (default, as in Primero)
}
# Public holidays (ISO dates) that do not count as working days; fill in each year.
PUBLIC_HOLIDAYS = ()

# Retention (DOMAIN.md §7, defaults): then crypto-shred the person's data key and delete the rows.
RETENTION = {
    "no_indicators_screening_days": 90,
    "closed_case_days": 5 * 365,
    "abandoned_draft_days": 30,              # a draft screening never submitted (our default)
}

# The scheduler (APScheduler): `flask --app nrm scheduler` in production; `make run` starts one in
# the app process (SCHEDULER_IN_PROCESS), guarded by a file lock so only one runs per instance.
SCHEDULER_IN_PROCESS = False
SCHEDULER_INTERVAL_SECONDS = 300
SCHEDULER_LOCK_SECONDS = 600

# Optional e-mail of notifications (the message never holds personal data, only "you have a new
# notification"). Empty MAIL_SERVER = in-app notifications only.
MAIL_SERVER = ""
MAIL_PORT = 587
MAIL_USE_TLS = True
MAIL_USERNAME = ""
MAIL_PASSWORD = ""
MAIL_SENDER = ""

# Case attachments: sealed files under instance/attachments.
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024

# Anonymised statistics (docs/statistics.md). A published count below STATS_K is withheld (11, as the
# Counter-Trafficking Data Collaborative publishes); published counts are rounded to the nearest
# multiple of STATS_ROUNDING_BASE (1 = no rounding). Countries shown on their own in the citizenship and
# country-of-exploitation tables; every other country is counted under "other". The list is fixed in
# advance so that a country's absence from a table never tells anyone anything.
# Only completed years are published unless STATS_PUBLISH_CURRENT_YEAR: figures of a year still
# running change every day, and two days' tables differenced would show who was added in between.
STATS_PUBLISH_CURRENT_YEAR = False
# How long one process keeps the protected tables before recounting (seconds).
STATS_CACHE_SECONDS = 300
STATS_K = 11
# The `public` row-level export (nrm.services.exports): every combination of its columns occurs at
# least STATS_EXPORT_K times. A file of a few hundred people keeps most of its values at 5 and loses
# most of them at 11 (docs/statistics.md gives the figures); raise it when the volumes allow. Values
# are generalised (a broad age group, then -99) column by column in this order, first the columns
# that say least and single out most; the identification status is never generalised.
STATS_EXPORT_K = 5
STATS_EXPORT_GENERALISE = ("CountryOfExploitation", "yearOfRegistration", "ageBroad", "citizenship",
                           "typeOfExploitConcatenated", "gender")
# `flask --app nrm demo-data` is refused in production unless this is true (NRM_DEMO_DATA=true).
DEMO_DATA = False
STATS_ROUNDING_BASE = 5
STATS_COUNTRIES = ("KG", "UZ", "TJ", "KZ", "RU", "CN", "AF", "TR", "AE", "KR", "DE", "PL", "GB", "US")

# The transnational exchange with partner NRMs (docs/exchange.md). EXCHANGE_ID names us in every
# package ("to" and "from"); partners post packages to <our public URL>/api/v1/exchange/inbox. A
# package is valid for EXCHANGE_VALIDITY after it is sent; the outbox retries a failed delivery after
# 1, 2, 4 … minutes, at most EXCHANGE_RETRY_MAX apart. Plain http is allowed only to loopback.
EXCHANGE_ID = "KG-NRM-MLSSM"
EXCHANGE_COUNTRY = "KG"
EXCHANGE_VALIDITY = timedelta(days=14)
EXCHANGE_RETRY_MAX = timedelta(hours=6)
EXCHANGE_TIMEOUT_SECONDS = 20
