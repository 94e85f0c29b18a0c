/**
 * Monitoring (components/monitoring.ts): in prod a ServiceMonitor per server (HTTPS with the internal
 * CA for Trillian's log server) and the alert rules, built from the deployed CA and volume; none in
 * dev. The metric names are checked against the running servers by the end-to-end suite.
 */
import * as assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { caExpiryAlertTime } from "../../components/monitoring";
import { Evaluation } from "../support/mocks";
import { evaluateRecorded, evaluateStack } from "../support/registrations";

describe("monitoring", () => {
    let prod: Evaluation;
    let dev: Evaluation;
    before(async () => {
        prod = await evaluateStack("prod");
        dev = await evaluateStack("dev");
    });

    const monitors = (ev: Evaluation) => ev.cloud.ofType("kubernetes:monitoring.coreos.com/v1:ServiceMonitor");

    it("prod has a ServiceMonitor per server, labelled for its Prometheus (monitoringLabels), on the named metrics ports", () => {
        const byService = Object.fromEntries(monitors(prod).map((m) => [m.inputs.spec.selector.matchLabels["app.kubernetes.io/name"], m.inputs]));
        assert.deepEqual(Object.keys(byService).sort(), ["ctlog", "fulcio-server", "rekor-server", "trillian-log-server", "trillian-log-signer", "tsa-server"]);
        for (const m of Object.values<any>(byService)) assert.equal(m.metadata.labels.release, "prometheus");
        assert.equal(byService["fulcio-server"].spec.endpoints[0].port, "metrics");
        // Under internal TLS the log server's HTTP endpoint is HTTPS: scraped with the internal CA, verified by name.
        const trillian = byService["trillian-log-server"].spec.endpoints[0];
        assert.equal(trillian.scheme, "https");
        assert.equal(trillian.tlsConfig.serverName, "trillian-log-server.sigstore.svc");
        assert.equal(trillian.tlsConfig.ca.configMap.name, prod.cloud.one("kubernetes:core/v1:ConfigMap", "internal-tls-ca").state.metadata.name);
        // Every port a ServiceMonitor names exists on the Service it selects.
        for (const [service, m] of Object.entries<any>(byService)) {
            const svc = prod.cloud.ofType("kubernetes:core/v1:Service").find((s) => s.inputs.metadata.name === service)!;
            assert.ok(
                svc.inputs.spec.ports.some((p: any) => p.name === m.spec.endpoints[0].port),
                `${service} has no port ${m.spec.endpoints[0].port}`,
            );
        }
    });

    it("the alert rules watch the servers, the sequencer, the database volume, the CA's expiry and the backups", () => {
        const rule = prod.cloud.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-alerts").inputs;
        const rules = rule.spec.groups[0].rules;
        assert.deepEqual(rules.map((r: any) => r.alert).sort(), [
            "FulcioCaCertificateExpiring",
            "SigstoreBackupFailing",
            "SigstoreBackupTooOld",
            "SigstoreServerDown",
            "TimestampAuthorityCertificateExpiring",
            "TimestampAuthorityFailing",
            "TrillianDatabaseDiskFilling",
            "TrillianNoSequencerElected",
            "TrillianSignerNotSequencing",
            ...Array(4).fill("TufMetadataExpiring"),
            ...Array(4).fill("TufMetadataExpiringSoon"),
        ]);
        // The backup alerts watch the CronJob the program creates, with backupMaxAgeHours (36 h by default).
        const cronJob = prod.cloud.ofType("kubernetes:batch/v1:CronJob")[0].inputs.metadata.name;
        const tooOld = rules.find((r: any) => r.alert === "SigstoreBackupTooOld").expr;
        assert.ok(tooOld.includes(`cronjob="${cronJob}"`) && tooOld.includes(`> ${36 * 3600}`), tooOld);
        assert.ok(rules.find((r: any) => r.alert === "SigstoreBackupFailing").expr.includes(`cronjob="${cronJob}"`));
        const pvc = prod.cloud.ofType("kubernetes:core/v1:PersistentVolumeClaim").find((p) => p.name === "database-data")!.state.metadata.name;
        assert.ok(rules.find((r: any) => r.alert === "TrillianDatabaseDiskFilling").expr.includes(`persistentvolumeclaim="${pvc}"`));
        const chain = prod.outputs.fulcioCertChainPem;
        const at = caExpiryAlertTime(chain, 90);
        assert.equal(rules.find((r: any) => r.alert === "FulcioCaCertificateExpiring").expr, `time() > ${at}`);
        assert.equal(at, Math.floor(new Date(new X509Certificate(chain).validTo).getTime() / 1000) - 90 * 86400);
    });

    it("the timestamp authority's alerts read its own series: days its chain has left (against caExpiryWarningDays) and 5xx answers; its clock only with NTP servers", async () => {
        const rules = prod.cloud.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-alerts").inputs.spec.groups[0].rules;
        const expr = (alert: string) => rules.find((r: any) => r.alert === alert)?.expr;
        assert.equal(expr("TimestampAuthorityCertificateExpiring"), 'min(timestamp_authority_certificate_valid_days_remaining{namespace="sigstore"}) < 90');
        assert.match(expr("TimestampAuthorityFailing"), /timestamp_authority_http_requests_total\{namespace="sigstore", code=~"5\.\."\}/);
        assert.equal(expr("TimestampAuthorityClockUnverified"), undefined, "NTP monitoring is off in prod: the series never exists");
        const withNtp = await evaluateRecorded({
            stack: "prod",
            overrides: { tsaNtpServers: "ntp1.corp.example,ntp2.corp.example", tsaNtpEgressCidrs: "10.0.0.123/31" },
        });
        const ntpRules = withNtp.cloud.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-alerts").inputs.spec.groups[0].rules;
        assert.match(ntpRules.find((r: any) => r.alert === "TimestampAuthorityClockUnverified").expr, /timestamp_authority_ntp_errors_total/);
    });

    it("dev (monitoring false) creates none of it", () => {
        assert.equal(monitors(dev).length, 0);
        assert.equal(dev.cloud.ofType("kubernetes:monitoring.coreos.com/v1:PrometheusRule").length, 0);
    });
});
