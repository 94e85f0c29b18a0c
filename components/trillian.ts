/**
 * Trillian: the log server (Rekor's and the CT log's backend), the log signer (the one sequencer that
 * integrates queued leaves into each tree), and the log trees themselves.
 *
 * Trees are created by Trillian's createtree through a command.local.Command, once. Its stdout (the
 * bare tree ID) is validated and written into a ConfigMap, and Rekor / the CT log read the tree ID
 * from that ConfigMap's output, so Pulumi orders Command → ConfigMap → workloads.
 *
 * Why a second tree can never appear by accident:
 *  1. The Command has no `update` and ignores changes to every input (script, environment, image),
 *     so a second `up`, an edited image tag or an edited script produces no diff and runs nothing.
 *     `refresh` does not run the command (command.local.Command only re-reads its state).
 *  2. In prod (protectData) the Command and the tree ConfigMap are protected: deleting or replacing
 *     them fails instead of happening.
 *  3. The script itself first reads the tree ID recorded in the cluster (fixed-name ConfigMap) and
 *     reuses it; so even a replaced Command or a stack whose state was lost gets the same tree.
 *  4. Tree IDs can be pinned in config (rekorTreeId / ctlogTreeId) to adopt an existing tree; then no
 *     Command exists at all.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as command from "@pulumi/command";
import { ClusterConfig, TrillianConfig } from "../config";
import { ResourceBounds } from "../lib/resources";
import { parseCreatetreeOutput } from "../lib/tree-id";
import { DatabaseConnection } from "./database";
import { caFile, ClientTls, ServerTls, tlsMount, tlsVolumes } from "./internal-tls";
import { keep, labels, podNameEnv, secretEnv, ServerWorkload, serverWorkload, serviceHost, goServerContainer } from "./kube";

export const trillianPorts = { grpc: 8090, http: 8091 } as const;
export const logServerService = "trillian-log-server";
export const logSignerService = "trillian-log-signer";

/** The logs this deployment hosts; each gets its own tree. */
export const treeNames = ["rekor", "ctlog"] as const;
export type TreeName = (typeof treeNames)[number];

export interface TrillianArgs {
    namespace: pulumi.Input<string>;
    namespaceName: string;
    cluster: ClusterConfig;
    config: TrillianConfig;
    database: DatabaseConnection;
    /** Resources that must be ready (schema loaded) before Trillian starts. */
    databaseReady: pulumi.Resource[];
    images: { logServer: string; logSigner: string };
    resources: { logServer: ResourceBounds; logSigner: ResourceBounds };
    /** Internal TLS: the log server's gRPC (and HTTP) certificate, and the CA the database clients trust. */
    tls?: { logServer: ServerTls; client: ClientTls };
    protectData: boolean;
}

export interface LogTree {
    /** The tree ID as read back from the ConfigMap: consumers depend on the ConfigMap, not the command. */
    treeId: pulumi.Output<string>;
    configMap: k8s.core.v1.ConfigMap;
    /** Absent when the tree ID was pinned in config. */
    createCommand?: command.local.Command;
}

export class Trillian extends pulumi.ComponentResource {
    readonly logServerAddress: string;
    readonly trees: Record<TreeName, LogTree>;
    readonly logServer: ServerWorkload;
    readonly logSigner: ServerWorkload;

    constructor(name: string, args: TrillianArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:Trillian", name, {}, opts);
        this.logServerAddress = `${serviceHost(logServerService, args.namespaceName)}:${trillianPorts.grpc}`;

        this.logServer = this.deployment(`${name}-log-server`, logServerService, args, {
            replicas: args.config.serverReplicas,
            image: args.images.logServer,
            resources: args.resources.logServer,
            serverTls: args.tls?.logServer,
            extraArgs: [...poolArgs(args), ...serverTlsArgs(args)],
        });
        this.logSigner = this.deployment(`${name}-log-signer`, logSignerService, args, {
            replicas: args.config.signerReplicas,
            image: args.images.logSigner,
            resources: args.resources.logSigner,
            extraArgs: [...sequencerArgs(args), ...sequencingArgs(args), ...poolArgs(args)],
            // One sequencer per tree: with force_master a rolling update would briefly run two.
            strategy: args.config.signerReplicas === 1 ? { type: "Recreate" } : undefined,
            serviceAccountName: args.config.signerReplicas > 1 ? this.electionAccount(name, args) : undefined,
        });

        const trees = {} as Record<TreeName, LogTree>;
        for (const tree of treeNames) trees[tree] = this.tree(name, tree, args);
        this.trees = trees;

        this.registerOutputs({
            logServerAddress: this.logServerAddress,
            rekorTreeId: this.trees.rekor.treeId,
            ctlogTreeId: this.trees.ctlog.treeId,
        });
    }

    /**
     * Storage and quota flags shared by server and signer; the password arrives by env expansion.
     * With a TLS database Trillian appends "?tls=custom" to the URI itself, so the URI must have no
     * query of its own (parseTime is not needed: Trillian stores times as integers).
     */
    static storageArgs(db: DatabaseConnection): string[] {
        const address = `${db.host}:${db.port}`;
        if (db.engine === "postgresql") {
            return [
                "--storage_system=postgresql",
                "--quota_system=postgresql",
                `--postgresql_uri=postgresql://${db.user}:$(DB_PASSWORD)@${address}/${db.name}`,
            ];
        }
        const uri = `${db.user}:$(DB_PASSWORD)@tcp(${address})/${db.name}`;
        if (db.tlsServerName) {
            return ["--storage_system=mysql", "--quota_system=mysql", `--mysql_uri=${uri}`, `--mysql_tls_ca=${caFile}`, `--mysql_server_name=${db.tlsServerName}`];
        }
        return ["--storage_system=mysql", "--quota_system=mysql", `--mysql_uri=${uri}?parseTime=true`];
    }

    /** The signer's election needs to read and write coordination.k8s.io Leases in its namespace. */
    private electionAccount(name: string, args: TrillianArgs): pulumi.Output<string> {
        const meta = { namespace: args.namespace, labels: labels(logSignerService, "trillian") };
        const account = new k8s.core.v1.ServiceAccount(`${name}-signer`, { metadata: meta }, { parent: this });
        const role = new k8s.rbac.v1.Role(`${name}-signer-election`, {
            metadata: meta,
            rules: [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "watch", "create", "update", "patch"] }],
        }, { parent: this });
        new k8s.rbac.v1.RoleBinding(`${name}-signer-election`, {
            metadata: meta,
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
            subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: args.namespaceName }],
        }, { parent: this });
        return account.metadata.name;
    }

    private deployment(resourceName: string, service: string, args: TrillianArgs, spec: {
        replicas: number; image: string; resources: ResourceBounds; extraArgs: string[]; serverTls?: ServerTls;
        strategy?: k8s.types.input.apps.v1.DeploymentStrategy; serviceAccountName?: pulumi.Input<string>;
    }): ServerWorkload {
        const tls = tlsVolumes(spec.serverTls, args.database.tlsServerName ? args.tls?.client : undefined);
        return serverWorkload(resourceName, {
            service,
            component: "trillian",
            namespace: args.namespace,
            replicas: spec.replicas,
            strategy: spec.strategy,
            serviceAccountName: spec.serviceAccountName,
            ports: { grpc: trillianPorts.grpc, http: trillianPorts.http },
            container: {
                name: service,
                image: spec.image,
                args: [
                    ...Trillian.storageArgs(args.database),
                    `--rpc_endpoint=0.0.0.0:${trillianPorts.grpc}`,
                    `--http_endpoint=0.0.0.0:${trillianPorts.http}`,
                    "--alsologtostderr",
                    ...spec.extraArgs,
                ],
                env: [secretEnv("DB_PASSWORD", args.database.secretName, args.database.passwordKey), podNameEnv],
                // With TLS, Trillian serves its HTTP endpoint (/healthz, /metrics) over TLS too.
                ...goServerContainer("/healthz", spec.resources, spec.serverTls !== undefined),
                volumeMounts: tls.mounts.length ? tls.mounts : undefined,
            },
            volumes: tls.volumes.length ? tls.volumes : undefined,
        }, { parent: this, dependsOn: args.databaseReady });
    }

    private tree(name: string, tree: TreeName, args: TrillianArgs): LogTree {
        const configMapName = `trillian-tree-${tree}`;
        const pinned = tree === "rekor" ? args.config.rekorTreeId : args.config.ctlogTreeId;
        const createCommand = pinned === undefined ? this.createtreeCommand(name, tree, configMapName, args) : undefined;
        const treeId = createCommand ? createCommand.stdout.apply((out) => parseCreatetreeOutput(out, tree)) : pulumi.output(pinned!);

        // Fixed name on purpose: it is the in-cluster record the createtree script checks before creating.
        const configMap = new k8s.core.v1.ConfigMap(`${name}-tree-${tree}`, {
            metadata: { name: configMapName, namespace: args.namespace, labels: labels(`trillian-tree-${tree}`, "trillian") },
            data: { treeID: treeId },
        }, { parent: this, ...keep(args.protectData) });

        return { treeId: configMap.data.apply((d) => d["treeID"]), configMap, createCommand };
    }

    private createtreeCommand(name: string, tree: TreeName, configMapName: string, args: TrillianArgs): command.local.Command {
        const environment: Record<string, pulumi.Input<string>> = {
            NAMESPACE: args.namespaceName,
            TREE_CONFIGMAP: configMapName,
            DISPLAY_NAME: `sigstore-${tree}`,
            TRILLIAN_SERVICE: logServerService,
            TRILLIAN_GRPC_PORT: String(trillianPorts.grpc),
            RPC_DEADLINE: "60s",
            CREATETREE_MODE: args.config.createtree.mode,
            CREATETREE: args.config.createtree.binary,
            CREATETREE_IMAGE: args.config.createtree.image ?? "",
            POD_NAME: `createtree-${tree}`,
        };
        // Internal TLS: createtree verifies the log server against the internal CA read from this ConfigMap.
        if (args.tls) environment.TRILLIAN_CA_CONFIGMAP = args.tls.client.caConfigMapName;
        if (args.cluster.kubeconfig) environment.KUBECONFIG = args.cluster.kubeconfig;
        if (args.cluster.kubeContext) environment.KUBE_CONTEXT = args.cluster.kubeContext;

        return new command.local.Command(`${name}-createtree-${tree}`, {
            create: createtreeScript(),
            interpreter: ["/bin/bash", "-c"],
            environment,
        }, {
            parent: this,
            // After the server and signer are ready (Pulumi awaits Deployment readiness).
            dependsOn: [this.logServer.deployment, this.logServer.service, this.logSigner.deployment],
            // Nothing about this command may ever run it again: see the header comment.
            ignoreChanges: createtreeIgnoreChanges,
            ...keep(args.protectData),
        });
    }
}

/** Every input of command.local.Command: none of them may ever re-run createtree. */
export const createtreeIgnoreChanges = [
    "create", "update", "delete", "environment", "interpreter", "dir", "triggers", "stdin", "logging",
    "addPreviousOutputInEnv", "archivePaths", "assetPaths",
];

/** How the signer sequences (config.ts TrillianTuning). */
function sequencingArgs(args: TrillianArgs): string[] {
    const t = args.config.tuning;
    return [`--sequencer_interval=${t.sequencerInterval}`, `--batch_size=${t.batchSize}`, `--num_sequencers=${t.numSequencers}`];
}

/** The log server's gRPC and HTTP certificate (internal TLS). */
function serverTlsArgs(args: TrillianArgs): string[] {
    return args.tls ? [`--tls_cert_file=${tlsMount}/tls.crt`, `--tls_key_file=${tlsMount}/tls.key`] : [];
}

/** The servers' MySQL connection pools (Trillian's postgresql storage has no such flags). */
function poolArgs(args: TrillianArgs): string[] {
    if (args.database.engine !== "mysql") return [];
    const t = args.config.tuning;
    return [`--mysql_max_conns=${t.mysqlMaxConns}`, `--mysql_max_idle_conns=${t.mysqlMaxIdleConns}`];
}

/** Exactly one sequencer per tree: forced with one replica, elected through a Lease with more. */
function sequencerArgs(args: TrillianArgs): string[] {
    if (args.config.signerReplicas === 1) return ["--force_master=true"];
    return ["--election_system=k8s", `--lock_namespace=${args.namespaceName}`, "--lock_holder_identity=$(POD_NAME)"];
}

/** The script text is the command; reading it from a file keeps it shell-checkable and readable. */
export function createtreeScript(): string {
    return fs.readFileSync(path.join(__dirname, "createtree.sh"), "utf8");
}
