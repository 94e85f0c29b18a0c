/**
 * Database: the storage behind Trillian.
 *
 * In-cluster mode runs Trillian's own `db_server` image (MySQL 8.4 with Trillian's storage.sql in
 * docker-entrypoint-initdb.d), so the schema is loaded on first start from inside the image: nothing
 * is downloaded, which keeps air-gapped clusters working. The readiness probe talks TCP to 127.0.0.1,
 * which the MySQL entrypoint only opens after the init scripts ran, so "ready" means "schema loaded".
 * It runs as the image's own mysql user (the entrypoint skips its root-only steps then) with a
 * read-only root filesystem; mysqld writes only its volume, its socket directory and /tmp. Its
 * buffer pool, redo log and connection limit follow the memory limit and pools (lib/mysql-tuning.ts).
 *
 * External mode points Trillian at an existing MySQL or PostgreSQL. For MySQL a Job loads the same
 * schema (it is idempotent: CREATE TABLE IF NOT EXISTS) from the db_server image.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { generatedPassword } from "./key-material";
import { mysqldArgs, mysqlOptions, MysqlSizing } from "../lib/mysql-tuning";
import { containerResources, ResourceBounds } from "../lib/resources";
import { ServerTls, tlsMount, tlsVolumes } from "./internal-tls";
import { imageUserContainer, protectedIf, labels, podSecurity, scratchVolume, secretEnv, selector, serviceHost } from "./kube";

export type DatabaseEngine = "mysql" | "postgresql";

/** A database this program does not run: where it is, who connects, and the password (a secret). */
export interface ExternalDatabase {
    readonly engine: DatabaseEngine;
    readonly host: string;
    readonly port: number;
    readonly name: string;
    readonly user: string;
    readonly password: pulumi.Input<string>;
}

export interface DatabaseArgs {
    readonly namespace: pulumi.Input<string>;
    readonly namespaceName: string;
    /** The in-cluster database's volume (ignored with an external database). */
    readonly storage: { size: string; storageClass?: string };
    /** A database run elsewhere; absent: the in-cluster MySQL. */
    readonly external?: ExternalDatabase;
    /** Trillian's db_server image (also used for its mysql client and schema file in external mode). */
    readonly image: string;
    readonly resources: ResourceBounds;
    /** Who connects: Trillian pods and each one's pool bound (0 = unbounded), to size max_connections. */
    readonly clients: { pods: number; maxConnsPerPod: number };
    /** Server TLS for the in-cluster MySQL (config internalTls); clients must then use TLS. */
    readonly tls?: ServerTls;
    readonly protectData: boolean;
}

/** How Trillian reaches the database. The password stays in the Secret; only its name and key travel. */
export interface DatabaseConnection {
    engine: DatabaseEngine;
    host: string;
    port: number;
    name: string;
    user: string;
    secretName: pulumi.Output<string>;
    passwordKey: string;
    /** TLS name of the server when it requires TLS with our internal CA (--mysql_server_name). */
    tlsServerName?: string;
}

const port = 3306;
export const databaseService = "trillian-db";
/** The pods of the Job that loads the schema into an external MySQL. */
export const schemaJobApp = "trillian-db-schema";
/** The schema load is one mysql client run. */
const schemaJobResources: ResourceBounds = { cpu: { request: "50m", limit: "500m" }, memory: { request: "64Mi", limit: "256Mi" } };
/** The mysql user of the MySQL image (and of Trillian's db_server built on it). */
const mysqlUid = 999;

export class Database extends pulumi.ComponentResource {
    readonly connection: DatabaseConnection;
    /** Resolves once the schema is in place; Trillian's workloads depend on it. */
    readonly ready: pulumi.Resource[];
    readonly credentials: k8s.core.v1.Secret;
    /** The in-cluster database's volume claim (for the disk alert); absent with an external database. */
    readonly dataClaimName?: pulumi.Output<string>;
    /** The in-cluster MySQL's redo log, which shares the data volume (capacity planning); 0 when external. */
    readonly redoLogBytes: number;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:Database", name, {}, opts);
        const external = args.external;
        this.credentials = external ? this.externalCredentials(name, args, external.password) : this.generatedCredentials(name, args);
        this.redoLogBytes = external ? 0 : mysqlOptions(mysqlSizing(args)).redoLogBytes;

        if (external) {
            this.connection = {
                engine: external.engine,
                host: external.host,
                port: external.port,
                name: external.name,
                user: external.user,
                secretName: this.credentials.metadata.name,
                passwordKey: "password",
            };
            this.ready = external.engine === "mysql" ? [this.schemaJob(name, args, external)] : [this.credentials];
        } else {
            this.connection = {
                engine: "mysql",
                host: serviceHost(databaseService, args.namespaceName),
                port,
                name: "trillian",
                user: "trillian",
                secretName: this.credentials.metadata.name,
                passwordKey: "password",
                tlsServerName: args.tls ? serviceHost(databaseService, args.namespaceName) : undefined,
            };
            const mysql = this.inClusterMysql(name, args);
            this.ready = [mysql.statefulSet];
            this.dataClaimName = mysql.claimName;
        }

        this.registerOutputs({
            connection: this.connection,
            ready: this.ready,
            credentials: this.credentials,
            dataClaimName: this.dataClaimName,
            redoLogBytes: this.redoLogBytes,
        });
    }

    /** Passwords are generated once and stored in Pulumi state as secrets and in one Kubernetes Secret. */
    private generatedCredentials(name: string, args: DatabaseArgs): k8s.core.v1.Secret {
        const password = (role: string) => generatedPassword(`${name}-${role}-password`, { parent: this, ...protectedIf(args.protectData) });
        return new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: { namespace: args.namespace, labels: labels("trillian-db", "database") },
                type: "Opaque",
                stringData: {
                    "root-password": password("root").result,
                    password: password("trillian").result,
                    user: "trillian",
                    database: "trillian",
                },
            },
            { parent: this, ...protectedIf(args.protectData) },
        );
    }

    private externalCredentials(name: string, args: DatabaseArgs, password: pulumi.Input<string>): k8s.core.v1.Secret {
        return new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: { namespace: args.namespace, labels: labels("trillian-db", "database") },
                type: "Opaque",
                stringData: { password },
            },
            { parent: this },
        );
    }

    /** The in-cluster MySQL and its protected data volume (for the disk alert). */
    private inClusterMysql(name: string, args: DatabaseArgs): { statefulSet: k8s.apps.v1.StatefulSet; claimName: pulumi.Output<string> } {
        const appLabels = labels(databaseService, "database");
        // An explicit claim (not a volumeClaimTemplate) so it can be protected and retained in prod.
        const volume = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-data`,
            {
                metadata: { namespace: args.namespace, labels: appLabels },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: args.storage.storageClass,
                    resources: { requests: { storage: args.storage.size } },
                },
            },
            { parent: this, ...protectedIf(args.protectData), ignoreChanges: ["spec.storageClassName"] },
        );

        const service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name: databaseService, namespace: args.namespace, labels: appLabels },
                spec: { clusterIP: "None", selector: selector(databaseService), ports: [{ name: "mysql", port, targetPort: "mysql" }] },
            },
            { parent: this },
        );

        const secret = this.credentials.metadata.name;
        // mysqld runs as mysqlUid: its key is readable through fsGroup (0440), and only TLS clients are admitted.
        const tls = tlsVolumes(args.tls, undefined, 0o440);
        const tlsArgs = args.tls
            ? [`--ssl-ca=${tlsMount}/ca.crt`, `--ssl-cert=${tlsMount}/tls.crt`, `--ssl-key=${tlsMount}/tls.key`, "--require-secure-transport=ON"]
            : [];
        const statefulSet = new k8s.apps.v1.StatefulSet(
            `${name}-mysql`,
            {
                metadata: { namespace: args.namespace, labels: appLabels },
                spec: {
                    serviceName: service.metadata.name,
                    replicas: 1,
                    selector: { matchLabels: selector(databaseService) },
                    template: {
                        metadata: { labels: appLabels },
                        spec: {
                            securityContext: { ...podSecurity, fsGroup: mysqlUid },
                            automountServiceAccountToken: false,
                            containers: [
                                {
                                    name: "mysql",
                                    image: args.image,
                                    args: [...mysqldArgs(mysqlSizing(args)), ...tlsArgs],
                                    ports: [{ name: "mysql", containerPort: port }],
                                    env: [
                                        secretEnv("MYSQL_ROOT_PASSWORD", secret, "root-password"),
                                        { name: "MYSQL_DATABASE", value: "trillian" },
                                        { name: "MYSQL_USER", value: "trillian" },
                                        secretEnv("MYSQL_PASSWORD", secret, "password"),
                                    ],
                                    // TCP on 127.0.0.1 opens only after the entrypoint has run the schema scripts.
                                    readinessProbe: {
                                        exec: { command: ["mysqladmin", "ping", "--host=127.0.0.1", "--silent"] },
                                        initialDelaySeconds: 10,
                                        periodSeconds: 5,
                                        failureThreshold: 60,
                                    },
                                    livenessProbe: {
                                        exec: { command: ["mysqladmin", "ping", "--host=127.0.0.1", "--silent"] },
                                        initialDelaySeconds: 120,
                                        periodSeconds: 20,
                                        failureThreshold: 6,
                                    },
                                    resources: containerResources(args.resources),
                                    securityContext: imageUserContainer(mysqlUid),
                                    volumeMounts: [
                                        { name: "data", mountPath: "/var/lib/mysql" },
                                        { name: "run", mountPath: "/var/run/mysqld" },
                                        { name: "tmp", mountPath: "/tmp" },
                                        ...tls.mounts,
                                    ],
                                },
                            ],
                            volumes: [
                                { name: "data", persistentVolumeClaim: { claimName: volume.metadata.name } },
                                scratchVolume("run"),
                                scratchVolume("tmp"),
                                ...tls.volumes,
                            ],
                        },
                    },
                },
            },
            { parent: this },
        );
        return { statefulSet, claimName: volume.metadata.name };
    }

    /** Loads Trillian's schema into an external MySQL. MYSQL_PWD keeps the password out of argv. */
    private schemaJob(name: string, args: DatabaseArgs, ext: ExternalDatabase): k8s.batch.v1.Job {
        return new k8s.batch.v1.Job(
            `${name}-schema`,
            {
                metadata: { namespace: args.namespace, labels: labels(schemaJobApp, "database") },
                spec: {
                    backoffLimit: 6,
                    template: {
                        metadata: { labels: labels(schemaJobApp, "database") },
                        spec: {
                            restartPolicy: "OnFailure",
                            automountServiceAccountToken: false,
                            securityContext: podSecurity,
                            containers: [
                                {
                                    name: "load-schema",
                                    image: args.image,
                                    securityContext: imageUserContainer(mysqlUid),
                                    resources: containerResources(schemaJobResources),
                                    command: [
                                        "sh",
                                        "-c",
                                        'mysql --host="$DB_HOST" --port="$DB_PORT" --user="$DB_USER" "$DB_NAME" < /docker-entrypoint-initdb.d/storage.sql',
                                    ],
                                    env: [
                                        { name: "DB_HOST", value: ext.host },
                                        { name: "DB_PORT", value: String(ext.port) },
                                        { name: "DB_USER", value: ext.user },
                                        { name: "DB_NAME", value: ext.name },
                                        secretEnv("MYSQL_PWD", this.credentials.metadata.name, "password"),
                                    ],
                                },
                            ],
                        },
                    },
                },
            },
            { parent: this },
        );
    }
}

/** What the in-cluster MySQL's options are derived from (lib/mysql-tuning.ts). */
function mysqlSizing(args: DatabaseArgs): MysqlSizing {
    return {
        memoryLimit: args.resources.memory.limit,
        storageSize: args.storage.size,
        trillianPods: args.clients.pods,
        maxConnsPerPod: args.clients.maxConnsPerPod,
    };
}
