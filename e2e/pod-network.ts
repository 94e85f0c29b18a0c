/**
 * A network namespace of its own for one simulated pod, as the kubelet gives every pod. Needed where
 * two servers' ports are fixed and equal: timestamp-server and rekor-server both bind :2112 for
 * metrics and neither has a flag to move it; in a cluster they are separate pods, here one of them
 * gets its own namespace, joined to this host by a veth pair (host 10.213.<n>.1, pod 10.213.<n>.2).
 * Needs root (`ip netns`), which the suites run as.
 */
import { execFileSync } from "node:child_process";

const prefix = "sgs-pod-";
let next = 0;

function ip(...args: string[]): string {
    return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Removes the namespaces and veth pairs an earlier run left behind (it was killed before cleaning up). */
export function removeStalePodNetworks(): void {
    for (const line of ip("netns", "list").split("\n")) {
        const name = line.split(" ")[0];
        if (name.startsWith(prefix)) new PodNetwork(name, Number(name.slice(prefix.length))).remove();
    }
}

export class PodNetwork {
    /** The pod's address, as the host reaches it. */
    readonly address: string;

    constructor(
        readonly name: string,
        private readonly index: number,
    ) {
        this.address = `10.213.${index}.2`;
    }

    static create(): PodNetwork {
        const index = next++;
        const n = new PodNetwork(`${prefix}${index}`, index);
        const [host, pod] = [`sgsh${index}`, `sgsp${index}`];
        ip("netns", "add", n.name);
        ip("link", "add", host, "type", "veth", "peer", "name", pod);
        ip("link", "set", pod, "netns", n.name);
        ip("addr", "add", `10.213.${index}.1/30`, "dev", host);
        ip("link", "set", host, "up");
        ip("netns", "exec", n.name, "ip", "addr", "add", `${n.address}/30`, "dev", pod);
        ip("netns", "exec", n.name, "ip", "link", "set", pod, "up");
        ip("netns", "exec", n.name, "ip", "link", "set", "lo", "up");
        return n;
    }

    /** The command line that runs `binary` inside the namespace (ip execs it: the same process). */
    wrap(binary: string, args: string[]): [string, string[]] {
        return ["ip", ["netns", "exec", this.name, binary, ...args]];
    }

    remove(): void {
        try {
            ip("link", "del", `sgsh${this.index}`);
        } catch {
            // Gone with the namespace already.
        }
        try {
            ip("netns", "del", this.name);
        } catch {
            // Already removed.
        }
    }
}
