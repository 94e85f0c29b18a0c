// Renders the file passed to `fulcio serve --config-path` (Fulcio v1.8.8).
//
// Fulcio's pkg/config/config.go parseConfig() tries encoding/json first (then
// YAML), into FulcioConfig{ OIDCIssuers map[string]OIDCIssuer `json:"OIDCIssuers"` }.
// The OIDCIssuer JSON tags used here are IssuerURL, ClientID, Type, CACert,
// SubjectDomain, SPIFFETrustDomain, SkipEmailVerification, Description and
// Contact. Unknown keys are silently ignored by encoding/json, so a typo would
// not fail at startup — which is why the names are fixed here and tested.

import { requireHttpUrl, requireText } from "./checks";
import { parseCertificateBundle } from "./pem";

export interface OidcIssuerInput {
    /** Must equal the `iss` claim of the tokens byte for byte (e.g. "https://kc.example.com/realms/sigstore"). */
    issuerUrl: string;
    /** Expected audience: the token's `aud` must contain it (cosign's default client is "sigstore"). */
    clientId: string;
    /** Fulcio issuer type, one of FULCIO_ISSUER_TYPES, e.g. "email". */
    type: string;
    /** PEM of a private CA that signed the IdP's TLS certificate (OIDCIssuer.CACert). */
    caCert?: string;
    /** Required for "uri" (with scheme) and "username" (without scheme) types (OIDCIssuer.SubjectDomain). */
    subjectDomain?: string;
    /** Required for the "spiffe" type (OIDCIssuer.SPIFFETrustDomain). */
    spiffeTrustDomain?: string;
    /** "email" only: accept tokens without email_verified=true (OIDCIssuer.SkipEmailVerification). */
    skipEmailVerification?: boolean;
    /** Informational (OIDCIssuer.Description / Contact). */
    description?: string;
    contact?: string;
    /**
     * Allow an issuer URL ending in "/". Off by default: Keycloak, Dex and most
     * IdPs issue `iss` without it, and Fulcio compares `iss` to the map key
     * exactly, so a stray slash is the classic "unknown issuer" mistake. Turn
     * it on only for IdPs whose `iss` really ends in "/" (e.g. Auth0).
     */
    allowTrailingSlash?: boolean;
}

/**
 * Issuer types Fulcio v1.8.8 accepts: the IssuerType* constants in
 * pkg/config/config.go; any other value makes issuerToChallengeClaim() return
 * "" and validateConfig() fail with "issuer missing challenge claim".
 */
export const FULCIO_ISSUER_TYPES: readonly string[] = [
    "email",
    "github-workflow",
    "gitlab-pipeline",
    "buildkite-job",
    "codefresh-workflow",
    "chainguard-identity",
    "kubernetes",
    "spiffe",
    "uri",
    "username",
    "ci-provider",
];

/**
 * "ci-provider" also needs a top-level CIIssuerMetadata section and the
 * CIProvider field, which this renderer does not model; refuse it rather than
 * emit a config whose issuer cannot produce certificates.
 */
const UNSUPPORTED_TYPES: Record<string, string> = {
    "ci-provider": "it needs CIProvider and a CIIssuerMetadata section, which renderFulcioConfig does not generate",
};

/** Renders the Fulcio config JSON; keys are sorted by issuer URL so output is deterministic. */
export function renderFulcioConfig(issuers: OidcIssuerInput[]): string {
    if (!Array.isArray(issuers) || issuers.length === 0) {
        // An empty map would not fall back to defaults, but it would make Fulcio useless.
        throw new Error("renderFulcioConfig: issuers must be a non-empty array");
    }
    const byUrl = new Map<string, Record<string, unknown>>();
    issuers.forEach((issuer, i) => {
        const entry = issuerEntry(issuer, `issuers[${i}]`);
        const url = entry.IssuerURL as string;
        if (byUrl.has(url)) throw new Error(`issuers[${i}].issuerUrl ${JSON.stringify(url)} is listed twice`);
        byUrl.set(url, entry);
    });
    const OIDCIssuers: Record<string, unknown> = {};
    for (const url of [...byUrl.keys()].sort()) OIDCIssuers[url] = byUrl.get(url);
    return JSON.stringify({ OIDCIssuers }, null, 2) + "\n";
}

/** One OIDCIssuer value, keys in struct order, optional keys only when set. */
function issuerEntry(issuer: OidcIssuerInput, at: string): Record<string, unknown> {
    if (issuer === null || typeof issuer !== "object") throw new Error(`${at} must be an object`);
    const type = validateType(issuer.type, at);
    const entry: Record<string, unknown> = {
        IssuerURL: validateIssuerUrl(issuer.issuerUrl, `${at}.issuerUrl`, issuer.allowTrailingSlash === true),
        ClientID: requireText(issuer.clientId, `${at}.clientId`),
        Type: type,
    };
    const subjectDomain = typeSpecific(issuer, type, at);
    if (subjectDomain !== undefined) entry.SubjectDomain = subjectDomain;
    if (type === "spiffe") entry.SPIFFETrustDomain = issuer.spiffeTrustDomain;
    if (issuer.description !== undefined) entry.Description = requireText(issuer.description, `${at}.description`);
    if (issuer.contact !== undefined) entry.Contact = requireText(issuer.contact, `${at}.contact`);
    if (issuer.caCert !== undefined) entry.CACert = validateCaCert(issuer.caCert, `${at}.caCert`);
    if (issuer.skipEmailVerification === true) entry.SkipEmailVerification = true;
    return entry;
}

function validateType(type: string, at: string): string {
    if (!FULCIO_ISSUER_TYPES.includes(type)) {
        throw new Error(`${at}.type must be one of ${FULCIO_ISSUER_TYPES.join(", ")}; got ${JSON.stringify(type)}`);
    }
    if (UNSUPPORTED_TYPES[type]) throw new Error(`${at}.type "${type}" is not supported: ${UNSUPPORTED_TYPES[type]}`);
    return type;
}

/** Checks the per-type fields Fulcio's validateConfig() requires; returns SubjectDomain if it applies. */
function typeSpecific(issuer: OidcIssuerInput, type: string, at: string): string | undefined {
    if (issuer.skipEmailVerification !== undefined && type !== "email") {
        throw new Error(`${at}.skipEmailVerification only applies to type "email", not "${type}"`);
    }
    if (type === "spiffe") {
        requireText(issuer.spiffeTrustDomain as string, `${at}.spiffeTrustDomain`, ` (required for type "spiffe")`);
    } else if (issuer.spiffeTrustDomain !== undefined) {
        throw new Error(`${at}.spiffeTrustDomain only applies to type "spiffe", not "${type}"`);
    }
    if (type === "uri" || type === "username") {
        const domain = requireText(issuer.subjectDomain as string, `${at}.subjectDomain`, ` (required for type "${type}")`);
        const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(domain);
        if (type === "uri" && !hasScheme) throw new Error(`${at}.subjectDomain must include a scheme for type "uri", e.g. "https://example.com"`);
        if (type === "username" && hasScheme) throw new Error(`${at}.subjectDomain must not include a scheme for type "username", e.g. "example.com"`);
        checkSubjectDomainMatchesIssuer(domain, issuer.issuerUrl, type, at);
        return domain;
    }
    if (issuer.subjectDomain !== undefined) {
        throw new Error(`${at}.subjectDomain only applies to types "uri" and "username", not "${type}"`);
    }
    return undefined;
}

/**
 * Mirrors Fulcio's isURISubjectAllowed / validateAllowedDomain: the subject
 * domain must share the issuer's scheme ("uri" only) and its last two DNS
 * labels, otherwise Fulcio exits at startup with a validate error.
 */
function checkSubjectDomainMatchesIssuer(domain: string, issuerUrl: string, type: string, at: string): void {
    let issuer: URL;
    try {
        issuer = new URL(issuerUrl);
    } catch {
        return; // reported by validateIssuerUrl
    }
    let host = domain;
    if (type === "uri") {
        const subject = new URL(domain);
        if (subject.protocol !== issuer.protocol) {
            throw new Error(`${at}.subjectDomain scheme "${subject.protocol}" must match the issuer URL scheme "${issuer.protocol}"`);
        }
        host = subject.hostname;
    }
    const s = host.split(".");
    const i = issuer.hostname.split(".");
    const sameTail = s.length >= 2 && i.length >= 2 && s[s.length - 1] === i[i.length - 1] && s[s.length - 2] === i[i.length - 2];
    if (host !== issuer.hostname && !sameTail) {
        throw new Error(`${at}.subjectDomain "${host}" must share the top- and second-level domain of the issuer host "${issuer.hostname}"`);
    }
}

/**
 * The issuer URL is used verbatim (no normalisation) because Fulcio looks it
 * up with an exact string match against the token's `iss`, and go-oidc
 * discovery also insists the discovery document's issuer equals it.
 */
function validateIssuerUrl(value: string, field: string, allowTrailingSlash: boolean): string {
    const url = requireHttpUrl(value, field);
    if (url.endsWith("/") && !allowTrailingSlash) {
        throw new Error(
            `${field} ends with "/": it must equal the token's "iss" exactly (Keycloak: "https://host/realms/<realm>"); set allowTrailingSlash if your IdP really issues it with "/"`,
        );
    }
    return url;
}

/** Fulcio refuses to start if CACert holds no parsable certificate; fail earlier and clearer. */
function validateCaCert(pem: string, field: string): string {
    parseCertificateBundle(pem, field);
    return pem;
}
