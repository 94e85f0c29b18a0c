/**
 * Backups (components/backup.ts, components/backup.sh) under mocks: the CronJob runs the script from
 * its ConfigMap in the database image with the credentials from the Secret, TLS-verified in prod,
 * onto a protected volume of its own; config validation. The e2e suite runs the script for real
 * (backup, then the documented restore) against the real servers.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { backupScript } from "../../components/backup";
import { ConfigSource, isCronSchedule, loadConfig } from "../../config";
import { upstreamImages } from "../../versions";
import { Evaluation } from "../support/mocks";
import { evaluateStack, registrations } from "../support/registrations";

const base = { oidcIssuerUrl: "https://keycloak.corp.example/realms/sigstore", emailDomain: "corp.example" };
const source = (values: Record<string, string>): ConfigSource => ({
    get: (k) => (({ ...base, ...values }) as Record<string, string>)[k],
    getSecret: (k) => (k === "databasePassword" && values.databaseMode === "external" ? pulumi.secret("pw") : undefined),
    isStoredSecret: () => true,
});
const problem = (values: Record<string, string>) => {
    try {
        loadConfig(source(values));
        return "";
    } catch (e) {
        return (e as Error).message;
    }
};

describe("backups: config", () => {
    it("accepts five-field schedules and the macros, refuses the rest naming the key", () => {
        for (const ok of ["17 2 * * *", "*/30 * * * *", "0 3 * * mon-fri", "@daily", "@hourly"]) assert.ok(isCronSchedule(ok), ok);
        for (const bad of ["daily", "17 2 * *", "17 2 * * * *", "@fortnightly"]) assert.ok(!isCronSchedule(bad), bad);
        assert.match(problem({ backupSchedule: "daily" }), /sigstore:backupSchedule = "daily": must be a CronJob schedule/);
    });

    it("is off without a schedule, and its other keys are then refused rather than ignored", () => {
        assert.equal(loadConfig(source({})).backup, undefined);
        assert.match(problem({ backupRetentionDays: "30" }), /sigstore:backupRetentionDays = "30": only applies with backupSchedule set/);
        assert.deepEqual(loadConfig(source({ backupSchedule: "@daily" })).backup, {
            schedule: "@daily",
            retentionDays: 14,
            storageSize: "20Gi",
            storageClass: undefined,
            maxAgeHours: 36,
        });
    });

    it("refuses an external PostgreSQL (mysqldump only), pointing at the database's own tooling", () => {
        const pg = {
            databaseMode: "external",
            databaseEngine: "postgresql",
            databaseHost: "pg.corp.example",
            databaseEgressCidrs: "10.0.0.1/32",
            backupSchedule: "@daily",
        };
        assert.match(problem(pg), /sigstore:backupSchedule = "@daily": backs up MySQL only/);
    });
});

describe("backups: the prod stack's CronJob (Pulumi.prod.yaml: 17 2 * * *)", () => {
    let ev: Evaluation;
    let cronJob: any;
    let pod: any;
    before(async () => {
        ev = await evaluateStack("prod");
        const jobs = ev.cloud.ofType("kubernetes:batch/v1:CronJob");
        assert.equal(jobs.length, 1);
        cronJob = jobs[0].inputs;
        pod = cronJob.spec.jobTemplate.spec.template.spec;
    });

    it("runs backup.sh from its ConfigMap in the database image, never two at once", () => {
        assert.equal(cronJob.metadata.name, "trillian-db-backup");
        assert.equal(cronJob.spec.schedule, "17 2 * * *");
        assert.equal(cronJob.spec.concurrencyPolicy, "Forbid");
        const container = pod.containers[0];
        assert.equal(container.image, upstreamImages.trillianDatabase);
        assert.deepEqual(container.command, ["bash", "/etc/backup/backup.sh", "backup"]);
        const script = ev.cloud.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.name === "backup-script")!;
        assert.equal(script.inputs.data["backup.sh"], backupScript());
        assert.equal(pod.volumes.find((v: any) => v.name === "script").configMap.name, script.state.metadata.name);
    });

    it("connects as Trillian's user with the password from the Secret (not in the spec), TLS-verified against the internal CA", () => {
        const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
        assert.equal(env.DB_HOST, "trillian-db.sigstore.svc");
        assert.equal(env.DB_PORT, "3306");
        assert.equal(env.DB_USER, "trillian");
        assert.ok(env.MYSQL_PWD.secretKeyRef, "the password comes from the credentials Secret");
        assert.equal(env.DB_TLS_CA, "/etc/sigstore/ca/ca.crt");
        assert.equal(env.RETENTION_DAYS, "14");
        assert.ok(pod.containers[0].volumeMounts.some((m: any) => m.mountPath === "/etc/sigstore/ca"));
    });

    it("writes to a volume of its own, protected and retained in prod, as the image's mysql user", () => {
        const claim = ev.cloud.ofType("kubernetes:core/v1:PersistentVolumeClaim").find((c) => c.name === "backup-volume")!;
        assert.equal(claim.inputs.metadata.name, "trillian-db-backups");
        assert.equal(claim.inputs.spec.resources.requests.storage, "100Gi");
        const reg = registrations(ev.cloud).find((r) => r.name === "backup-volume")!;
        assert.deepEqual([reg.protect, reg.retainOnDelete], [true, true]);
        assert.equal(pod.volumes.find((v: any) => v.name === "backups").persistentVolumeClaim.claimName, "trillian-db-backups");
        assert.equal(pod.securityContext.fsGroup, 999);
        assert.equal(pod.containers[0].securityContext.runAsUser, 999);
        assert.equal(pod.containers[0].securityContext.readOnlyRootFilesystem, true);
        assert.deepEqual(ev.outputs.databaseBackup, {
            enabled: true,
            cronJob: "trillian-db-backup",
            claimName: "trillian-db-backups",
            scriptConfigMap: ev.cloud.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.name === "backup-script")!.state.metadata.name,
            schedule: "17 2 * * *",
            retentionDays: 14,
        });
    });

    it("backup.sh is valid bash and refuses an unknown command", () => {
        const script = path.join(__dirname, "..", "..", "components", "backup.sh");
        execFileSync("bash", ["-n", script]);
        const env = { ...process.env, DB_HOST: "h", DB_PORT: "1", DB_NAME: "n", DB_USER: "u", MYSQL_PWD: "p", BACKUP_DIR: "/nonexistent" };
        assert.throws(() => execFileSync("bash", [script, "frobnicate"], { env, stdio: "pipe" }), /unknown command frobnicate/);
    });
});
