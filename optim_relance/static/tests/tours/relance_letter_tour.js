/** @odoo-module **/

import { registry } from "@web/core/registry";
import { openCustomersMenuSteps } from "@optim_relance/../tests/tours/relance_tour_steps";

/**
 * Invoicing › Customers › Reminder letters: open a payer's emailed letter,
 * check its documents, resend it by email. Data: see
 * optim_relance/tests/test_relance_letter.py (TestRelanceLetterTour).
 */
const PAYER = "Alpha Construction";

registry.category("web_tour.tours").add("optim_relance_letter_tour", {
    url: "/odoo",
    steps: () => [
        ...openCustomersMenuSteps("menu_relance_letter", "Reminder letters"),
        {
            content: "Open the payer's letter",
            trigger: `.o_list_view .o_data_row td[name="partner_id"]:contains("${PAYER}")`,
            run: "click",
        },
        {
            content: "Its installments are listed",
            trigger: '.o_form_view .o_field_widget[name="line_ids"] .o_data_row',
        },
        {
            content: "Its PDF is among its documents",
            trigger: '.o_form_view .o_notebook .nav-link[name="documents"]',
            run: "click",
        },
        {
            trigger: '.o_form_view .o_field_widget[name="attachment_ids"] .o_attachment:contains(".pdf")',
        },
        {
            content: "Resend it by email",
            trigger: '.o_form_view .o_form_statusbar button[name="action_resend"]',
            run: "click",
        },
        {
            content: "The email is queued",
            trigger: '.o_notification:contains("queued")',
        },
    ],
});
