"""Example instance configuration: copy to instance/config.py and adjust.

Every setting can also come from an environment variable with the NRM_ prefix
(NRM_DATABASE_URL, NRM_SECRET_KEY, NRM_MASTER_KEYS, NRM_AUDIT_KEY, NRM_ENV, ...).
Defaults and their meaning: nrm/config.py.
"""

from datetime import timedelta

# "production" (default), "development" (demo instance) or "test".
ENV = "production"

# PostgreSQL in production (psycopg 3 driver); SQLite in instance/ when unset.
# DATABASE_URL = "postgresql+psycopg://nrm@127.0.0.1:5432/nrm"

# Behind the TLS proxy cookies must be Secure (default in production).
# SESSION_COOKIE_SECURE = True

# Shared rate-limit storage when several app servers run (e.g. "redis://127.0.0.1:6379/0").
# RATELIMIT_STORAGE_URI = "memory://"

# Session timeouts (defaults: 15 minutes idle, 8 hours in all).
SESSION_IDLE_TIMEOUT = timedelta(minutes=15)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=8)

# Lockout (default: 5 failures within 1 minute lock the account for 15 minutes).
# LOCKOUT_THRESHOLD = 5
# LOCKOUT_WINDOW = timedelta(minutes=1)
# LOCKOUT_DURATION = timedelta(minutes=15)
