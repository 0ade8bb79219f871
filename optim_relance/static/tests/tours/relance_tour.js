/** @odoo-module **/

import { registry } from "@web/core/registry";
import {
    filterMoreThan30DaysSteps,
    openInstallmentsSteps,
} from "@optim_relance/../tests/tours/relance_tour_steps";

/**
 * Invoicing › Customers › Installments to collect: filter the installments
 * more than 30 days late, open one and write a collection comment on its
 * payer. Data: see optim_relance/tests/test_tour.py.
 */
const OVERDUE = "Tour Overdue Customer";
const RECENT = "Tour Recent Customer";
const COMMENT = "Promised to pay on Friday";

registry.category("web_tour.tours").add("optim_relance_installments_tour", {
    url: "/odoo",
    steps: () => [
        ...openInstallmentsSteps(),
        {
            content: "The list shows both customers before filtering",
            trigger: `.o_list_view .o_data_row:contains("${RECENT}")`,
        },
        {
            trigger: `.o_list_view .o_data_row:contains("${OVERDUE}")`,
        },
        ...filterMoreThan30DaysSteps(),
        {
            content: "Only the overdue installment is left: the recent one is gone",
            trigger: `.o_list_view:not(:has(.o_data_row:contains("${RECENT}"))) .o_data_row:contains("${OVERDUE}")`,
        },
        {
            content: "Open the overdue installment",
            trigger: `.o_data_row:contains("${OVERDUE}") td[name="date_maturity"]`,
            run: "click",
        },
        {
            content: "The payer panel shows the payer",
            trigger: `.o_form_view [name="payer_panel"]:contains("${OVERDUE}")`,
        },
        {
            content: "Write the collection comment",
            trigger: '.o_form_view .o_field_widget[name="reminder_payer_comment"] textarea',
            run: `edit ${COMMENT}`,
        },
        {
            content: "Save",
            trigger: ".o_form_view .o_form_button_save:enabled",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view .o_form_saved",
        },
        {
            content: "Back to the list, still filtered",
            trigger: '.o_breadcrumb .breadcrumb-item a:contains("Installments to collect")',
            run: "click",
        },
        {
            trigger: `.o_list_view:not(:has(.o_data_row:contains("${RECENT}"))) .o_data_row:contains("${OVERDUE}") td[name="date_maturity"]`,
            run: "click",
        },
        {
            content: "The comment was saved on the payer",
            trigger: `.o_form_view .o_field_widget[name="reminder_payer_comment"] textarea:value("${COMMENT}")`,
        },
    ],
});
