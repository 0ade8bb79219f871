/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/**
 * Invoicing › Reporting › Collection › Collection dashboard: the figures
 * show, and a card opens the list that makes it up. Data: see
 * optim_relance/tests/test_analysis.py (TestAnalysisInBrowser): 3,800.00
 * receivable, 3,500.00 of it late, one payer not reminded.
 */
registry.category("web_tour.tours").add("optim_relance_dashboard_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("account.menu_finance", "Open Invoicing"),
        {
            content: "Open the Reporting menu",
            trigger: '.o_menu_sections [data-menu-xmlid="account.menu_finance_reports"]',
            run: "click",
        },
        {
            content: "Open the collection dashboard",
            trigger: '.dropdown-item[data-menu-xmlid="optim_relance.menu_relance_dashboard"]',
            run: "click",
        },
        {
            content: "The total receivable",
            trigger: '.o_relance_kpi_receivable .o_field_widget[name="receivable_amount"]:contains("3,800.00")',
        },
        {
            content: "Of which late",
            trigger: '.o_relance_kpi_late .o_field_widget[name="late_amount"]:contains("3,500.00")',
        },
        {
            content: "The effectiveness table (no reminder yet)",
            trigger: '.o_relance_effectiveness:contains("No reminder in the last 12 months")',
        },
        {
            content: "Open the late installments",
            trigger: ".o_relance_kpi_late",
            run: "click",
        },
        {
            content: "The installments list opens filtered on the late ones",
            trigger: '.o_searchview_facet:contains("Late")',
        },
        {
            content: "Both late installments are listed, not the one not due",
            trigger: ".o_list_view:not(:has(.o_data_row:eq(2))) .o_data_row:eq(1)",
        },
        {
            content: "Switch to the pivot",
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "The pivot shows the buckets as columns",
            trigger: '.o_pivot th:contains("Over 90 days")',
        },
    ],
});
