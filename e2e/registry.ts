/**
 * The organisation's OCI registry, stood in for by the reference registry (distribution v3, built by
 * e2e/binaries.ts) on 127.0.0.1 over plain HTTP, and crane to push images into it. Clients treat a
 * 127.0.0.1 registry as plain HTTP without being told (go-containerregistry's name.Registry.Scheme),
 * so cosign and policy-controller reach it as they reach an internal registry.
 */
import { ChildProcess, execFile, spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./local-cluster";

const run = promisify(execFile);

export interface Registry {
    /** host:port */
    address: string;
    /** Pushes a fresh image (one layer of random bytes) as `repository:tag`; returns its digest reference. */
    pushRandomImage(repository: string, tag: string): Promise<string>;
    stop(): Promise<void>;
}

/** Starts the registry with a minimal configuration: filesystem storage under `work`, plain HTTP on loopback. */
export async function startRegistry(registryBinary: string, craneBinary: string, work: string): Promise<Registry> {
    const dir = path.join(work, "registry");
    fs.mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const config = path.join(dir, "config.yml");
    fs.writeFileSync(
        config,
        ["version: 0.1", "storage:", "  filesystem:", `    rootdirectory: ${path.join(dir, "data")}`, "http:", `  addr: ${address}`, ""].join("\n"),
    );
    const logFile = path.join(dir, "registry.log");
    const out = fs.openSync(logFile, "a");
    const child: ChildProcess = spawn(registryBinary, ["serve", config], {
        stdio: ["ignore", out, out],
        env: { ...process.env, OTEL_TRACES_EXPORTER: "none" },
    });
    const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) {
            child.kill("SIGTERM");
            await new Promise((r) => child.once("exit", r));
        }
    };
    for (let i = 0; i < 100; i++) {
        const ok = await fetch(`http://${address}/v2/`)
            .then((r) => r.status === 200)
            .catch(() => false);
        if (ok) {
            return {
                address,
                stop,
                pushRandomImage: async (repository, tag) => {
                    const layerDir = fs.mkdtempSync(path.join(dir, "layer-"));
                    fs.writeFileSync(path.join(layerDir, "payload"), crypto.randomBytes(4096));
                    const tar = path.join(layerDir, "layer.tar");
                    await run("tar", ["-cf", tar, "-C", layerDir, "payload"]);
                    const { stdout } = await run(craneBinary, ["append", "--oci-empty-base", "-f", tar, "-t", `${address}/${repository}:${tag}`]);
                    return stdout.trim();
                },
            };
        }
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 100));
    }
    await stop();
    throw new Error(`the registry did not start on ${address}:\n${fs.readFileSync(logFile, "utf8").slice(-2000)}`);
}
