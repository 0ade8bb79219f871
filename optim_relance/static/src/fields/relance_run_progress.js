/** @odoo-module **/

import { useEffect } from "@odoo/owl";
import { registry } from "@web/core/registry";
import {
    ProgressBarField,
    progressBarField,
} from "@web/views/fields/progress_bar/progress_bar_field";

// How often a run's form reads the run again while it is queued or running.
export const REFRESH_INTERVAL = 2000;

/**
 * The progress of a reminder run, kept up to date while the scheduler works
 * on it in the background: the record is read again every few seconds until
 * the run is done or failed (state, counts, letters, error).
 */
export class RelanceRunProgressField extends ProgressBarField {
    setup() {
        super.setup();
        useEffect(
            (state) => {
                if (!["queued", "running"].includes(state)) {
                    return;
                }
                const interval = setInterval(() => {
                    const record = this.props.record;
                    if (!record.dirty) {
                        record.load();
                    }
                }, REFRESH_INTERVAL);
                return () => clearInterval(interval);
            },
            () => [this.props.record.data.state]
        );
    }
}

registry.category("fields").add("relance_run_progress", {
    ...progressBarField,
    component: RelanceRunProgressField,
});
