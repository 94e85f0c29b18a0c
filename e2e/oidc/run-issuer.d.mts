// Types for run-issuer.mjs.
import type { ChildProcess } from "node:child_process";

export interface RunningIssuer {
    /** Exact issuer URL from the "ready" line: http://127.0.0.1:<port>/realms/<realm> */
    issuer: string;
    child: ChildProcess;
    /** stderr captured so far (oidc-provider warnings, errors). */
    stderr(): string;
    /** SIGTERM (SIGKILL after 5 s); resolves to the exit code (0 on a clean shutdown) or signal name. */
    stop(): Promise<number | string | null>;
}
export function freePort(): Promise<number>;
export function startIssuer(opts: {
    port?: number;
    realm: string;
    clientId: string;
    host?: string;
    alg?: "RS256" | "ES256";
    timeoutMs?: number;
}): Promise<RunningIssuer>;
