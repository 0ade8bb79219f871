/** @odoo-module **/

import { stepUtils } from "@web_tour/tour_service/tour_utils";

/**
 * Steps shared by the tours: open a menu of Invoicing › Customers (the
 * installments to collect, the reminder letters), and apply the "More than
 * 30 days late" filter.
 */
export function openCustomersMenuSteps(menu, label) {
    return [
        ...stepUtils.goToAppSteps("account.menu_finance", "Open Invoicing"),
        {
            content: "Open the Customers menu",
            trigger: '.o_menu_sections [data-menu-xmlid="account.menu_finance_receivables"]',
            run: "click",
        },
        {
            content: `Open ${label}`,
            trigger: `.dropdown-item[data-menu-xmlid="optim_relance.${menu}"]:contains("${label}")`,
            run: "click",
        },
    ];
}

export function openInstallmentsSteps() {
    return openCustomersMenuSteps("menu_relance_installments", "Installments to collect");
}

export function filterMoreThan30DaysSteps() {
    return [
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
    ];
}
