import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { RadioField, radioField } from "@web/views/fields/radio/radio_field";

/**
 * The reminder level (an integer, 1 to 3) as radio buttons with its meaning:
 * the wizards' ``level`` field, without a shadow selection field.
 */
export class RelanceLevelRadioField extends RadioField {
    get items() {
        return [
            [1, _t("Level 1 – friendly reminder")],
            [2, _t("Level 2 – firm reminder")],
            [3, _t("Level 3 – formal notice")],
        ];
    }

    get value() {
        return this.props.record.data[this.props.name];
    }

    onChange(item) {
        this.props.record.update({ [this.props.name]: item[0] });
    }
}

export const relanceLevelRadioField = {
    ...radioField,
    component: RelanceLevelRadioField,
    supportedTypes: ["integer"],
    isEmpty: () => false,
};

registry.category("fields").add("relance_level_radio", relanceLevelRadioField);
