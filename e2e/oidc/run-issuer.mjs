// Helpers for test harnesses: start e2e/oidc/issuer.mjs as a child process and wait for "ready".
//
//   const port = await freePort();
//   const iss = await startIssuer({ port, realm: 'sigstore', clientId: 'sigstore' });
//   ... iss.issuer ...
//   await iss.stop();

import { spawn } from "node:child_process";
import * as net from "node:net";
import { fileURLToPath } from "node:url";

const ISSUER_SCRIPT = fileURLToPath(new URL("./issuer.mjs", import.meta.url));

/** A currently free TCP port on 127.0.0.1 (bound then released). */
export function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

/**
 * @returns {Promise<{issuer: string, child: import('node:child_process').ChildProcess,
 *   stderr: () => string, stop: () => Promise<number|null>}>} stop() resolves to the exit code
 */
export function startIssuer({ port = 0, realm, clientId, host = "127.0.0.1", alg, timeoutMs = 15000 }) {
    const args = [ISSUER_SCRIPT, "--port", String(port), "--realm", realm, "--client-id", clientId, "--host", host];
    if (alg) args.push("--alg", alg);
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (d) => {
        err += d;
    });
    const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));

    const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) {
            child.kill("SIGTERM");
            const t = setTimeout(() => child.kill("SIGKILL"), 5000);
            await exited;
            clearTimeout(t);
        }
        return exited;
    };

    return new Promise((resolve, reject) => {
        let out = "";
        // Rejects once the child is gone (or stopping it failed), with what it wrote to stderr.
        const fail = (msg) => {
            const done = () => reject(new Error(`${msg}\nissuer stderr:\n${err}`));
            stop().then(done, done);
        };
        const timer = setTimeout(() => fail(`issuer not ready after ${timeoutMs} ms`), timeoutMs);
        const early = (code, signal) => {
            clearTimeout(timer);
            fail(`issuer exited early (${code ?? signal})`);
        };
        child.once("exit", early);
        child.stdout.setEncoding("utf8").on("data", (d) => {
            out += d;
            const m = /^ready (\S+)$/m.exec(out);
            if (m) {
                clearTimeout(timer);
                child.off("exit", early);
                resolve({ issuer: m[1], child, stderr: () => err, stop });
            }
        });
    });
}
