/**
 * Internal TLS (components/internal-tls.ts): in prod every hop that carries credentials or log data
 * is TLS with the internal CA, each server presenting a certificate for its Service names; in dev
 * (internalTls false) none of it exists. The flags themselves are checked against the real binaries'
 * flag sets by tests/program/container-args.test.ts; the end-to-end suite runs the servers with this
 * configuration.
 */
import * as assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { Evaluation } from "../support/mocks";
import { evaluateStack } from "../support/registrations";

function container(ev: Evaluation, app: string): any {
    const w = ev.cloud.resources.find((r) => r.inputs?.spec?.template?.metadata?.labels?.["app.kubernetes.io/name"] === app);
    assert.ok(w, `no workload ${app}`);
    return w.inputs.spec.template.spec.containers[0];
}

function secretOf(ev: Evaluation, name: string): Record<string, string> {
    const s = ev.cloud.ofType("kubernetes:core/v1:Secret").find((r) => r.state.metadata.name === name);
    assert.ok(s, `no Secret ${name}`);
    return s.inputs.stringData;
}

function mountedSecret(ev: Evaluation, app: string, mountPath: string): Record<string, string> {
    const w = ev.cloud.resources.find((r) => r.inputs?.spec?.template?.metadata?.labels?.["app.kubernetes.io/name"] === app)!;
    const pod = w.inputs.spec.template.spec;
    const mount = pod.containers[0].volumeMounts.find((m: any) => m.mountPath === mountPath);
    assert.ok(mount, `${app} mounts nothing at ${mountPath}`);
    return secretOf(ev, pod.volumes.find((v: any) => v.name === mount.name).secret.secretName);
}

describe("internal TLS", () => {
    let prod: Evaluation;
    let dev: Evaluation;
    before(async () => {
        prod = await evaluateStack("prod");
        dev = await evaluateStack("dev");
    });

    it("each TLS server presents a certificate for its Service names, signed by the internal CA", () => {
        const caPem = prod.cloud.one("tls:index/selfSignedCert:SelfSignedCert", "internal-tls-ca-cert").state.certPem;
        const ca = new X509Certificate(caPem);
        for (const service of ["trillian-log-server", "ctlog", "rekor-redis", "trillian-db"]) {
            const app = service;
            const material = mountedSecret(prod, app, "/etc/sigstore/tls");
            const cert = new X509Certificate(material["tls.crt"]);
            assert.ok(cert.verify(ca.publicKey), `${service}: signed by the internal CA`);
            for (const name of [service, `${service}.sigstore.svc`, `${service}.sigstore.svc.cluster.local`]) {
                assert.ok(cert.checkHost(name), `${service}: certificate names ${name}`);
            }
            assert.equal(material["ca.crt"], caPem);
            assert.ok(material["tls.key"].includes("PRIVATE KEY"));
        }
    });

    it("Trillian serves gRPC and HTTP over TLS, and reaches MySQL over TLS verified as trillian-db.sigstore.svc", () => {
        const server = container(prod, "trillian-log-server");
        for (const flag of ["--tls_cert_file=/etc/sigstore/tls/tls.crt", "--tls_key_file=/etc/sigstore/tls/tls.key"])
            assert.ok(server.args.includes(flag), flag);
        assert.equal(server.readinessProbe.httpGet.scheme, "HTTPS");
        for (const app of ["trillian-log-server", "trillian-log-signer"]) {
            const args: string[] = container(prod, app).args;
            assert.ok(args.includes("--mysql_tls_ca=/etc/sigstore/ca/ca.crt") && args.includes("--mysql_server_name=trillian-db.sigstore.svc"), app);
            // Trillian appends "?tls=custom" itself: a query of ours would break the DSN.
            assert.match(
                args.find((a) => a.startsWith("--mysql_uri="))!,
                /^--mysql_uri=[^?]+$/,
            );
        }
        const mysql = container(prod, "trillian-db");
        for (const flag of [
            "--ssl-ca=/etc/sigstore/tls/ca.crt",
            "--ssl-cert=/etc/sigstore/tls/tls.crt",
            "--ssl-key=/etc/sigstore/tls/tls.key",
            "--require-secure-transport=ON",
        ]) {
            assert.ok(mysql.args.includes(flag), flag);
        }
    });

    it("Rekor trusts the internal CA for Trillian and Redis, and Redis listens on TLS only", () => {
        const rekor = container(prod, "rekor-server");
        assert.ok(rekor.args.includes("--trillian_log_server.tls_ca_cert=/etc/sigstore/ca/ca.crt"));
        assert.ok(rekor.args.includes("--redis_server.enable-tls=true"));
        assert.ok(!rekor.args.some((a: string) => a.startsWith("--redis_server.insecure-skip-verify")), "never skips verification");
        assert.deepEqual(
            rekor.env.find((e: any) => e.name === "SSL_CERT_FILE"),
            { name: "SSL_CERT_FILE", value: "/etc/sigstore/ca/ca.crt" },
        );
        const conf = mountedSecret(prod, "rekor-redis", "/etc/redis")["redis.conf"];
        assert.match(conf, /^port 0$/m);
        assert.match(conf, /^tls-port 6379$/m);
        assert.match(conf, /^tls-cert-file \/etc\/sigstore\/tls\/tls\.crt$/m);
    });

    it("Fulcio submits to the CT log over HTTPS trusting the internal CA; the CT log trusts it for Trillian", () => {
        const fulcio = container(prod, "fulcio-server");
        assert.ok(fulcio.args.includes("--ct-log-url=https://ctlog.sigstore.svc:6962/sigstore"));
        assert.ok(fulcio.args.includes("--ct-log.tls-ca-cert=/etc/sigstore/ca/ca.crt"));
        const ct = container(prod, "ctlog");
        for (const flag of [
            "--tls_certificate=/etc/sigstore/tls/tls.crt",
            "--tls_key=/etc/sigstore/tls/tls.key",
            "--trillian_tls_ca_cert_file=/etc/sigstore/ca/ca.crt",
        ])
            assert.ok(ct.args.includes(flag), flag);
        assert.equal(ct.livenessProbe.httpGet.scheme, "HTTPS");
        const ingress = prod.cloud.one("kubernetes:networking.k8s.io/v1:Ingress", "ctlog-ingress");
        assert.equal(ingress.inputs.metadata.annotations["nginx.ingress.kubernetes.io/backend-protocol"], "HTTPS");
    });

    it("the internal CA is kept in prod and never regenerated by an input change; server certificates renew early", () => {
        const ca = prod.cloud.one("tls:index/selfSignedCert:SelfSignedCert", "internal-tls-ca-cert");
        assert.equal(ca.inputs.isCaCertificate, true);
        const server = prod.cloud.one("tls:index/locallySignedCert:LocallySignedCert", "internal-tls-ctlog-cert");
        assert.deepEqual(server.inputs.allowedUses, ["digital_signature", "key_encipherment", "server_auth"]);
        assert.equal(server.inputs.validityPeriodHours, 8760);
        assert.equal(server.inputs.earlyRenewalHours, 720);
    });

    it("createtree is told where the CA is (the CA ConfigMap), for both trees", () => {
        const caName = prod.cloud.one("kubernetes:core/v1:ConfigMap", "internal-tls-ca").state.metadata.name;
        for (const tree of ["rekor", "ctlog"]) {
            assert.equal(prod.cloud.one("command:local:Command", `trillian-createtree-${tree}`).inputs.environment.TRILLIAN_CA_CONFIGMAP, caName);
        }
        assert.equal(dev.cloud.one("command:local:Command", "trillian-createtree-rekor").inputs.environment.TRILLIAN_CA_CONFIGMAP, undefined);
    });

    it("dev (internalTls false) has none of it", () => {
        assert.equal(dev.cloud.resources.filter((r) => r.name.startsWith("internal-tls")).length, 0);
        assert.ok(container(dev, "fulcio-server").args.includes("--ct-log-url=http://ctlog.sigstore.svc:6962/sigstore"));
        assert.ok(container(dev, "trillian-log-server").args.every((a: string) => !a.startsWith("--tls_")));
    });
});
