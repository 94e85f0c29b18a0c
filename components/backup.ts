/**
 * DatabaseBackup: the logs are append-only and cannot be rebuilt, so the Trillian database is dumped
 * on a schedule (config backupSchedule) by a CronJob running components/backup.sh in the database
 * image: a consistent `mysqldump --single-transaction`, verified (gzip, dump header and trailer),
 * its checksum written beside it, then older ones pruned (backupRetentionDays; the newest is always
 * kept). Dumps land on a PersistentVolumeClaim of their own, protected like the database volume.
 * The same script restores (docs/runbooks/backup-restore.md); the e2e suite runs both for real.
 * Redis is not backed up: it is Rekor's index, rebuilt from the log (the runbook).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { containerResources, ResourceBounds } from "../lib/resources";
import { DatabaseConnection } from "./database";
import { caFile, ClientTls, tlsVolumes } from "./internal-tls";
import { imageUserContainer, protectedIf, labels, podSecurity, scratchVolume, secretEnv } from "./kube";

/** Fixed names: the alerts, the runbook and the databaseBackup output refer to them. */
export const backupCronJobName = "trillian-db-backup";
export const backupApp = "trillian-db-backup";
export const backupClaimName = "trillian-db-backups";
export const backupMount = "/backup";
const scriptMount = "/etc/backup";
/** The database image's mysql user: the dumps on the volume belong to it. */
const mysqlUid = 999;

export interface DatabaseBackupArgs {
    readonly namespace: pulumi.Input<string>;
    /** The database image (mysqldump, mysql, gzip, sha256sum). */
    readonly image: string;
    readonly connection: DatabaseConnection;
    /** Cron schedule, in the cluster's time zone unless timeZone is set. */
    readonly schedule: string;
    readonly retentionDays: number;
    readonly storageSize: string;
    readonly storageClass?: string;
    readonly resources: ResourceBounds;
    /** Internal TLS: verify the database's certificate against this CA. */
    readonly tls?: ClientTls;
    readonly protectData: boolean;
}

export function backupScript(): string {
    return fs.readFileSync(path.join(__dirname, "backup.sh"), "utf8");
}

export class DatabaseBackup extends pulumi.ComponentResource {
    readonly cronJob: k8s.batch.v1.CronJob;
    readonly scriptConfigMapName: pulumi.Output<string>;

    constructor(name: string, args: DatabaseBackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:DatabaseBackup", name, {}, opts);
        const meta = { namespace: args.namespace, labels: labels(backupApp, "backup") };

        const claim = backupVolume(`${name}-volume`, this, { ...meta, name: backupClaimName }, args);

        const script = new k8s.core.v1.ConfigMap(`${name}-script`, { metadata: meta, data: { "backup.sh": backupScript() } }, { parent: this });
        this.scriptConfigMapName = script.metadata.name;

        const c = args.connection;
        const tls = tlsVolumes(undefined, args.tls);
        this.cronJob = backupCronJob(`${name}-cronjob`, this, { ...meta, name: backupCronJobName }, args.schedule, {
            securityContext: { ...podSecurity, fsGroup: mysqlUid },
            containers: [
                {
                    name: "backup",
                    image: args.image,
                    command: ["bash", `${scriptMount}/backup.sh`, "backup"],
                    env: [
                        { name: "DB_HOST", value: c.host },
                        { name: "DB_PORT", value: String(c.port) },
                        { name: "DB_NAME", value: c.name },
                        { name: "DB_USER", value: c.user },
                        secretEnv("MYSQL_PWD", c.secretName, c.passwordKey),
                        { name: "BACKUP_DIR", value: backupMount },
                        { name: "RETENTION_DAYS", value: String(args.retentionDays) },
                        ...(args.tls ? [{ name: "DB_TLS_CA", value: caFile }] : []),
                    ],
                    resources: containerResources(args.resources),
                    securityContext: imageUserContainer(mysqlUid),
                    volumeMounts: [
                        { name: "script", mountPath: scriptMount, readOnly: true },
                        { name: "backups", mountPath: backupMount },
                        { name: "tmp", mountPath: "/tmp" },
                        ...tls.mounts,
                    ],
                },
            ],
            volumes: [
                { name: "script", configMap: { name: script.metadata.name } },
                { name: "backups", persistentVolumeClaim: { claimName: claim.metadata.name } },
                scratchVolume("tmp"),
                ...tls.volumes,
            ],
        });

        this.registerOutputs({ cronJob: this.cronJob, scriptConfigMapName: this.scriptConfigMapName });
    }
}

/** Where backups land: a volume of their own, protected like the data they copy. */
export function backupVolume(
    resourceName: string,
    parent: pulumi.Resource,
    metadata: k8s.types.input.meta.v1.ObjectMeta,
    size: { storageSize: string; storageClass?: string; protectData: boolean },
): k8s.core.v1.PersistentVolumeClaim {
    return new k8s.core.v1.PersistentVolumeClaim(
        resourceName,
        {
            metadata,
            spec: { accessModes: ["ReadWriteOnce"], storageClassName: size.storageClass, resources: { requests: { storage: size.storageSize } } },
        },
        { parent, ...protectedIf(size.protectData) },
    );
}

/**
 * A backup CronJob as every backup here runs: never two at once, a missed run (node down) still
 * started within the hour, three Jobs of each outcome kept, two retries, no ServiceAccount token.
 * `pod` is the rest of the pod spec; the Job's pods carry the CronJob's labels.
 */
export function backupCronJob(
    resourceName: string,
    parent: pulumi.Resource,
    metadata: k8s.types.input.meta.v1.ObjectMeta & { labels: Record<string, string> },
    schedule: string,
    pod: Omit<k8s.types.input.core.v1.PodSpec, "restartPolicy" | "automountServiceAccountToken">,
): k8s.batch.v1.CronJob {
    return new k8s.batch.v1.CronJob(
        resourceName,
        {
            metadata,
            spec: {
                schedule,
                concurrencyPolicy: "Forbid",
                startingDeadlineSeconds: 3600,
                successfulJobsHistoryLimit: 3,
                failedJobsHistoryLimit: 3,
                jobTemplate: {
                    metadata: { labels: metadata.labels },
                    spec: {
                        backoffLimit: 2,
                        template: {
                            metadata: { labels: metadata.labels },
                            spec: { restartPolicy: "Never", automountServiceAccountToken: false, ...pod },
                        },
                    },
                },
            },
        },
        { parent },
    );
}
