/**
 * NetworkIsolation: the namespace denies all traffic, in and out, and then allows exactly the edges
 * Sigstore has, one rule per edge. An edge is "pods of app A may open TCP port P on B", where B is
 * another app's pods, a selected set of pods elsewhere (ingress controller, Prometheus, DNS) or a
 * set of CIDRs outside the cluster (the OIDC issuer, an external database, the API server, the
 * directory behind Dex).
 *
 * The edges are written down once, here (`sigstoreEdges`), from the same constants and config the
 * components render their flags from; tests/components/network.test.ts derives the edges independently from the
 * rendered arguments and config files (every host:port a container dials) and requires the two to be
 * equal, so a new dial without a rule, or a rule without a dial, fails.
 *
 * Ports are the pods' container ports (NetworkPolicy sees traffic after the Service has translated
 * it). Kubelet probes and `kubectl port-forward` (createtree's default mode) do not pass through
 * NetworkPolicy on the usual CNIs, so they need no rule.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { LabelSelector } from "../lib/parse";
import { ctlogPorts, ctlogService } from "./ctlog";
import { backupApp } from "./backup";
import { databaseService, schemaJobApp } from "./database";
import { dexPorts } from "../lib/dex-config";
import { dexService } from "./dex";
import { fulcioPorts, fulcioService } from "./fulcio";
import { labels, selector } from "./kube";
import { rekorPorts, rekorService, redisService } from "./rekor";
import { tsaPorts, tsaService } from "./timestamp-authority";
import { logServerService, logSignerService, trillianPorts } from "./trillian";
import { tufPorts, tufService } from "./tuf-repository";
import { rekorV2Ports } from "../lib/rekor-v2";

export type Protocol = "TCP" | "UDP";
export interface PortSpec {
    port: number;
    protocol: Protocol;
}

/** One end of an edge. */
export type Peer =
    /** Pods of one of our apps (label app.kubernetes.io/name) in this namespace. */
    | { app: string }
    /** Pods elsewhere in the cluster, by namespace and pod labels. */
    | { name: string; namespaceSelector: LabelSelector; podSelector: LabelSelector }
    /** Addresses outside the cluster. */
    | { name: string; cidrs: readonly string[] };

export interface Edge {
    from: Peer;
    to: Peer;
    ports: PortSpec[];
    /** Why the edge exists (for readers and test messages). */
    why: string;
}

/** The in-cluster DNS every pod resolves Service names with. */
export const clusterDns: Peer = {
    name: "cluster-dns",
    namespaceSelector: { "kubernetes.io/metadata.name": "kube-system" },
    podSelector: { "k8s-app": "kube-dns" },
};
export const dnsPorts: PortSpec[] = [
    { port: 53, protocol: "UDP" },
    { port: 53, protocol: "TCP" },
];

const tcp = (...ports: number[]): PortSpec[] => ports.map((port) => ({ port, protocol: "TCP" as const }));

/** The port a URL's client dials (its explicit port, or its scheme's). */
function urlPort(url: string): number {
    const u = new URL(url);
    return Number(u.port || (u.protocol === "https:" ? 443 : 80));
}

/** The app label of the createtree pod (createtreeMode "pod"; components/createtree.sh). */
export const createtreeApp = "createtree";

/** Where the peers outside the namespace are: selectors for pods in the cluster, CIDRs for the rest. */
export interface NetworkPeers {
    readonly ingressNamespaceSelector: LabelSelector;
    readonly ingressPodSelector: LabelSelector;
    readonly metricsNamespaceSelector: LabelSelector;
    readonly metricsPodSelector: LabelSelector;
    readonly oidcEgressCidrs: readonly string[];
    readonly apiServerEgressCidrs: readonly string[];
    readonly apiServerEgressPorts: readonly number[];
    readonly databaseEgressCidrs: readonly string[];
    readonly ldapEgressCidrs: readonly string[];
    readonly tsaNtpEgressCidrs: readonly string[];
}

export interface EdgeInputs {
    network: NetworkPeers;
    /** The OIDC issuer (Fulcio fetches its discovery document and keys): its port is the edge's. */
    oidcIssuerUrl: string;
    /** In-cluster MySQL, or an external database at these CIDRs and port. */
    database: { inCluster: true; port: number } | { inCluster: false; port: number; engine: "mysql" | "postgresql" };
    /** Several signers elect the sequencer through Leases on the API server. */
    signerElection: boolean;
    createtreeInPod: boolean;
    /** The backup CronJob (backupSchedule), which dumps the database. */
    backup?: boolean;
    /** The bundled Dex (identityProvider dex), which searches the directory on this port. */
    dex?: { ldapPort: number };
    /** The timestamp authority (timestampAuthority), and whether it asks the organisation's NTP servers. */
    tsa?: { ntp: boolean };
    /** The TUF repository (tuf): static files behind the ingress, dialling nothing. */
    tuf?: boolean;
    /**
     * Rekor v2 (rekorVersion v2), its logs' Services oldest first: every log's read path behind the
     * ingress, writes only to the active (last) one; it dials nothing.
     */
    rekorV2?: { services: string[] };
}

/** Every edge of the deployment. */
export function sigstoreEdges(input: EdgeInputs): Edge[] {
    const n = input.network;
    const app = (name: string): Peer => ({ app: name });
    const ingressController: Peer = { name: "ingress-controller", namespaceSelector: n.ingressNamespaceSelector, podSelector: n.ingressPodSelector };
    const prometheus: Peer = { name: "prometheus", namespaceSelector: n.metricsNamespaceSelector, podSelector: n.metricsPodSelector };
    const trillianClients = [logServerService, logSignerService];

    const edges: Edge[] = [
        { from: ingressController, to: app(fulcioService), ports: tcp(fulcioPorts.http), why: "clients request certificates" },
        { from: ingressController, to: app(rekorService), ports: tcp(rekorPorts.http), why: "clients upload and verify entries" },
        { from: ingressController, to: app(ctlogService), ports: tcp(ctlogPorts.http), why: "clients and monitors read the CT log" },
        { from: app(fulcioService), to: app(ctlogService), ports: tcp(ctlogPorts.http), why: "Fulcio submits pre-certificates (--ct-log-url)" },
        {
            from: app(fulcioService),
            to: { name: "oidc-issuer", cidrs: n.oidcEgressCidrs },
            ports: tcp(urlPort(input.oidcIssuerUrl)),
            why: "Fulcio verifies ID tokens against the issuer's keys",
        },
        { from: app(rekorService), to: app(logServerService), ports: tcp(trillianPorts.grpc), why: "Rekor's log backend" },
        { from: app(rekorService), to: app(redisService), ports: tcp(rekorPorts.redis), why: "Rekor's index" },
        { from: app(ctlogService), to: app(logServerService), ports: tcp(trillianPorts.grpc), why: "the CT log's backend" },
        { from: prometheus, to: app(fulcioService), ports: tcp(fulcioPorts.metrics), why: "metrics" },
        { from: prometheus, to: app(rekorService), ports: tcp(rekorPorts.metrics), why: "metrics" },
        { from: prometheus, to: app(ctlogService), ports: tcp(ctlogPorts.metrics), why: "metrics" },
        { from: prometheus, to: app(logServerService), ports: tcp(trillianPorts.http), why: "metrics (/metrics on the HTTP endpoint)" },
        { from: prometheus, to: app(logSignerService), ports: tcp(trillianPorts.http), why: "metrics (/metrics on the HTTP endpoint)" },
    ];

    const db = input.database;
    const databasePeer: Peer = db.inCluster ? app(databaseService) : { name: "external-database", cidrs: n.databaseEgressCidrs };
    for (const client of trillianClients) edges.push({ from: app(client), to: databasePeer, ports: tcp(db.port), why: "Trillian's storage" });
    if (input.backup) edges.push({ from: app(backupApp), to: databasePeer, ports: tcp(db.port), why: "dumps the database (backups)" });
    if (!db.inCluster && db.engine === "mysql") edges.push({ from: app(schemaJobApp), to: databasePeer, ports: tcp(db.port), why: "loads Trillian's schema" });
    if (input.signerElection) {
        edges.push({
            from: app(logSignerService),
            to: { name: "kubernetes-api", cidrs: n.apiServerEgressCidrs },
            ports: tcp(...n.apiServerEgressPorts),
            why: "sequencer election (Leases)",
        });
    }
    if (input.dex) {
        edges.push(
            {
                from: ingressController,
                to: app(dexService),
                ports: tcp(dexPorts.http),
                why: "users log in; Fulcio fetches the issuer's keys (through the Ingress)",
            },
            {
                from: app(dexService),
                to: { name: "ldap-directory", cidrs: n.ldapEgressCidrs },
                ports: tcp(input.dex.ldapPort),
                why: "Dex searches and binds users in the directory",
            },
            { from: prometheus, to: app(dexService), ports: tcp(dexPorts.metrics), why: "metrics" },
        );
    }
    if (input.tsa) {
        edges.push(
            { from: ingressController, to: app(tsaService), ports: tcp(tsaPorts.http), why: "clients request timestamps" },
            { from: prometheus, to: app(tsaService), ports: tcp(tsaPorts.metrics), why: "metrics" },
        );
        if (input.tsa.ntp) {
            edges.push({
                from: app(tsaService),
                to: { name: "ntp-servers", cidrs: n.tsaNtpEgressCidrs },
                ports: [{ port: 123, protocol: "UDP" }],
                why: "the NTP monitor checks the clock",
            });
        }
    }
    if (input.tuf) {
        edges.push({
            from: ingressController,
            to: app(tufService),
            ports: tcp(tufPorts.http),
            why: "clients (cosign, policy-controller) fetch the TUF metadata and targets",
        });
    }
    if (input.rekorV2) {
        const logs = input.rekorV2.services;
        const active = logs[logs.length - 1];
        edges.push(
            { from: ingressController, to: app(active), ports: tcp(rekorV2Ports.http), why: "clients upload entries to Rekor v2" },
            ...logs.map((log) => ({
                from: ingressController,
                to: app(log),
                ports: tcp(rekorV2Ports.read),
                why: "monitors and clients read checkpoints and tiles",
            })),
            { from: prometheus, to: app(active), ports: tcp(rekorV2Ports.metrics), why: "metrics" },
        );
    }
    if (input.createtreeInPod)
        edges.push({ from: app(createtreeApp), to: app(logServerService), ports: tcp(trillianPorts.grpc), why: "createtree creates the log trees" });

    // Every pod that dials a name resolves it first.
    const dialers = [
        ...new Set(
            edges
                .map((e) => e.from)
                .filter(isApp)
                .map((p) => p.app),
        ),
    ];
    for (const dialer of dialers.sort()) edges.push({ from: app(dialer), to: clusterDns, ports: dnsPorts, why: "DNS" });
    return edges;
}

export function isApp(p: Peer): p is { app: string } {
    return "app" in p;
}

/** The peer as a NetworkPolicy peer list (CIDRs become one ipBlock each). */
export function policyPeers(p: Peer): k8s.types.input.networking.v1.NetworkPolicyPeer[] {
    if (isApp(p)) return [{ podSelector: { matchLabels: selector(p.app) } }];
    if ("cidrs" in p) return p.cidrs.map((cidr) => ({ ipBlock: { cidr } }));
    return [{ namespaceSelector: { matchLabels: p.namespaceSelector }, podSelector: { matchLabels: p.podSelector } }];
}

export interface NetworkIsolationArgs {
    readonly namespace: pulumi.Input<string>;
    readonly edges: Edge[];
}

export class NetworkIsolation extends pulumi.ComponentResource {
    readonly policies: k8s.networking.v1.NetworkPolicy[];

    constructor(name: string, args: NetworkIsolationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:NetworkIsolation", name, {}, opts);
        const meta = (app: string) => ({ namespace: args.namespace, labels: labels(app, "network-policy") });

        // Selects every pod: what no other policy allows is denied, both ways.
        const denyAll = new k8s.networking.v1.NetworkPolicy(
            `${name}-default-deny`,
            {
                metadata: meta("default-deny"),
                spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
            },
            { parent: this },
        );

        const apps = [
            ...new Set(
                args.edges
                    .flatMap((e) => [e.from, e.to])
                    .filter(isApp)
                    .map((p) => p.app),
            ),
        ].sort();
        this.policies = [
            denyAll,
            ...apps.map(
                (app) =>
                    new k8s.networking.v1.NetworkPolicy(
                        `${name}-${app}`,
                        {
                            metadata: meta(app),
                            spec: {
                                podSelector: { matchLabels: selector(app) },
                                policyTypes: ["Ingress", "Egress"],
                                ingress: args.edges.filter((e) => isApp(e.to) && e.to.app === app).map((e) => ({ from: policyPeers(e.from), ports: e.ports })),
                                egress: args.edges.filter((e) => isApp(e.from) && e.from.app === app).map((e) => ({ to: policyPeers(e.to), ports: e.ports })),
                            },
                        },
                        { parent: this },
                    ),
            ),
        ];

        this.registerOutputs({ policies: this.policies });
    }
}
