/**
 * Network isolation, checked against what the containers really dial. The edges are derived here,
 * independently of components/network.ts, from the rendered objects: every host:port in a
 * container's flags, its mounted config files (Fulcio's issuer file, the CT log's backend) and its
 * environment, resolved through the Services to the pods' container ports; plus who reaches the
 * public servers (the exported internal URLs behind the public ones), who scrapes metrics ports, and
 * DNS for every pod that dials a name. The NetworkPolicies are read back into the same tuples. Every
 * derived edge must be allowed on both ends (egress of the client, ingress of the server) and every
 * allowed tuple must be a derived edge: nothing missing, nothing more.
 */
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { parseCidrs, parseLabelSelector, parsePorts } from "../../config";
import { podTemplateOf } from "../../policy/rules";
import { Evaluation, RegisteredResource, stackConfig } from "../support/mocks";
import { dexOverrides } from "../support/dex-stack";
import { evaluateRecorded, evaluateStack } from "../support/registrations";

const appLabel = "app.kubernetes.io/name";
const policyType = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** One allowed direction of traffic: egress of `app`, or ingress into `app`, with a peer and a port. */
type Tuple = string;
const egress = (app: string, peer: string, port: string): Tuple => `egress ${app} -> ${peer} ${port}`;
const ingress = (app: string, peer: string, port: string): Tuple => `ingress ${app} <- ${peer} ${port}`;
const appPeer = (app: string) => `app:${app}`;
const selectorPeer = (ns: Record<string, string>, pod: Record<string, string>) => `selector:${JSON.stringify(sorted(ns))}/${JSON.stringify(sorted(pod))}`;
const cidrPeer = (cidr: string) => `cidr:${cidr}`;

function sorted(o: Record<string, string> = {}): Record<string, string> {
    return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

interface Workload {
    app: string;
    pod: any;
}

/** Every workload's pods (CronJobs included), read as the policy pack reads them. */
function workloads(ev: Evaluation): Workload[] {
    return ev.cloud.resources
        .map((r) => podTemplateOf(r.type, r.inputs))
        .filter((template): template is Record<string, any> => template?.spec !== undefined)
        .map((template) => ({ app: template.metadata.labels[appLabel], pod: template.spec }));
}

/** The object (ConfigMap or Secret) a pod volume refers to, by its (possibly auto-generated) name. */
function volumeSource(ev: Evaluation, volume: any): Record<string, string> {
    const [type, name] = volume.configMap ? ["kubernetes:core/v1:ConfigMap", volume.configMap.name] : ["kubernetes:core/v1:Secret", volume.secret?.secretName];
    const found = ev.cloud.ofType(type).find((r: RegisteredResource) => r.state.metadata?.name === name);
    return found ? { ...(found.inputs.data ?? {}), ...(found.inputs.stringData ?? {}) } : {};
}

/** The text of every file a container mounts from a ConfigMap or Secret. */
function mountedFiles(ev: Evaluation, w: Workload, c: any): string[] {
    return (c.volumeMounts ?? [])
        .flatMap((mount: any) =>
            Object.values(
                volumeSource(
                    ev,
                    w.pod.volumes.find((v: any) => v.name === mount.name),
                ),
            ),
        )
        .filter((content: unknown): content is string => typeof content === "string");
}

interface Dial {
    host: string;
    port: number;
}

function flag(args: string[], name: string): string | undefined {
    const a = args.find((x) => x.startsWith(`--${name}=`));
    return a?.slice(name.length + 3);
}

function urlDial(url: string): Dial {
    const u = new URL(url);
    return { host: u.hostname, port: Number(u.port || (u.protocol === "https:" ? 443 : 80)) };
}

/** Every host:port a workload's container dials, read from its flags, env and mounted files. */
function dials(ev: Evaluation, w: Workload): Array<Dial | "kubernetes-api"> {
    const out: Array<Dial | "kubernetes-api"> = [];
    for (const c of w.pod.containers) {
        const args: string[] = [...(c.command ?? []), ...(c.args ?? [])];
        const env = Object.fromEntries((c.env ?? []).filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
        const mysql = flag(args, "mysql_uri")?.match(/@tcp\(([^:)]+):(\d+)\)/);
        if (mysql) out.push({ host: mysql[1], port: Number(mysql[2]) });
        const pg = flag(args, "postgresql_uri");
        if (pg) out.push(urlDial(pg.replace("$(DB_PASSWORD)", "x")));
        if (flag(args, "election_system") === "k8s") out.push("kubernetes-api");
        for (const prefix of ["trillian_log_server", "redis_server"]) {
            const host = flag(args, `${prefix}.address`);
            if (host) out.push({ host, port: Number(flag(args, `${prefix}.port`)) });
        }
        const ct = flag(args, "ct-log-url");
        if (ct) out.push(urlDial(ct));
        if (env.DB_HOST) out.push({ host: env.DB_HOST, port: Number(env.DB_PORT) });
        // Files the container reads: Fulcio's issuers, the CT log's Trillian backends.
        for (const content of mountedFiles(ev, w, c)) {
            if (content.trimStart().startsWith("{") && content.includes("OIDCIssuers")) {
                for (const issuer of Object.values<any>(JSON.parse(content).OIDCIssuers)) out.push(urlDial(issuer.IssuerURL));
            }
            for (const m of content.matchAll(/backend_spec:\s*"([^"]+):(\d+)"/g)) out.push({ host: m[1], port: Number(m[2]) });
            for (const connector of dexConfig(content)?.connectors ?? []) {
                const [host, port] = String(connector.config.host).split(":");
                out.push({ host, port: Number(port) });
            }
        }
    }
    return out;
}

/** A mounted file that is a Dex config (YAML with an issuer, web listeners and connectors), parsed. */
function dexConfig(content: string): any {
    if (!/^issuer:/m.test(content) || !/^connectors:/m.test(content)) return undefined;
    return YAML.parse(content);
}

/** The container port a Dex serves its issuer on (web.http): what the ingress controller reaches. */
function dexIssuerPorts(ev: Evaluation): Array<{ app: string; port: number }> {
    return workloads(ev).flatMap((w) =>
        w.pod.containers.flatMap((c: any) =>
            mountedFiles(ev, w, c)
                .map(dexConfig)
                .filter((d) => d)
                .map((d) => ({ app: w.app, port: Number(String(d.web.http).split(":").pop()) })),
        ),
    );
}

interface Context {
    ev: Evaluation;
    namespace: string;
    config: Record<string, string>;
}

/** A Service host (`svc`, `svc.ns.svc`, `svc.ns.svc.cluster.local`) → the app behind it and the pods' port. */
function resolveService(ctx: Context, dial: Dial): { app: string; port: number } | undefined {
    const name = dial.host.split(".")[0];
    const rest = dial.host.slice(name.length);
    if (![``, `.${ctx.namespace}.svc`, `.${ctx.namespace}.svc.cluster.local`].includes(rest)) return undefined;
    const service = ctx.ev.cloud.ofType("kubernetes:core/v1:Service").find((s) => s.inputs.metadata.name === name);
    if (!service) return undefined;
    const app = service.inputs.spec.selector[appLabel];
    const servicePort = service.inputs.spec.ports.find((p: any) => p.port === dial.port);
    assert.ok(servicePort, `Service ${name} has no port ${dial.port}`);
    const pod = workloads(ctx.ev).find((w) => w.app === app);
    assert.ok(pod, `no workload for Service ${name}`);
    const containerPort = pod.pod.containers
        .flatMap((c: any) => c.ports ?? [])
        .find((p: any) => p.name === servicePort.targetPort || p.containerPort === servicePort.targetPort);
    assert.ok(containerPort, `Service ${name} port ${dial.port} targets no container port`);
    return { app, port: containerPort.containerPort };
}

const key = (name: string, ctx: Context) => ctx.config[`sigstore:${name}`];

/** External destinations: the configured CIDRs where the host named in config lives. */
function externalCidrs(ctx: Context, dial: Dial): string[] {
    if (dial.host === new URL(ctx.ev.outputs.urls.oidcIssuer).hostname) return parseCidrs(key("oidcEgressCidrs", ctx))!;
    if (dial.host === key("databaseHost", ctx)) return parseCidrs(key("databaseEgressCidrs", ctx))!;
    if (dial.host === key("ldapHost", ctx)) return parseCidrs(key("ldapEgressCidrs", ctx))!;
    throw new Error(`${dial.host}:${dial.port} is neither a Service of the namespace nor a host configured with its CIDRs`);
}

/** Every allowed tuple the deployment needs, derived from what it dials and serves. */
function derivedTuples(ctx: Context, extraDialers: Array<{ app: string; dial: Dial }>): Set<Tuple> {
    const tuples = new Set<Tuple>();
    const tcp = (port: number) => `TCP/${port}`;
    const dialing = new Set<string>();
    const all = [...workloads(ctx.ev).flatMap((w) => dials(ctx.ev, w).map((dial) => ({ app: w.app, dial }))), ...extraDialers];
    for (const { app, dial } of all) {
        if (dial === "kubernetes-api") {
            for (const cidr of parseCidrs(key("apiServerEgressCidrs", ctx))!) {
                for (const port of parsePorts(key("apiServerEgressPorts", ctx))!) tuples.add(egress(app, cidrPeer(cidr), tcp(port)));
            }
            continue;
        }
        if (!/^[\d.:]+$/.test(dial.host)) dialing.add(app);
        const inside = resolveService(ctx, dial);
        if (inside) {
            tuples.add(egress(app, appPeer(inside.app), tcp(inside.port)));
            tuples.add(ingress(inside.app, appPeer(app), tcp(inside.port)));
        } else {
            for (const cidr of externalCidrs(ctx, dial)) tuples.add(egress(app, cidrPeer(cidr), tcp(dial.port)));
        }
    }
    // Clients reach the public servers through the ingress controller: the Services behind the public URLs.
    const ingressPeer = selectorPeer(parseLabelSelector(key("ingressNamespaceSelector", ctx))!, parseLabelSelector(key("ingressPodSelector", ctx))!);
    for (const url of Object.values<string>(ctx.ev.outputs.internalUrls).filter((u) => /^https?:/.test(u))) {
        const inside = resolveService(ctx, urlDial(url))!;
        tuples.add(ingress(inside.app, ingressPeer, tcp(inside.port)));
    }
    // The bundled Dex is public too: users log in and Fulcio fetches its keys through the Ingress.
    for (const { app, port } of dexIssuerPorts(ctx.ev)) tuples.add(ingress(app, ingressPeer, tcp(port)));
    // Prometheus scrapes every port named "metrics", and Trillian's HTTP endpoint (it serves /metrics).
    const prometheus = selectorPeer(parseLabelSelector(key("metricsNamespaceSelector", ctx))!, parseLabelSelector(key("metricsPodSelector", ctx))!);
    for (const w of workloads(ctx.ev)) {
        for (const c of w.pod.containers) {
            const trillian = flag(c.args ?? [], "rpc_endpoint") !== undefined;
            const trillianHttp = trillian ? flag(c.args ?? [], "http_endpoint")?.split(":")[1] : undefined;
            for (const p of c.ports ?? []) {
                if (p.name === "metrics" || String(p.containerPort) === trillianHttp) tuples.add(ingress(w.app, prometheus, tcp(p.containerPort)));
            }
        }
    }
    const dns = selectorPeer({ "kubernetes.io/metadata.name": "kube-system" }, { "k8s-app": "kube-dns" });
    for (const app of dialing) for (const proto of ["UDP/53", "TCP/53"]) tuples.add(egress(app, dns, proto));
    return tuples;
}

function peerKeys(peer: any): string[] {
    if (peer.ipBlock) {
        assert.equal(peer.ipBlock.except, undefined, "no ipBlock exceptions are expected");
        return [cidrPeer(peer.ipBlock.cidr)];
    }
    if (peer.namespaceSelector) return [selectorPeer(peer.namespaceSelector.matchLabels, peer.podSelector?.matchLabels)];
    assert.deepEqual(Object.keys(peer.podSelector), ["matchLabels"]);
    assert.deepEqual(Object.keys(peer.podSelector.matchLabels), [appLabel], "same-namespace peers are selected by app");
    return [appPeer(peer.podSelector.matchLabels[appLabel])];
}

/** What the NetworkPolicies allow, as tuples; a rule without peers or ports allows "*". */
function allowedTuples(policies: any[]): Set<Tuple> {
    const tuples = new Set<Tuple>();
    for (const spec of policies.map((p) => p.spec)) {
        const selected = spec.podSelector.matchLabels?.[appLabel] ?? "*";
        for (const rule of spec.ingress ?? []) {
            for (const peer of rule.from?.flatMap(peerKeys) ?? ["*"]) {
                for (const port of rule.ports?.map((p: any) => `${p.protocol}/${p.port}`) ?? ["*"]) tuples.add(ingress(selected, peer, port));
            }
        }
        for (const rule of spec.egress ?? []) {
            for (const peer of rule.to?.flatMap(peerKeys) ?? ["*"]) {
                for (const port of rule.ports?.map((p: any) => `${p.protocol}/${p.port}`) ?? ["*"]) tuples.add(egress(selected, peer, port));
            }
        }
    }
    return tuples;
}

function compare(derived: Set<Tuple>, allowed: Set<Tuple>): { missing: string[]; extra: string[] } {
    return {
        missing: [...derived].filter((t) => !allowed.has(t)).sort(),
        extra: [...allowed].filter((t) => !derived.has(t)).sort(),
    };
}

function policies(ev: Evaluation): any[] {
    return ev.cloud.ofType(policyType).map((p) => p.inputs);
}

/** The createtree pod (createtreeMode "pod") is not a resource: it dials what the Command's environment says. */
function createtreeDialers(ev: Evaluation): Array<{ app: string; dial: Dial }> {
    return ev.cloud
        .ofType("command:local:Command")
        .filter((c) => c.inputs.environment.CREATETREE_MODE === "pod")
        .map((c) => ({ app: "createtree", dial: { host: c.inputs.environment.TRILLIAN_SERVICE, port: Number(c.inputs.environment.TRILLIAN_GRPC_PORT) } }));
}

const variants: Array<[string, string, Record<string, string>]> = [
    ["dev", "dev", {}],
    ["prod (ingress, signer election, HA)", "prod", {}],
    [
        "external MySQL (schema Job)",
        "dev",
        {
            databaseMode: "external",
            databaseHost: "mysql.corp.example",
            databasePort: "3307",
            databasePassword: "pw",
            databaseEgressCidrs: "10.20.30.40/32,10.20.30.41/32",
        },
    ],
    [
        "external PostgreSQL",
        "dev",
        {
            databaseMode: "external",
            databaseEngine: "postgresql",
            databaseHost: "pg.corp.example",
            databasePassword: "pw",
            databaseEgressCidrs: "10.20.30.50/32",
        },
    ],
    [
        "createtree in a pod, custom selectors, issuer on port 8443",
        "dev",
        {
            createtreeMode: "pod",
            createtreeImage: "registry.corp.example/createtree:v1.7.3",
            ingressNamespaceSelector: "team=edge",
            ingressPodSelector: "app=gateway",
            metricsNamespaceSelector: "team=observability",
            oidcIssuerUrl: "https://idp.corp.example:8443/realms/x",
            oidcEgressCidrs: "192.0.2.0/24",
        },
    ],
    ["identityProvider dex (LDAPS directory)", "prod", dexOverrides],
    ["identityProvider dex (StartTLS on 3389)", "dev", { ...dexOverrides, ldapTransport: "starttls", ldapPort: "3389" }],
];

describe("network isolation: NetworkPolicies allow exactly the edges the containers dial", () => {
    for (const [what, stack, overrides] of variants) {
        describe(what, () => {
            let ctx: Context;
            before(async () => {
                const ev = Object.keys(overrides).length ? await evaluateRecorded({ stack, overrides }) : await evaluateStack(stack);
                const config = stackConfig(stack, overrides).values;
                ctx = { ev, config, namespace: config["sigstore:namespace"] };
            });

            it("denies everything by default, in and out, for every pod of the namespace", () => {
                const denyAll = policies(ctx.ev).filter((p) => Object.keys(p.spec.podSelector).length === 0);
                assert.equal(denyAll.length, 1);
                assert.deepEqual(denyAll[0].spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
                for (const p of policies(ctx.ev)) assert.deepEqual(p.spec.policyTypes, ["Ingress", "Egress"]);
            });

            it("every edge derived from the rendered flags and files is allowed at both ends, and no policy allows more", () => {
                const derived = derivedTuples(ctx, createtreeDialers(ctx.ev));
                assert.ok(derived.size >= 20, `only ${derived.size} derived tuples: the derivation found too little`);
                assert.deepEqual(compare(derived, allowedTuples(policies(ctx.ev))), { missing: [], extra: [] });
            });

            it("every app with pods has a policy selecting it", () => {
                const selected = new Set(policies(ctx.ev).map((p) => p.spec.podSelector.matchLabels?.[appLabel]));
                for (const w of workloads(ctx.ev)) assert.ok(selected.has(w.app), `no NetworkPolicy selects ${w.app}`);
            });
        });
    }

    describe("the comparison fails when a policy is missing an edge or allows more (negative controls)", () => {
        let ctx: Context;
        before(async () => {
            const ev = await evaluateStack("prod");
            const config = stackConfig("prod").values;
            ctx = { ev, config, namespace: config["sigstore:namespace"] };
        });
        const mutate = (f: (specs: any[]) => void) => {
            const copy = JSON.parse(JSON.stringify(policies(ctx.ev)));
            f(copy.map((p: any) => p.spec));
            return compare(derivedTuples(ctx, []), allowedTuples(copy));
        };
        const forApp = (specs: any[], app: string) => specs.find((s) => s.podSelector.matchLabels?.[appLabel] === app);

        it("a dropped egress rule (Rekor → Redis) is reported missing", () => {
            const r = mutate((specs) => {
                forApp(specs, "rekor-server").egress = forApp(specs, "rekor-server").egress.filter((e: any) => e.ports[0].port !== 6379);
            });
            assert.deepEqual(r.missing, ["egress rekor-server -> app:rekor-redis TCP/6379"]);
        });

        it("an extra port, a rule without ports and a rule without peers are reported as allowing more", () => {
            const r = mutate((specs) => {
                forApp(specs, "trillian-db").ingress[0].ports.push({ port: 33060, protocol: "TCP" });
                forApp(specs, "fulcio-server").egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] });
                forApp(specs, "ctlog").ingress.push({ ports: [{ port: 6962, protocol: "TCP" }] });
            });
            assert.deepEqual(r.missing, []);
            assert.ok(
                r.extra.some((t) => t.startsWith("ingress trillian-db <- app:") && t.endsWith("TCP/33060")),
                r.extra.join("\n"),
            );
            assert.ok(r.extra.includes("egress fulcio-server -> cidr:0.0.0.0/0 *"), r.extra.join("\n"));
            assert.ok(r.extra.includes("ingress ctlog <- * TCP/6962"), r.extra.join("\n"));
        });

        it("a dial the policies do not know (Rekor's flags pointing at Trillian's HTTP port) is reported missing", () => {
            const rekor = workloads(ctx.ev).find((w) => w.app === "rekor-server")!;
            const args: string[] = rekor.pod.containers[0].args;
            const original = [...args];
            args.splice(
                args.findIndex((a) => a.startsWith("--trillian_log_server.port=")),
                1,
                "--trillian_log_server.port=8091",
            );
            try {
                const r = compare(derivedTuples(ctx, []), allowedTuples(policies(ctx.ev)));
                assert.ok(r.missing.includes("egress rekor-server -> app:trillian-log-server TCP/8091"), r.missing.join("\n"));
                assert.ok(r.missing.includes("ingress trillian-log-server <- app:rekor-server TCP/8091"), r.missing.join("\n"));
            } finally {
                args.splice(0, args.length, ...original);
            }
        });
    });
});
