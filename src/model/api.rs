//! What a Kubernetes API server serves, to tell its objects from the configuration files of other
//! programs that borrow `apiVersion` and `kind` (kubeadm, the kubelet, kind, k3d, Talos…). The
//! decision is made from the document: the form of its `apiVersion`, its API group, and whether a
//! document without `metadata` is of a kind the API server serves.

use super::{GATEWAY_GROUP, route::RouteKind};
use crate::source::yaml::Node;

/// Why a document is not an object cilint indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotAnObject {
    /// No `apiVersion`/`kind`: some other YAML (Helm values, Ansible, CI config).
    NotKubernetes,
    /// An `apiVersion` no API server serves: neither `v1` nor `<group>/<version>` (Talos machine
    /// configuration's bare `v1alpha1`, Helm's `Chart.yaml` `v2`, kustomize's `builtin`).
    ForeignApiVersion,
    /// An API group that is the format of a configuration file, read from disk by a program and
    /// never served (kubeadm, kubelet, kind, k3d…): see [`CONFIGURATION_FORMATS`].
    ConfigurationFile,
    /// No `metadata` and a kind the API server does not serve in that group.
    NotServed,
    /// Marked as local configuration by its annotations: a KRM function's configuration or a
    /// `config.kubernetes.io/local-config: "true"` object, which kustomize and kpt read and
    /// leave out of what they build. See [`is_local_config`].
    LocalConfiguration,
}

/// The API group of kustomize's own files (`Kustomization`, `Component`): build inputs that
/// kustomize reads, never applied, yet read by cilint (their `helmCharts`), so kept as objects.
pub const KUSTOMIZE_GROUP: &str = "kustomize.config.k8s.io";

/// Whether a document with this `apiVersion` and `kind` (`None` when not written), with or without
/// a `metadata` mapping, is a Kubernetes object. A real object that lacks its `kind` (it has
/// `metadata`) is one: kubectl refuses it, and invalid-object says so.
pub fn classify(
    api_version: &str,
    kind: Option<&str>,
    has_metadata: bool,
) -> Result<(), NotAnObject> {
    if kind.is_none() && !has_metadata {
        return Err(NotAnObject::NotKubernetes);
    }
    let Some(group) = api_group(api_version) else {
        return Err(NotAnObject::ForeignApiVersion);
    };
    if group == KUSTOMIZE_GROUP {
        return Ok(());
    }
    if is_configuration_format(group, kind) {
        return Err(NotAnObject::ConfigurationFile);
    }
    // Every object the API server stores has `metadata` (its name at least): without one, only a
    // kind it is known to serve is an object (then reported for its missing name).
    match kind {
        Some(kind) if !has_metadata && !is_served(group, kind) => Err(NotAnObject::NotServed),
        _ => Ok(()),
    }
}

/// The API group of a Kubernetes `apiVersion` (`""` for the core `v1`), `None` for any other
/// string. A group is a DNS subdomain; groups without a dot are the built-in ones only, since a
/// CustomResourceDefinition's group must contain a dot. A version is a DNS label (`v1`,
/// `v2beta1`; CustomResourceDefinitions may use any DNS label).
/// <https://kubernetes.io/docs/reference/using-api/#api-groups>,
/// <https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#create-a-customresourcedefinition>
pub fn api_group(api_version: &str) -> Option<&str> {
    if api_version == "v1" {
        return Some("");
    }
    let (group, version) = api_version.split_once('/')?;
    let dns_label = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    let version_ok = dns_label(version) && version.starts_with(|c: char| c.is_ascii_lowercase());
    let group_ok = if group.contains('.') {
        group.len() <= 253 && group.split('.').all(dns_label)
    } else {
        BUILT_IN_GROUPS_WITHOUT_DOT.contains(&group)
    };
    (version_ok && group_ok).then_some(group)
}

/// The built-in API groups whose name has no dot.
/// <https://kubernetes.io/docs/reference/generated/kubernetes-api/v1.33/#-strong-api-groups-strong->
const BUILT_IN_GROUPS_WITHOUT_DOT: &[&str] =
    &["apps", "autoscaling", "batch", "extensions", "policy"];

/// How a configuration format is recognised: by its API group (all its kinds), a suffix of
/// groups, or one kind of a group.
enum Format {
    Group(&'static str),
    GroupSuffix(&'static str),
    Kind(&'static str, &'static str),
}

/// API groups (and kinds) that are configuration-file formats: a program reads them from disk
/// (or a webhook receives them), no API server serves them, and `kubectl apply` refuses them.
/// Each is documented where the comment says.
const CONFIGURATION_FORMATS: &[Format] = &[
    // The configuration APIs of Kubernetes components: kubelet, kube-proxy, kube-scheduler,
    // kube-controller-manager, cloud-controller-manager, kube-apiserver
    // (EncryptionConfiguration, AuthenticationConfiguration, AuthorizationConfiguration,
    // AdmissionConfiguration, TracingConfiguration), the PodSecurity admission plugin
    // (pod-security.admission.config.k8s.io) and kubectl's kuberc (kubectl.config.k8s.io).
    // kustomize.config.k8s.io is handled before this table.
    // <https://kubernetes.io/docs/reference/config-api/>
    Format::GroupSuffix(".config.k8s.io"),
    // kube-apiserver Configuration (v1alpha1): AdmissionConfiguration, EgressSelectorConfiguration.
    // <https://kubernetes.io/docs/reference/config-api/apiserver-config.v1alpha1/>
    Format::Group("apiserver.k8s.io"),
    // kube-apiserver Audit Configuration: the audit Policy file (and the Event it logs).
    // <https://kubernetes.io/docs/reference/config-api/apiserver-audit.v1/>
    Format::Group("audit.k8s.io"),
    // Event Rate Limit Configuration of the EventRateLimit admission plugin.
    // <https://kubernetes.io/docs/reference/config-api/apiserver-eventratelimit.v1alpha1/>
    Format::Group("eventratelimit.admission.k8s.io"),
    // kube-apiserver Admission: the AdmissionReview a webhook receives.
    // <https://kubernetes.io/docs/reference/config-api/apiserver-admission.v1/>
    Format::Group("admission.k8s.io"),
    // Image Policy API: the ImageReview the ImagePolicyWebhook receives.
    // <https://kubernetes.io/docs/reference/config-api/imagepolicy.v1alpha1/>
    Format::Group("imagepolicy.k8s.io"),
    // Client Authentication: the ExecCredential of exec credential plugins.
    // <https://kubernetes.io/docs/reference/config-api/client-authentication.v1/>
    Format::Group("client.authentication.k8s.io"),
    // Kubelet CredentialProvider: CredentialProviderRequest/Response.
    // <https://kubernetes.io/docs/reference/config-api/kubelet-credentialprovider.v1/>
    Format::Group("credentialprovider.kubelet.k8s.io"),
    // kubeadm: InitConfiguration, ClusterConfiguration, JoinConfiguration, ResetConfiguration,
    // UpgradeConfiguration.
    // <https://kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta4/>
    Format::Group("kubeadm.k8s.io"),
    // kubeconfig: `apiVersion: v1`, `kind: Config` (client-go's clientcmd).
    // <https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/>
    Format::Kind("", "Config"),
    // kind's cluster configuration (kind.sigs.k8s.io before v1alpha4).
    // <https://kind.sigs.k8s.io/docs/user/configuration/>
    Format::Group("kind.x-k8s.io"),
    Format::Group("kind.sigs.k8s.io"),
    // k3d's configuration file (`kind: Simple`, with `metadata.name` since v1alpha3).
    // <https://k3d.io/stable/usage/configfile/>
    Format::Group("k3d.io"),
    // k0sctl's cluster file (`kind: Cluster` with `metadata.name`).
    // <https://docs.k0sproject.io/stable/k0sctl-install/>
    Format::Group("k0sctl.k0sproject.io"),
    // eksctl's ClusterConfig (`metadata.name` and `metadata.region`).
    // <https://docs.aws.amazon.com/eks/latest/eksctl/creating-and-managing-clusters.html>
    Format::Group("eksctl.io"),
    // kwok's and kwokctl's configuration (the kwok.x-k8s.io kinds, Stage…, are served CRDs).
    // <https://kwok.sigs.k8s.io/docs/user/configuration/>
    Format::Group("config.kwok.x-k8s.io"),
    // kpt's package file, Kptfile (`metadata.name`).
    // <https://kpt.dev/reference/schema/kptfile/>
    Format::Group("kpt.dev"),
    // Backstage's catalog descriptors (catalog-info.yaml: Component, API, System…) and its
    // scaffolder's Template: read by Backstage, shaped like Kubernetes objects, never applied.
    // <https://backstage.io/docs/features/software-catalog/descriptor-format/>
    Format::Group("backstage.io"),
    Format::Group("scaffolder.backstage.io"),
];

fn is_configuration_format(group: &str, kind: Option<&str>) -> bool {
    CONFIGURATION_FORMATS.iter().any(|f| match f {
        Format::Group(g) => group == *g,
        Format::GroupSuffix(suffix) => group.ends_with(suffix),
        Format::Kind(g, k) => group == *g && kind == Some(*k),
    })
}

/// Whether the API server serves `kind` in `group`: a built-in kind, or a kind of the custom
/// resources cilint reads.
fn is_served(group: &str, kind: &str) -> bool {
    built_in_kinds(group).contains(&kind) || is_modelled(group, kind)
}

/// The kinds kube-apiserver serves in each built-in group (those written in manifests; the
/// create-only reviews are left out: they carry no name).
/// <https://kubernetes.io/docs/reference/kubernetes-api/>
fn built_in_kinds(group: &str) -> &'static [&'static str] {
    match group {
        "" => &[
            "Binding",
            "ComponentStatus",
            "ConfigMap",
            "Endpoints",
            "Event",
            "LimitRange",
            "Namespace",
            "Node",
            "PersistentVolume",
            "PersistentVolumeClaim",
            "Pod",
            "PodTemplate",
            "ReplicationController",
            "ResourceQuota",
            "Secret",
            "Service",
            "ServiceAccount",
        ],
        "admissionregistration.k8s.io" => &[
            "MutatingAdmissionPolicy",
            "MutatingAdmissionPolicyBinding",
            "MutatingWebhookConfiguration",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
            "ValidatingWebhookConfiguration",
        ],
        "apiextensions.k8s.io" => &["CustomResourceDefinition"],
        "apiregistration.k8s.io" => &["APIService"],
        "apps" => &[
            "ControllerRevision",
            "DaemonSet",
            "Deployment",
            "ReplicaSet",
            "StatefulSet",
        ],
        "autoscaling" => &["HorizontalPodAutoscaler"],
        "batch" => &["CronJob", "Job"],
        "certificates.k8s.io" => &[
            "CertificateSigningRequest",
            "ClusterTrustBundle",
            "PodCertificateRequest",
        ],
        "coordination.k8s.io" => &["Lease", "LeaseCandidate"],
        "discovery.k8s.io" => &["EndpointSlice"],
        "events.k8s.io" => &["Event"],
        "extensions" => &[
            "DaemonSet",
            "Deployment",
            "Ingress",
            "NetworkPolicy",
            "PodSecurityPolicy",
            "ReplicaSet",
        ],
        "flowcontrol.apiserver.k8s.io" => &["FlowSchema", "PriorityLevelConfiguration"],
        "internal.apiserver.k8s.io" => &["StorageVersion"],
        "networking.k8s.io" => &[
            "IPAddress",
            "Ingress",
            "IngressClass",
            "NetworkPolicy",
            "ServiceCIDR",
        ],
        "node.k8s.io" => &["RuntimeClass"],
        "policy" => &["PodDisruptionBudget", "PodSecurityPolicy"],
        "rbac.authorization.k8s.io" => {
            &["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]
        }
        "resource.k8s.io" => &[
            "DeviceClass",
            "DeviceTaintRule",
            "ResourceClaim",
            "ResourceClaimTemplate",
            "ResourceSlice",
        ],
        "scheduling.k8s.io" => &["PriorityClass"],
        "storage.k8s.io" => &[
            "CSIDriver",
            "CSINode",
            "CSIStorageCapacity",
            "StorageClass",
            "VolumeAttachment",
            "VolumeAttributesClass",
        ],
        "storagemigration.k8s.io" => &["StorageVersionMigration"],
        _ => &[],
    }
}

/// The custom resources cilint reads (Gateway API, Cilium, and the ones that create Secrets or
/// deploy Helm charts): where their CRDs are installed, the API server serves them.
fn is_modelled(group: &str, kind: &str) -> bool {
    match group {
        GATEWAY_GROUP => {
            RouteKind::from_kind(kind).is_some()
                || matches!(
                    kind,
                    "Gateway" | "GatewayClass" | "ReferenceGrant" | "BackendTLSPolicy"
                )
        }
        "cilium.io" => kind.starts_with("Cilium"),
        "cert-manager.io" => matches!(kind, "Certificate" | "Issuer" | "ClusterIssuer"),
        "external-secrets.io" => {
            matches!(
                kind,
                "ExternalSecret" | "SecretStore" | "ClusterSecretStore"
            )
        }
        "bitnami.com" => kind == "SealedSecret",
        "helm.toolkit.fluxcd.io" => kind == "HelmRelease",
        "kustomize.toolkit.fluxcd.io" => kind == "Kustomization",
        "argoproj.io" => matches!(kind, "Application" | "ApplicationSet" | "AppProject"),
        _ => false,
    }
}

/// Whether `metadata.annotations` mark a document as local configuration, never applied:
/// `config.kubernetes.io/local-config: "true"` (kustomize and kpt drop such objects from their
/// output), or `config.kubernetes.io/function` / `config.k8s.io/function`, the configuration of a
/// KRM function that kustomize runs as a generator, transformer or validator.
/// <https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/generators/>,
/// <https://kpt.dev/reference/annotations/local-config/>
pub fn is_local_config(annotations: Node<'_>) -> bool {
    annotations.as_map().any(|(k, v)| match k.as_str() {
        Some("config.kubernetes.io/local-config") => v.as_str() == Some("true"),
        Some("config.kubernetes.io/function" | "config.k8s.io/function") => true,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotations(text: &str) -> bool {
        let loaded = crate::source::yaml::load(text, &crate::source::LineIndex::new(text));
        is_local_config(loaded.documents[0].root())
    }

    #[test]
    fn local_configuration_is_marked_by_annotations() {
        assert!(annotations("config.kubernetes.io/local-config: \"true\"\n"));
        assert!(!annotations(
            "config.kubernetes.io/local-config: \"false\"\n"
        ));
        assert!(annotations(
            "config.kubernetes.io/function: |\n  container: {}\n"
        ));
        assert!(annotations("config.k8s.io/function: x\n"));
        assert!(!annotations(
            "cert-manager.io/cluster-issuer: letsencrypt\n"
        ));
    }

    fn object(api_version: &str, kind: Option<&str>, metadata: bool) -> Result<(), NotAnObject> {
        classify(api_version, kind, metadata)
    }

    #[test]
    fn api_versions_of_kubernetes_and_of_others() {
        assert_eq!(api_group("v1"), Some(""));
        assert_eq!(api_group("apps/v1"), Some("apps"));
        assert_eq!(api_group("autoscaling/v2beta2"), Some("autoscaling"));
        assert_eq!(api_group("cilium.io/v2alpha1"), Some("cilium.io"));
        assert_eq!(
            api_group("gateway.networking.k8s.io/v1"),
            Some("gateway.networking.k8s.io")
        );
        // Talos machine configuration, Helm's Chart.yaml, kustomize's builtin plugins.
        assert_eq!(api_group("v1alpha1"), None);
        assert_eq!(api_group("v2"), None);
        assert_eq!(api_group("builtin"), None);
        // A group without a dot is a built-in one, or none: Skaffold's `skaffold/v4beta6`.
        assert_eq!(api_group("skaffold/v4beta6"), None);
        assert_eq!(api_group("Apps/v1"), None);
        assert_eq!(api_group("apps/"), None);
        assert_eq!(api_group("/v1"), None);
        assert_eq!(api_group("example.com/v1/extra"), None);
        assert_eq!(api_group(""), None);
    }

    #[test]
    fn talos_machine_configuration_is_not_an_object() {
        for kind in [
            "HostnameConfig",
            "LinkConfig",
            "VolumeConfig",
            "UserVolumeConfig",
            "EthernetConfig",
        ] {
            assert_eq!(
                object("v1alpha1", Some(kind), false),
                Err(NotAnObject::ForeignApiVersion)
            );
        }
        // Even with metadata (talosctl cluster's TalosCluster).
        assert_eq!(
            object("v1alpha1", Some("TalosCluster"), true),
            Err(NotAnObject::ForeignApiVersion)
        );
    }

    #[test]
    fn configuration_formats_are_not_objects() {
        let config = Err(NotAnObject::ConfigurationFile);
        for (api_version, kind, metadata) in [
            ("kubeadm.k8s.io/v1beta4", "InitConfiguration", false),
            ("kubeadm.k8s.io/v1beta3", "ClusterConfiguration", false),
            (
                "kubelet.config.k8s.io/v1beta1",
                "KubeletConfiguration",
                false,
            ),
            (
                "kubeproxy.config.k8s.io/v1alpha1",
                "KubeProxyConfiguration",
                false,
            ),
            (
                "apiserver.config.k8s.io/v1",
                "EncryptionConfiguration",
                false,
            ),
            ("apiserver.k8s.io/v1alpha1", "AdmissionConfiguration", false),
            ("audit.k8s.io/v1", "Policy", false),
            ("kind.x-k8s.io/v1alpha4", "Cluster", false),
            ("k3d.io/v1alpha5", "Simple", true),
            ("k0sctl.k0sproject.io/v1beta1", "Cluster", true),
            ("eksctl.io/v1alpha5", "ClusterConfig", true),
            ("backstage.io/v1alpha1", "Component", true),
            ("v1", "Config", false),
        ] {
            assert_eq!(
                object(api_version, Some(kind), metadata),
                config,
                "{api_version} {kind}"
            );
        }
        // kubectl's own group is not a configuration format.
        assert_eq!(object("v1", Some("ConfigMap"), true), Ok(()));
    }

    #[test]
    fn kustomize_files_stay_objects() {
        assert_eq!(
            object(
                "kustomize.config.k8s.io/v1beta1",
                Some("Kustomization"),
                false
            ),
            Ok(())
        );
        assert_eq!(
            object("kustomize.config.k8s.io/v1alpha1", Some("Component"), false),
            Ok(())
        );
    }

    #[test]
    fn without_metadata_only_served_kinds_are_objects() {
        // Reported for their missing name.
        assert_eq!(object("v1", Some("Service"), false), Ok(()));
        assert_eq!(object("apps/v1", Some("Deployment"), false), Ok(()));
        assert_eq!(
            object(
                "cilium.io/v2alpha1",
                Some("CiliumLoadBalancerIPPool"),
                false
            ),
            Ok(())
        );
        assert_eq!(
            object("gateway.networking.k8s.io/v1", Some("HTTPRoute"), false),
            Ok(())
        );
        // Another program's file that borrows a Kubernetes-looking apiVersion.
        assert_eq!(
            object("v1", Some("EncryptionConfig"), false),
            Err(NotAnObject::NotServed)
        );
        assert_eq!(
            object("example.com/v1", Some("Widget"), false),
            Err(NotAnObject::NotServed)
        );
        // With metadata any kind of a Kubernetes apiVersion is an object (a CRD cilint does not
        // know), and without a kind it is an object kubectl refuses.
        assert_eq!(object("example.com/v1", Some("Widget"), true), Ok(()));
        assert_eq!(object("apps/v1", None, true), Ok(()));
        assert_eq!(
            object("apps/v1", None, false),
            Err(NotAnObject::NotKubernetes)
        );
    }
}
