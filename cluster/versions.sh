# Versions of the cluster suite's toolchain (sourced by toolchain.sh; read by cluster/toolchain.ts).
ETCD_VERSION=v3.6.16
KUBERNETES_VERSION=v1.35.8
KWOK_VERSION=v0.8.0
# The Prometheus Operator whose CRDs (ServiceMonitor, PrometheusRule) the API server is given.
PROMETHEUS_OPERATOR_VERSION=v0.80.1
# Sigstore policy-controller, whose CRDs (TrustRoot, ClusterImagePolicy) the verificationPolicy output is checked against.
POLICY_CONTROLLER_VERSION=v0.13.1
# The CLI at the version of @pulumi/pulumi in package.json.
PULUMI_VERSION=v3.248.0
# The only version of the Kubernetes provider module the Go module proxy serves (= v4.25.0).
PROVIDER_KUBERNETES_MODULE=v4.0.0-20260115033456-f47bc2d6f199
PROVIDER_KUBERNETES_VERSION=4.25.0
