"""A real server for load and latency measurements: gunicorn serving ``wsgi:app`` on 127.0.0.1 with
throwaway keys, a prepared database (directory, accounts of every role, draft screenings ready to
submit), and a small HTTP client that signs in like a browser (password, TOTP code, CSRF tokens)."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import ROOT

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
PASSWORD = "load-test passphrase 7391"  # noqa: S105 - throwaway accounts on a throwaway database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Account:
    username: str
    role: str
    secret: str
    drafts: list[str] = field(default_factory=list)


class Server:
    """Prepare a database, then run gunicorn on it."""

    def __init__(self, workdir: Path, database_url: str | None = None, workers: int = 4):
        from tests.conftest import fresh_keys

        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url or f"sqlite:///{self.workdir / 'load.sqlite3'}"
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.keys = fresh_keys()
        self.process: subprocess.Popen | None = None

    def config(self) -> dict:
        return {"ENV": "development", "INSTANCE_PATH": str(self.workdir / "instance"),
                "DATABASE_URL": self.database_url, "RATELIMIT_ENABLED": False,
                "BABEL_DEFAULT_LOCALE": "en", "SCHEDULER_IN_PROCESS": False, **self.keys}

    def prepare(self, roles: dict[str, int], drafts_per_officer: int = 0) -> list[Account]:
        """Fresh tables, the directory, ``roles[role]`` accounts of each role, and for each officer
        ``drafts_per_officer`` screenings answered up to their summary (through the services)."""
        from nrm import create_app
        from nrm.clock import now
        from nrm.extensions import db
        from nrm.models import User
        from nrm.security import totp
        from nrm.services import accounts, directory
        from nrm.services import screening as screenings
        from tests.conftest import make_org
        from tests.test_referrals import PRESUMED_ANSWERS

        app = create_app(self.config())
        kinds = {"screening_officer": ("load-police", "police_unit"), "case_worker": ("sezim", None),
                 "coordinator": ("mlssm", "mlssm_central"), "analyst": ("load-gpo", "prosecutor_office"),
                 "auditor": ("load-omb", "ombudsman"), "administrator": ("mlssm", "mlssm_central")}
        made = []
        with app.app_context():
            db.drop_all()
            db.create_all()
            directory.seed()
            db.session.commit()
            for role, count in roles.items():
                code, kind = kinds[role]
                org = directory.by_code(code) or make_org(code, kind)
                for n in range(count):
                    user, _ = accounts.create_user(None, username=f"load-{role.replace('_', '')[:8]}-{n}",
                                                   role=role, organisation=org, password=PASSWORD)
                    user.must_change_password = False
                    db.session.flush()
                    totp.new_secret(user)
                    user.totp_enrolled_at = now()
                    made.append((user.id, role))
            db.session.commit()
            result = []
            for user_id, role in made:
                user = db.session.get(User, user_id)
                account = Account(user.username, role, totp.secret_of(user))
                if role == "screening_officer":
                    script = screenings.script_for(user)
                    for _ in range(drafts_per_officer):
                        draft = screenings.start(user, script, "ru")
                        draft.answers_json = json.dumps(PRESUMED_ANSWERS)
                        draft.current_step = script.steps[-1].id
                        account.drafts.append(draft.id)
                result.append(account)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        return result

    def env(self, **overrides) -> dict:
        """The environment of a process of this instance (gunicorn, the scheduler): its config as
        ``NRM_*`` variables, with ``overrides`` on top."""
        return {**os.environ, "NRM_INSTANCE_PATH": str(self.workdir / "instance"),
                **{f"NRM_{k}": (v if isinstance(v, str) else json.dumps(v))
                   for k, v in {**self.config(), **overrides}.items() if k != "INSTANCE_PATH"}}

    def start(self) -> None:
        env = self.env()
        self.log = (self.workdir / "gunicorn.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
             "--timeout", "60", "--graceful-timeout", "10", "wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                health = self.url + "/health"
                with urllib.request.urlopen(health, timeout=2) as response:  # noqa: S310 - loopback
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not start: see {self.workdir / 'gunicorn.log'}")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=,ppid=", "-A"], capture_output=True, text=True).stdout
        return [int(pid) for pid, ppid in (line.split() for line in out.splitlines())
                if int(ppid) == self.process.pid]

    def worker_memory_mib(self) -> list[float]:
        """Resident memory of each gunicorn worker (the children of the master)."""
        out = subprocess.run(["ps", "-o", "pid=,ppid=,rss=", "-A"], capture_output=True, text=True).stdout
        return [int(rss) / 1024 for pid, ppid, rss in (line.split() for line in out.splitlines())
                if int(ppid) == self.process.pid]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        if getattr(self, "log", None):
            self.log.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One signed-in user: a cookie jar, the CSRF token of its session, timed requests."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)
        self.token = ""

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, str, float, str]:
        body = urllib.parse.urlencode({**(data or {}), "csrf_token": self.token}, doseq=True).encode() \
            if method == "POST" else None
        req = urllib.request.Request(self.base + path, data=body, method=method)  # noqa: S310 - loopback
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=60) as response:  # noqa: S310 - http://127.0.0.1 only
                text = response.read().decode("utf-8", "replace")
                status, location = response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as error:
            text = error.read().decode("utf-8", "replace")
            status, location = error.code, error.headers.get("Location", "")
        elapsed = time.perf_counter() - started
        found = CSRF.search(text)
        if found:
            self.token = found.group(1)
        return status, text, elapsed, location

    def sign_in(self, account: Account) -> None:
        import pyotp

        self.request("GET", "/auth/login")
        status, _t, _e, location = self.request("POST", "/auth/login",
                                                {"username": account.username, "password": PASSWORD})
        assert status == 302 and location.endswith("/auth/code"), (account.username, status, location)
        self.request("GET", "/auth/code")
        code = pyotp.TOTP(account.secret).now()
        status, _t, _e, location = self.request("POST", "/auth/code", {"code": code})
        assert status == 302, (account.username, "second factor refused", status)
        self.request("GET", "/")


def signed_in(server: Server, accounts: list[Account]) -> list[tuple[Client, Account]]:
    """A signed-in client for each account, in order."""
    clients = []
    for account in accounts:
        client = Client(server.url)
        client.sign_in(account)
        clients.append((client, account))
    return clients
