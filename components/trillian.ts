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
 *
 * Key rotation (rekorKeyGeneration, ctlogKeyGeneration) adds a tree per generation the same way, and
 * freezes each retired one through a second kind of Command (freezetree.sh: updatetree DRAINING, then
 * FROZEN), guarded the same way and recorded in a fixed-name ConfigMap that the log's server (and,
 * for the CT log, Fulcio) depends on.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as command from "@pulumi/command";
import { ResourceBounds } from "../lib/resources";
import { parseCreatetreeOutput, parseFreezeOutput } from "../lib/tree-id";
import { DatabaseConnection } from "./database";
import { createOnceIgnoreChanges, generationSuffix, perGeneration } from "./key-material";
import { caFile, ClientTls, ServerTls, tlsMount, tlsVolumes } from "./internal-tls";
import { protectedIf, labels, podNameEnv, secretEnv, ServerWorkload, serverWorkload, serviceHost, goServerContainer } from "./kube";

export const trillianPorts = { grpc: 8090, http: 8091 } as const;
export const logServerService = "trillian-log-server";
export const logSignerService = "trillian-log-signer";

/** The logs this deployment hosts; each gets its own trees. */
export type TreeName = "rekor" | "ctlog";

/** --sequencer_interval, --batch_size, --num_sequencers, --mysql_max_conns, --mysql_max_idle_conns. */
export interface TrillianTuning {
    readonly sequencerInterval: string;
    readonly batchSize: number;
    readonly numSequencers: number;
    readonly mysqlMaxConns: number;
    readonly mysqlMaxIdleConns: number;
}

/** The signers' lease election (Go durations): how long a Lease lasts, how often a follower tries to take one. */
export interface SignerElection {
    readonly leaseDuration: string;
    readonly retryPeriod: string;
}

/**
 * port-forward runs the local createtree and updatetree binaries through `kubectl port-forward`; pod
 * runs `image`, which holds them at /createtree and /updatetree. Both use the kubeconfig and context
 * the Kubernetes provider uses.
 */
export interface TrillianAdmin {
    readonly mode: "port-forward" | "pod";
    readonly createtreeBinary: string;
    readonly updatetreeBinary: string;
    readonly image?: string;
    readonly kubeconfig?: string;
    readonly kubeContext?: string;
}

export interface TrillianArgs {
    readonly namespace: pulumi.Input<string>;
    readonly namespaceName: string;
    readonly replicas: { logServer: number; logSigner: number };
    /** The signer's sequencing and the servers' MySQL pools (trillianSequencerInterval, trillianBatchSize, …). */
    readonly tuning: TrillianTuning;
    /** The signers' lease election, with more than one signer. */
    readonly election: SignerElection;
    /** Existing trees the first generation adopts instead of creating them (disaster recovery, migration). */
    readonly pinnedTreeIds: Partial<Record<TreeName, string>>;
    /** How the admin Commands (createtree, updatetree) reach Trillian and the cluster. */
    readonly admin: TrillianAdmin;
    readonly database: DatabaseConnection;
    /** How many trees each log has (rekorKeyGeneration, ctlogKeyGeneration): the newest is active, the others frozen. */
    readonly keyGenerations: Record<TreeName, number>;
    /**
     * Logs whose newest tree is frozen too, once the given resources are ready: Rekor v1 after Rekor v2
     * took the writes (rekorV2FromGeneration).
     */
    readonly freezeActive?: Partial<Record<TreeName, pulumi.Resource[]>>;
    /** Resources that must be ready (schema loaded) before Trillian starts. */
    readonly databaseReady: pulumi.Resource[];
    readonly images: { logServer: string; logSigner: string };
    readonly resources: { logServer: ResourceBounds; logSigner: ResourceBounds };
    /** Internal TLS: the log server's gRPC (and HTTP) certificate, and the CA the database clients trust. */
    readonly tls?: { logServer: ServerTls; client: ClientTls };
    readonly protectData: boolean;
}

export interface LogTree {
    /** The tree ID as read back from the ConfigMap: consumers depend on the ConfigMap, not the command. */
    treeId: pulumi.Output<string>;
    configMap: k8s.core.v1.ConfigMap;
    /** Absent when the tree ID was pinned in config. */
    createCommand?: command.local.Command;
}

/** A retired tree, frozen by freezetree.sh: readable, never written again. */
export interface FrozenTree extends LogTree {
    /** RFC 3339, as recorded in the freeze ConfigMap: when the tree stopped changing. */
    frozenAt: pulumi.Output<string>;
    /** The in-cluster record of the freeze; whatever needs the tree frozen depends on it. */
    freezeRecord: k8s.core.v1.ConfigMap;
    freezeCommand: command.local.Command;
}

/**
 * A log's trees, one per key generation (rekorKeyGeneration, ctlogKeyGeneration): the retired ones
 * frozen, the newest active; that one is frozen too once the log has moved on (Rekor v1 after Rekor v2
 * took the writes).
 */
export interface LogGenerations {
    retired: FrozenTree[];
    active: LogTree | FrozenTree;
}

/** Every tree of a log, oldest first; a frozen one carries its frozenAt, a writable one none. */
export function oldestFirst(g: LogGenerations): Array<LogTree & { frozenAt?: pulumi.Output<string> }> {
    return [...g.retired, g.active];
}

/** The freeze records of every frozen tree: whatever reads the log's lengths once at startup waits for them. */
export function freezeRecords(g: LogGenerations): k8s.core.v1.ConfigMap[] {
    return oldestFirst(g).flatMap((tree) => ("freezeRecord" in tree ? [(tree as FrozenTree).freezeRecord] : []));
}

export class Trillian extends pulumi.ComponentResource {
    readonly logServerAddress: string;
    /** The active tree of each log (its newest key generation). */
    readonly trees: Record<TreeName, LogTree>;
    /** Every tree of each log, the retired ones frozen. */
    readonly generations: Record<TreeName, LogGenerations>;
    readonly logServer: ServerWorkload;
    readonly logSigner: ServerWorkload;

    constructor(name: string, args: TrillianArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:Trillian", name, {}, opts);
        this.logServerAddress = `${serviceHost(logServerService, args.namespaceName)}:${trillianPorts.grpc}`;

        this.logServer = this.deployment(`${name}-log-server`, logServerService, args, {
            replicas: args.replicas.logServer,
            image: args.images.logServer,
            resources: args.resources.logServer,
            serverTls: args.tls?.logServer,
            extraArgs: [...poolArgs(args), ...serverTlsArgs(args)],
        });
        this.logSigner = this.deployment(`${name}-log-signer`, logSignerService, args, {
            replicas: args.replicas.logSigner,
            image: args.images.logSigner,
            resources: args.resources.logSigner,
            extraArgs: [...sequencerArgs(args), ...sequencingArgs(args), ...poolArgs(args)],
            // One sequencer per tree: with force_master a rolling update would briefly run two.
            strategy: args.replicas.logSigner === 1 ? { type: "Recreate" } : undefined,
            serviceAccountName: args.replicas.logSigner > 1 ? this.electionAccount(name, args) : undefined,
        });

        this.generations = { rekor: this.logGenerations(name, "rekor", args), ctlog: this.logGenerations(name, "ctlog", args) };
        this.trees = { rekor: this.generations.rekor.active, ctlog: this.generations.ctlog.active };

        this.registerOutputs({
            logServerAddress: this.logServerAddress,
            rekorTreeId: this.trees.rekor.treeId,
            ctlogTreeId: this.trees.ctlog.treeId,
            generations: this.generations,
            logServer: this.logServer,
            logSigner: this.logSigner,
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
            return [
                "--storage_system=mysql",
                "--quota_system=mysql",
                `--mysql_uri=${uri}`,
                `--mysql_tls_ca=${caFile}`,
                `--mysql_server_name=${db.tlsServerName}`,
            ];
        }
        return ["--storage_system=mysql", "--quota_system=mysql", `--mysql_uri=${uri}?parseTime=true`];
    }

    /** The signer's election needs to read and write coordination.k8s.io Leases in its namespace. */
    private electionAccount(name: string, args: TrillianArgs): pulumi.Output<string> {
        const meta = { namespace: args.namespace, labels: labels(logSignerService, "trillian") };
        const account = new k8s.core.v1.ServiceAccount(`${name}-signer`, { metadata: meta }, { parent: this });
        const role = new k8s.rbac.v1.Role(
            `${name}-signer-election`,
            {
                metadata: meta,
                rules: [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "watch", "create", "update", "patch"] }],
            },
            { parent: this },
        );
        new k8s.rbac.v1.RoleBinding(
            `${name}-signer-election`,
            {
                metadata: meta,
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: args.namespaceName }],
            },
            { parent: this },
        );
        return account.metadata.name;
    }

    private deployment(
        resourceName: string,
        service: string,
        args: TrillianArgs,
        spec: {
            replicas: number;
            image: string;
            resources: ResourceBounds;
            extraArgs: string[];
            serverTls?: ServerTls;
            strategy?: k8s.types.input.apps.v1.DeploymentStrategy;
            serviceAccountName?: pulumi.Input<string>;
        },
    ): ServerWorkload {
        const tls = tlsVolumes(spec.serverTls, args.database.tlsServerName ? args.tls?.client : undefined);
        return serverWorkload(
            resourceName,
            {
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
            },
            { parent: this, dependsOn: args.databaseReady },
        );
    }

    /**
     * One tree per key generation of a log; every tree but the newest is frozen, after the newest
     * exists (so the outage of writes lasts from the freeze until the log's server and its clients
     * run on the new tree, not longer).
     */
    private logGenerations(name: string, log: TreeName, args: TrillianArgs): LogGenerations {
        const trees = perGeneration(args.keyGenerations[log], (g) => this.tree(name, log, g, args));
        const newest = trees[trees.length - 1];
        const retired = trees.slice(0, -1).map((tree, i) => this.freeze(name, log, tree, i + 1, [newest.configMap], args));
        const successor = args.freezeActive?.[log];
        const active = successor ? this.freeze(name, log, newest, trees.length, successor, args) : newest;
        return { retired, active };
    }

    private tree(name: string, tree: TreeName, generation: number, args: TrillianArgs): LogTree {
        const suffix = generationSuffix(generation);
        const configMapName = `trillian-tree-${tree}${suffix}`;
        // A pinned tree ID adopts the first generation's tree; later generations are always new trees.
        const pinned = generation > 1 ? undefined : args.pinnedTreeIds[tree];
        const createCommand =
            pinned === undefined ? this.createtreeCommand(`${name}-createtree-${tree}${suffix}`, `${tree}${suffix}`, configMapName, args) : undefined;
        const treeId = createCommand ? createCommand.stdout.apply((out) => parseCreatetreeOutput(out, `${tree}${suffix}`)) : pulumi.output(pinned!);

        // Fixed name on purpose: it is the in-cluster record the createtree script checks before creating.
        const configMap = new k8s.core.v1.ConfigMap(
            `${name}-tree-${tree}${suffix}`,
            {
                metadata: { name: configMapName, namespace: args.namespace, labels: labels(`trillian-tree-${tree}`, "trillian") },
                data: { treeID: treeId },
            },
            { parent: this, ...protectedIf(args.protectData) },
        );

        return { treeId: configMap.data.apply((d) => d["treeID"]), configMap, createCommand };
    }

    private createtreeCommand(resourceName: string, tree: string, configMapName: string, args: TrillianArgs): command.local.Command {
        return this.adminCommand(
            resourceName,
            "createtree.sh",
            {
                TREE_CONFIGMAP: configMapName,
                DISPLAY_NAME: `sigstore-${tree}`,
                CREATETREE: args.admin.createtreeBinary,
                POD_NAME: `createtree-${tree}`,
            },
            args,
            [],
        );
    }

    /** Freezes a retired tree once its successor exists (`after`), and records when in a fixed-name ConfigMap. */
    private freeze(name: string, log: TreeName, tree: LogTree, generation: number, after: pulumi.Resource[], args: TrillianArgs): FrozenTree {
        const suffix = generationSuffix(generation);
        const recordName = `trillian-tree-${log}${suffix}-frozen`;
        const freezeCommand = this.adminCommand(
            `${name}-freeze-${log}${suffix}`,
            "freezetree.sh",
            {
                TREE_ID: tree.treeId,
                FREEZE_CONFIGMAP: recordName,
                DRAIN_SECONDS: String(drainSeconds),
                UPDATETREE: args.admin.updatetreeBinary,
                POD_NAME: `freeze-${log}${suffix}`,
            },
            args,
            after,
        );
        const frozenAt = freezeCommand.stdout.apply((out) => parseFreezeOutput(out, `${log}${suffix}`));
        // Fixed name on purpose, like the tree's: the record freezetree.sh checks before freezing again.
        const freezeRecord = new k8s.core.v1.ConfigMap(
            `${name}-tree-${log}${suffix}-frozen`,
            {
                metadata: { name: recordName, namespace: args.namespace, labels: labels(`trillian-tree-${log}`, "trillian") },
                data: { treeID: tree.treeId, frozenAt },
            },
            { parent: this, ...protectedIf(args.protectData) },
        );
        return { ...tree, frozenAt: freezeRecord.data.apply((d) => d["frozenAt"]), freezeRecord, freezeCommand };
    }

    /**
     * A command.local.Command running one of Trillian's admin tools through trillian-admin.sh + `script`,
     * after the log server and signer are ready. Created once; nothing about it ever runs it again.
     */
    private adminCommand(
        resourceName: string,
        script: string,
        specific: Record<string, pulumi.Input<string>>,
        args: TrillianArgs,
        after: pulumi.Resource[],
    ): command.local.Command {
        const environment: Record<string, pulumi.Input<string>> = {
            NAMESPACE: args.namespaceName,
            TRILLIAN_SERVICE: logServerService,
            TRILLIAN_GRPC_PORT: String(trillianPorts.grpc),
            RPC_DEADLINE: "60s",
            CREATETREE_MODE: args.admin.mode,
            CREATETREE_IMAGE: args.admin.image ?? "",
            ...specific,
        };
        // Internal TLS: the tools verify the log server against the internal CA read from this ConfigMap.
        if (args.tls) environment.TRILLIAN_CA_CONFIGMAP = args.tls.client.caConfigMapName;
        if (args.admin.kubeconfig) environment.KUBECONFIG = args.admin.kubeconfig;
        if (args.admin.kubeContext) environment.KUBE_CONTEXT = args.admin.kubeContext;

        return new command.local.Command(
            resourceName,
            {
                create: adminScript(script),
                interpreter: ["/bin/bash", "-c"],
                environment,
            },
            {
                parent: this,
                // After the server and signer are ready (Pulumi awaits Deployment readiness).
                dependsOn: [this.logServer.deployment, this.logServer.service, this.logSigner.deployment, ...after],
                // Nothing about this command may ever run it again: see the header comment.
                ignoreChanges: createOnceIgnoreChanges,
                ...protectedIf(args.protectData),
            },
        );
    }
}

/**
 * How long a retired tree stays DRAINING before it is frozen: the signer integrates what was queued
 * within a sequencing pass (trillianSequencerInterval, at most 60s; 100ms by default), and Rekor
 * gives up waiting on an entry long before this.
 */
export const drainSeconds = 10;

/** How the signer sequences (TrillianTuning). */
function sequencingArgs(args: TrillianArgs): string[] {
    const t = args.tuning;
    return [`--sequencer_interval=${t.sequencerInterval}`, `--batch_size=${t.batchSize}`, `--num_sequencers=${t.numSequencers}`];
}

/** The log server's gRPC and HTTP certificate (internal TLS). */
function serverTlsArgs(args: TrillianArgs): string[] {
    return args.tls ? [`--tls_cert_file=${tlsMount}/tls.crt`, `--tls_key_file=${tlsMount}/tls.key`] : [];
}

/** The servers' MySQL connection pools (Trillian's postgresql storage has no such flags). */
function poolArgs(args: TrillianArgs): string[] {
    if (args.database.engine !== "mysql") return [];
    const t = args.tuning;
    return [`--mysql_max_conns=${t.mysqlMaxConns}`, `--mysql_max_idle_conns=${t.mysqlMaxIdleConns}`];
}

/** Exactly one sequencer per tree: forced with one replica, elected through a Lease with more. */
function sequencerArgs(args: TrillianArgs): string[] {
    if (args.replicas.logSigner === 1) return ["--force_master=true"];
    // Trillian's k8s election takes the Lease's duration from --master_hold_jitter and a follower's
    // retry period from --master_hold_interval (util/election2/k8s/provider.go).
    const e = args.election;
    return [
        "--election_system=k8s",
        `--lock_namespace=${args.namespaceName}`,
        "--lock_holder_identity=$(POD_NAME)",
        `--master_hold_jitter=${e.leaseDuration}`,
        `--master_hold_interval=${e.retryPeriod}`,
    ];
}

/** The script text is the command: trillian-admin.sh, then `script`; files keep both shell-checkable and readable. */
function adminScript(script: string): string {
    const read = (file: string) => fs.readFileSync(path.join(__dirname, file), "utf8");
    return `${read("trillian-admin.sh")}\n${read(script)}`;
}
