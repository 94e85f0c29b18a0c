/**
 * RekorV2Backup (components/rekor-v2-backup.ts) in the whole program under Pulumi's mocks: one
 * CronJob and one backup volume per Rekor v2 log, each pod on its log's node with the log's volume
 * read-only, the script from components/rekor-v2-backup.sh, protected volumes in prod, and none
 * without a schedule. The script itself runs for real in e2e/rekor-v2.e2e.ts.
 */
import "reflect-metadata";
import * as assert from "node:assert/strict";
import { rekorV2BackupScript } from "../../components/rekor-v2-backup";
import { Evaluation } from "../support/mocks";
import { evaluateRecorded, evaluateRotation, registration } from "../support/registrations";
import { modelFor } from "../support/program";

const prodOnV2 = { rekorVersion: "v2", rekorKeyGeneration: "2", rekorV2FromGeneration: "2", backupSchedule: "17 2 * * *" };
const cronJobs = (ev: Evaluation) => ev.cloud.ofType("kubernetes:batch/v1:CronJob").filter((c) => c.inputs.metadata.name.startsWith("rekor-v2"));

describe("Rekor v2 backups (backupSchedule with rekorVersion v2)", function () {
    this.timeout(120_000);
    let first: Evaluation;
    let rotated: Evaluation;
    before(async () => {
        ({ first, rotated } = await evaluateRotation({ rekorKeyGeneration: "3" }, prodOnV2));
    });

    it("one CronJob per log, on the log's node, with the log's volume read-only and a backup volume of its own", () => {
        const [job] = cronJobs(first);
        assert.equal(cronJobs(first).length, 1);
        new (modelFor(job.type))(job.inputs).validate();
        assert.equal(job.inputs.metadata.name, "rekor-v2-backup");
        assert.equal(job.inputs.spec.schedule, "17 2 * * *");
        assert.equal(job.inputs.spec.concurrencyPolicy, "Forbid");
        const pod = job.inputs.spec.jobTemplate.spec.template.spec;
        assert.deepEqual(pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution, [
            { labelSelector: { matchLabels: { "app.kubernetes.io/name": "rekor-v2" } }, topologyKey: "kubernetes.io/hostname" },
        ]);
        const log = pod.volumes.find((v: any) => v.name === "log").persistentVolumeClaim;
        assert.equal(log.claimName, first.cloud.one("kubernetes:core/v1:PersistentVolumeClaim", "rekor-v2-data").state.metadata.name);
        assert.equal(log.readOnly, true);
        const [container] = pod.containers;
        assert.deepEqual(container.command, ["sh", "/etc/rekor-v2-backup/rekor-v2-backup.sh", "backup"]);
        assert.ok(container.volumeMounts.find((m: any) => m.name === "log").readOnly);
        assert.equal(container.securityContext.runAsUser, 65532, "the server's user: it reads .state/ (0700)");
        assert.equal(container.securityContext.readOnlyRootFilesystem, true);
        assert.equal(pod.automountServiceAccountToken, false);
        const script = first.cloud.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.name === "rekor-v2-backup-script")!;
        assert.equal(script.inputs.data["rekor-v2-backup.sh"], rekorV2BackupScript());
    });

    it("prod: each backup volume is protected like the log's; its size is rekorV2BackupStorageSize", () => {
        const volume = registration(first.cloud, "kubernetes:core/v1:PersistentVolumeClaim", "rekor-v2-backup-volume");
        assert.ok(volume.protect && volume.retainOnDelete);
        const claim = first.cloud.one("kubernetes:core/v1:PersistentVolumeClaim", "rekor-v2-backup-volume").inputs;
        assert.equal(claim.metadata.name, "rekor-v2-backups");
        assert.equal(claim.spec.resources.requests.storage, "20Gi");
    });

    it("after a rotation, the retired log keeps its backup and the new log gets its own", () => {
        assert.deepEqual(
            cronJobs(rotated)
                .map((c) => c.inputs.metadata.name)
                .sort(),
            ["rekor-v2-backup", "rekor-v2-g3-backup"],
        );
        const g3 = cronJobs(rotated).find((c) => c.inputs.metadata.name === "rekor-v2-g3-backup")!;
        const pod = g3.inputs.spec.jobTemplate.spec.template.spec;
        assert.equal(
            pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels["app.kubernetes.io/name"],
            "rekor-v2-g3",
        );
        assert.equal(
            pod.volumes.find((v: any) => v.name === "log").persistentVolumeClaim.claimName,
            rotated.cloud.one("kubernetes:core/v1:PersistentVolumeClaim", "rekor-v2-data-g3").state.metadata.name,
        );
        assert.equal(registration(rotated.cloud, "kubernetes:core/v1:PersistentVolumeClaim", "rekor-v2-backup-volume-g3").protect, true);
    });

    it("with monitoring, every log's backup has the backup alerts, naming its CronJob and the Rekor v2 runbook", () => {
        const rules = rotated.cloud.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-alerts").inputs.spec.groups[0].rules;
        for (const cronJob of ["rekor-v2-backup", "rekor-v2-g3-backup"]) {
            const mine = rules.filter((r: any) => String(r.expr).includes(`cronjob="${cronJob}"`));
            assert.deepEqual(
                mine.map((r: any) => r.alert),
                ["SigstoreBackupTooOld", "SigstoreBackupFailing"],
                cronJob,
            );
            assert.match(mine[0].annotations.summary, /docs\/runbooks\/rekor-v2\.md/);
        }
        assert.ok(
            rules.some((r: any) => String(r.expr).includes('cronjob="trillian-db-backup"')),
            "the database's backup keeps its alerts",
        );
    });

    it("no schedule, no Rekor v2 backup", async () => {
        const none = await evaluateRecorded({ stack: "dev" });
        assert.equal(cronJobs(none).length, 0);
        assert.equal(none.cloud.resources.filter((r) => r.name.startsWith("rekor-v2-backup")).length, 0);
    });
});
