/**
 * Rekor v2's pods, run from the program's StatefulSets, one per log (rekor-v2, rekor-v2-g<N>): the
 * real rekor-tiles POSIX server with its container's flags and mounts (its volume the claim's
 * directory here), and the read path by the Debian nginx over the same directory
 * (e2e/tuf-server.ts). A retired log's pod has only the read path: its server is stopped, as the
 * rollout of its new spec stops it.
 */
import { rekorV2Service } from "../components/rekor-v2";
import { anyPod, freePort, LocalCluster } from "./local-cluster";
import { startNginxContainer } from "./tuf-server";

/** The Rekor v2 logs the program declares, oldest first (their app names). */
export function rekorV2Apps(c: LocalCluster): string[] {
    return c.objects
        .services()
        .map((s) => s.metadata.name)
        .filter((name) => name === rekorV2Service || name.startsWith(`${rekorV2Service}-g`));
}

/** Brings every log's processes in line with its pod spec: servers of active logs running, retired ones stopped, every read path up. */
export async function syncRekorV2(c: LocalCluster, server: string): Promise<void> {
    for (const app of rekorV2Apps(c)) await startRekorV2Log(c, app, server);
}

/** One log's pod: its server if the pod still has one (stopped if it no longer has), and its read path. Returns whether it has a server. */
export async function startRekorV2Log(c: LocalCluster, app: string, server: string): Promise<boolean> {
    await c.allocateServicePorts();
    const containers: string[] = c.objects.workload(app).spec.template.spec.containers.map((x: any) => x.name);
    const running = (name: string) => c.processes.some((p) => p.name === name && p.child.exitCode === null);
    const writable = containers.includes("rekor-tiles");
    if (writable && !running(app)) {
        // The gRPC listener is the HTTP gateway's alone (loopback in the pod): here a free port of its own.
        await c.start(app, server, [`--grpc-port=${await freePort()}`], anyPod, true, { drop: (a) => a.startsWith("--grpc-port=") });
    }
    if (!writable && running(app)) await c.stop(app);
    if (!running(c.processName(app, anyPod, "read-path"))) await startNginxContainer(c, app, { container: "read-path" });
    return writable;
}

/** A tile's path (C2SP tlog-tiles): the index in groups of three digits, all but the last prefixed "x"; a partial tile's width after ".p/". */
export function tilePath(level: number | "entries", index: number, width = 256): string {
    const digits = String(index).padStart(3, "0");
    const groups: string[] = [];
    for (let end = digits.length; end > 0; end -= 3) groups.unshift(digits.slice(Math.max(0, end - 3), end).padStart(3, "0"));
    const encoded = groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join("/");
    return `tile/${level}/${encoded}${width < 256 ? `.p/${width}` : ""}`;
}

/** The first `size` leaf hashes of a log, from the level-0 tiles its read path serves. */
export async function leafHashesOf(readUrl: string, size: number): Promise<Buffer[]> {
    const hashes: Buffer[] = [];
    for (let index = 0; index * 256 < size; index++) {
        const width = Math.min(256, size - index * 256);
        const res = await fetch(`${readUrl}/${tilePath(0, index, width)}`);
        if (!res.ok) throw new Error(`GET ${tilePath(0, index, width)}: ${res.status}`);
        const tile = Buffer.from(await res.arrayBuffer());
        // A partial tile may be served by the fuller tile that superseded it: its first `width` hashes are the same.
        for (let i = 0; i < width; i++) hashes.push(tile.subarray(i * 32, (i + 1) * 32));
    }
    return hashes;
}
