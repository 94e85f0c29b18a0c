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

/** One log's pod: its server if the pod still has one (stopped if it no longer has), and its read path. */
export async function startRekorV2Log(c: LocalCluster, app: string, server: string): Promise<void> {
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
}
