/** @odoo-module **/

import { browser } from "@web/core/browser/browser";
import { registry } from "@web/core/registry";
import { patch } from "@web/core/utils/patch";
import {
    filterMoreThan30DaysSteps,
    openInstallmentsSteps,
} from "@optim_relance/../tests/tours/relance_tour_steps";

/**
 * Invoicing › Customers › Installments to collect: filter the installments
 * more than 30 days late, tick two of them, "Process reminders", check the
 * preview, confirm as PDF, then find the reminder in the installment's
 * history. Data: see optim_relance/tests/test_relance_wizard_tour.py.
 */
const ALPHA = "Tour Payer Alpha";
const BRAVO = "Tour Payer Bravo";
const RECENT = "Tour Payer Recent";

function row(payer, daysLate) {
    return `.o_data_row:has(td[name="reminder_payer_id"]:contains("${payer}")):has(td[name="reminder_days_late"]:contains("${daysLate}"))`;
}

let unpatchBrowser = null;

registry.category("web_tour.tours").add("optim_relance_wizard_tour", {
    url: "/odoo",
    steps: () => [
        ...openInstallmentsSteps(),
        {
            content: "Before filtering, the recent installment is listed",
            trigger: `.o_list_view .o_data_row:has(td[name="reminder_payer_id"]:contains("${RECENT}"))`,
        },
        ...filterMoreThan30DaysSteps(),
        {
            content: "The recent installment is gone, the late ones stay",
            trigger: `.o_list_view:not(:has(td:contains("${RECENT}"))) ${row(ALPHA, 60)}`,
        },
        {
            content: "Tick Alpha's installment 45 days late",
            trigger: `.o_list_view ${row(ALPHA, 45)} .o_list_record_selector input`,
            run: "click",
        },
        {
            content: "Tick Bravo's installment",
            trigger: `.o_list_view ${row(BRAVO, 40)} .o_list_record_selector input`,
            run: "click",
        },
        {
            trigger: `.o_list_view ${row(BRAVO, 40)} .o_list_record_selector input:checked`,
        },
        {
            content: "Process reminders",
            trigger: '.o_control_panel button[name="action_open_relance_wizard"]',
            run: "click",
        },
        {
            content: "The dialog previews two letters for the two ticked installments",
            trigger: '.modal .o_field_widget[name="letter_count"]:contains("2")',
        },
        {
            trigger: '.modal .o_field_widget[name="included_count"]:contains("2")',
        },
        {
            trigger: '.modal .o_field_widget[name="skipped_count"]:contains("0")',
        },
        {
            trigger: `.modal .o_relance_preview:contains("${ALPHA}"):contains("${BRAVO}")`,
        },
        {
            content: "Level 1 is proposed",
            trigger: '.modal .o_field_widget[name="level"] input[data-value="1"]:checked',
        },
        {
            content: "Keep Print PDF",
            trigger: '.modal .o_field_widget[name="output"] .o_selection_badge.active:contains("Print PDF")',
            run() {
                // The download opens in a new tab: record its address instead.
                unpatchBrowser = patch(browser, {
                    open(url) {
                        document.body.dataset.relanceDownload = url;
                    },
                });
            },
        },
        {
            content: "Confirm",
            trigger: '.modal .modal-footer button[name="action_confirm"]',
            run: "click",
        },
        {
            content: "The merged PDF is downloaded",
            trigger: 'body[data-relance-download^="/web/content/"]',
            run() {
                unpatchBrowser();
            },
        },
        {
            content: "Close the dialog",
            trigger: '.modal .modal-footer button:contains("Cancel")',
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Open Alpha's reminded installment",
            trigger: `.o_list_view ${row(ALPHA, 45)} td[name="date_maturity"]`,
            run: "click",
        },
        {
            content: "Its history shows the level 1 PDF letter",
            trigger: `.o_form_view .o_field_widget[name="reminder_history_ids"] .o_data_row:has(td[name="level"]:contains("1")):has(td[name="channel"]:contains("PDF letter")):has(td[name="attachment_name"]:contains("${ALPHA}"))`,
        },
        {
            trigger: '.o_form_view .o_field_widget[name="reminder_level"]:contains("1")',
        },
        {
            content: "Back to the list",
            trigger: '.o_breadcrumb .breadcrumb-item a:contains("Installments to collect")',
            run: "click",
        },
        {
            content: "The two ticked installments are at level 1, the other one is not",
            trigger: `.o_list_view ${row(ALPHA, 45)} td[name="reminder_level"]:contains("1")`,
        },
        {
            trigger: `.o_list_view ${row(BRAVO, 40)} td[name="reminder_level"]:contains("1")`,
        },
        {
            trigger: `.o_list_view ${row(ALPHA, 60)} td[name="reminder_level"]:contains("0")`,
        },
    ],
});
