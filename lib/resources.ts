/**
 * CPU and memory for one workload, written in stack config as one short string per workload:
 *
 *     cpu=<request>/<limit>,memory=<request>/<limit>      e.g.  cpu=250m/2,memory=512Mi/2Gi
 *
 * Both resources and both bounds are required: requests let the scheduler place the pod, limits keep
 * one runaway server from starving the others (and the policy pack requires them). Quantities are
 * Kubernetes quantities; a request above its limit is refused here rather than by the API server.
 */
export interface ResourceBounds {
    cpu: { request: string; limit: string };
    memory: { request: string; limit: string };
}

const cpuQuantity = /^([1-9]\d*m|\d+(\.\d{1,3})?)$/;
const memoryQuantity = /^[1-9]\d*(Ki|Mi|Gi|Ti)$/;
const memoryUnits: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** What the config string must look like (config/ reports it with the key and value). */
export const resourceBoundsFormat =
    'must be "cpu=<request>/<limit>,memory=<request>/<limit>", e.g. "cpu=250m/2,memory=512Mi/2Gi" ' +
    "(cpu in cores or millicores, memory in Ki/Mi/Gi/Ti; request at most the limit)";

/** Parses the config string; undefined when it is not of resourceBoundsFormat. */
export function parseResourceBounds(text: string): ResourceBounds | undefined {
    const parts = new Map<string, [string, string]>();
    for (const part of text.split(",")) {
        const m = /^\s*(cpu|memory)=([^/\s]+)\/([^/\s]+)\s*$/.exec(part);
        if (!m || parts.has(m[1])) return undefined;
        parts.set(m[1], [m[2], m[3]]);
    }
    const cpu = parts.get("cpu");
    const memory = parts.get("memory");
    if (!cpu || !memory) return undefined;
    if (!cpu.every((q) => cpuQuantity.test(q)) || !memory.every((q) => memoryQuantity.test(q))) return undefined;
    if (cpuMillis(cpu[0]) > cpuMillis(cpu[1]) || memoryBytes(memory[0]) > memoryBytes(memory[1])) return undefined;
    return { cpu: { request: cpu[0], limit: cpu[1] }, memory: { request: memory[0], limit: memory[1] } };
}

function cpuMillis(q: string): number {
    return q.endsWith("m") ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000);
}

export function memoryBytes(q: string): number {
    const m = /^(\d+)(Ki|Mi|Gi|Ti)$/.exec(q);
    if (!m) throw new Error(`not a binary memory quantity: ${q}`);
    return Number(m[1]) * memoryUnits[m[2]];
}

/** The container `resources` block. */
export function containerResources(b: ResourceBounds): { requests: Record<string, string>; limits: Record<string, string> } {
    return {
        requests: { cpu: b.cpu.request, memory: b.memory.request },
        limits: { cpu: b.cpu.limit, memory: b.memory.limit },
    };
}
