import hashlib
import io
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, config
from odoo.tools.pdf import PdfFileReader, PdfFileWriter

from ..tools.plurals import plural
from .relance_letter import MIMETYPES, PDF_CHUNK, PDF_THREADS
from .relance_letter import OUTPUTS as LETTER_OUTPUTS

_logger = logging.getLogger(__name__)

# Letters per chunk of a background run, committed before the next one: one
# wkhtmltopdf run per core (see relance_letter.PDF_CHUNK and PDF_THREADS).
RUN_CHUNK = PDF_CHUNK * PDF_THREADS
SYNC_LIMIT_PARAM = "optim_relance.sync_letter_limit"
SYNC_LIMIT_DEFAULT = 20

# Longest sleep of a prefork cron worker between polls (odoo.service.server:
# SLEEP_INTERVAL + pid % 10), which its time limit counts too.
CRON_SLEEP_MAX = 70
# Chunks chained in one job run of the scheduler: {thread: (start, end of the
# last chunk)}, to hand over to a new run before the cron worker's time limit.
_CHAINS = {}

BLOCK_SIZE = 1 << 20

STATES = [
    ("queued", "Queued"),
    ("running", "Running"),
    ("done", "Done"),
    ("failed", "Failed"),
]


class RelanceRun(models.Model):
    """One confirmation of the processing wizard ("Lot de relances"): what
    was asked (level, output, date), its letters, the installments skipped
    and why, the batch document and, when it ran in the background, its
    progress and the error that stopped it.

    Small runs are processed at once in the request; larger ones chunk by
    chunk by the scheduled action ``ir_cron_relance_run``, each chunk of
    letters committed on its own (documents, dates, history and emails of a
    letter are written together or not at all)."""

    _name = "relance.run"
    _inherit = ["mail.thread"]
    _description = "Reminder run"
    _order = "id desc"
    _check_company_auto = True
    _mail_post_access = "read"

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    user_id = fields.Many2one(
        "res.users", string="Confirmed by", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    level_mode = fields.Selection(
        [("fixed", "The chosen level"), ("auto", "The level due for each installment")],
        string="Levels",
        required=True,
        readonly=True,
    )
    level = fields.Integer(readonly=True)
    output = fields.Selection(LETTER_OUTPUTS, required=True, readonly=True)
    date = fields.Date(string="Reminder date", required=True, readonly=True)
    state = fields.Selection(STATES, required=True, default="queued", readonly=True, tracking=True)
    letter_ids = fields.One2many("relance.letter", "run_id", string="Letters", readonly=True)
    letter_count = fields.Integer(string="Letters planned", readonly=True)
    letter_done_count = fields.Integer(string="Letters sent", compute="_compute_counts")
    progress = fields.Float(compute="_compute_counts")
    skip_ids = fields.One2many("relance.run.skip", "run_id", string="Skipped", readonly=True)
    skipped_count = fields.Integer(string="Installments skipped", compute="_compute_counts")
    history_ids = fields.Many2many("relance.history", compute="_compute_history_ids")
    mail_ids = fields.Many2many("mail.mail", string="Emails", compute="_compute_mail_ids")
    mail_sent_count = fields.Integer(string="Emails delivered", compute="_compute_mail_ids")
    mail_failed_count = fields.Integer(string="Emails failed", compute="_compute_mail_ids")
    attachment_id = fields.Many2one(
        "ir.attachment", string="Batch document", readonly=True, ondelete="set null"
    )
    error = fields.Text(readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        sequence = self.env["ir.sequence"].sudo()
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = sequence.next_by_code("relance.run") or "/"
        return super().create(vals_list)

    @api.depends("letter_ids.state", "letter_count", "skip_ids")
    def _compute_counts(self):
        sent = dict(
            self.env["relance.letter"]._read_group(
                [("run_id", "in", self.ids), ("state", "=", "sent")], ["run_id"], ["__count"]
            )
        )
        skipped = dict(
            self.env["relance.run.skip"]._read_group(
                [("run_id", "in", self.ids)], ["run_id"], ["__count"]
            )
        )
        for run in self:
            run.letter_done_count = sent.get(run._origin, 0)
            run.skipped_count = skipped.get(run._origin, 0)
            planned = run.letter_count
            run.progress = 100.0 * run.letter_done_count / planned if planned else 0.0

    @api.depends("letter_ids.history_ids")
    def _compute_history_ids(self):
        for run in self:
            run.history_ids = run.letter_ids.history_ids

    @api.depends("letter_ids.mail_id.state")
    def _compute_mail_ids(self):
        for run in self:
            # Elevated rights: the run's own emails (mail.mail is for admins),
            # only their state is shown.
            mails = run.letter_ids.sudo().mail_id
            run.mail_ids = mails.sudo(False)
            run.mail_sent_count = len(mails.filtered(lambda mail: mail.state == "sent"))
            run.mail_failed_count = len(
                mails.filtered(lambda mail: mail.state in ("exception", "cancel"))
            )

    # ------------------------------------------------------------------
    # Creation, from the wizard's batch
    # ------------------------------------------------------------------
    @api.model
    def _sync_letter_limit(self):
        value = self.env["ir.config_parameter"].sudo().get_param(SYNC_LIMIT_PARAM)
        try:
            return max(int(value), 0) if value not in (None, False, "") else SYNC_LIMIT_DEFAULT
        except ValueError:
            return SYNC_LIMIT_DEFAULT

    def _add_skipped(self, skipped):
        """Record ``[(installment, reason)]`` as skipped by this run."""
        self.ensure_one()
        if skipped:
            # Elevated rights: the run's own record of what it left out.
            self.env["relance.run.skip"].sudo().create(
                [
                    {"run_id": self.id, "line_id": line.id, "reason": reason}
                    for line, reason in skipped
                ]
            )

    # ------------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------------
    def _process_letters(self, letters):
        """Send ``letters`` (queued, of this run) in the current transaction:
        their installments locked and checked again (another run, a payment
        may have come first), their texts refreshed if their installments
        changed, then their documents rendered, the reminders recorded and
        the emails queued."""
        self.ensure_one()
        letters.line_ids._relance_lock()
        letters = self._recheck(letters)
        if not letters:
            return
        letters._refresh_snapshot()
        documents = letters._render()
        letters._record(documents)
        if self.output == "email":
            letters._send()
        else:
            letters._log_on_payers(self.env["mail.mail"])
        # Elevated rights: the letters' state, written by this code only.
        letters.sudo().state = "sent"

    def _recheck(self, letters):
        """The letters still to send, without the installments no longer to
        remind (recorded as skipped); a letter left with none is cancelled."""
        company_ids = set(letters.company_id.ids)
        skipped, cancelled = [], self.env["relance.letter"]
        for letter in letters:
            dropped = self.env["account.move.line"]
            for line in letter.line_ids:
                reason = line._relance_run_skip_reason(
                    letter.level, self.date, self.output, self.level_mode, company_ids
                )
                if reason:
                    skipped.append((line, reason))
                    dropped |= line
            if dropped:
                # Elevated rights: only this code writes letters.
                letter.sudo().line_ids = [fields.Command.unlink(line.id) for line in dropped]
                if not letter.line_ids:
                    cancelled |= letter
        self._add_skipped(skipped)
        cancelled.sudo().state = "cancelled"
        return letters - cancelled

    def _enqueue(self):
        """Process in the background, as soon as a cron worker is free."""
        self.env.ref("optim_relance.ir_cron_relance_run")._trigger()

    @api.model
    def _cron_process(self):
        """The scheduled action "Reminder runs": one chunk of letters of the
        oldest run waiting, committed by the scheduler, which calls again at
        once while letters remain (``ir.cron._notify_progress``). Letters are
        taken with ``FOR UPDATE SKIP LOCKED``: several workers never process
        the same letter."""
        runs = self.search([("state", "in", ("queued", "running"))], order="id")
        for run in runs:
            letters = run._lock_next_letters(RUN_CHUNK)
            if not letters:
                # Every letter sent, or the rest taken by another worker.
                if not run._has_queued_letters():
                    run._finish()
                continue
            started = time.monotonic()
            done = run._process_chunk(letters)
            if done and not run._has_queued_letters():
                run._finish()
            remaining = self.env["relance.letter"].search_count(
                [("run_id", "in", runs.ids), ("state", "=", "queued")]
            )
            if done and remaining and self._out_of_time(started):
                # Hand over to a new job run (at once) rather than have the
                # worker killed by its time limit in the middle of a chunk.
                run._enqueue()
                remaining = 0
            self.env["ir.cron"]._notify_progress(done=done, remaining=remaining if done else 0)
            return
        self.env["ir.cron"]._notify_progress(done=0, remaining=0)

    @api.model
    def _out_of_time(self, started):
        """Whether one more chunk might not fit in what is left of the cron
        worker's time limit (``limit_time_real_cron``, else
        ``limit_time_real``) since the job started chaining chunks. A prefork
        cron worker's limit also counts its sleep before the work (up to
        ``CRON_SLEEP_MAX``), so only what is left after it is used."""
        now, thread = time.monotonic(), threading.get_ident()
        chain_start, last_end = _CHAINS.get(thread, (started, 0.0))
        if started - last_end > 2:  # not chained to the previous chunk: a new job run
            chain_start = started
        _CHAINS[thread] = (chain_start, now)
        limit = config.get("limit_time_real_cron", -1)
        if limit == -1:  # Odoo's default: the HTTP workers' limit
            limit = config.get("limit_time_real", 0)
        if not limit or limit <= 0:
            return False
        budget = max(limit - CRON_SLEEP_MAX, limit * 0.3)
        return (now - chain_start) + (now - started) > budget

    def _finish(self):
        """A background run is over: its batch document, the user told (in
        their language: the scheduler has none)."""
        run = self._in_user_lang()
        run._done()
        run._notify_user()

    def _in_user_lang(self):
        return self.with_context(lang=self.user_id.lang)

    def _lock_next_letters(self, limit):
        self.ensure_one()
        self.env["relance.letter"].flush_model(["run_id", "state"])
        self.env.cr.execute(
            SQL(
                "SELECT id FROM relance_letter WHERE run_id = %s AND state = 'queued' "
                "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                self.id,
                limit,
            )
        )
        return self.env["relance.letter"].browse(row[0] for row in self.env.cr.fetchall())

    def _has_queued_letters(self):
        return bool(
            self.env["relance.letter"].search_count(
                [("run_id", "=", self.id), ("state", "=", "queued")], limit=1
            )
        )

    def _as_user(self):
        """This run in the environment of the user who confirmed it: the
        letters are processed with their rights, as in the request."""
        companies = self.company_id | self.letter_ids.company_id
        return self.with_user(self.user_id).with_context(
            allowed_company_ids=companies.ids, lang=self.user_id.lang, tz=self.user_id.tz
        )

    def _process_chunk(self, letters):
        """Process ``letters`` of this run in a savepoint: done together, or
        not at all and the run failed with the payer and the error.

        :return: the number of letters processed
        """
        self.ensure_one()
        if self.state == "queued":
            self.state = "running"
        run = self._as_user()
        try:
            with self.env.cr.savepoint():
                run._process_letters(letters.with_env(run.env))
        except Exception as exc:  # any error: the chunk is rolled back, the run stops
            _logger.warning("Reminder run %s failed", self.name, exc_info=True)
            self._fail(letters, exc)
            return 0
        return len(letters)

    def _fail(self, letters, exc):
        """Mark the run failed, naming the payer whose letter fails."""
        run = self._in_user_lang()
        culprit, error = run._find_failing(letters, exc)
        message = str(error.args[0]) if isinstance(error, UserError) else repr(error)
        if culprit:
            message = run.env._(
                "%(payer)s: %(error)s", payer=culprit.partner_id.display_name, error=message
            )
        run.write({"state": "failed", "error": message})
        run._notify_user()

    def _find_failing(self, letters, exc):
        """The letter of ``letters`` that fails, by halves (each try rolled
        back), so that naming it costs about one more chunk, not one
        wkhtmltopdf run per letter.

        :return: ``(letter or None, its error)``
        """
        culprit, error = letters, exc
        while len(culprit) > 1:
            first, second = culprit[: len(culprit) // 2], culprit[len(culprit) // 2 :]
            failure = self._try_letters(first)
            if failure is None:
                failure = self._try_letters(second)
                if failure is None:  # they only fail together
                    return None, error
                first = second
            culprit, error = first, failure
        return culprit, error

    def _try_letters(self, letters):
        """The error processing ``letters`` raises, or None; rolled back."""
        run = self._as_user()
        try:
            with self.env.cr.savepoint() as savepoint:
                run._process_letters(letters.with_env(run.env))
                savepoint.rollback()
        except Exception as exc:  # only to name the failing payer
            return exc
        return None

    def _done(self):
        """All letters processed: the batch document, from the documents of
        the letters sent; state done."""
        self.ensure_one()
        if self.output != "email" and not self.attachment_id:
            self.sudo().attachment_id = self._build_document(self._sent_documents())
        self.sudo().write({"state": "done", "error": False})

    def _sent_documents(self):
        """The documents of the letters sent, in the letters' order (that of
        the wizard: by payer), as the customers received them."""
        # Elevated rights: the run's letters' own documents.
        letters = self.letter_ids.filtered(lambda letter: letter.state == "sent")
        return letters.sorted("id").sudo().attachment_ids

    def _build_document(self, attachments):
        """The batch to print: one merged PDF, the Word letter when there is
        one, or a zip of the Word letters. Built in a temporary file, each
        letter read once: its memory does not grow with the batch."""
        if not attachments:
            return self.env["ir.attachment"]
        if self.output == "word" and len(attachments) == 1:
            return attachments
        extension = "pdf" if self.output == "pdf" else "zip"
        with tempfile.TemporaryFile() as file:
            if extension == "pdf":
                self._merge_pdf(attachments, file)
            else:
                self.env["relance.letter"]._zip(
                    ((attachment.name, _read(attachment)) for attachment in attachments), file
                )
            return self._store_document(file, extension)

    def _merge_pdf(self, attachments, file):
        """Write into ``file`` the PDFs of ``attachments`` one after the other:
        with poppler's ``pdfunite`` when installed, straight from the
        filestore (about ten times faster than pypdf on thousands of letters:
        15 s for 2,000), else with pypdf."""
        paths = [
            attachment._full_path(attachment.store_fname)
            for attachment in attachments
            if attachment.store_fname
        ]
        pdfunite = shutil.which("pdfunite")
        if pdfunite and len(paths) == len(attachments):
            with tempfile.TemporaryDirectory() as directory:
                target = os.path.join(directory, "batch.pdf")
                try:
                    subprocess.run([pdfunite, *paths, target], check=True, capture_output=True)
                except (OSError, subprocess.CalledProcessError) as exc:
                    # Too many files for one command line, a PDF it rejects…
                    _logger.warning("pdfunite failed (%s), merging with pypdf", exc)
                else:
                    with open(target, "rb") as merged:
                        shutil.copyfileobj(merged, file, BLOCK_SIZE)
                    return
        writer = PdfFileWriter()
        for attachment in attachments:
            reader = PdfFileReader(io.BytesIO(_read(attachment)), strict=False)
            for page in range(reader.getNumPages()):
                writer.addPage(reader.getPage(page))
        writer.write(file)

    def _store_document(self, file, extension):
        """The batch document from ``file``, attached to the run: whoever may
        read the run may download it. Copied into the filestore by blocks
        (Odoo's attachments take bytes: a zip of thousands of Word letters
        weighs hundreds of MB)."""
        # Elevated rights: a document of the run, written by this code only.
        attachment_model = self.env["ir.attachment"].sudo()
        vals = {
            "name": self._document_name(extension),
            "mimetype": MIMETYPES[extension],
            "res_model": self._name,
            "res_id": self.id,
        }
        file.seek(0)
        if attachment_model._storage() == "db":
            return attachment_model.create({**vals, "raw": file.read()})
        checksum, size = hashlib.sha1(), 0
        while block := file.read(BLOCK_SIZE):
            checksum.update(block)
            size += len(block)
        checksum = checksum.hexdigest()
        fname = f"{checksum[:2]}/{checksum}"
        full_path = attachment_model._full_path(fname)
        if not os.path.exists(full_path):
            # Collected if this transaction rolls back, as _file_write does.
            attachment_model._mark_for_gc(fname)
            os.makedirs(os.path.dirname(full_path), exist_ok=True)
            file.seek(0)
            # Under its name once complete: never a truncated file (disk full).
            with tempfile.NamedTemporaryFile(dir=os.path.dirname(full_path), delete=False) as copy:
                try:
                    shutil.copyfileobj(file, copy, BLOCK_SIZE)
                except BaseException:
                    os.unlink(copy.name)
                    raise
            os.replace(copy.name, full_path)
        attachment = attachment_model.create(vals)
        # The fields create() computes from raw bytes, for the file written.
        attachment.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE ir_attachment SET store_fname = %s, checksum = %s, file_size = %s "
                "WHERE id = %s",
                fname,
                checksum,
                size,
                attachment.id,
            )
        )
        attachment.invalidate_recordset(["store_fname", "checksum", "file_size", "raw", "datas"])
        return attachment

    def _document_name(self, extension):
        if self.level_mode == "auto":
            return self.env._(
                "Reminders - %(date)s.%(extension)s",
                date=fields.Date.to_string(self.date),
                extension=extension,
            )
        return self.env._(
            "Reminders level %(level)s - %(date)s.%(extension)s",
            level=self.level,
            date=fields.Date.to_string(self.date),
            extension=extension,
        )

    def _document_download(self):
        self.ensure_one()
        return self.env["relance.letter"]._url_action(self.attachment_id)

    def _open_action(self):
        """The run's form, where its progress shows."""
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def _notify_user(self):
        """Tell the user who confirmed that the run ended (Odoo inbox)."""
        if self.state == "done":
            env, sent, skipped = self.env, self.letter_done_count, self.skipped_count
            body = env._(
                "%(run)s is done: %(sent)s, %(skipped)s.",
                run=self.name,
                sent=plural(
                    env,
                    sent,
                    env._("%(count)s letter sent", count=sent),
                    env._("%(count)s letters sent", count=sent),
                ),
                skipped=plural(
                    env,
                    skipped,
                    env._("%(count)s installment skipped", count=skipped),
                    env._("%(count)s installments skipped", count=skipped),
                ),
            )
        else:
            body = self.env._(
                "%(run)s stopped: %(error)s Fix the cause, then click Retry.",
                run=self.name,
                error=self.error,
            )
        self.sudo().message_post(
            body=Markup("<p>%s</p>") % body,
            partner_ids=self.user_id.partner_id.ids,
            subtype_xmlid="mail.mt_comment",
            message_type="notification",
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_retry(self):
        """Go on with the letters not sent yet, once the cause is fixed."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only invoicing users may retry a reminder run."))
        self.check_access("read")
        for run in self:
            if run.state != "failed":
                raise UserError(self.env._("Only a failed run can be retried."))
        # Elevated rights: users read runs; retrying is resuming it as it was.
        self.sudo().write({"state": "queued", "error": False})
        self._enqueue()
        return True

    def action_download(self):
        self.ensure_one()
        if not self.attachment_id:
            raise UserError(self.env._("This run has no batch document (yet)."))
        return self.env["relance.letter"]._url_action(self.attachment_id)

    def action_open_letters(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "optim_relance.action_relance_letter"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {"create": False}
        return action


def _read(attachment):
    """An attachment's bytes, not kept in the cache (a batch reads
    thousands)."""
    if attachment.store_fname:
        return attachment._file_read(attachment.store_fname)
    raw = attachment.raw
    attachment.invalidate_recordset(["raw", "db_datas"])
    return raw
