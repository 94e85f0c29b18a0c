/**
 * Generic parsers for text settings: Kubernetes label selectors, CIDR and port lists, CronJob
 * schedules. Each returns the parsed value, or undefined when the text is not of that form; the
 * caller says which setting it was and what is allowed (the `…Format` texts).
 */

/** A Kubernetes label selector written as `key=value,key=value` (an empty pod selector: every pod). */
export type LabelSelector = Record<string, string>;

/** Label keys (optional DNS prefix + name) and values as Kubernetes allows them. */
const labelKey = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const labelValue = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export function parseLabelSelector(v: string): LabelSelector | undefined {
    const selector: LabelSelector = {};
    if (v.trim() === "") return selector;
    for (const pair of v.split(",")) {
        const m = /^\s*([^=\s]+)=([^=\s]*)\s*$/.exec(pair);
        if (!m || !labelKey.test(m[1]) || !labelValue.test(m[2]) || m[1] in selector) return undefined;
        selector[m[1]] = m[2];
    }
    return selector;
}

export const labelSelectorFormat = 'must be a label selector written as "key=value[,key=value…]" (Kubernetes label syntax)';

export function parseCidrs(v: string): string[] | undefined {
    const cidrs = v
        .split(",")
        .map((c) => c.trim())
        .filter((c) => c !== "");
    const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
    const ipv6 = /^[0-9a-fA-F:]+:[0-9a-fA-F:]*\/(12[0-8]|1[01]\d|[1-9]?\d)$/;
    return cidrs.length > 0 && cidrs.every((c) => ipv4.test(c) || ipv6.test(c)) ? cidrs : undefined;
}

export const cidrListFormat = 'must be one or more CIDRs separated by commas, e.g. "10.20.0.0/16,192.0.2.10/32"';

export function parsePorts(v: string): number[] | undefined {
    const ports = v.split(",").map((p) => p.trim());
    return ports.every((p) => /^\d+$/.test(p) && Number(p) >= 1 && Number(p) <= 65535) ? ports.map(Number) : undefined;
}

export const portListFormat = 'must be TCP ports from 1 to 65535 separated by commas, e.g. "443,6443"';

/** A CronJob schedule: five fields, or one of the macros Kubernetes accepts. */
export function isCronSchedule(v: string): boolean {
    if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(v)) return true;
    const fields = v.trim().split(/\s+/);
    return fields.length === 5 && fields.every((f) => /^[0-9A-Za-z*?/,-]+$/.test(f));
}
