"""Plumbing of the end-to-end suite: a fresh database, an Odoo server
subprocess, an in-process SMTP sink, RPC and HTTP clients, pdftotext.

Stdlib only (plus aiosmtpd): the suite talks to Odoo the way an integration
or a browser does, never through the ORM.
"""

import contextlib
import email
import email.message
import email.policy
import email.utils
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import uuid
import xmlrpc.client
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ODOO_HOME = Path(os.environ.get("ODOO_HOME", "/opt/odoo/18.0"))
ODOO_VENV = Path(os.environ.get("ODOO_VENV", "/opt/odoo/venv"))
PYTHON = ODOO_VENV / "bin" / "python"
ODOO_BIN = ODOO_HOME / "odoo-bin"
ADDONS_PATH = ",".join(
    str(p) for p in (ODOO_HOME / "addons", ODOO_HOME / "odoo" / "addons", PROJECT_ROOT)
)

INSTALL_TIMEOUT = 300  # seconds, database creation + module install
SERVER_START_TIMEOUT = 60
RPC_TIMEOUT = 180  # one call (PDF rendering included)
SMTP_WAIT_TIMEOUT = 20


class HarnessError(RuntimeError):
    pass


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path, lines=150):
    try:
        content = [
            line
            for line in Path(path).read_text(errors="replace").splitlines()
            if not line.startswith("QSslSocket:")  # wkhtmltopdf's noise
        ]
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    return "\n".join(content[-lines:])


# ----------------------------------------------------------------------
# Database and server
# ----------------------------------------------------------------------
def check_prerequisites():
    missing = [str(p) for p in (PYTHON, ODOO_BIN) if not p.exists()]
    if missing:
        raise HarnessError(f"Odoo runtime not found: {', '.join(missing)}")
    for tool in ("pdftotext", "wkhtmltopdf", "createdb", "dropdb"):
        if not shutil.which(tool):
            raise HarnessError(f"{tool} is not installed")
    ready = subprocess.run(["pg_isready", "-q"], check=False, timeout=10)
    if ready.returncode:
        raise HarnessError("PostgreSQL is not running (scripts/common.sh require_postgres)")


def unique_db_name():
    return f"optim_relance_e2e_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def odoo_command(db, data_dir, *extra):
    return [
        str(PYTHON),
        str(ODOO_BIN),
        f"--addons-path={ADDONS_PATH}",
        f"--data-dir={data_dir}",
        "-d",
        db,
        f"--db-filter=^{re.escape(db)}$",
        *extra,
    ]


def install_database(db, data_dir, log_path):
    """A fresh database with optim_relance and no demo data."""
    command = odoo_command(
        db,
        data_dir,
        "-i",
        "optim_relance",
        "--without-demo=all",
        "--stop-after-init",
        "--max-cron-threads=0",
        "--http-interface=127.0.0.1",
        f"--http-port={free_port()}",
    )
    with open(log_path, "ab") as log:
        log.write(f"\n===== install: {' '.join(command)}\n".encode())
        log.flush()
        try:
            proc = subprocess.run(
                command, stdout=log, stderr=subprocess.STDOUT, timeout=INSTALL_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise HarnessError(f"install took more than {INSTALL_TIMEOUT}s") from exc
    text = Path(log_path).read_text(errors="replace")
    if proc.returncode or re.search(r" (ERROR|CRITICAL) ", text):
        raise HarnessError(f"install of optim_relance failed (rc={proc.returncode})")


def drop_database(db):
    subprocess.run(
        ["dropdb", "--if-exists", "--force", db],
        check=False,
        timeout=60,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


class OdooServer:
    """``odoo-bin`` as a real HTTP server: threaded without cron thread by
    default, or with the given options (``--workers=2`` for prefork…)."""

    def __init__(self, db, data_dir, log_path, options=("--max-cron-threads=0", "--workers=0")):
        self.db = db
        self.data_dir = data_dir
        self.log_path = log_path
        self.options = options
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self._log = None

    def start(self):
        command = odoo_command(
            self.db,
            self.data_dir,
            "--http-interface=127.0.0.1",
            f"--http-port={self.port}",
            f"--gevent-port={free_port()}",
            *self.options,
        )
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop())
        self._log.write(f"\n===== server: {' '.join(command)}\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError(f"Odoo server exited at start (rc={self.proc.returncode})")
            try:
                with urllib.request.urlopen(f"{self.url}/web/login", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise HarnessError(f"Odoo server did not answer /web/login in {SERVER_START_TIMEOUT}s")

    def cron_worker_pid(self):
        """The pid of the prefork server's current cron worker (from its log)."""
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            pids = re.findall(r"Worker WorkerCron \((\d+)\) alive", log.read())
        if not pids:
            raise HarnessError("no cron worker in the server log")
        return int(pids[-1])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._log:
            self._log.close()
            self._log = None


def configure_mail(admin, smtp, url, company_name, company_email):
    """The loopback SMTP server as Odoo's outgoing server, the server's own
    address for links and report CSS, the company's name and email; returns
    the company id."""
    admin(
        "ir.mail_server",
        "create",
        {
            "name": "E2E loopback SMTP",
            "smtp_host": smtp.hostname,
            "smtp_port": smtp.port,
            "smtp_encryption": "none",
            "sequence": 1,
        },
    )
    for key, value in (
        ("web.base.url", url),
        ("web.base.url.freeze", "True"),
        ("report.url", url),
    ):
        admin("ir.config_parameter", "set_param", key, value)
    company_id = admin("res.users", "read", [admin.uid], fields=["company_id"])[0]["company_id"][0]
    admin(
        "res.company",
        "write",
        [company_id],
        {"name": company_name, "email": company_email, "city": "Lyon"},
    )
    return company_id


# ----------------------------------------------------------------------
# SMTP sink
# ----------------------------------------------------------------------
@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list
    raw: bytes
    message: email.message.EmailMessage = field(init=False)

    def __post_init__(self):
        self.message = email.message_from_bytes(self.raw, policy=email.policy.default)

    @property
    def to_addresses(self):
        return {
            addr.lower() for _name, addr in email.utils.getaddresses([self.message["To"] or ""])
        }

    @property
    def subject(self):
        return str(self.message["Subject"] or "")

    def pdf_attachments(self):
        return [
            (part.get_filename(), part.get_content())
            for part in self.message.iter_attachments()
            if part.get_content_type() == "application/pdf"
        ]

    def html_body(self):
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part else ""


class SmtpSink:
    """aiosmtpd handler keeping every message received, in order."""

    def __init__(self):
        self._lock = threading.Lock()
        self._messages = []

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        with self._lock:
            self._messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), raw))
        return "250 Message accepted for delivery"

    @property
    def messages(self):
        with self._lock:
            return list(self._messages)

    def wait_for(self, count, since=0, timeout=SMTP_WAIT_TIMEOUT):
        """The messages received after index ``since``, once there are at least
        ``count`` of them (or the timeout is over)."""
        deadline = time.monotonic() + timeout
        while True:
            received = self.messages[since:]
            if len(received) >= count or time.monotonic() > deadline:
                return received
            time.sleep(0.2)


def start_smtp(sink):
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller


# ----------------------------------------------------------------------
# RPC
# ----------------------------------------------------------------------
class _TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout):
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


class Rpc:
    """``/xmlrpc/2/object`` as one user; one instance per thread."""

    def __init__(self, url, db, login, password):
        self.db = db
        self.password = password
        common = xmlrpc.client.ServerProxy(
            f"{url}/xmlrpc/2/common", transport=_TimeoutTransport(RPC_TIMEOUT)
        )
        self.uid = common.authenticate(db, login, password, {})
        if not self.uid:
            raise HarnessError(f"RPC login refused for {login}")
        self._object = xmlrpc.client.ServerProxy(
            f"{url}/xmlrpc/2/object",
            transport=_TimeoutTransport(RPC_TIMEOUT),
            allow_none=True,
        )

    def __call__(self, model, method, *args, **kwargs):
        return self._object.execute_kw(
            self.db, self.uid, self.password, model, method, list(args), kwargs
        )

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        rows = self(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
        )
        if not rows:
            raise HarnessError(f"no record {xmlid}")
        return rows[0]["res_id"]


# ----------------------------------------------------------------------
# HTTP as a browser
# ----------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@dataclass
class HttpResponse:
    status: int
    headers: dict
    body: bytes


class WebSession:
    """A cookie jar and urllib, like a browser (redirects not followed)."""

    def __init__(self, url):
        self.url = url
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def request(self, path, data=None, headers=None):
        req = urllib.request.Request(self.url + path, data=data, headers=headers or {})
        try:
            with self._opener.open(req, timeout=RPC_TIMEOUT) as response:
                return HttpResponse(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as exc:
            with contextlib.closing(exc):
                return HttpResponse(exc.code, dict(exc.headers), exc.read())

    def authenticate(self, db, login, password):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"db": db, "login": login, "password": password},
        }
        response = self.request(
            "/web/session/authenticate",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        result = json.loads(response.body or b"{}")
        if response.status != 200 or "error" in result or not result.get("result", {}).get("uid"):
            raise HarnessError(f"web login refused for {login}: {response.status} {result}")
        return result["result"]["uid"]


# ----------------------------------------------------------------------
# PDF and amounts
# ----------------------------------------------------------------------
def pdf_to_text(raw):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
        pdf.write(raw)
        pdf.flush()
        result = subprocess.run(
            ["pdftotext", "-layout", pdf.name, "-"],
            capture_output=True,
            check=True,
            timeout=60,
        )
    return result.stdout.decode("utf-8", errors="replace")


def squash(text):
    """No-break spaces and runs of whitespace as one plain space."""
    return re.sub(r"\s+", " ", text.replace("\N{NO-BREAK SPACE}", " ")).strip()


def format_amount(amount, currency, lang):
    """Odoo's ``tools.format_amount`` (spaces as plain spaces, see ``squash``)
    from the currency and language read over RPC."""
    if lang["grouping"].replace(" ", "") != "[3,0]":
        raise HarnessError(f"unsupported grouping {lang['grouping']}")
    digits = currency["decimal_places"]
    number = f"{abs(amount):,.{digits}f}"
    number = (
        number.replace(",", "\0")
        .replace(".", lang["decimal_point"])
        .replace("\0", lang["thousands_sep"])
    )
    if amount < 0:
        number = "-\N{ZERO WIDTH NO-BREAK SPACE}" + number
    symbol = currency["symbol"] or ""
    return f"{symbol} {number}" if currency["position"] == "before" else f"{number} {symbol}"


def print_log_tail(log_path, title):
    sys.stderr.write(f"\n----- {title}: last lines of {log_path} -----\n")
    sys.stderr.write(tail(log_path))
    sys.stderr.write("\n----- end of Odoo log -----\n")
    sys.stderr.flush()


# ----------------------------------------------------------------------
# A test class with its own database, SMTP sink and Odoo server
# ----------------------------------------------------------------------
class ServerCase(unittest.TestCase):
    """A fresh database with optim_relance, a loopback SMTP sink and a real
    Odoo server (``server_options``) for the whole class; ``_setup_data``
    adds the class's data. On a failure, the Odoo log's tail is printed and
    the temporary directory (data dir, log) kept."""

    maxDiff = None
    _failed = False
    server_options = ("--max-cron-threads=0", "--workers=0")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="optim_relance_e2e_")
        cls.log_path = os.path.join(cls.tmp, "odoo.log")
        cls.addClassCleanup(cls._remove_tmp)
        try:
            check_prerequisites()
            cls.db = unique_db_name()
            cls.addClassCleanup(drop_database, cls.db)
            install_database(cls.db, cls.tmp, cls.log_path)
            cls.sink = SmtpSink()
            cls.smtp = start_smtp(cls.sink)
            cls.addClassCleanup(cls.smtp.stop)
            cls.server = OdooServer(cls.db, cls.tmp, cls.log_path, options=cls.server_options)
            cls.addClassCleanup(lambda: cls.server.stop())
            cls.server.start()
            cls.url = cls.server.url
            cls._setup_data()
        except BaseException:
            cls._failed = True
            print_log_tail(cls.log_path, "setUpClass failed")
            raise

    @classmethod
    def _setup_data(cls):
        """The class's own data, once the server is up."""

    @classmethod
    def _remove_tmp(cls):
        if cls._failed:
            sys.stderr.write(f"\n[e2e] kept {cls.tmp} (Odoo log: {cls.log_path})\n")
        else:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        outcome = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            type(self)._failed = True
            print_log_tail(self.log_path, f"{self.id()} failed")
        return outcome
