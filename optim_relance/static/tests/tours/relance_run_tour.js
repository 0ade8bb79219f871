/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * A reminder run's form while the scheduler works on it: opened queued, it
 * shows the letters sent and the end of the run without being reloaded.
 * Data and the background processing: optim_relance/tests/test_run_tour.py.
 */
const CURRENT = ".o_statusbar_status .o_arrow_button_current";

registry.category("web_tour.tours").add("optim_relance_run_tour", {
    steps: () => [
        {
            content: "The run is queued, nothing sent yet",
            trigger: `${CURRENT}:contains("Queued")`,
        },
        {
            trigger: '.o_field_widget[name="letter_done_count"]:contains("0")',
        },
        {
            content: "It goes on in the background: the form follows it",
            trigger: `${CURRENT}:contains("Done")`,
            timeout: 30000,
        },
        {
            content: "Every letter sent",
            trigger: '.o_field_widget[name="letter_done_count"]:contains("3")',
        },
        {
            content: "Its batch document can be downloaded",
            trigger: '.o_form_view button[name="action_download"]',
        },
    ],
});
