/**
 * The bundled Dex (components/dex.ts, identityProvider dex) in the whole program under Pulumi's mocks:
 * valid objects, the pinned image, the issuer everything uses, who may log in, the bind password only
 * in its Secret, and its network edges.
 */
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { upstreamImages } from "../../versions";
import { dexOverrides, directoryCaPem, ldapBindPassword } from "../support/dex-stack";
import { Evaluation } from "../support/mocks";
import { kubeObjects, modelFor, workloadOf } from "../support/program";
import { evaluateRecorded, registrations } from "../support/registrations";

describe("program: identityProvider dex (the bundled Dex in front of the directory)", () => {
    let ev: Evaluation;
    let dexConfig: any;
    before(async () => {
        ev = await evaluateRecorded({ stack: "prod", overrides: dexOverrides });
        const secrets = ev.cloud.ofType("kubernetes:core/v1:Secret").filter((r) => r.name === "dex-config");
        assert.equal(secrets.length, 1);
        dexConfig = YAML.parse(secrets[0].inputs.stringData["config.yaml"]);
    });

    it("every Kubernetes object passes its schema, and Dex is a component of its own", () => {
        for (const r of kubeObjects(ev).filter((o) => !o.type.startsWith("pulumi:"))) {
            new (modelFor(r.type))(r.inputs).validate();
        }
        assert.ok(kubeObjects(ev).length >= 40);
        assert.equal(ev.cloud.ofType("sigstore:index:Dex").length, 1);
    });

    it("Dex runs the pinned image, as its image's user, with its config from the Secret and health on its telemetry (metrics) port", () => {
        const { resource, container } = workloadOf(ev, upstreamImages.dex);
        assert.equal(container.image, upstreamImages.dex);
        assert.deepEqual([...container.command, ...container.args], ["/usr/local/bin/dex", "serve", "/etc/dex/config.yaml"]);
        assert.deepEqual(container.env, [
            { name: "DEX_EXPAND_ENV", value: "false" },
            { name: "DEX_CONTINUE_ON_CONNECTOR_FAILURE", value: "false" },
        ]);
        assert.equal(container.securityContext.runAsUser, 1001);
        assert.equal(container.securityContext.readOnlyRootFilesystem, true);
        assert.equal(container.readinessProbe.httpGet.port, "metrics");
        const pod = resource.inputs.spec.template.spec;
        const configVolume = pod.volumes.find((v: any) => v.name === "config");
        assert.equal(configVolume.secret.secretName, ev.cloud.ofType("kubernetes:core/v1:Secret").find((r) => r.name === "dex-config")!.state.metadata.name);
        assert.equal(resource.inputs.spec.replicas, 1, "memory storage: one replica");
        assert.ok(ev.outputs.imageList.includes(upstreamImages.dex));
    });

    it("the issuer is https://oidc.<publicDomain>: Dex's, Fulcio's, the signing config's and the verification policy's", () => {
        const issuer = "https://oidc.sigstore.corp.example";
        assert.equal(dexConfig.issuer, issuer);
        const fulcioConfig = ev.cloud.ofType("kubernetes:core/v1:ConfigMap").find((r) => r.name === "fulcio-config")!;
        assert.deepEqual(Object.keys(JSON.parse(fulcioConfig.inputs.data["config.json"]).OIDCIssuers), [issuer]);
        assert.equal(ev.outputs.urls.oidcIssuer, issuer);
        assert.equal(ev.outputs.verificationPolicy.issuer, issuer);
        assert.ok(JSON.parse(ev.outputs.signingConfig).oidcUrls.some((u: any) => u.url === issuer));
        const ingress = ev.cloud.ofType("kubernetes:networking.k8s.io/v1:Ingress").find((r) => r.name === "dex-ingress")!;
        assert.equal(ingress.inputs.spec.rules[0].host, "oidc.sigstore.corp.example");
        assert.equal(ingress.inputs.metadata.annotations["cert-manager.io/cluster-issuer"], "corp-ca");
    });

    it("only the directory's users in emailDomain and the signer group can log in; the client is cosign's, public", () => {
        assert.equal(dexConfig.enablePasswordDB, false);
        assert.deepEqual(dexConfig.staticClients, [{ id: "sigstore", name: "Sigstore signing", public: true }]);
        assert.deepEqual(dexConfig.oauth2, { responseTypes: ["code"], skipApprovalScreen: true });
        assert.equal(dexConfig.connectors.length, 1);
        const ldap = dexConfig.connectors[0].config;
        assert.equal(ldap.host, "ldap.corp.example:636");
        assert.deepEqual([ldap.insecureNoSSL, ldap.insecureSkipVerify, ldap.startTLS], [false, false, false]);
        assert.equal(Buffer.from(ldap.rootCAData, "base64").toString(), directoryCaPem);
        assert.equal(ldap.userSearch.filter, "(&(objectClass=person)(mail=*@corp.example)(memberOf=cn=signers,ou=groups,dc=corp,dc=example))");
        assert.deepEqual(ldap.groupSearch.userMatchers, [{ userAttr: "DN", groupAttr: "member" }]);
    });

    it("the bind password is only in Dex's config Secret, as a secret, and never in an output", () => {
        assert.equal(dexConfig.connectors[0].config.bindPW, ldapBindPassword);
        const holders = ev.cloud.resources.filter((r) => JSON.stringify(r.inputs).includes(ldapBindPassword));
        assert.deepEqual(
            holders.map((r) => `${r.type} ${r.name}`),
            ["kubernetes:core/v1:Secret dex-config"],
        );
        const reg = registrations(ev.cloud).find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === "dex-config")!;
        assert.ok(
            reg.secretInputPaths.some((p) => p.startsWith(".stringData")),
            "the config is a secret input",
        );
        assert.ok(!JSON.stringify(ev.outputs).includes(ldapBindPassword));
    });

    it("Dex may reach the directory (ldapEgressCidrs, port 636) and be reached by the ingress controller and Prometheus, nothing else", () => {
        const policy = ev.cloud.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((r) => r.name === "network-dex")!;
        const egress = policy.inputs.spec.egress.map((e: any) => JSON.stringify([e.to, e.ports]));
        assert.ok(egress.includes(JSON.stringify([[{ ipBlock: { cidr: "10.20.30.41/32" } }], [{ port: 636, protocol: "TCP" }]])), egress.join("\n"));
        assert.deepEqual(policy.inputs.spec.ingress.map((i: any) => i.ports[0].port).sort(), [5556, 5558]);
    });
});
