/**
 * PolicyController (policyController: deploy): Sigstore policy-controller's admission webhook, so a
 * cluster runs only images the organisation signed. What upstream's release manifests install,
 * written out here with our conventions (Pod Security `restricted`, pinned image, NetworkPolicies):
 *  - its own namespace, ServiceAccount and RBAC (upstream config/200-*.yaml);
 *  - the webhook Deployment and Service (port 8443, TLS from the Secret `webhook-certs`, which the
 *    webhook fills itself: a CA and a serving certificate for `webhook.<namespace>.svc`);
 *  - the ConfigMaps it watches (it refuses to start without them): its settings (no-match-policy)
 *    and the two the TrustRoot and ClusterImagePolicy reconcilers fill;
 *  - the four webhook configurations it reconciles (rules, caBundle, path) but never creates.
 *    Admission applies only in namespaces labelled `policy.sigstore.dev/include=true`.
 * Fields the webhook writes (the Secret's data, the generated ConfigMaps' data, the configurations'
 * webhooks) are ignored by Pulumi, so an `up` never undoes them. The CRDs are cluster prerequisites
 * (upstream config/300-*.yaml), as the Prometheus Operator's are for monitoring.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ResourceBounds, containerResources } from "../lib/resources";
import { labels, podSecurityLabels, restrictedContainer, serverWorkload, ServerWorkload } from "./kube";
import { clusterDns, dnsPorts, policyPeers } from "./network";

/** The names upstream's webhook binary is built with (cmd/webhook: --webhook-name and friends, Options.ServiceName/SecretName). */
export const policyWebhook = {
    service: "webhook",
    secret: "webhook-certs",
    port: 8443,
    metricsPort: 9090,
    /** Validating and mutating: Pods and their controllers in opted-in namespaces. */
    admission: "policy.sigstore.dev",
    /** Mutating: defaults ClusterImagePolicies. */
    defaulting: "defaulting.clusterimagepolicy.sigstore.dev",
    /** Validating: ClusterImagePolicies and TrustRoots. */
    validating: "validating.clusterimagepolicy.sigstore.dev",
    /** The namespace label that opts a namespace in to admission. */
    includeLabel: "policy.sigstore.dev/include",
} as const;

/** Every object of the deployed policy-controller carries these. */
const webhookLabels = labels(policyWebhook.service, "admission");

/** The ConfigMaps the webhook watches: its settings, and the two its reconcilers write. */
export const policyConfigMaps = { settings: "config-policy-controller", images: "config-image-policies", keys: "config-sigstore-keys" } as const;

export interface PolicyControllerArgs {
    readonly namespace: string;
    readonly replicas: number;
    readonly image: string;
    readonly resources: ResourceBounds;
    /** What an image no ClusterImagePolicy covers gets in an opted-in namespace. */
    readonly noMatchPolicy: "deny" | "warn" | "allow";
    /** NetworkPolicies, when network isolation is on. */
    readonly network?: {
        apiServerCidrs: string[];
        apiServerPorts: number[];
        /** Registries and the TUF mirror. */
        egressCidrs: string[];
        egressPorts: number[];
    };
}

export class PolicyController extends pulumi.ComponentResource {
    readonly namespace: k8s.core.v1.Namespace;
    readonly workload: ServerWorkload;
    /** What must exist before a ClusterImagePolicy or TrustRoot is applied (their validating webhook). */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: PolicyControllerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:PolicyController", name, {}, opts);
        const child = { parent: this };
        this.namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: args.namespace, labels: { "app.kubernetes.io/part-of": "sigstore", ...podSecurityLabels } } },
            child,
        );
        const ns = this.namespace.metadata.name;
        const meta = (extra: object = {}) => ({ namespace: ns, labels: webhookLabels, ...extra });

        const account = new k8s.core.v1.ServiceAccount(`${name}-account`, { metadata: meta({ name: policyWebhook.service }) }, child);
        const rbac = this.rbac(name, args.namespace, account.metadata.name, ns);
        const certs = new k8s.core.v1.Secret(`${name}-certs`, { metadata: meta({ name: policyWebhook.secret }) }, { ...child, ignoreChanges: ["data"] });
        const configMaps = [
            new k8s.core.v1.ConfigMap(
                `${name}-settings`,
                { metadata: meta({ name: policyConfigMaps.settings }), data: { "no-match-policy": args.noMatchPolicy, "fail-on-empty-authorities": "true" } },
                child,
            ),
            // Written by the webhook's reconcilers from the TrustRoots and ClusterImagePolicies.
            ...[policyConfigMaps.images, policyConfigMaps.keys].map(
                (cm) => new k8s.core.v1.ConfigMap(`${name}-${cm}`, { metadata: meta({ name: cm }) }, { ...child, ignoreChanges: ["data"] }),
            ),
        ];
        const configurations = this.webhookConfigurations(name, args.namespace, child);

        this.workload = serverWorkload(
            name,
            {
                service: policyWebhook.service,
                component: "admission",
                namespace: ns,
                replicas: args.replicas,
                serviceAccountName: account.metadata.name,
                ports: { https: policyWebhook.port, metrics: policyWebhook.metricsPort },
                container: {
                    name: "webhook",
                    image: args.image,
                    // Offline: our TrustRoot carries the keys; without this flag it fetches the public Sigstore's TUF root and exits.
                    args: ["--disable-tuf"],
                    env: [
                        { name: "SYSTEM_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                        { name: "CONFIG_LOGGING_NAME", value: "config-logging" },
                        { name: "METRICS_DOMAIN", value: "sigstore.dev/policy" },
                        { name: "HOME", value: "/var/run/sigstore" },
                    ],
                    volumeMounts: [{ name: "home", mountPath: "/var/run/sigstore" }],
                    // knative's webhook answers a kubelet probe (this header) on its TLS port.
                    readinessProbe: webhookProbe(),
                    livenessProbe: { ...webhookProbe(), initialDelaySeconds: 20 },
                    resources: containerResources(args.resources),
                    securityContext: restrictedContainer,
                },
                volumes: [{ name: "home", emptyDir: {} }],
            },
            { parent: this, dependsOn: [certs, ...configMaps, ...rbac, ...configurations] },
        );
        if (args.network) this.networkPolicies(name, ns, args.network);
        this.ready = [this.workload.deployment, this.workload.service];
        this.registerOutputs({});
    }

    /** Cluster-wide: its webhook configurations, CRDs and policies; in its namespace: its ConfigMaps, Secrets and Leases (upstream config/200-*.yaml). */
    private rbac(name: string, namespaceName: string, account: pulumi.Output<string>, ns: pulumi.Output<string>): pulumi.Resource[] {
        const child = { parent: this };
        const configurationNames = [policyWebhook.admission, policyWebhook.defaulting, policyWebhook.validating];
        const admission = "admissionregistration.k8s.io";
        const clusterRole = new k8s.rbac.v1.ClusterRole(
            `${name}-cluster-role`,
            {
                metadata: { labels: webhookLabels },
                rules: [
                    { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
                    { apiGroups: [admission], resources: ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"], verbs: ["list", "watch"] },
                    {
                        apiGroups: [admission],
                        resources: ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"],
                        resourceNames: configurationNames,
                        verbs: ["get", "update", "delete"],
                    },
                    {
                        apiGroups: [admission],
                        resources: ["validatingwebhookconfigurations/finalizers", "mutatingwebhookconfigurations/finalizers"],
                        resourceNames: configurationNames,
                        verbs: ["update"],
                    },
                    // The webhook makes its namespace the owner of the configurations it reconciles.
                    { apiGroups: [""], resources: ["namespaces"], resourceNames: [namespaceName], verbs: ["get"] },
                    { apiGroups: [""], resources: ["namespaces/finalizers"], resourceNames: [namespaceName], verbs: ["update"] },
                    { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: ["list", "watch"] },
                    {
                        apiGroups: ["apiextensions.k8s.io"],
                        resources: ["customresourcedefinitions"],
                        resourceNames: ["clusterimagepolicies.policy.sigstore.dev", "trustroots.policy.sigstore.dev"],
                        verbs: ["get", "update"],
                    },
                    {
                        apiGroups: ["policy.sigstore.dev"],
                        resources: ["clusterimagepolicies", "clusterimagepolicies/status", "trustroots", "trustroots/status"],
                        verbs: ["get", "list", "update", "watch", "patch"],
                    },
                    // Image pull secrets of the admitted pods (k8schain): the webhook reads the registry as the pod would.
                    { apiGroups: [""], resources: ["serviceaccounts", "secrets"], verbs: ["get"] },
                ],
            },
            child,
        );
        const subjects = [{ kind: "ServiceAccount", name: account, namespace: ns }];
        const clusterBinding = new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-cluster-binding`,
            {
                metadata: { labels: webhookLabels },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole.metadata.name },
                subjects,
            },
            child,
        );
        const role = new k8s.rbac.v1.Role(
            `${name}-role`,
            {
                metadata: { namespace: ns, labels: webhookLabels },
                rules: [
                    { apiGroups: [""], resources: ["configmaps", "secrets"], verbs: ["get", "list", "update", "watch"] },
                    { apiGroups: [""], resources: ["configmaps"], resourceNames: [policyConfigMaps.images, policyConfigMaps.keys], verbs: ["create", "patch"] },
                    // Leader election among replicas.
                    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "create", "update", "delete", "patch", "watch"] },
                ],
            },
            child,
        );
        const binding = new k8s.rbac.v1.RoleBinding(
            `${name}-binding`,
            {
                metadata: { namespace: ns, labels: webhookLabels },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects,
            },
            child,
        );
        return [clusterRole, clusterBinding, role, binding];
    }

    /**
     * The four configurations the webhook reconciles (upstream config/500-*, 501-*): it writes their
     * rules, caBundle and paths, so Pulumi leaves `webhooks` as the webhook made them after creation.
     */
    private webhookConfigurations(name: string, namespaceName: string, child: pulumi.CustomResourceOptions): pulumi.Resource[] {
        const entry = (webhookName: string, optIn: boolean) => ({
            name: webhookName,
            admissionReviewVersions: ["v1"],
            clientConfig: { service: { name: policyWebhook.service, namespace: namespaceName, port: policyWebhook.port } },
            failurePolicy: "Fail",
            sideEffects: "None",
            ...(optIn
                ? { namespaceSelector: { matchExpressions: [{ key: policyWebhook.includeLabel, operator: "In", values: ["true"] }] }, timeoutSeconds: 25 }
                : { matchPolicy: "Equivalent" }),
        });
        const meta = (n: string) => ({ name: n, labels: webhookLabels });
        const opts = { ...child, ignoreChanges: ["webhooks"] };
        return [
            new k8s.admissionregistration.v1.ValidatingWebhookConfiguration(
                `${name}-validating-admission`,
                { metadata: meta(policyWebhook.admission), webhooks: [entry(policyWebhook.admission, true)] },
                opts,
            ),
            new k8s.admissionregistration.v1.MutatingWebhookConfiguration(
                `${name}-mutating-admission`,
                { metadata: meta(policyWebhook.admission), webhooks: [{ ...entry(policyWebhook.admission, true), reinvocationPolicy: "IfNeeded" }] },
                opts,
            ),
            new k8s.admissionregistration.v1.MutatingWebhookConfiguration(
                `${name}-defaulting`,
                { metadata: meta(policyWebhook.defaulting), webhooks: [entry(policyWebhook.defaulting, false)] },
                opts,
            ),
            new k8s.admissionregistration.v1.ValidatingWebhookConfiguration(
                `${name}-validating`,
                { metadata: meta(policyWebhook.validating), webhooks: [entry(policyWebhook.validating, false)] },
                opts,
            ),
        ];
    }

    /** Default deny in its namespace; in: the API server's admission calls; out: DNS, the API server, registries and the TUF mirror. */
    private networkPolicies(name: string, ns: pulumi.Output<string>, n: NonNullable<PolicyControllerArgs["network"]>): void {
        const tcp = (ports: number[]) => ports.map((port) => ({ port, protocol: "TCP" }));
        const cidrs = (list: string[]) => policyPeers({ name: "cidrs", cidrs: list });
        new k8s.networking.v1.NetworkPolicy(
            `${name}-network`,
            {
                metadata: { namespace: ns, labels: webhookLabels },
                spec: {
                    podSelector: {},
                    policyTypes: ["Ingress", "Egress"],
                    ingress: [{ from: cidrs(n.apiServerCidrs), ports: tcp([policyWebhook.port]) }],
                    egress: [
                        { to: policyPeers(clusterDns), ports: dnsPorts },
                        { to: cidrs(n.apiServerCidrs), ports: tcp(n.apiServerPorts) },
                        { to: cidrs(n.egressCidrs), ports: tcp(n.egressPorts) },
                    ],
                },
            },
            { parent: this },
        );
    }
}

/** knative's webhook answers a request carrying this header on its TLS port as a kubelet probe. */
function webhookProbe(): k8s.types.input.core.v1.Probe {
    return {
        httpGet: { scheme: "HTTPS", port: policyWebhook.port, httpHeaders: [{ name: "k-kubelet-probe", value: "webhook" }] },
        periodSeconds: 10,
        timeoutSeconds: 5,
        failureThreshold: 6,
    };
}
