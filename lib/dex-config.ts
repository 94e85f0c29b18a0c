// Renders the file passed to `dex serve` (Dex v2.45.1): the bundled OIDC issuer in front of the
// corporate LDAP / Active Directory (identityProvider "dex", components/dex.ts).
//
// Who may sign is decided here, at the IdP: the LDAP connector's user search only finds users who
// match the configured filter, have an email in the organisation's domain and, when signer groups
// are configured, are members of one of them. Anyone else gets "invalid username or password" and no
// token at all. Dex's LDAP connector marks every email it returns as verified
// (connector/ldap/ldap.go), which is why the domain condition must sit in the search filter: it is
// the only thing standing between a directory entry with any `mail` value and a Fulcio certificate.
//
// Field names are Dex's JSON tags (cmd/dex/config.go, connector/ldap/ldap.go, storage.Client).
// Dex parses the file with ghodss/yaml into Go structs, which ignores unknown keys: a misspelt key
// would be dropped silently, which is why the names are fixed here, unit-tested, and the e2e suite
// logs in through the real Dex with exactly this file.
import * as YAML from "yaml";

/** The ports the Dex container listens on: OIDC (behind the Ingress) and telemetry (/metrics and /healthz/*), named "metrics" like every scraped port. */
export const dexPorts = { http: 5556, metrics: 5558 } as const;

/**
 * Dex's feature flags (pkg/featureflags), set on its container. Both defaults are wrong for us:
 * expand_env (on) would expand `$…` inside the bind password; continue_on_connector_failure (on)
 * would start a Dex that cannot reach the directory as "ready", instead of failing the rollout.
 */
export const dexEnvironment = { DEX_EXPAND_ENV: "false", DEX_CONTINUE_ON_CONNECTOR_FAILURE: "false" } as const;

/** Signing tokens are used once, right away, by cosign: a short life limits what a leaked one is worth. */
export const idTokenLifetime = "10m";

/**
 * The corporate directory behind the bundled Dex. Who may sign is decided here: a user must match
 * userFilter, have an email in the organisation's domain and, when signerGroups is set, be a member
 * of one of them (through memberOfAttribute); nobody else can log in at all. The bind password
 * travels separately, as a secret.
 */
export interface LdapDirectory {
    readonly host: string;
    readonly port: number;
    /** TLS from the first byte (ldaps) or StartTLS on the plain port. */
    readonly transport: "ldaps" | "starttls";
    /** The CA that signed the directory's certificate (Dex's rootCAData). */
    readonly caCertPem: string;
    readonly bindDn: string;
    readonly userBaseDn: string;
    readonly userFilter: string;
    /** What users type at the login prompt (uid, sAMAccountName, userPrincipalName, mail). */
    readonly usernameAttribute: string;
    /** A stable, unique user ID (uid, objectGUID): the token's `sub`. */
    readonly idAttribute: string;
    readonly emailAttribute: string;
    readonly nameAttribute: string;
    /** DNs of the groups whose members may sign (empty: every user of the domain matching userFilter). */
    readonly signerGroups: readonly string[];
    readonly memberOfAttribute: string;
    /** Group search for the token's `groups` claim (informational: who may sign is decided by signerGroups). */
    readonly groupSearch?: { readonly baseDn: string; readonly filter: string; readonly memberAttribute: string; readonly nameAttribute: string };
}

export interface DexConfigInput {
    issuerUrl: string;
    /** The OIDC client cosign uses (its default: "sigstore"), registered public with loopback redirects. */
    clientId: string;
    emailDomain: string;
    ldap: LdapDirectory;
    bindPassword: string;
}

/** RFC 4515 escaping for a value placed inside a filter (the characters that end or widen a match). */
export function escapeFilterValue(value: string): string {
    return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/**
 * The user search filter that decides who may sign: the configured user filter, an email in the
 * organisation's domain, and (when set) membership of one of the signer groups.
 */
export function signerFilter(ldap: Pick<LdapDirectory, "userFilter" | "emailAttribute" | "signerGroups" | "memberOfAttribute">, emailDomain: string): string {
    const inDomain = `(${ldap.emailAttribute}=*@${escapeFilterValue(emailDomain)})`;
    const groups = ldap.signerGroups.map((dn) => `(${ldap.memberOfAttribute}=${escapeFilterValue(dn)})`);
    const inGroup = groups.length === 0 ? "" : groups.length === 1 ? groups[0] : `(|${groups.join("")})`;
    return `(&${ldap.userFilter}${inDomain}${inGroup})`;
}

function ldapConnector(input: DexConfigInput): Record<string, unknown> {
    const { ldap } = input;
    return {
        type: "ldap",
        id: "ldap",
        name: "Corporate directory",
        config: {
            host: `${ldap.host}:${ldap.port}`,
            // Never plain text: TLS from the first byte, or StartTLS before the bind.
            insecureNoSSL: false,
            insecureSkipVerify: false,
            startTLS: ldap.transport === "starttls",
            rootCAData: Buffer.from(ldap.caCertPem).toString("base64"),
            bindDN: ldap.bindDn,
            bindPW: input.bindPassword,
            usernamePrompt: "Username",
            userSearch: {
                baseDN: ldap.userBaseDn,
                filter: signerFilter(ldap, input.emailDomain),
                username: ldap.usernameAttribute,
                idAttr: ldap.idAttribute,
                emailAttr: ldap.emailAttribute,
                nameAttr: ldap.nameAttribute,
            },
            ...(ldap.groupSearch
                ? {
                      groupSearch: {
                          baseDN: ldap.groupSearch.baseDn,
                          filter: ldap.groupSearch.filter,
                          userMatchers: [{ userAttr: "DN", groupAttr: ldap.groupSearch.memberAttribute }],
                          nameAttr: ldap.groupSearch.nameAttribute,
                      },
                  }
                : {}),
        },
    };
}

/** The whole Dex configuration as YAML (it holds the bind password: it belongs in a Secret). */
export function renderDexConfig(input: DexConfigInput): string {
    const config = {
        issuer: input.issuerUrl,
        // Nothing here outlives a login: auth requests and codes last minutes, the signing keys are
        // re-created on restart and published in the JWKS Fulcio fetches. One replica, no database.
        storage: { type: "memory" },
        web: { http: `0.0.0.0:${dexPorts.http}` },
        telemetry: { http: `0.0.0.0:${dexPorts.metrics}` },
        logger: { level: "info", format: "json" },
        expiry: { idTokens: idTokenLifetime },
        oauth2: { responseTypes: ["code"], skipApprovalScreen: true },
        // Only the directory: no local password database, no other connector.
        enablePasswordDB: false,
        // cosign's client: public (no secret on laptops), PKCE; no redirect URIs listed, so Dex
        // accepts exactly the loopback ones cosign opens (http://localhost:<port>/auth/callback).
        staticClients: [{ id: input.clientId, name: "Sigstore signing", public: true }],
        connectors: [ldapConnector(input)],
    };
    return YAML.stringify(config, { lineWidth: 0 });
}
