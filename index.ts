/**
 * Wiring only: read config, create the provider and namespace, connect the five components, export
 * the contract other stacks consume (see README "Outputs").
 */
import * as k8s from "@pulumi/kubernetes";
import { loadConfig } from "./config";
import { Database } from "./components/database";
import { keep } from "./components/kube";
import { Trillian } from "./components/trillian";

const config = loadConfig();

const provider = new k8s.Provider("cluster", {
    kubeconfig: config.cluster.kubeconfig,
    context: config.cluster.kubeContext,
    enableServerSideApply: true,
});

const namespace = new k8s.core.v1.Namespace("namespace", {
    metadata: { name: config.cluster.namespace, labels: { "app.kubernetes.io/part-of": "sigstore" } },
}, { provider, ...keep(config.protectData) });

const opts = { providers: [provider] };
const ns = namespace.metadata.name;
const nsName = config.cluster.namespace;

const database = new Database("database", {
    namespace: ns, namespaceName: nsName, config: config.database,
    image: config.images.refs.trillianDatabase, protectData: config.protectData,
}, opts);

const trillian = new Trillian("trillian", {
    namespace: ns, namespaceName: nsName, cluster: config.cluster, config: config.trillian,
    database: database.connection, databaseReady: database.ready,
    images: { logServer: config.images.refs.trillianLogServer, logSigner: config.images.refs.trillianLogSigner },
    protectData: config.protectData,
}, opts);

export const namespaceName = ns;
export const rekorTreeId = trillian.trees.rekor.treeId;
export const ctlogTreeId = trillian.trees.ctlog.treeId;
