/**
 * Small Kubernetes building blocks shared by the five components. No resources are created here:
 * only plain object shapes, so every component stays readable as "what it deploys".
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { containerResources, ResourceBounds } from "../lib/resources";

export const partOf = "sigstore";

/** Standard labels; `app.kubernetes.io/name` doubles as the selector. */
export function labels(name: string, component: string): Record<string, string> {
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": partOf,
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/**
 * Pod Security admission for the namespace: every workload, MySQL, Redis and the createtree pod
 * included, meets `restricted`, the strictest level, so admission enforces it, warns and audits on
 * it. The cluster suite deploys into a real API server with these labels and fails on any admission
 * warning.
 */
export const podSecurityLabels: Record<string, string> = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
};

export function selector(name: string): Record<string, string> {
    return { "app.kubernetes.io/name": name };
}

export function httpProbe(path: string, port: number | string, initialDelaySeconds = 5, scheme?: "HTTPS"): k8s.types.input.core.v1.Probe {
    return { httpGet: { path, port, scheme }, initialDelaySeconds, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 };
}

export function tcpProbe(port: number | string, initialDelaySeconds = 5): k8s.types.input.core.v1.Probe {
    return { tcpSocket: { port }, initialDelaySeconds, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 };
}

/** For our Go servers: nothing they do needs privileges. */
export const restrictedContainer: k8s.types.input.core.v1.SecurityContext = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    runAsNonRoot: true,
    runAsUser: 65532,
    runAsGroup: 65532,
    readOnlyRootFilesystem: true,
};

/**
 * What every one of our Go servers' containers shares: unprivileged, resources from config, and
 * health checked over HTTP on its port named "http".
 */
export function goServerContainer(healthPath: string, resources: ResourceBounds, https = false): Partial<k8s.types.input.core.v1.Container> {
    const scheme = https ? ("HTTPS" as const) : undefined;
    return {
        readinessProbe: httpProbe(healthPath, "http", 5, scheme),
        livenessProbe: httpProbe(healthPath, "http", 30, scheme),
        resources: containerResources(resources),
        securityContext: restrictedContainer,
    };
}

/** Pod level of Pod Security `restricted`: non-root and the runtime's default seccomp profile. */
export const podSecurity: k8s.types.input.core.v1.PodSecurityContext = {
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
};

/**
 * A third-party image's own non-root user (MySQL's and Redis's images both use 999), for images that
 * would otherwise start as root and drop privileges themselves.
 */
export function imageUserContainer(uid: number): k8s.types.input.core.v1.SecurityContext {
    return { ...restrictedContainer, runAsUser: uid, runAsGroup: uid };
}

/** A ConfigMap or Secret a container reads as files, read-only, at `path`. */
export type FileSource = { name: string; path: string; configMap: pulumi.Input<string> } | { name: string; path: string; secret: pulumi.Input<string> };

/**
 * The volumes and read-only mounts of a server's configuration, keys and certificates: one entry each,
 * the volume and its mount named alike, in the order given.
 */
export function configFiles(sources: FileSource[]): { volumes: k8s.types.input.core.v1.Volume[]; mounts: k8s.types.input.core.v1.VolumeMount[] } {
    return {
        volumes: sources.map((s) =>
            "configMap" in s ? { name: s.name, configMap: { name: s.configMap } } : { name: s.name, secret: { secretName: s.secret } },
        ),
        mounts: sources.map((s) => ({ name: s.name, mountPath: s.path, readOnly: true })),
    };
}

/** A writable scratch directory for a container whose root filesystem is read-only. */
export function scratchVolume(name: string): k8s.types.input.core.v1.Volume {
    return { name, emptyDir: {} };
}

/** An env var whose value the kubelet reads from a Secret: the value never appears in the pod spec. */
export function secretEnv(name: string, secretName: pulumi.Input<string>, key: string): k8s.types.input.core.v1.EnvVar {
    return { name, valueFrom: { secretKeyRef: { name: secretName, key } } };
}

export function configMapEnv(name: string, configMapName: pulumi.Input<string>, key: string): k8s.types.input.core.v1.EnvVar {
    return { name, valueFrom: { configMapKeyRef: { name: configMapName, key } } };
}

export const podNameEnv: k8s.types.input.core.v1.EnvVar = { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } };

/**
 * Resource options for anything whose loss loses data or trust (tree IDs, keys, volumes): protected
 * (an `up` cannot delete or replace it) and retained in the cluster, when protectData is set.
 */
export function protectedIf(protectData: boolean, extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
    return protectData ? { ...extra, protect: true, retainOnDelete: true } : extra;
}

/**
 * Resource options for a Secret that only copies material the state keeps in protected resources
 * (keys, passwords): retained in the cluster when replaced or deleted, but not protected. The
 * Kubernetes provider replaces an auto-named Secret whose data changes, and a key rotation must
 * change it; the material itself stays protected where it is generated.
 */
export function retainCopy(protectData: boolean): pulumi.CustomResourceOptions {
    return protectData ? { retainOnDelete: true } : {};
}

/** In-cluster DNS name of a Service. */
export function serviceHost(service: string, namespace: string): string {
    return `${service}.${namespace}.svc`;
}

/** A server's in-cluster URL: https when it terminates internal TLS, and an optional path (a CT log's prefix). */
export function internalUrl(service: string, namespace: string, port: number, https = false, path?: string): string {
    return `${https ? "https" : "http"}://${serviceHost(service, namespace)}:${port}${path === undefined ? "" : `/${path}`}`;
}

export interface IngressSpec {
    className: string;
    host: string;
    /** TLS for the host: cert-manager issues `<service>-tls`, or an existing Secret is used. */
    tls?: { clusterIssuer: string } | { secretName: string };
}

/** A path prefix of a public host and the Service port it goes to. */
export interface IngressPath {
    path: string;
    port: number;
}

/**
 * Exposes a Service under a public host: all of it on one port, or path prefixes on ports of their
 * own (Rekor v2: writes to the server, reads to its read path). Optional (config ingressClassName):
 * bare-metal clusters often expose services their own way, and `up` must not wait on a load
 * balancer that never comes.
 */
export function exposeService(
    name: string,
    parent: pulumi.Resource,
    namespace: pulumi.Input<string>,
    spec: IngressSpec,
    service: string,
    port: number | readonly IngressPath[],
    httpsBackend = false,
): k8s.networking.v1.Ingress {
    const paths = typeof port === "number" ? [{ path: "/", port }] : port;
    return new k8s.networking.v1.Ingress(
        name,
        {
            metadata: {
                namespace,
                labels: labels(service, "ingress"),
                // Do not block `up` until an address is assigned: not every controller reports one.
                annotations: {
                    "pulumi.com/skipAwait": "true",
                    ...(spec.tls && "clusterIssuer" in spec.tls ? { "cert-manager.io/cluster-issuer": spec.tls.clusterIssuer } : {}),
                    // The backend itself serves HTTPS (internal TLS): ingress-nginx's annotation; other controllers have their own.
                    ...(httpsBackend ? { "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS" } : {}),
                },
            },
            spec: {
                ingressClassName: spec.className,
                tls: spec.tls ? [{ hosts: [spec.host], secretName: "secretName" in spec.tls ? spec.tls.secretName : `${service}-tls` }] : undefined,
                rules: [
                    {
                        host: spec.host,
                        http: {
                            paths: paths.map((p) => ({ path: p.path, pathType: "Prefix", backend: { service: { name: service, port: { number: p.port } } } })),
                        },
                    },
                ],
            },
        },
        { parent },
    );
}

export interface ServerSpec {
    /** Service name; also the pods' `app.kubernetes.io/name` and the container's port owner. */
    service: string;
    component: string;
    namespace: pulumi.Input<string>;
    replicas: number;
    container: k8s.types.input.core.v1.Container;
    /** Named container ports, each published on the Service under the same name and number. */
    ports: Record<string, number>;
    volumes?: k8s.types.input.core.v1.Volume[];
    podAnnotations?: Record<string, pulumi.Input<string>>;
    podSecurityContext?: k8s.types.input.core.v1.PodSecurityContext;
    strategy?: k8s.types.input.apps.v1.DeploymentStrategy;
    serviceAccountName?: pulumi.Input<string>;
}

/**
 * The shape every Sigstore server shares: a Deployment of one container and a ClusterIP Service
 * publishing its named ports, and when it runs several replicas, a PodDisruptionBudget and spread
 * across nodes and zones. Resources are named `<name>`, `<name>-service` and `<name>-pdb`.
 */
export interface ServerWorkload {
    deployment: k8s.apps.v1.Deployment;
    service: k8s.core.v1.Service;
    disruptionBudget?: k8s.policy.v1.PodDisruptionBudget;
}

/**
 * Replicas of one workload spread over nodes (hard: never two on one node while another has none
 * of them) and over zones where nodes carry the zone label (soft: nodes without it still count).
 */
export function topologySpread(service: string): k8s.types.input.core.v1.TopologySpreadConstraint[] {
    const labelSelector = { matchLabels: selector(service) };
    return [
        { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector },
        { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector },
    ];
}

/** A voluntary disruption (node drain, cluster upgrade) takes at most one replica at a time. */
export function disruptionBudget(
    name: string,
    service: string,
    component: string,
    namespace: pulumi.Input<string>,
    opts: pulumi.CustomResourceOptions,
): k8s.policy.v1.PodDisruptionBudget {
    return new k8s.policy.v1.PodDisruptionBudget(
        name,
        {
            metadata: { namespace, labels: labels(service, component) },
            spec: { maxUnavailable: 1, selector: { matchLabels: selector(service) } },
        },
        opts,
    );
}

export function serverWorkload(name: string, spec: ServerSpec, opts: pulumi.CustomResourceOptions): ServerWorkload {
    const appLabels = labels(spec.service, spec.component);
    const ports = Object.entries(spec.ports);
    const deployment = new k8s.apps.v1.Deployment(
        name,
        {
            metadata: { namespace: spec.namespace, labels: appLabels },
            spec: {
                replicas: spec.replicas,
                strategy: spec.strategy,
                selector: { matchLabels: selector(spec.service) },
                template: {
                    metadata: { labels: appLabels, annotations: spec.podAnnotations },
                    spec: {
                        serviceAccountName: spec.serviceAccountName,
                        automountServiceAccountToken: spec.serviceAccountName !== undefined,
                        securityContext: spec.podSecurityContext ?? podSecurity,
                        topologySpreadConstraints: spec.replicas > 1 ? topologySpread(spec.service) : undefined,
                        containers: [{ ...spec.container, ports: ports.map(([portName, containerPort]) => ({ name: portName, containerPort })) }],
                        volumes: spec.volumes,
                    },
                },
            },
        },
        opts,
    );
    const service = new k8s.core.v1.Service(
        `${name}-service`,
        {
            metadata: { name: spec.service, namespace: spec.namespace, labels: appLabels },
            spec: {
                selector: selector(spec.service),
                ports: ports.map(([portName, port]) => ({ name: portName, port, targetPort: portName })),
            },
        },
        { parent: opts.parent },
    );
    const multiple = spec.replicas > 1;
    return {
        deployment,
        service,
        disruptionBudget: multiple ? disruptionBudget(`${name}-pdb`, spec.service, spec.component, spec.namespace, { parent: opts.parent }) : undefined,
    };
}
