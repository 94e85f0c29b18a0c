/** Network isolation (NetworkPolicies) and the public edge (Ingresses and their TLS). */
import { cidrListFormat, labelSelectorFormat, parseCidrs, parseLabelSelector, parsePorts, portListFormat } from "../lib/parse";
import { defaults } from "./defaults";
import { dnsLabel, dnsName } from "./checks";
import { Reader } from "./reader";
import { DatabaseConfig, IdentityConfig, IngressTls, NetworkConfig, TsaConfig } from "./types";

/** CIDRs required when the thing they locate is outside the cluster (the applicability rules refuse them otherwise). */
function requiredCidrs(r: Reader, key: "databaseEgressCidrs" | "ldapEgressCidrs" | "tsaNtpEgressCidrs", needed: boolean, why: string): string[] {
    const text = r.optional(key, (v) => (parseCidrs(v) ? undefined : cidrListFormat));
    if (needed && text === undefined) r.reject(key, text, why);
    return parseCidrs(text ?? "") ?? [];
}

export function readNetwork(r: Reader, database: DatabaseConfig, identity: IdentityConfig, tsa: TsaConfig | undefined): NetworkConfig | undefined {
    if (!r.bool("networkPolicies", defaults.networkPolicies)) return undefined;
    const selector = (key: "ingressNamespaceSelector" | "ingressPodSelector" | "metricsNamespaceSelector" | "metricsPodSelector") =>
        r.parsed(key, defaults[key], parseLabelSelector, labelSelectorFormat);
    const cidrs = (key: "oidcEgressCidrs" | "apiServerEgressCidrs") => r.parsed(key, defaults[key], parseCidrs, cidrListFormat);
    const ldapEgressCidrs = requiredCidrs(
        r,
        "ldapEgressCidrs",
        identity.provider === "dex",
        'is required when identityProvider is "dex" and networkPolicies is true: ' +
            "the CIDRs of the directory server(s), e.g. 10.20.30.41/32, which Dex may reach on ldapPort",
    );
    const databaseEgressCidrs = requiredCidrs(
        r,
        "databaseEgressCidrs",
        database.mode === "external",
        'is required when databaseMode is "external" and networkPolicies is true: ' +
            "the CIDRs of the database host(s), e.g. 10.20.30.40/32, which Trillian may reach on databasePort",
    );
    const tsaNtpEgressCidrs = requiredCidrs(
        r,
        "tsaNtpEgressCidrs",
        tsa?.ntpServers !== undefined,
        "is required with tsaNtpServers when networkPolicies is true: the CIDRs of the NTP servers, e.g. 10.0.0.123/32, which the timestamp authority may reach on UDP 123",
    );
    return {
        ingressNamespaceSelector: selector("ingressNamespaceSelector"),
        ingressPodSelector: selector("ingressPodSelector"),
        metricsNamespaceSelector: selector("metricsNamespaceSelector"),
        metricsPodSelector: selector("metricsPodSelector"),
        oidcEgressCidrs: cidrs("oidcEgressCidrs"),
        apiServerEgressCidrs: cidrs("apiServerEgressCidrs"),
        apiServerEgressPorts: r.parsed("apiServerEgressPorts", defaults.apiServerEgressPorts, parsePorts, portListFormat),
        databaseEgressCidrs,
        ldapEgressCidrs,
        tsaNtpEgressCidrs,
    };
}

export function readIngressClassName(r: Reader): string | undefined {
    return r.optional("ingressClassName", dnsLabel);
}

/** Public-edge TLS: certificates from cert-manager, or one TLS Secret the cluster already has. */
export function readIngressTls(r: Reader): IngressTls | undefined {
    const issuer = r.optional("ingressClusterIssuer", dnsName);
    const secretName = r.optional("ingressTlsSecret", dnsName);
    if (issuer && secretName) {
        r.reject("ingressTlsSecret", secretName, "cannot be combined with ingressClusterIssuer: choose cert-manager certificates or one existing TLS Secret");
    }
    if (issuer) return { clusterIssuer: issuer };
    return secretName ? { secretName } : undefined;
}
