/**
 * The whole program (index.ts) under Pulumi's mocks: what is left here until it moves to tests/components/
 * (the stack-wide concerns are in tests/program/).
 */
import * as assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { keep } from "../components/kube";
import { parseCreatetreeOutput } from "../lib/tree-id";
import { upstreamImages } from "../versions";
import { Evaluation, RegisteredResource } from "./support/mocks";
import { kubeObjects, modelFor, workloadOf } from "./support/program";
import { evaluateRecorded, evaluateStack, Registration, registrations } from "./support/registrations";
import * as YAML from "yaml";
import { dexOverrides, directoryCaPem, ldapBindPassword } from "./support/dex-stack";

// ---- helpers over a recorded evaluation ----

function byMetadataName(ev: Evaluation, type: string, name: string): RegisteredResource {
    const found = ev.cloud.resources.filter((r) => r.type === type && r.inputs?.metadata?.name === name);
    assert.equal(found.length, 1, `expected one ${type} with metadata.name ${name}`);
    return found[0];
}

// ---- the per-stack suite ----

for (const stack of ["dev", "prod"] as const) {
    describe(`program (${stack} stack)`, () => {
        let ev: Evaluation;
        let regs: Registration[];
        const prod = stack === "prod";

        before(async () => {
            ev = await evaluateStack(stack);
            regs = registrations(ev.cloud);
        });

        it("passes the Trillian tuning explicitly: sequencing to the signer, the MySQL pool to both servers", () => {
            const argsOf = (image: string) => workloadOf(ev, image).container.args as string[];
            const pool = ["--mysql_max_conns=0", "--mysql_max_idle_conns=-1"];
            for (const a of [...pool, "--sequencer_interval=100ms", "--batch_size=1000", "--num_sequencers=10"]) {
                assert.ok(argsOf(upstreamImages.trillianLogSigner).includes(a), `signer lacks ${a}`);
            }
            for (const a of pool) assert.ok(argsOf(upstreamImages.trillianLogServer).includes(a), `log server lacks ${a}`);
            assert.ok(!argsOf(upstreamImages.trillianLogServer).some((a) => a.startsWith("--sequencer_interval")), "the log server does not sequence");
        });

        for (const tree of ["rekor", "ctlog"] as const) {
            it(`the ${tree} tree ConfigMap's data.treeID is the parsed stdout of its createtree Command`, () => {
                const command = ev.cloud.one("command:local:Command", `trillian-createtree-${tree}`);
                const configMap = byMetadataName(ev, "kubernetes:core/v1:ConfigMap", `trillian-tree-${tree}`);
                const id = parseCreatetreeOutput(command.state.stdout, tree);
                assert.equal(configMap.inputs.data.treeID, id);
                assert.equal(ev.outputs[`${tree}TreeId`], id);
                assert.deepEqual(command.inputs.interpreter, ["/bin/bash", "-c"]);
                assert.equal(command.inputs.environment.TREE_CONFIGMAP, `trillian-tree-${tree}`, "the script checks the same ConfigMap the program writes");
                assert.equal(command.inputs.environment.NAMESPACE, ev.outputs.namespaceName);
            });
        }

        it("the createtree Commands run after the log server, its Service and the signer exist", () => {
            const urnOf = (type: string, predicate: (r: RegisteredResource) => boolean) => {
                const resource = ev.cloud.resources.find((r) => r.type === type && predicate(r));
                assert.ok(resource, `no ${type} found`);
                return regs.find((r) => r.type === type && r.name === resource.name)!.urn;
            };
            const server = workloadOf(ev, upstreamImages.trillianLogServer).resource.name;
            const signer = workloadOf(ev, upstreamImages.trillianLogSigner).resource.name;
            const needed = {
                "log server Deployment": urnOf("kubernetes:apps/v1:Deployment", (r) => r.name === server),
                "log signer Deployment": urnOf("kubernetes:apps/v1:Deployment", (r) => r.name === signer),
                "log server Service (what port-forward / the createtree pod connect to)": urnOf("kubernetes:core/v1:Service", (r) => r.inputs.metadata?.name === "trillian-log-server"),
            };
            for (const tree of ["rekor", "ctlog"]) {
                const command = regs.find((r) => r.type === "command:local:Command" && r.name === `trillian-createtree-${tree}`)!;
                for (const [what, urn] of Object.entries(needed)) {
                    assert.ok(command.dependencies.includes(urn), `createtree-${tree} does not depend on the ${what} (${urn}); dependencies: ${command.dependencies.join(", ")}`);
                }
            }
        });

        it("Rekor reads its tree ID from the rekor tree ConfigMap and carries it as a pod annotation", () => {
            const { resource, container } = workloadOf(ev, upstreamImages.rekor);
            const treeId = ev.outputs.rekorTreeId;
            const treeEnv = (container.env ?? []).find((e: any) => e.name === "TREE_ID");
            assert.deepEqual(treeEnv, { name: "TREE_ID", valueFrom: { configMapKeyRef: { name: "trillian-tree-rekor", key: "treeID" } } });
            assert.ok(container.args.includes("--trillian_log_server.tlog_id=$(TREE_ID)"));
            assert.equal(resource.inputs.spec.template.metadata.annotations["sigstore.dev/tree-id"], treeId);
            assert.notEqual(treeId, ev.outputs.ctlogTreeId, "each log has its own tree");
        });

        it("the CT log config Secret's config.textproto carries log_id: <ctlog tree id> and the Trillian backend", () => {
            const configs = ev.cloud.ofType("kubernetes:core/v1:Secret").filter((s) => s.inputs.stringData?.["config.textproto"]);
            assert.equal(configs.length, 1);
            const text: string = configs[0].inputs.stringData["config.textproto"];
            const logIds = [...text.matchAll(/^\s*log_id: (\S+)$/gm)].map((m) => m[1]);
            assert.deepEqual(logIds, [ev.outputs.ctlogTreeId]);
            assert.match(text, new RegExp(`backend_spec: "${ev.outputs.internalUrls.trillian.replace(/\./g, "\\.")}"`));
            assert.match(text, /prefix: "sigstore"/);
            assert.ok(configs[0].inputs.stringData["key.pem"], "the key the config names is in the same Secret");
            const { resource } = workloadOf(ev, upstreamImages.ctlog);
            assert.equal(resource.inputs.spec.template.metadata.annotations["sigstore.dev/tree-id"], ev.outputs.ctlogTreeId, "a new tree rolls the CT log pods");
        });

        if (prod) {
            it("prod: two signers elect one sequencer through Kubernetes leases", () => {
                const { resource, container } = workloadOf(ev, upstreamImages.trillianLogSigner);
                assert.equal(resource.inputs.spec.replicas, 2);
                assert.ok(container.args.includes("--election_system=k8s"));
                assert.ok(container.args.includes("--lock_namespace=sigstore"));
                assert.ok(container.args.includes("--lock_holder_identity=$(POD_NAME)"));
                assert.ok(!container.args.some((a: string) => a.startsWith("--force_master")), "no force_master with several signers");
                assert.deepEqual(container.env.find((e: any) => e.name === "POD_NAME"), { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });

                const pod = resource.inputs.spec.template.spec;
                const accounts = ev.cloud.ofType("kubernetes:core/v1:ServiceAccount");
                assert.equal(accounts.length, 1);
                assert.equal(pod.serviceAccountName, accounts[0].state.metadata.name);
                assert.equal(pod.automountServiceAccountToken, true, "the election client needs the token");

                const roles = ev.cloud.ofType("kubernetes:rbac.authorization.k8s.io/v1:Role");
                assert.equal(roles.length, 1);
                const leaseRule = roles[0].inputs.rules.find((rule: any) => rule.apiGroups.includes("coordination.k8s.io") && rule.resources.includes("leases"));
                assert.ok(leaseRule, "a Role rule on coordination.k8s.io leases");
                for (const verb of ["get", "create", "update"]) assert.ok(leaseRule.verbs.includes(verb), `leases ${verb}`);
                const bindings = ev.cloud.ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding");
                assert.equal(bindings.length, 1);
                assert.deepEqual(bindings[0].inputs.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: roles[0].state.metadata.name });
                assert.deepEqual(bindings[0].inputs.subjects, [{ kind: "ServiceAccount", name: accounts[0].state.metadata.name, namespace: "sigstore" }]);
            });

        } else {
            it("dev: one signer with --force_master=true and a Recreate strategy", () => {
                const { resource, container } = workloadOf(ev, upstreamImages.trillianLogSigner);
                assert.equal(resource.inputs.spec.replicas, 1);
                assert.ok(container.args.includes("--force_master=true"));
                assert.ok(!container.args.some((a: string) => a.startsWith("--election_system")));
                assert.deepEqual(resource.inputs.spec.strategy, { type: "Recreate" }, "a rolling update would briefly run two masters");
                assert.equal(ev.cloud.ofType("kubernetes:rbac.authorization.k8s.io/v1:Role").length, 0);
                assert.equal(ev.cloud.ofType("kubernetes:networking.k8s.io/v1:Ingress").length, 0, "no ingressClassName: no Ingress");
            });
        }
    });
}

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
        assert.deepEqual(container.env, [{ name: "DEX_EXPAND_ENV", value: "false" }, { name: "DEX_CONTINUE_ON_CONNECTOR_FAILURE", value: "false" }]);
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
        assert.deepEqual(holders.map((r) => `${r.type} ${r.name}`), ["kubernetes:core/v1:Secret dex-config"]);
        const reg = registrations(ev.cloud).find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === "dex-config")!;
        assert.ok(reg.secretInputPaths.some((p) => p.startsWith(".stringData")), "the config is a secret input");
        assert.ok(!JSON.stringify(ev.outputs).includes(ldapBindPassword));
    });

    it("Dex may reach the directory (ldapEgressCidrs, port 636) and be reached by the ingress controller and Prometheus, nothing else", () => {
        const policy = ev.cloud.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((r) => r.name === "network-dex")!;
        const egress = policy.inputs.spec.egress.map((e: any) => JSON.stringify([e.to, e.ports]));
        assert.ok(egress.includes(JSON.stringify([[{ ipBlock: { cidr: "10.20.30.41/32" } }], [{ port: 636, protocol: "TCP" }]])), egress.join("\n"));
        assert.deepEqual(policy.inputs.spec.ingress.map((i: any) => i.ports[0].port).sort(), [5556, 5558]);
    });
});

describe("program: policyControllerResources (the verification policy applied as policy-controller objects)", () => {
    let ev: Evaluation;
    before(async () => {
        ev = await evaluateRecorded({ stack: "prod", overrides: { policyControllerResources: "true" } });
    });

    it("creates the output's TrustRoot, then the ClusterImagePolicy that names it, cluster-scoped and unchanged", () => {
        const objects = ev.cloud.resources.filter((r) => r.type.startsWith("kubernetes:policy.sigstore.dev/"));
        assert.deepEqual(objects.map((r) => r.type).sort(), ["kubernetes:policy.sigstore.dev/v1alpha1:ClusterImagePolicy", "kubernetes:policy.sigstore.dev/v1alpha1:TrustRoot"]);
        const policy = ev.outputs.verificationPolicy;
        for (const [r, expected] of [[objects.find((o) => o.type.endsWith(":TrustRoot"))!, policy.trustRoot], [objects.find((o) => o.type.endsWith(":ClusterImagePolicy"))!, policy.clusterImagePolicy]]) {
            assert.equal(r.inputs.metadata.name, expected.metadata.name);
            assert.equal(r.inputs.metadata.namespace, undefined, "cluster-scoped");
            assert.deepEqual(r.inputs.spec, expected.spec);
        }
        const cip = registrations(ev.cloud).find((r) => r.type.endsWith(":ClusterImagePolicy"))!;
        const trustRootUrn = registrations(ev.cloud).find((r) => r.type.endsWith(":TrustRoot"))!.urn;
        assert.ok(cip.dependencies.includes(trustRootUrn), "the policy is created after its TrustRoot");
        assert.equal(ev.cloud.ofType("sigstore:index:AdmissionPolicy").length, 1);
    });

    it("are absent by default (the documents stay in the verificationPolicy output)", async () => {
        const prod = await evaluateStack("prod");
        assert.equal(prod.cloud.resources.filter((r) => r.type.startsWith("kubernetes:policy.sigstore.dev/")).length, 0);
    });
});

describe("program: external database", () => {
    const password = "Ext3rnalDbPassw0rdForTests";
    let ev: Evaluation;
    before(async () => {
        ev = await evaluateRecorded({ stack: "dev", overrides: { databaseMode: "external", databaseHost: "mysql.corp.example", databasePort: "3307", databasePassword: password, databaseEgressCidrs: "10.20.30.40/32" } });
    });

    it("runs no in-cluster database and loads the schema with a valid Job", () => {
        assert.equal(ev.cloud.ofType("kubernetes:apps/v1:StatefulSet").length, 0);
        assert.ok(!ev.cloud.ofType("kubernetes:core/v1:PersistentVolumeClaim").some((p) => p.name.startsWith("database-")));
        const jobs = ev.cloud.ofType("kubernetes:batch/v1:Job");
        assert.equal(jobs.length, 1);
        new (modelFor(jobs[0].type))(jobs[0].inputs).validate();
        const env = jobs[0].inputs.spec.template.spec.containers[0].env;
        assert.ok(env.some((e: any) => e.name === "MYSQL_PWD" && e.valueFrom?.secretKeyRef), "the password reaches mysql from the Secret");
    });

    it("points Trillian at the external host and port", () => {
        for (const image of [upstreamImages.trillianLogServer, upstreamImages.trillianLogSigner]) {
            const { container } = workloadOf(ev, image);
            assert.ok(container.args.includes("--mysql_uri=trillian:$(DB_PASSWORD)@tcp(mysql.corp.example:3307)/trillian?parseTime=true"), container.args.join(" "));
        }
    });

    it("the configured password is only in the credentials Secret, as a secret", () => {
        const holders = ev.cloud.resources.filter((r) => JSON.stringify(r.inputs).includes(password));
        assert.deepEqual(holders.map((r) => r.type), ["kubernetes:core/v1:Secret"]);
        const reg = registrations(ev.cloud).find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === holders[0].name)!;
        assert.ok(reg.secretInputPaths.some((p) => p.startsWith(".stringData")));
        assert.ok(!JSON.stringify(ev.outputs).includes(password));
    });
});

describe("program: keep() (components/kube.ts)", () => {
    it("protects and retains when protectData is true, keeping other options", () => {
        const opts = keep(true, { ignoreChanges: ["spec"] });
        assert.equal(opts.protect, true);
        assert.equal(opts.retainOnDelete, true);
        assert.deepEqual(opts.ignoreChanges, ["spec"]);
    });

    it("adds nothing when protectData is false", () => {
        assert.deepEqual(keep(false), {});
        assert.deepEqual(keep(false, { ignoreChanges: ["spec"] }), { ignoreChanges: ["spec"] });
        assert.ok(isDeepStrictEqual(keep(false, {}), {}));
    });
});
