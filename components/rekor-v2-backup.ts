/**
 * RekorV2Backup: a Rekor v2 log cannot be rebuilt from anything else, so each log's volume is
 * archived on the backup schedule (backupSchedule) by a CronJob running components/rekor-v2-backup.sh
 * in the read path's image: checkpoint, tree state, then tiles and entry bundles (an archive is what
 * a crash at that instant would leave, which the server resumes from), verified, its checksum beside
 * it, older ones pruned (backupRetentionDays; the newest is always kept). A log unchanged since its
 * newest archive (a retired one) is not archived again.
 *
 * The log's volume is ReadWriteOnce: the backup pod mounts it read-only on the same node as the log's
 * pod (required pod affinity), and writes to a volume of its own per log, protected like the log's.
 * The same script restores (docs/runbooks/rekor-v2.md, "Backup and restore"); the e2e suite runs both
 * for real.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { containerResources, ResourceBounds } from "../lib/resources";
import { backupCronJob, backupVolume } from "./backup";
import { labels, podSecurity, restrictedContainer, scratchVolume, selector } from "./kube";
import { rekorV2StorageMount } from "./rekor-v2";

export const rekorV2BackupMount = "/backup";
const scriptMount = "/etc/rekor-v2-backup";
/** The log server's user and group: the volume's files (and .state/, 0700) are theirs. */
const serverUid = 65532;

export interface RekorV2BackupArgs {
    readonly namespace: pulumi.Input<string>;
    /** An image with a POSIX shell, tar, gzip and sha256sum: the read path's nginx-unprivileged (busybox). */
    readonly image: string;
    /** Every log (its pods' app name) and its volume claim, oldest first. */
    readonly logs: Array<{ service: string; claimName: pulumi.Input<string> }>;
    readonly schedule: string;
    readonly retentionDays: number;
    readonly storageSize: string;
    readonly storageClass?: string;
    readonly resources: ResourceBounds;
    readonly protectData: boolean;
}

export function rekorV2BackupScript(): string {
    return fs.readFileSync(path.join(__dirname, "rekor-v2-backup.sh"), "utf8");
}

/** A log's CronJob and backup volume: named after its Service (rekor-v2, rekor-v2-g3 → rekor-v2-backup, rekor-v2-g3-backup). */
export function rekorV2BackupName(service: string): string {
    return `${service}-backup`;
}

export class RekorV2Backup extends pulumi.ComponentResource {
    readonly cronJobs: k8s.batch.v1.CronJob[];
    /** The CronJobs' fixed names, one per log, oldest first: what the backup alerts watch. */
    readonly cronJobNames: string[];

    constructor(name: string, args: RekorV2BackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:RekorV2Backup", name, {}, opts);
        const script = new k8s.core.v1.ConfigMap(
            `${name}-script`,
            { metadata: { namespace: args.namespace, labels: labels("rekor-v2-backup", "backup") }, data: { "rekor-v2-backup.sh": rekorV2BackupScript() } },
            { parent: this },
        );
        this.cronJobs = args.logs.map((log) => this.logBackup(name, log, script, args));
        this.cronJobNames = args.logs.map((log) => rekorV2BackupName(log.service));
        this.registerOutputs({ cronJobs: this.cronJobs });
    }

    private logBackup(
        name: string,
        log: { service: string; claimName: pulumi.Input<string> },
        script: k8s.core.v1.ConfigMap,
        args: RekorV2BackupArgs,
    ): k8s.batch.v1.CronJob {
        const fixedName = rekorV2BackupName(log.service);
        const suffix = log.service.slice("rekor-v2".length); // "" or "-g<N>": the log's own resource suffix
        const podLabels = labels(fixedName, "backup");
        const meta = { namespace: args.namespace, labels: podLabels };
        const claim = backupVolume(`${name}-volume${suffix}`, this, { ...meta, name: `${fixedName}s` }, args);
        return backupCronJob(`${name}-cronjob${suffix}`, this, { ...meta, name: fixedName }, args.schedule, {
            securityContext: { ...podSecurity, fsGroup: serverUid },
            // The log's volume is ReadWriteOnce: only a pod on its node can mount it beside the server.
            affinity: {
                podAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: [
                        { labelSelector: { matchLabels: selector(log.service) }, topologyKey: "kubernetes.io/hostname" },
                    ],
                },
            },
            containers: [
                {
                    name: "backup",
                    image: args.image,
                    command: ["sh", `${scriptMount}/rekor-v2-backup.sh`, "backup"],
                    env: [
                        { name: "LOG_DIR", value: rekorV2StorageMount },
                        { name: "LOG_NAME", value: log.service },
                        { name: "BACKUP_DIR", value: rekorV2BackupMount },
                        { name: "RETENTION_DAYS", value: String(args.retentionDays) },
                    ],
                    resources: containerResources(args.resources),
                    securityContext: restrictedContainer,
                    volumeMounts: [
                        { name: "script", mountPath: scriptMount, readOnly: true },
                        { name: "log", mountPath: rekorV2StorageMount, readOnly: true },
                        { name: "backups", mountPath: rekorV2BackupMount },
                        { name: "tmp", mountPath: "/tmp" },
                    ],
                },
            ],
            volumes: [
                { name: "script", configMap: { name: script.metadata.name } },
                { name: "log", persistentVolumeClaim: { claimName: log.claimName, readOnly: true } },
                { name: "backups", persistentVolumeClaim: { claimName: claim.metadata.name } },
                scratchVolume("tmp"),
            ],
        });
    }
}
