/**
 * Every default, in one place. Each equals the `default:` of its key in Pulumi.yaml (a unit test
 * keeps them equal): the CLI writes every Pulumi.yaml default into the stack config before the
 * program runs and treats a key declared without one as required, so every optional key is
 * declared with a default, and a value equal to its default means "not set" (e.g. "" for an unused
 * setting, 0 for the engine's own port).
 */
import { upstream } from "../versions";

/**
 * Keys whose values are secrets: read only as secret Outputs, and refused unless stored encrypted
 * (`pulumi config set --secret`). Not declared in Pulumi.yaml: the CLI rejects a `secret: true` key
 * whose value comes from a default (defaults are never encrypted), so this program enforces their
 * secrecy itself (config/reader.ts).
 */
export type SecretKey = (typeof secretKeys)[number];

export const secretKeys = ["databasePassword", "caRootKey", "caPkcs11Config", "ldapBindPassword"] as const;

export const defaults = {
    kubeconfig: "",
    kubeContext: "",
    namespace: "sigstore",
    imageRegistry: "",
    trillianTag: upstream.trillian,
    rekorTag: upstream.rekor,
    fulcioTag: upstream.fulcio,
    ctlogTag: upstream.ctfe,
    redisTag: upstream.redis,
    dexTag: upstream.dex,
    databaseMode: "in-cluster",
    databaseStorageSize: "10Gi",
    expectedSigningsPerDay: 0,
    retentionYears: 10,
    databaseStorageClass: "",
    databaseEngine: "mysql",
    databaseHost: "",
    /** 0 = the engine's standard port (databasePorts). */
    databasePort: 0,
    databaseName: "trillian",
    databaseUser: "trillian",
    trillianServerReplicas: 1,
    trillianSignerReplicas: 1,
    trillianSequencerInterval: "100ms",
    trillianBatchSize: 1000,
    trillianNumSequencers: 10,
    trillianMysqlMaxConns: 0,
    trillianMysqlMaxIdleConns: -1,
    rekorTreeId: "",
    ctlogTreeId: "",
    createtreeMode: "port-forward",
    createtreeBinary: "createtree",
    updatetreeBinary: "updatetree",
    createtreeImage: "",
    rekorReplicas: 1,
    redisStorageSize: "1Gi",
    rekorKeyGeneration: 1,
    fulcioReplicas: 1,
    ctlogReplicas: 1,
    ctlogPrefix: "sigstore",
    ctlogKeyGeneration: 1,
    /** Required with identityProvider external; with dex, "" means https://oidc.<publicDomain>. */
    oidcIssuerUrl: "",
    oidcClientId: "sigstore",
    oidcIssuerType: "email",
    oidcIssuerCaCert: "",
    caMode: "self-signed",
    caOrganization: "Sigstore on-prem",
    caCommonName: "sigstore-onprem-fulcio",
    caValidityHours: 87600,
    fulcioCaGeneration: 1,
    caRootCert: "",
    caCertChain: "",
    caHsmRootId: "",
    caKmsResource: "",
    publicDomain: "sigstore.internal",
    ingressClassName: "",
    ingressClusterIssuer: "",
    ingressTlsSecret: "",
    protectData: false,
    fulcioResources: "cpu=100m/1,memory=128Mi/1Gi",
    rekorResources: "cpu=100m/1,memory=128Mi/1Gi",
    redisResources: "cpu=50m/500m,memory=64Mi/512Mi",
    ctlogResources: "cpu=100m/1,memory=128Mi/1Gi",
    trillianServerResources: "cpu=100m/1,memory=128Mi/1Gi",
    trillianSignerResources: "cpu=100m/1,memory=128Mi/1Gi",
    databaseResources: "cpu=250m/2,memory=512Mi/2Gi",
    dexResources: "cpu=50m/500m,memory=64Mi/256Mi",
    backupResources: "cpu=100m/1,memory=128Mi/512Mi",
    networkPolicies: true,
    internalTls: false,
    monitoring: false,
    policyControllerResources: false,
    monitoringLabels: "",
    caExpiryWarningDays: 90,
    ingressNamespaceSelector: "kubernetes.io/metadata.name=ingress-nginx",
    ingressPodSelector: "",
    metricsNamespaceSelector: "kubernetes.io/metadata.name=monitoring",
    metricsPodSelector: "app.kubernetes.io/name=prometheus",
    oidcEgressCidrs: "0.0.0.0/0",
    apiServerEgressCidrs: "0.0.0.0/0",
    apiServerEgressPorts: "443,6443",
    databaseEgressCidrs: "",
    backupSchedule: "",
    backupRetentionDays: 14,
    backupStorageSize: "20Gi",
    backupStorageClass: "",
    backupMaxAgeHours: 36,
    identityProvider: "external",
    ldapHost: "",
    /** 0 = the transport's standard port (ldapPorts). */
    ldapPort: 0,
    ldapTransport: "ldaps",
    ldapCaCert: "",
    ldapBindDn: "",
    ldapUserBaseDn: "",
    ldapUserFilter: "(objectClass=person)",
    ldapUsernameAttribute: "uid",
    ldapIdAttribute: "uid",
    ldapEmailAttribute: "mail",
    ldapNameAttribute: "cn",
    ldapSignerGroups: "",
    ldapMemberOfAttribute: "memberOf",
    ldapGroupBaseDn: "",
    ldapGroupFilter: "(objectClass=groupOfNames)",
    ldapGroupMemberAttribute: "member",
    ldapGroupNameAttribute: "cn",
    ldapEgressCidrs: "",
} as const;

export type DefaultedKey = keyof typeof defaults;
