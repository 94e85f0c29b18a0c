/** Prometheus Operator ServiceMonitors and alert rules: absent when monitoring is off. */
import { labelSelectorFormat, parseLabelSelector } from "../lib/parse";
import { defaults } from "./defaults";
import { Reader } from "./reader";
import { MonitoringConfig } from "./types";

export function readMonitoring(r: Reader): MonitoringConfig | undefined {
    if (!r.bool("monitoring", defaults.monitoring)) return undefined;
    return {
        labels: r.parsed("monitoringLabels", defaults.monitoringLabels, parseLabelSelector, labelSelectorFormat),
        caExpiryWarningDays: r.int("caExpiryWarningDays", defaults.caExpiryWarningDays, 1, 3650),
    };
}
