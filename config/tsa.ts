/** The timestamp authority: its replicas, its chain (generated or the organisation's) and NTP monitoring. */
import { signingKeyProblem, timestampingChainProblem } from "../lib/tsa-chain";
import { defaults } from "./defaults";
import { hostWithoutPort, subjectAttribute } from "./checks";
import { Reader } from "./reader";
import { TsaChainConfig, TsaConfig } from "./types";

export function readTsa(r: Reader): TsaConfig | undefined {
    if (!r.bool("timestampAuthority", defaults.timestampAuthority)) return undefined;
    const ntp = r.optional("tsaNtpServers", (v) =>
        ntpServerList(v) ? undefined : 'must be NTP servers separated by commas: host names or addresses without a port, e.g. "ntp1.corp.example,10.0.0.123"',
    );
    return {
        replicas: r.int("tsaReplicas", defaults.tsaReplicas, 1, 20),
        generation: r.int("tsaGeneration", defaults.tsaGeneration, 1, 100),
        chain: readChain(r),
        ntpServers: ntp === undefined ? undefined : ntpServerList(ntp),
    };
}

function ntpServerList(v: string): string[] | undefined {
    const servers = v
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
    return servers.length > 0 && servers.every((s) => hostWithoutPort("")(s) === undefined) ? servers : undefined;
}

/**
 * The organisation's chain is checked now, before anything deploys, by the rules timestamp-server
 * enforces at startup; its key is checked against the leaf when the secret is read (still in preview).
 */
function readChain(r: Reader): TsaChainConfig {
    const certChainPem = r.raw("tsaCertChain");
    if (certChainPem === undefined) {
        return {
            source: "generated",
            organization: r.string("tsaOrganization", defaults.tsaOrganization, subjectAttribute),
            commonName: r.string("tsaCommonName", defaults.tsaCommonName, subjectAttribute),
            validityHours: r.int("tsaValidityHours", defaults.tsaValidityHours, 24, 262800),
        };
    }
    const chainProblem = timestampingChainProblem(certChainPem);
    if (chainProblem) r.reject("tsaCertChain", certChainPem, chainProblem);
    const key = r.requiredSecret("tsaSigningKey", "with tsaCertChain (the private key of its leaf, PEM)");
    return {
        source: "supplied",
        certChainPem,
        // Against a chain that failed its own check the key is not compared: that problem is reported already.
        signingKeyPem: key.apply((pem) => {
            const problem = chainProblem ? undefined : signingKeyProblem(certChainPem, pem);
            if (problem) throw new Error(`sigstore:tsaSigningKey [secret]: ${problem}`);
            return pem;
        }),
    };
}
