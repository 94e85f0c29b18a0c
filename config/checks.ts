/** Value checks shared by the config readers: each returns what is allowed, or undefined when fine. */
import { parsePositiveInt64 } from "../lib/tree-id";
import type { Check } from "./reader";

export const dnsLabel: Check = (v) =>
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v)
        ? undefined
        : "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending alphanumeric, at most 63 characters";

export const dnsName: Check = (v) =>
    v.length <= 253 && v.split(".").every((l) => dnsLabel(l) === undefined)
        ? undefined
        : "must be a DNS name such as sigstore.corp.example (lowercase labels separated by dots)";

export const quantity: Check = (v) => (/^[1-9]\d*(Ki|Mi|Gi|Ti|Pi)$/.test(v) ? undefined : "must be a Kubernetes storage quantity such as 10Gi or 500Mi");

export const treeId: Check = (v) => (parsePositiveInt64(v) !== undefined ? undefined : "must be a Trillian tree ID: a positive 64-bit decimal integer");

export const pem =
    (kind: string): Check =>
    (v) =>
        v.includes(`-----BEGIN ${kind}-----`) ? undefined : `must be PEM text containing a "-----BEGIN ${kind}-----" block`;

export const pathLike: Check = (v) => (/^[^\0\n]+$/.test(v) ? undefined : "must be a file path");

/** A host name or IP address, its port being the key `portKey`. */
export const hostWithoutPort =
    (portKey: string): Check =>
    (v) =>
        /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(v) || /^[0-9a-fA-F:]+$/.test(v)
            ? undefined
            : `must be a host name or IP address without a port (set ${portKey} separately)`;

/** Keycloak ≥17 issuers look like https://host/realms/<realm>; Fulcio compares `iss` byte for byte. */
export const issuerUrl: Check = (v) => {
    let url: URL;
    try {
        url = new URL(v);
    } catch {
        return "must be an absolute URL such as https://keycloak.corp.example/realms/sigstore";
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return "must use https:// (or http:// for a test issuer)";
    if (v.endsWith("/")) return "must not end with '/': it must equal the token's `iss` claim exactly";
    if (url.search || url.hash) return "must not contain a query or fragment";
    return undefined;
};

/** 1 to 64 characters: an X.509 subject attribute. */
export const subjectAttribute: Check = (v) => (v.trim().length > 0 && v.length <= 64 ? undefined : "must be 1 to 64 characters");
