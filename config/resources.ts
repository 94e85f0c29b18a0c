/** CPU and memory of each workload (`<workload>Resources`: "cpu=<request>/<limit>,memory=<request>/<limit>"). */
import { parseResourceBounds, ResourceBounds, resourceBoundsFormat } from "../lib/resources";
import { defaults } from "./defaults";
import { Reader } from "./reader";
import { Workload, workloads } from "./types";

export function readResources(r: Reader): Record<Workload, ResourceBounds> {
    const resources = {} as Record<Workload, ResourceBounds>;
    for (const workload of workloads) {
        const key = `${workload}Resources` as const;
        resources[workload] = r.parsed(key, defaults[key], parseResourceBounds, resourceBoundsFormat);
    }
    return resources;
}
