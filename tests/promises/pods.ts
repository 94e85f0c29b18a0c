/**
 * The pods an evaluation renders and what they would see: the objects their references name and the
 * files their volumes mount. Read from the registered state (names as the provider answered them,
 * auto-named objects included), through policy/rules.ts's podTemplateOf, so every workload kind
 * (Deployment, StatefulSet, Job, CronJob, bare Pod, ...) is covered the same way.
 */
import * as path from "node:path";
import { podTemplateOf } from "../../policy/rules";
import { configMapType, objectFiles, Registered, secretType } from "./stacks";

export interface Workload {
    resource: Registered;
    /** The namespace the pods run in (the workload's, as rendered). */
    namespace: string;
    pod: Record<string, any>;
}

export function workloads(regs: Registered[]): Workload[] {
    return regs.flatMap((r) => {
        const template = r.custom ? podTemplateOf(r.type, r.state) : undefined;
        return template?.spec ? [{ resource: r, namespace: r.state.metadata?.namespace ?? "", pod: template.spec }] : [];
    });
}

export function containersOf(pod: Record<string, any>): Record<string, any>[] {
    return [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
}

/** The object of a type the stack renders under this namespace and name (as rendered), if any. */
export function findObject(regs: Registered[], type: string, namespace: string, name: string): Registered | undefined {
    return regs.find((r) => r.type === type && r.state.metadata?.name === name && (r.state.metadata?.namespace ?? "") === namespace);
}

/** Where a mounted file comes from, for messages. */
export interface MountedFile {
    content: string;
    source: string;
}

/**
 * The files a container sees under its volume mounts from Secrets and ConfigMaps (projected volumes
 * too), by absolute path. `items` select and rename keys; `subPath` mounts one of them as a file.
 */
export function mountedFiles(regs: Registered[], w: Workload, container: Record<string, any>): Map<string, MountedFile> {
    const files = new Map<string, MountedFile>();
    for (const mount of container.volumeMounts ?? []) {
        const volume = (w.pod.volumes ?? []).find((v: any) => v.name === mount.name);
        if (!volume) continue;
        for (const [rel, file] of volumeFiles(regs, w.namespace, volume)) {
            if (mount.subPath === undefined) files.set(path.posix.join(mount.mountPath, rel), file);
            else if (mount.subPath === rel) files.set(mount.mountPath, file);
        }
    }
    return files;
}

/** A volume's sources: [type, object name, items]. */
export function volumeSources(volume: Record<string, any>): Array<[string, string, Array<{ key: string; path: string }> | undefined]> {
    const sources: Array<[string, string, any]> = [];
    if (volume.secret) sources.push([secretType, volume.secret.secretName, volume.secret.items]);
    if (volume.configMap) sources.push([configMapType, volume.configMap.name, volume.configMap.items]);
    for (const s of volume.projected?.sources ?? []) {
        if (s.secret) sources.push([secretType, s.secret.name, s.secret.items]);
        if (s.configMap) sources.push([configMapType, s.configMap.name, s.configMap.items]);
    }
    return sources;
}

function volumeFiles(regs: Registered[], namespace: string, volume: Record<string, any>): Map<string, MountedFile> {
    const files = new Map<string, MountedFile>();
    for (const [type, name, items] of volumeSources(volume)) {
        const obj = findObject(regs, type, namespace, name);
        if (!obj) continue; // a dangling reference is references-resolve.test.ts's to report
        const data = objectFiles(obj);
        const selected = items ?? Object.keys(data).map((key) => ({ key, path: key }));
        for (const item of selected) {
            if (item.key in data) files.set(item.path, { content: data[item.key], source: `${type.split(":").pop()} ${namespace}/${name} key ${item.key}` });
        }
    }
    return files;
}
