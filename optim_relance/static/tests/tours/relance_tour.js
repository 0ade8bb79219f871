/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

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
        ...stepUtils.goToAppSteps("account.menu_finance", "Open Invoicing"),
        {
            content: "Open the Customers menu",
            trigger: '.o_menu_sections [data-menu-xmlid="account.menu_finance_receivables"]',
            run: "click",
        },
        {
            content: "Open Installments to collect",
            trigger:
                '.dropdown-item[data-menu-xmlid="optim_relance.menu_relance_installments"]:contains("Installments to collect")',
            run: "click",
        },
        {
            content: "The list shows both customers before filtering",
            trigger: `.o_list_view .o_data_row:contains("${RECENT}")`,
        },
        {
            trigger: `.o_list_view .o_data_row:contains("${OVERDUE}")`,
        },
        {
            content: "Open the search panel",
            trigger: ".o_control_panel .o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Filter: more than 30 days late",
            trigger: '.o_filter_menu .o_menu_item:contains("More than 30 days late")',
            run: "click",
        },
        {
            content: "The filter is applied",
            trigger: '.o_searchview_facet:contains("More than 30 days late")',
        },
        {
            content: "Close the search panel",
            trigger: ".o_control_panel .o_searchview_dropdown_toggler",
            run: "click",
        },
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
