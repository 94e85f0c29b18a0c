/**
 * Monitoring (config `monitoring`, on in prod): Prometheus Operator ServiceMonitors for every
 * server's metrics port, and a PrometheusRule with the alerts that matter for a transparency log.
 *
 * Metric names are the ones the binaries really export (Trillian v1.7.3: `mysql_queued_leaves` in
 * the log server's storage, `sequencer_sequenced` and `is_master` in the signer); the end-to-end
 * suite scrapes the running servers and fails if a rule names a metric none of them exports.
 * `up` is Prometheus's own; `kubelet_volume_stats_*` are the kubelet's and `kube_cronjob_*`
 * kube-state-metrics' (the backup alerts need it in the cluster). Fulcio exports no CA expiry
 * metric, so that alert compares `time()` with the CA certificate's notAfter, read from the chain
 * the program deploys.
 */
import { X509Certificate } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { LabelSelector } from "../lib/parse";
import { currentRoles, TufRoleName, TufSchedule } from "../lib/tuf-schedule";
import { ctlogService } from "./ctlog";
import { dexService } from "./dex";
import { fulcioService } from "./fulcio";
import { labels, serviceHost } from "./kube";
import { rekorService } from "./rekor";
import { tsaService } from "./timestamp-authority";
import { logServerService, logSignerService } from "./trillian";

/** A Service whose pods export metrics, and how Prometheus scrapes it. */
export interface ScrapeTarget {
    service: string;
    /** The Service port's name. */
    port: string;
    /** HTTPS with the internal CA (Trillian's HTTP endpoint under internal TLS). */
    tls?: { caConfigMapName: pulumi.Input<string>; serverName: string };
}

/**
 * Every server's metrics: Fulcio, Rekor and the CT log on their "metrics" ports, Trillian's servers
 * on their HTTP endpoint (HTTPS under internal TLS for the log server), and Dex when it is deployed.
 */
export function sigstoreScrapeTargets(input: {
    namespaceName: string;
    internalTlsCaConfigMapName?: pulumi.Input<string>;
    dex: boolean;
    tsa: boolean;
    /** The active Rekor v2 log's Service (rekorVersion v2): retired logs serve only files. */
    rekorV2Service?: string;
}): ScrapeTarget[] {
    const trillianTls =
        input.internalTlsCaConfigMapName === undefined
            ? undefined
            : { caConfigMapName: input.internalTlsCaConfigMapName, serverName: serviceHost(logServerService, input.namespaceName) };
    return [
        { service: fulcioService, port: "metrics" },
        { service: rekorService, port: "metrics" },
        { service: ctlogService, port: "metrics" },
        { service: logServerService, port: "http", tls: trillianTls },
        { service: logSignerService, port: "http" },
        ...(input.dex ? [{ service: dexService, port: "metrics" }] : []),
        ...(input.tsa ? [{ service: tsaService, port: "metrics" }] : []),
        ...(input.rekorV2Service ? [{ service: input.rekorV2Service, port: "metrics" }] : []),
    ];
}

export interface MonitoringArgs {
    readonly namespace: pulumi.Input<string>;
    readonly namespaceName: string;
    readonly targets: ScrapeTarget[];
    /** Labels the Prometheus selects ServiceMonitors and rules by (e.g. release=prometheus). */
    readonly extraLabels: LabelSelector;
    /** The in-cluster database's volume claim (absent with an external database). */
    readonly databaseClaimName?: pulumi.Input<string>;
    /** Fulcio's chain: the issuing certificate (first) is the one that must not expire. */
    readonly fulcioChainPem: pulumi.Input<string>;
    readonly caExpiryWarningDays: number;
    /** The backup CronJob (backupSchedule set): alerts when backups fail or get old. */
    readonly backup?: BackupWatch;
    /** The timestamp authority, if deployed: its certificate's expiry, its errors and (with NTP servers) its clock. */
    readonly tsa?: TsaWatch;
    /** The TUF repository, if deployed: when each role's metadata expires, and the `up` that re-signs it. */
    readonly tuf?: { readonly schedule: pulumi.Input<TufSchedule>; readonly renewalDays: number; readonly stack: string };
    /** Rekor v2 (rekorVersion v2): the active log's tile volume claim; its errors, checkpoint lag and disk are watched. */
    readonly rekorV2ClaimName?: pulumi.Input<string>;
    /** Rekor v2's backup CronJobs (with backupSchedule), one per log. */
    readonly rekorV2Backups?: BackupWatch[];
}

/** Seconds since the epoch at which the CA expiry alert starts firing. */
export function caExpiryAlertTime(chainPem: string, days: number): number {
    return Math.floor(new Date(new X509Certificate(chainPem).validTo).getTime() / 1000) - days * 86400;
}

/** The alert rules (PrometheusRule groups[0].rules), given the resolved names. */
export function alertRules(
    ns: string,
    services: string[],
    databaseClaim: string | undefined,
    caAlertAt: number,
    days: number,
    backup?: BackupWatch,
    tsa?: TsaWatch,
    tuf?: TufWatch,
    rekorV2?: RekorV2Watch,
): Array<Record<string, unknown>> {
    const inNs = `namespace="${ns}"`;
    const rules: Array<Record<string, unknown>> = [
        {
            alert: "SigstoreServerDown",
            expr: `up{${inNs}, service=~"${services.join("|")}"} == 0`,
            for: "5m",
            labels: { severity: "critical" },
            annotations: { summary: "{{ $labels.service }} ({{ $labels.pod }}) has not answered Prometheus for 5 minutes." },
        },
        {
            alert: "TrillianSignerNotSequencing",
            expr: `sum(increase(mysql_queued_leaves{${inNs}}[10m])) > 0 and sum(increase(sequencer_sequenced{${inNs}}[10m])) == 0`,
            for: "5m",
            labels: { severity: "critical" },
            annotations: { summary: "Leaves are being queued but the signer has integrated none for 10 minutes: entries are not becoming part of the log." },
        },
        {
            alert: "TrillianNoSequencerElected",
            expr: `sum(is_master{${inNs}}) < 1`,
            for: "10m",
            labels: { severity: "critical" },
            annotations: { summary: "No log signer holds mastership: nothing is sequenced." },
        },
        {
            alert: "FulcioCaCertificateExpiring",
            expr: `time() > ${caAlertAt}`,
            labels: { severity: "warning" },
            annotations: { summary: `Fulcio's issuing CA certificate expires within ${days} days: rotate it (docs/rotation.md, "Key and CA rotation").` },
        },
    ];
    if (databaseClaim) {
        const claim = `${inNs}, persistentvolumeclaim="${databaseClaim}"`;
        rules.push({
            alert: "TrillianDatabaseDiskFilling",
            expr: `kubelet_volume_stats_available_bytes{${claim}} / kubelet_volume_stats_capacity_bytes{${claim}} < 0.15`,
            for: "15m",
            labels: { severity: "warning" },
            annotations: { summary: 'The Trillian database volume is more than 85% full; the logs only grow (docs/operations.md, "Capacity planning").' },
        });
    }
    if (backup) rules.push(...backupRules(ns, backup));
    if (tsa) rules.push(...tsaRules(ns, days, tsa));
    if (tuf) rules.push(...tufRules(tuf));
    if (rekorV2) rules.push(...rekorV2Rules(ns, rekorV2));
    return rules;
}

/** The active Rekor v2 log to watch: its tile volume's claim, and every log's backup CronJob (backupSchedule). */
export interface RekorV2Watch {
    claim: string;
    backups?: BackupWatch[];
}

/**
 * rekor-tiles v2.3.0's own series (internal/server/metrics.go) and Tessera v1.0.2's (append_lifecycle.go,
 * through the OpenTelemetry Prometheus exporter), checked against the real server's /metrics by
 * e2e/rekor-v2.e2e.ts: server errors, inclusion proofs it failed to build for entries it integrated,
 * recovered panics, integrated entries no published checkpoint covers yet (every write waits for one),
 * and the tile volume filling (the log only grows).
 */
function rekorV2Rules(ns: string, w: RekorV2Watch): Array<Record<string, unknown>> {
    const inNs = `namespace="${ns}"`;
    const claim = `${inNs}, persistentvolumeclaim="${w.claim}"`;
    const runbook = 'docs/operations.md, "Rekor v2"';
    return [
        {
            alert: "RekorV2ServerErrors",
            expr: `sum(rate(rekor_v2_http_requests_total{${inNs}, code=~"5.."}[5m])) > 0`,
            for: "10m",
            labels: { severity: "critical" },
            annotations: { summary: `Rekor v2 answers with server errors: signing fails for every client (${runbook}).` },
        },
        {
            alert: "RekorV2InclusionProofFailures",
            expr: `sum(increase(rekor_v2_inclusion_proof_failure_total{${inNs}}[10m])) > 0`,
            labels: { severity: "critical" },
            annotations: {
                summary: `Rekor v2 integrated entries it could not prove included: check the tile volume for damage before anything else (${runbook}).`,
            },
        },
        {
            alert: "RekorV2PanicsRecovered",
            expr: `sum(increase(rekor_v2_grpc_req_panics_recovered_total{${inNs}}[10m])) > 0`,
            labels: { severity: "warning" },
            annotations: { summary: `Rekor v2 recovered from a panic serving a request: read its log (kubectl logs statefulset/<the log> -c rekor-tiles).` },
        },
        {
            alert: "RekorV2CheckpointBehind",
            expr: `max(tessera_appender_integrated_size{${inNs}}) - max(tessera_appender_signed_size{${inNs}}) > 0`,
            for: "5m",
            labels: { severity: "critical" },
            annotations: {
                summary: `Rekor v2 has integrated entries that no published checkpoint covers for 5 minutes: writes wait for a checkpoint and time out (${runbook}).`,
            },
        },
        {
            alert: "RekorV2VolumeFilling",
            expr: `kubelet_volume_stats_available_bytes{${claim}} / kubelet_volume_stats_capacity_bytes{${claim}} < 0.15`,
            for: "15m",
            labels: { severity: "warning" },
            annotations: { summary: `Rekor v2's tile volume is more than 85% full; the log only grows: grow the volume or rotate to a new log (${runbook}).` },
        },
        ...(w.backups ?? []).flatMap((b) =>
            backupRules(ns, { ...b, what: { subject: `backup of Rekor v2 log ${b.cronJob.replace(/-backup$/, "")}`, runbook: "docs/runbooks/rekor-v2.md" } }),
        ),
    ];
}

/** The TUF roles' current versions and expiry dates, the renewal window, and the stack whose `up` re-signs them. */
export interface TufWatch {
    roles: Array<{ role: TufRoleName; version: number; expires: string }>;
    renewalDays: number;
    stack: string;
}

export function tufWatch(schedule: TufSchedule, renewalDays: number, stack: string): TufWatch {
    const roles = Object.entries(currentRoles(schedule)).map(([role, r]) => ({ role: role as TufRoleName, ...r }));
    return { roles, renewalDays, stack };
}

/**
 * Nothing re-signs the TUF metadata but an `up`, and clients refuse it once expired: each role
 * warns when it enters the renewal window (an `up` now re-signs it) and is critical a day before
 * it expires. The times are constants of this `up`; the next one rewrites them.
 */
function tufRules(t: TufWatch): Array<Record<string, unknown>> {
    return t.roles.flatMap(({ role, version, expires }) => {
        const at = Math.floor(Date.parse(expires) / 1000);
        const fix = `run \`pulumi up -s ${t.stack}\` to re-sign it (docs/tuf.md, "Expiry")`;
        return [
            {
                alert: "TufMetadataExpiring",
                expr: `time() > ${at - t.renewalDays * 86400}`,
                labels: { severity: "warning", role },
                annotations: { summary: `TUF ${role} metadata version ${version} expires at ${expires}: ${fix}.` },
            },
            {
                alert: "TufMetadataExpiringSoon",
                expr: `time() > ${at - 86400}`,
                labels: { severity: "critical", role },
                annotations: {
                    summary: `TUF ${role} metadata version ${version} expires at ${expires}, within a day; after that no client can refresh its trust: ${fix}.`,
                },
            },
        ];
    });
}

/** The timestamp authority to watch; its NTP monitor's errors only when it has NTP servers (the series exists only then). */
export interface TsaWatch {
    ntp: boolean;
}

/**
 * timestamp-server's own series (pkg/api/metrics.go, v2.1.3): the days its chain has left (the
 * shortest-lived certificate), 5xx answers, and the NTP monitor's errors (a drift or too few servers
 * answering: timestamps go on, their time unchecked).
 */
function tsaRules(ns: string, days: number, t: TsaWatch): Array<Record<string, unknown>> {
    const inNs = `namespace="${ns}"`;
    return [
        {
            alert: "TimestampAuthorityCertificateExpiring",
            expr: `min(timestamp_authority_certificate_valid_days_remaining{${inNs}}) < ${days}`,
            labels: { severity: "warning" },
            annotations: {
                summary: `The timestamp authority's chain expires within ${days} days: raise tsaGeneration and \`pulumi up\` (docs/rotation.md, "Timestamp authority").`,
            },
        },
        {
            alert: "TimestampAuthorityFailing",
            expr: `sum(rate(timestamp_authority_http_requests_total{${inNs}, code=~"5.."}[5m])) > 0`,
            for: "10m",
            labels: { severity: "critical" },
            annotations: { summary: "The timestamp authority answers with server errors: signing with the signing config fails." },
        },
        ...(t.ntp
            ? [
                  {
                      alert: "TimestampAuthorityClockUnverified",
                      expr: `sum(increase(timestamp_authority_ntp_errors_total{${inNs}}[15m])) > 0`,
                      for: "15m",
                      labels: { severity: "warning" },
                      annotations: {
                          summary: "The timestamp authority's clock drifts from tsaNtpServers, or too few of them answer: its timestamps' time is unchecked.",
                      },
                  },
              ]
            : []),
    ];
}

/** The backup CronJob to watch, and how old the newest successful backup may get. */
export interface BackupWatch {
    cronJob: string;
    maxAgeHours: number;
    /** What it backs up and where the restore is documented (default: the Trillian database). */
    what?: { subject: string; runbook: string };
}

const databaseBackup = { subject: "Trillian database backup", runbook: "docs/runbooks/backup-restore.md" };

/**
 * From kube-state-metrics' CronJob series: the newest successful backup is too old (or there has
 * never been one since the CronJob was created), or the latest scheduled run has not succeeded.
 */
function backupRules(ns: string, b: BackupWatch): Array<Record<string, unknown>> {
    const sel = `namespace="${ns}", cronjob="${b.cronJob}"`;
    const maxAge = b.maxAgeHours * 3600;
    const what = b.what ?? databaseBackup;
    return [
        {
            alert: "SigstoreBackupTooOld",
            expr:
                `(time() - kube_cronjob_status_last_successful_time{${sel}} > ${maxAge})` +
                ` or (time() - kube_cronjob_created{${sel}} > ${maxAge} unless on(namespace, cronjob) kube_cronjob_status_last_successful_time{${sel}})`,
            for: "10m",
            labels: { severity: "critical" },
            annotations: { summary: `No successful ${what.subject} for more than ${b.maxAgeHours} hours (${what.runbook}).` },
        },
        {
            alert: "SigstoreBackupFailing",
            expr: `kube_cronjob_status_last_schedule_time{${sel}} > on(namespace, cronjob) kube_cronjob_status_last_successful_time{${sel}}`,
            for: "2h",
            labels: { severity: "warning" },
            annotations: { summary: `The latest scheduled backup (CronJob ${b.cronJob}) has not succeeded for 2 hours: kubectl logs job/<its last Job>.` },
        },
    ];
}

export class Monitoring extends pulumi.ComponentResource {
    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:Monitoring", name, {}, opts);
        const meta = (app: string) => ({ namespace: args.namespace, labels: { ...labels(app, "monitoring"), ...args.extraLabels } });

        for (const t of args.targets) {
            new k8s.apiextensions.CustomResource(
                `${name}-${t.service}`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "ServiceMonitor",
                    metadata: meta(t.service),
                    spec: {
                        selector: { matchLabels: { "app.kubernetes.io/name": t.service } },
                        endpoints: [
                            {
                                port: t.port,
                                path: "/metrics",
                                interval: "30s",
                                ...(t.tls
                                    ? {
                                          scheme: "https",
                                          tlsConfig: { ca: { configMap: { name: t.tls.caConfigMapName, key: "ca.crt" } }, serverName: t.tls.serverName },
                                      }
                                    : {}),
                            },
                        ],
                    },
                },
                { parent: this },
            );
        }

        const tuf = args.tuf;
        const tufSchedule = tuf ? pulumi.output(tuf.schedule) : pulumi.output(undefined);
        const rules = pulumi
            .all([args.databaseClaimName, args.fulcioChainPem, tufSchedule, args.rekorV2ClaimName])
            .apply(([claim, chain, schedule, rekorV2Claim]) =>
                alertRules(
                    args.namespaceName,
                    args.targets.map((t) => t.service),
                    claim,
                    caExpiryAlertTime(chain, args.caExpiryWarningDays),
                    args.caExpiryWarningDays,
                    args.backup,
                    args.tsa,
                    tuf && schedule ? tufWatch(schedule, tuf.renewalDays, tuf.stack) : undefined,
                    rekorV2Claim ? { claim: rekorV2Claim, backups: args.rekorV2Backups } : undefined,
                ),
            );
        new k8s.apiextensions.CustomResource(
            `${name}-alerts`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PrometheusRule",
                metadata: meta("sigstore-alerts"),
                spec: { groups: [{ name: "sigstore", rules }] },
            },
            { parent: this },
        );

        this.registerOutputs({});
    }
}
