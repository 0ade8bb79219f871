"""Screenshots of the user guide (README.md), taken from a running demo.

    bash scripts/demo.sh --no-start          # a French demo database
    (start Odoo on it, e.g. on port 8071)
    /opt/odoo/venv/bin/python scripts/screenshots.py --url http://127.0.0.1:8071 \
        --db optim_relance_demo

Logs in with JSON-RPC, starts a headless Chromium and drives it through the
Chrome DevTools Protocol (websocket-client, from the project's
requirements), then writes into docs/screenshots/:

    installments.png   "Échéances à régler", filtered on more than 30 days late
    payer_panel.png    one overdue installment: its history and its payer's panel
    wizard.png         the "Traitement des relances" dialog with its preview
    worklist.png       "Relances du jour": the installments to remind today, with their next
                       level, its date and the holds (filter "Promesse en cours" added)
    invoice_hold.png   an invoice in dispute: the warning above it, its installments' holds
    run.png            the latest reminder run: its progress, letters and chatter
                       (confirm a batch larger than optim_relance.sync_letter_limit first)
    letter.png         the latest emailed reminder letter, its installments and chatter
                       (process a reminder by email in the demo first)
    dashboard.png      Reporting › Recouvrement › the collection dashboard
    analysis.png       the receivables pivot: payers × aging buckets
    aged_balance.png   the first page of the aged balance PDF as of today (pdftoppm)
                       (nothing is confirmed: the database is left as it was)

Nothing but the standard library, websocket-client and, to shrink the PNGs
when they are big, Pillow (optional).
"""

import argparse
import base64
import contextlib
import http.cookiejar
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_PNG_BYTES = 400 * 1024


def log(message):
    print(f"[screenshots] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------
# Odoo: JSON-RPC with a session cookie
# ----------------------------------------------------------------------
class Odoo:
    def __init__(self, url, db, login, password):
        self.url = url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.call("/web/session/authenticate", db=db, login=login, password=password)
        self.session_id = next((c.value for c in self.cookies if c.name == "session_id"), None)
        if not self.session_id:
            sys.exit(f"no session_id cookie from {self.url}: wrong database or login?")

    def call(self, route, **params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params})
        request = urllib.request.Request(
            self.url + route, body.encode(), {"Content-Type": "application/json"}
        )
        with self.opener.open(request, timeout=60) as response:
            answer = json.load(response)
        if answer.get("error"):
            error = answer["error"]
            sys.exit(f"{route}: {error.get('data', {}).get('message') or error.get('message')}")
        return answer["result"]

    def call_kw(self, model, method, args, **kwargs):
        return self.call(
            "/web/dataset/call_kw", model=model, method=method, args=args, kwargs=kwargs
        )

    def download(self, path):
        with self.opener.open(self.url + path, timeout=120) as response:
            return response.read()


def pick_installment(odoo):
    """An overdue, already reminded installment whose payer has a comment,
    with the longest history (ties: the highest level, the latest)."""
    # The menu's own domain of what is to collect, from the server.
    menu_action = odoo.call_kw("account.move.line", "action_open_relance_installments", [])
    lines = odoo.call_kw(
        "account.move.line",
        "search_read",
        [
            [
                *menu_action["domain"],
                ("reminder_level", ">", 0),
                ("reminder_days_late", ">", 0),
                ("reminder_payer_id.reminder_comment", "!=", False),
            ]
        ],
        fields=["reminder_level", "reminder_history_ids", "move_id"],
        limit=200,
    )
    if not lines:
        sys.exit("no reminded overdue installment with a payer's comment: not the demo database?")
    best = max(lines, key=lambda r: (len(r["reminder_history_ids"]), r["reminder_level"], r["id"]))
    log(f"payer panel: installment {best['id']} of {best['move_id'][1]}")
    return best["id"]


# ----------------------------------------------------------------------
# Chromium through the DevTools Protocol
# ----------------------------------------------------------------------
def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    def __init__(self, chromium, width, height):
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="optim_relance_shots.")
        port = free_port()
        self.process = subprocess.Popen(
            [
                chromium,
                "--headless=new",
                f"--remote-debugging-port={port}",
                f"--window-size={width},{height}",
                f"--user-data-dir={self.profile}",
                "--no-sandbox",
                "--no-first-run",
                "--hide-scrollbars",
                "--lang=fr-FR",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.ws = None
        self.next_id = 0
        try:
            self.ws = websocket.create_connection(self._page_ws_url(port), timeout=60)
            self.send("Page.enable")
            self.send("Runtime.enable")
            self.send("Network.enable")
            self.send(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
        except BaseException:
            self.close()
            raise

    def _page_ws_url(self, port):
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                sys.exit("Chromium exited at start")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                    pages = [t for t in json.load(r) if t.get("type") == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except OSError:
                pass
            time.sleep(0.2)
        sys.exit("Chromium's DevTools endpoint did not answer")

    def send(self, method, **params):
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            # events (console, network...) are not needed

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, what, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.25)
        self.screenshot(os.path.join(tempfile.gettempdir(), "optim_relance_shot_failed.png"))
        raise TimeoutError(f"timed out waiting for {what} (see /tmp/optim_relance_shot_failed.png)")

    def wait_selector(self, selector, timeout=30):
        self.wait_for(f"!!document.querySelector({json.dumps(selector)})", selector, timeout)

    def settle(self):
        """No loading indicator, no error dialog, fonts loaded, and the page
        unchanged for a moment."""
        self.wait_for(
            "!document.querySelector('.o_loading_indicator, .o_blockUI, .fa-spin')",
            "the end of loading",
        )
        error = self.evaluate(
            "(() => { const e = document.querySelector('.o_error_dialog, .o_dialog_error');"
            " return e ? e.innerText : null })()"
        )
        if error:
            raise RuntimeError(f"Odoo shows an error:\n{error}")
        self.evaluate("document.fonts.ready.then(() => true)")
        previous = None
        for _ in range(20):
            html = self.evaluate("document.body.innerHTML.length")
            if html == previous:
                break
            previous = html
            time.sleep(0.4)

    def set_cookie(self, url, name, value):
        host = urllib.request.urlparse(url).hostname
        ok = self.send("Network.setCookie", name=name, value=value, domain=host, path="/")
        if not ok.get("success", True):
            sys.exit("Chromium refused the session cookie")

    def navigate(self, url):
        self.send("Page.navigate", url=url)
        # the new document: wait for the old one to go before polling selectors
        self.wait_for(
            "document.readyState === 'complete'"
            " && !!document.querySelector('.o_web_client, .oe_login_form')",
            url,
        )

    def click(self, selector, text=None):
        """Click the first element matching selector (and containing text)."""
        clicked = self.evaluate(
            f"""(() => {{
                const text = {json.dumps(text)};
                const el = [...document.querySelectorAll({json.dumps(selector)})]
                    .find(e => !text || e.innerText.trim().includes(text));
                if (!el) return false;
                el.scrollIntoView({{block: "center"}});
                el.click();
                return true;
            }})()"""
        )
        if not clicked:
            raise RuntimeError(f"nothing to click: {selector} {text or ''}")

    def fit_height(self, max_height):
        """Make the viewport as tall as the scrolled content (Odoo scrolls
        inside .o_content, not the page), up to max_height; 0 restores it."""
        height = self.height
        if max_height:
            overflow = self.evaluate(
                "(() => { const c = document.querySelector('.o_action_manager .o_content');"
                " return c ? c.scrollHeight - c.clientHeight : 0 })()"
            )
            height = min(max_height, self.height + max(0, overflow))
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=self.width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        time.sleep(0.5)

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png", fromSurface=True)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        if self.ws:
            with contextlib.suppress(OSError):
                self.ws.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def shrink(path):
    """Fewer colours when the PNG is heavy (Odoo's screens have few)."""
    if os.path.getsize(path) <= MAX_PNG_BYTES:
        return
    try:
        from PIL import Image
    except ImportError:
        log(f"{path} is {os.path.getsize(path) // 1024} KB (install Pillow to shrink it)")
        return
    with Image.open(path) as image:
        reduced = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    buffer = io.BytesIO()
    reduced.save(buffer, "PNG", optimize=True)
    with open(path, "wb") as f:
        f.write(buffer.getvalue())


# ----------------------------------------------------------------------
# The screens
# ----------------------------------------------------------------------
LIST = ".o_list_renderer .o_data_row"


def open_list_late_30(browser, url):
    """The installments list, filtered on "more than 30 days late"."""
    browser.navigate(f"{url}/odoo/installments-to-collect")
    browser.wait_selector(LIST)
    browser.settle()
    browser.click(".o_control_panel .o_searchview_dropdown_toggler")
    browser.wait_selector(".o_filter_menu")
    # the filter by its technical name would need the search model; its
    # label is the French one in the demo, the English one otherwise
    filters = browser.evaluate(
        "[...document.querySelectorAll('.o_filter_menu .o_menu_item')].map(e => e.innerText.trim())"
    )
    label = next(
        (f for f in filters if f in ("Plus de 30 jours de retard", "More than 30 days late")), None
    )
    if not label:
        raise RuntimeError(f"no 30-days-late filter among {filters}")
    browser.click(".o_filter_menu .o_menu_item", label)
    browser.wait_for(
        "[...document.querySelectorAll('.o_searchview_facet')]"
        f".some(e => e.innerText.includes({json.dumps(label)}))",
        "the filter facet",
    )
    browser.click(".o_control_panel .o_searchview_dropdown_toggler")
    browser.wait_for("!document.querySelector('.o_filter_menu')", "the search panel to close")
    browser.wait_selector(LIST)
    browser.settle()


def capture(browser, out, name):
    """Once the page is still: ``out/name.png``."""
    browser.settle()
    path = os.path.join(out, f"{name}.png")
    browser.screenshot(path)
    return path


def take_installments(browser, url, out):
    open_list_late_30(browser, url)
    path = os.path.join(out, "installments.png")
    browser.screenshot(path)
    return path


def take_payer_panel(browser, url, out, line_id):
    browser.navigate(f"{url}/odoo/installments-to-collect/{line_id}")
    browser.wait_selector(".o_form_view .o_field_widget[name=reminder_history_ids] .o_data_row")
    browser.wait_selector(".o_form_view .o_field_widget[name=reminder_payer_comment]")
    browser.settle()
    # the whole history, below the installment and the payer's panel
    browser.fit_height(max_height=int(browser.width * 0.9))
    browser.settle()
    path = os.path.join(out, "payer_panel.png")
    try:
        browser.screenshot(path)
    finally:
        browser.fit_height(0)
    return path


def take_wizard(browser, url, out):
    """Tick a few installments of the late list (of distinct payers: three
    never reminded, one already at level 1 or more, so the preview shows
    letters and a skipped line), open the processing dialog, capture its
    preview. Nothing is confirmed."""
    open_list_late_30(browser, url)
    ticked = browser.evaluate(
        f"""(() => {{
            const rows = [...document.querySelectorAll({json.dumps(LIST)})].map(row => ({{
                row,
                payer: row.querySelector('td[name=reminder_payer_id]')?.innerText.trim(),
                level: parseInt(row.querySelector('td[name=reminder_level]')?.innerText) || 0,
            }}));
            const seen = new Set();
            const pick = (wanted, count) => {{
                for (const r of rows) {{
                    if (!count) break;
                    if (!r.payer || seen.has(r.payer) || !wanted(r.level)) continue;
                    seen.add(r.payer);
                    r.row.querySelector('.o_list_record_selector input').click();
                    count--;
                }}
            }};
            pick(level => level === 0, 3);
            pick(level => level > 0, 1);
            if (seen.size < 2) pick(() => true, 4 - seen.size);
            return seen.size;
        }})()"""
    )
    if not ticked:
        raise RuntimeError("no installment to tick")
    browser.wait_for(
        f"document.querySelectorAll('.o_list_record_selector input:checked').length >= {ticked}",
        "the ticked rows",
    )
    browser.click('.o_control_panel button[name="action_open_relance_wizard"]')
    browser.wait_selector(".modal .o_relance_preview")
    browser.settle()
    path = os.path.join(out, "wizard.png")
    browser.screenshot(path)
    return path  # the dialog is left unsaved: the next navigation drops it


def take_worklist(browser, url, out):
    browser.navigate(f"{url}/odoo/reminders-today")
    browser.wait_selector(LIST)
    browser.wait_selector(".o_searchview_facet")
    return capture(browser, out, "worklist")


def take_invoice_hold(browser, url, out, move_id):
    browser.navigate(f"{url}/odoo/invoicing/{move_id}")
    browser.wait_selector(".o_form_view .alert-warning .o_field_widget[name=reminder_hold_text]")
    browser.click(".o_form_view .o_notebook .nav-link[name=relance]")
    browser.wait_selector(".o_form_view .o_field_widget[name=reminder_installment_ids] .o_data_row")
    return capture(browser, out, "invoice_hold")


def pick_disputed_invoice(odoo):
    lines = odoo.call_kw(
        "account.move.line",
        "search_read",
        [[("reminder_blocked", "=", True), ("reminder_block_reason", "=", "dispute")]],
        fields=["move_id"],
        limit=1,
        order="reminder_block_until desc, id",
    )
    if not lines:
        sys.exit("no installment in dispute: use the demo database")
    return lines[0]["move_id"][0]


def take_form_with_chatter(browser, url, out, name, path, field):
    """A record's form once its list ``field`` and its chatter are shown."""
    browser.navigate(f"{url}/odoo/{path}")
    browser.wait_selector(f".o_form_view .o_field_widget[name={field}] .o_data_row")
    browser.wait_selector(".o-mail-Chatter .o-mail-Message")
    return capture(browser, out, name)


def pick_latest(odoo, model, domain, missing):
    ids = odoo.call_kw(model, "search", [domain], limit=1, order="id desc")
    if not ids:
        sys.exit(missing)
    return ids[0]


def pick_letter(odoo):
    return pick_latest(
        odoo,
        "relance.letter",
        [("output", "=", "email")],
        "no emailed reminder letter: process a level 1 reminder by email first",
    )


def take_dashboard(browser, url, out):
    browser.navigate(f"{url}/odoo/collection-dashboard")
    browser.wait_selector(".o_relance_kpi_receivable .o_field_widget[name=receivable_amount]")
    browser.wait_selector(".o_relance_effectiveness")
    return capture(browser, out, "dashboard")


def take_analysis(browser, url, out):
    browser.navigate(f"{url}/odoo/receivables-analysis")
    browser.wait_selector(".o_pivot table .o_pivot_cell_value")
    return capture(browser, out, "analysis")


def take_aged_balance(odoo, out):
    """The aged balance as of today, printed as the wizard prints it, its
    first page as a PNG."""
    wizard_id = odoo.call_kw("relance.aged.balance.wizard", "create", [{}])
    pdf = odoo.download(f"/report/pdf/optim_relance.report_aged_balance/{wizard_id}")
    if not pdf.startswith(b"%PDF"):
        raise RuntimeError("the aged balance did not come back as a PDF")
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "aged_balance.pdf")
        with open(source, "wb") as handle:
            handle.write(pdf)
        target = os.path.join(out, "aged_balance")
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", source, target],
            check=True,
        )
    return f"{target}.png"


SHOTS = (
    "installments",
    "payer_panel",
    "wizard",
    "worklist",
    "invoice_hold",
    "run",
    "letter",
    "dashboard",
    "analysis",
    "aged_balance",
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", default="optim_relance_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "screenshots"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--size", default="1440x900", help="window size, WIDTHxHEIGHT")
    parser.add_argument(
        "--only",
        nargs="*",
        choices=SHOTS,
        help="take only these screenshots",
    )
    args = parser.parse_args()
    url = args.url.rstrip("/")
    width, height = (int(n) for n in args.size.lower().split("x"))
    os.makedirs(args.out, exist_ok=True)

    odoo = Odoo(url, args.db, args.login, args.password)
    wanted = args.only or SHOTS
    line_id = pick_installment(odoo) if "payer_panel" in wanted else None
    move_id = pick_disputed_invoice(odoo) if "invoice_hold" in wanted else None
    run_id = (
        pick_latest(odoo, "relance.run", [], "no reminder run: confirm a batch in the demo first")
        if "run" in wanted
        else None
    )
    letter_id = pick_letter(odoo) if "letter" in wanted else None

    browser = Browser(args.chromium, width, height)
    try:
        browser.set_cookie(url, "session_id", odoo.session_id)
        shots = {
            "installments": lambda: take_installments(browser, url, args.out),
            "payer_panel": lambda: take_payer_panel(browser, url, args.out, line_id),
            "wizard": lambda: take_wizard(browser, url, args.out),
            "worklist": lambda: take_worklist(browser, url, args.out),
            "invoice_hold": lambda: take_invoice_hold(browser, url, args.out, move_id),
            "run": lambda: take_form_with_chatter(
                browser, url, args.out, "run", f"reminder-runs/{run_id}", "letter_ids"
            ),
            "letter": lambda: take_form_with_chatter(
                browser, url, args.out, "letter", f"reminder-letters/{letter_id}", "line_ids"
            ),
            "dashboard": lambda: take_dashboard(browser, url, args.out),
            "analysis": lambda: take_analysis(browser, url, args.out),
            "aged_balance": lambda: take_aged_balance(odoo, args.out),
        }
        for name in wanted:
            path = shots[name]()
            shrink(path)
            log(f"{os.path.relpath(path, ROOT)} ({os.path.getsize(path) // 1024} KB)")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
