/** @odoo-module **/

import { registry } from "@web/core/registry";
import { openCustomersMenuSteps } from "@optim_relance/../tests/tours/relance_tour_steps";

/**
 * Invoicing › Customers › Today's reminders: the worklist opens on "To remind
 * today"; record a payment promise on one installment and check it left the
 * worklist while the other one stays. Data: see
 * optim_relance/tests/test_worklist_tour.py.
 */
const PROMISED = "Worklist Payer Promise";
const OTHER = "Worklist Payer Other";

function row(payer) {
    return `.o_data_row:has(td[name="reminder_payer_id"]:contains("${payer}"))`;
}

registry.category("web_tour.tours").add("optim_relance_worklist_tour", {
    url: "/odoo",
    steps: () => [
        ...openCustomersMenuSteps("menu_relance_worklist", "Today's reminders"),
        {
            content: "The worklist opens on the installments to remind today",
            trigger: '.o_searchview_facet:contains("To remind today")',
        },
        {
            content: "The installment not due for a reminder yet is not listed",
            trigger: `.o_list_view:not(:has(td:contains("Worklist Payer Later"))) ${row(OTHER)}`,
        },
        {
            content: "Its next level is shown",
            trigger: `.o_list_view ${row(PROMISED)} td[name="reminder_next_level"]:contains("1")`,
        },
        {
            content: "Tick the installment whose payer promised to pay",
            trigger: `.o_list_view ${row(PROMISED)} .o_list_record_selector input`,
            run: "click",
        },
        {
            trigger: `.o_list_view ${row(PROMISED)} .o_list_record_selector input:checked`,
        },
        {
            content: "Payment promise",
            trigger: '.o_control_panel button:contains("Payment promise")',
            run: "click",
        },
        {
            content: "The amount promised is its residual",
            trigger: '.modal .o_field_widget[name="amount"] input:value("700.00")',
        },
        {
            content: "Promised in ten days",
            trigger: '.modal .o_field_widget[name="date"] input',
            run: `edit ${luxon.DateTime.now().plus({ days: 10 }).toFormat("MM/dd/yyyy")}`,
        },
        {
            content: "Who promised",
            trigger: '.modal .o_field_widget[name="note"] textarea',
            run: "edit Promis par téléphone",
        },
        {
            content: "Record the promise",
            trigger: '.modal .modal-footer button[name="action_confirm"]',
            run: "click",
        },
        {
            content: "The promised installment left the worklist, the other one stays",
            trigger: `body:not(:has(.modal)) .o_list_view:not(:has(td:contains("${PROMISED}"))) ${row(OTHER)}`,
        },
        {
            content: "It shows under Promise pending",
            trigger: ".o_control_panel .o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            trigger: '.o_filter_menu .o_menu_item:contains("To remind today")',
            run: "click",
        },
        {
            trigger: '.o_filter_menu .o_menu_item:contains("Promise pending")',
            run: "click",
        },
        {
            trigger: `.o_list_view:not(:has(td:contains("${OTHER}"))) ${row(PROMISED)} td[name="reminder_block_reason"]:contains("Payment promise")`,
        },
    ],
});
