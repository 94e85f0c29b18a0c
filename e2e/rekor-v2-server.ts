/**
 * Rekor v2's pod, run from the program's StatefulSet: the real rekor-tiles POSIX server with the
 * first container's flags and mounts (its volume the claim's directory here), and its read path,
 * the second container, by the Debian nginx over the same directory (e2e/tuf-server.ts).
 */
import { rekorV2Service } from "../components/rekor-v2";
import { anyPod, freePort, LocalCluster } from "./local-cluster";
import { startNginxContainer } from "./tuf-server";

export async function startRekorV2(c: LocalCluster, server: string): Promise<void> {
    await c.allocateServicePorts();
    // The gRPC listener is the HTTP gateway's alone (loopback in the pod): here a free port of its own.
    await c.start(rekorV2Service, server, [`--grpc-port=${await freePort()}`], anyPod, true, { drop: (a) => a.startsWith("--grpc-port=") });
    await startNginxContainer(c, rekorV2Service, { container: "read-path" });
}
