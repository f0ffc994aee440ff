//! Typed, read-only views of the objects cilint understands. Each document is turned into an
//! [`Object`] while its file is loaded; the YAML tree is dropped afterwards.

pub mod api;
pub mod app_template;
pub mod cilium;
pub mod cilium_bgp;
pub mod cilium_config;
pub mod config_maker;
pub mod gateway;
pub mod gateway_address;
pub mod gitops;
pub mod go_regexp;
pub mod helm;
pub mod hostname;
pub mod listener_set;
pub mod listener_tls;
pub mod reference_grant;
pub mod replacement;
pub mod route;
pub mod route_kinds;
pub mod secret;
pub mod selector;
pub mod service;
pub mod shared;
pub mod suggest;
mod text;
pub mod versions;
pub mod workload;

use crate::source::yaml::Node;
use crate::source::{Location, Span};

pub use api::NotAnObject;
pub use cilium::{BgpAdvertisement, L2Policy, LbIpPool};
pub use gateway::{Gateway, GatewayClass, GatewayClassConfig};
pub use route::Route;
pub use secret::Secret;
pub use service::Service;
pub use workload::Workload;

pub use text::Text;

/// `text` as a [`Text`].
pub fn text(text: &str) -> Text {
    Text::new(text)
}

/// A node's string, when it is one and not empty.
pub fn non_empty_string(node: Option<Node<'_>>) -> Option<String> {
    node.and_then(Node::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The string at `key` of `node`, else `default` (the API's default for an omitted field).
pub fn text_at(node: Node<'_>, key: &str, default: &str) -> Text {
    text(node.get(key).and_then(Node::as_str).unwrap_or(default))
}

/// The API group of the Gateway API.
pub const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";
/// The controller name of Cilium's GatewayClass.
pub const CILIUM_GATEWAY_CONTROLLER: &str = "io.cilium/gateway-controller";

/// A value with the span of the node it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl Spanned<Text> {
    pub fn from_str_node(node: Node<'_>) -> Option<Spanned<Text>> {
        Some(Spanned {
            value: text(node.as_str()?),
            span: node.span(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// One `key: value` of `metadata.labels` (or `spec.infrastructure.labels`) with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub key: Text,
    pub value: Text,
    pub span: Span,
}

pub fn labels_from(node: Option<Node<'_>>) -> Box<[Label]> {
    node.map(Node::as_map)
        .unwrap_or_default()
        .filter_map(|(k, v)| {
            Some(Label {
                key: text(k.as_str()?),
                value: text(v.as_str().unwrap_or_default()),
                span: Span {
                    start: k.span().start,
                    end: v.span().end.max(k.span().end),
                },
            })
        })
        .collect()
}

/// An annotations map, each value with its span.
pub fn annotations_from(node: Option<Node<'_>>) -> Box<[(Text, Spanned<Text>)]> {
    node.map(Node::as_map)
        .unwrap_or_default()
        .filter_map(|(k, v)| {
            Some((
                text(k.as_str()?),
                Spanned {
                    value: text(v.as_str().unwrap_or_default()),
                    span: v.span(),
                },
            ))
        })
        .collect()
}

pub fn label_value<'a>(labels: &'a [Label], key: &str) -> Option<&'a str> {
    labels
        .iter()
        .find(|l| l.key == key)
        .map(|l| l.value.as_str())
}

/// Where an object in the Catalog comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// A document in a manifest file.
    Manifest,
    /// Made by a controller from another object (Cilium's Service for a Gateway).
    Generated { by: ObjectId },
    /// Made by a `kubectl create` command in a script, a Markdown file or a comment.
    Command,
    /// Declared in the configuration as living in the cluster but not in git.
    External,
    /// Made by a kustomize generator (`configMapGenerator`, `secretGenerator`).
    Generator,
    /// Rendered by a Helm chart cilint models (app-template) from the values of a release: a
    /// Service or route whose fields point at the values that made them.
    Rendered { by: ObjectId },
}

/// Index of an object in the Catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId(pub u32);

/// The typed part of an object, for the kinds rules read. Each kind's spec is boxed: an object of
/// a kind no rule reads (a ConfigMap, a Namespace) then costs a pointer, not the largest spec.
#[derive(Clone, Debug, PartialEq)]
pub enum Spec {
    Gateway(Box<Gateway>),
    GatewayClass(Box<GatewayClass>),
    GatewayClassConfig(Box<GatewayClassConfig>),
    Route(Box<Route>),
    Service(Box<Service>),
    Workload(Box<Workload>),
    Secret(Box<Secret>),
    LbIpPool(Box<LbIpPool>),
    L2Policy(Box<L2Policy>),
    BgpAdvertisement(Box<BgpAdvertisement>),
    BgpClusterConfig(Box<cilium_bgp::BgpClusterConfig>),
    BgpPeerConfig(Box<cilium_bgp::BgpPeerConfig>),
    BgpPeeringPolicy(Box<cilium_bgp::BgpPeeringPolicy>),
    ReferenceGrant(Box<reference_grant::ReferenceGrant>),
    ListenerSet(Box<listener_set::ListenerSet>),
    /// A cert-manager `Certificate`: cert-manager creates the Secret `spec.secretName`.
    Certificate {
        secret_name: Option<Box<Spanned<Text>>>,
    },
    /// An External Secrets `ExternalSecret`: the operator creates the Secret `spec.target.name`,
    /// else one named as the ExternalSecret.
    ExternalSecret {
        target_name: Option<Text>,
    },
    /// A secret manager's or copier's resource: the Secrets and ConfigMaps its controller makes.
    ConfigMaker(Box<config_maker::ConfigMaker>),
    /// A Bitnami `SealedSecret`: the controller creates the Secret
    /// `spec.template.metadata.name`, else one named as the SealedSecret.
    SealedSecret {
        template_name: Option<Text>,
    },
    /// A Flux `OCIRepository`: the app-template version it pins, when its URL is app-template's.
    OciRepository {
        app_template: Option<Box<app_template::Version>>,
    },
    /// Helm charts the object deploys (Flux HelmRelease, Argo CD Application or ApplicationSet,
    /// kustomize helmCharts): their objects are invisible to cilint.
    HelmCharts(Box<[helm::HelmChart]>),
    Other,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// `group/version`, or `version` for the core group: see [`Object::group`].
    pub api_version: Text,
    pub kind: Text,
    pub name: Text,
    /// `None` for cluster-scoped kinds.
    pub namespace: Option<Text>,
    /// The object has no `metadata.namespace`: it landed in the `--namespace` given.
    pub namespace_defaulted: bool,
    /// A kustomize patch that cilint cannot apply exactly may change it: what it holds is not
    /// known, so nothing is reported about it and a reference it might satisfy is unverified.
    pub unverifiable: bool,
    pub labels: Box<[Label]>,
    /// `metadata.annotations`, with the span of each value.
    pub annotations: Box<[(Text, Spanned<Text>)]>,
    pub origin: Origin,
    /// Where the object is written: the document for manifests, the command word for objects
    /// made by commands, `None` for generated objects.
    pub location: Option<Location>,
    /// Span of `metadata.name` (or of the object when it has none).
    pub name_span: Span,
    /// Span of `metadata.labels`, if written.
    pub labels_span: Option<Span>,
    pub spec: Spec,
}

impl Object {
    pub fn label(&self, key: &str) -> Option<&str> {
        label_value(&self.labels, key)
    }

    /// The API group, from `apiVersion` (`""` for the core group).
    pub fn group(&self) -> &str {
        group_of(&self.api_version)
    }

    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.group() == group && self.kind == kind
    }

    /// `namespace/name`, or `name` for cluster-scoped objects.
    pub fn qualified_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.to_string(),
        }
    }

    /// The location a finding about this object points at when nothing more exact exists.
    pub fn name_location(&self) -> Option<Location> {
        self.at(self.name_span)
    }

    /// A span of the file this object is written in, as a location.
    pub fn at(&self, span: Span) -> Option<Location> {
        self.location.map(|l| Location { file: l.file, span })
    }

    pub fn gateway(&self) -> Option<&Gateway> {
        match &self.spec {
            Spec::Gateway(g) => Some(g),
            _ => None,
        }
    }

    pub fn listener_set(&self) -> Option<&listener_set::ListenerSet> {
        match &self.spec {
            Spec::ListenerSet(s) => Some(s),
            _ => None,
        }
    }

    pub fn route(&self) -> Option<&Route> {
        match &self.spec {
            Spec::Route(r) => Some(r),
            _ => None,
        }
    }

    pub fn service(&self) -> Option<&Service> {
        match &self.spec {
            Spec::Service(s) => Some(s),
            _ => None,
        }
    }
}

/// The kinds the API server keeps without a namespace (the ones manifests commonly hold).
pub fn is_cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "Node"
            | "PersistentVolume"
            | "StorageClass"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "CustomResourceDefinition"
            | "PriorityClass"
            | "IngressClass"
            | "RuntimeClass"
            | "CSIDriver"
            | "VolumeAttachment"
            | "APIService"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding"
            | "PodSecurityPolicy"
            | "GatewayClass"
            | "ClusterIssuer"
            | "ClusterSecretStore"
            | "CiliumLoadBalancerIPPool"
            | "CiliumL2AnnouncementPolicy"
            | "CiliumBGPClusterConfig"
            | "CiliumBGPPeerConfig"
            | "CiliumBGPAdvertisement"
            | "CiliumBGPNodeConfig"
            | "CiliumBGPNodeConfigOverride"
            | "CiliumBGPPeeringPolicy"
            | "CiliumClusterwideNetworkPolicy"
            | "CiliumClusterwideEnvoyConfig"
            | "CiliumCIDRGroup"
            | "CiliumPodIPPool"
            | "CiliumNode"
            | "CiliumExternalWorkload"
    )
}

/// A group of custom resources whose operators may make or read Secrets and ConfigMaps: not
/// built in (no dot, `*.k8s.io`), nor the GitOps tools' and Cilium's own.
fn is_custom_resource(group: &str) -> bool {
    group.contains('.')
        && !group.ends_with("k8s.io")
        && !group.ends_with("toolkit.fluxcd.io")
        && !matches!(
            group,
            "argoproj.io" | "cilium.io" | "kustomize.config.k8s.io"
        )
}

/// Splits `apiVersion` into its group (`""` for core `v1`).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("")
}

impl Object {
    /// Turns a document into objects: one, or the items of a `kind: List`. `default_namespace`
    /// is where objects without `metadata.namespace` land.
    pub fn from_document(
        doc: Node<'_>,
        file: crate::source::FileId,
        default_namespace: &str,
    ) -> Result<Vec<Object>, NotAnObject> {
        Object::from_document_as(doc, file, default_namespace, None)
    }

    /// [`Object::from_document`] for a document that may lack `apiVersion` and `kind`, with the
    /// `(apiVersion, kind)` assumed then (kustomize reads kustomization files so).
    pub fn from_document_as(
        doc: Node<'_>,
        file: crate::source::FileId,
        default_namespace: &str,
        assumed: Option<(&str, &str)>,
    ) -> Result<Vec<Object>, NotAnObject> {
        let written_api_version = doc.get("apiVersion").and_then(Node::as_str);
        let Some(api_version) = written_api_version.or(assumed.map(|a| a.0)) else {
            return Err(NotAnObject::NotKubernetes);
        };
        let has_metadata = doc.get("metadata").is_some_and(Node::is_map);
        let kind = doc
            .get("kind")
            .and_then(Node::as_str)
            .or(assumed.map(|a| a.1));
        // A list's items are decided one by one: the list itself needs no metadata.
        let list = kind.is_some_and(|k| k.ends_with("List")) && doc.get("items").is_some();
        api::classify(api_version, kind, has_metadata || list)?;
        // `apiVersion` and a `metadata` map without `kind` is an object kubectl refuses
        // ("Object 'Kind' is missing"): kept with an empty kind for invalid-object to report.
        let kind = kind.unwrap_or_default();
        if list {
            let mut out = Vec::new();
            for item in doc.get("items").map(Node::as_seq).unwrap_or_default() {
                if let Ok(objs) = Object::from_document(item, file, default_namespace) {
                    out.extend(objs);
                }
            }
            return Ok(out);
        }
        let metadata = doc.get("metadata");
        if metadata
            .and_then(|m| m.get("annotations"))
            .is_some_and(api::is_local_config)
        {
            return Err(NotAnObject::LocalConfiguration);
        }
        // An object named by `generateName` (for `kubectl create`) is known by its prefix.
        let name_node = metadata.and_then(|m| m.get("name").or_else(|| m.get("generateName")));
        let name = name_node.and_then(Node::as_str).unwrap_or_default();
        let written = metadata
            .and_then(|m| m.get("namespace"))
            .and_then(Node::as_str)
            .filter(|ns| !ns.is_empty());
        let namespace =
            (!is_cluster_scoped(kind)).then(|| text(written.unwrap_or(default_namespace)));
        let namespace_defaulted = namespace.is_some() && written.is_none();
        let labels_node = metadata.and_then(|m| m.get("labels"));
        let annotations = annotations_from(metadata.and_then(|m| m.get("annotations")));
        let group = group_of(api_version);
        let mut spec = if config_maker::is_maker(group, kind) {
            Spec::ConfigMaker(config_maker::from_document(group, kind, name, doc).into())
        } else {
            Spec::from_document(group, kind, doc)
        };
        if matches!(spec, Spec::Other)
            && is_custom_resource(group)
            && let Some(named) = config_maker::named_in_spec(doc)
        {
            spec = Spec::ConfigMaker(named.into());
        }
        if let Spec::Service(svc) = &mut spec {
            svc.request_from_annotations(&annotations);
        }
        Ok(vec![Object {
            api_version: text(api_version),
            kind: text(kind),
            name: text(name),
            namespace,
            namespace_defaulted,
            unverifiable: false,
            labels: labels_from(labels_node),
            annotations,
            origin: Origin::Manifest,
            location: Some(Location {
                file,
                span: doc.span(),
            }),
            name_span: name_node.map(|n| n.span()).unwrap_or(doc.span()),
            labels_span: labels_node.map(|n| n.span()),
            spec,
        }])
    }
}

impl Spec {
    fn from_document(group: &str, kind: &str, doc: Node<'_>) -> Spec {
        let spec = doc.get("spec");
        match (group, kind) {
            (GATEWAY_GROUP, "Gateway") => Spec::Gateway(Gateway::from_spec(spec).into()),
            (GATEWAY_GROUP, "GatewayClass") => {
                Spec::GatewayClass(GatewayClass::from_spec(spec).into())
            }
            (GATEWAY_GROUP, k) if route::RouteKind::from_kind(k).is_some() => {
                Spec::Route(Route::from_spec(route::RouteKind::from_kind(k).unwrap(), spec).into())
            }
            (GATEWAY_GROUP, "ReferenceGrant") => {
                Spec::ReferenceGrant(reference_grant::ReferenceGrant::from_spec(spec).into())
            }
            (g, k) if listener_set::is_listener_set(g, k) => {
                Spec::ListenerSet(listener_set::ListenerSet::from_spec(spec).into())
            }
            ("", "Service") => Spec::Service(Service::from_spec(spec).into()),
            ("", "Secret") => Spec::Secret(Secret::from_document(doc).into()),
            ("", "Pod") => Spec::Workload(Workload::from_pod(doc).into()),
            ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
            | ("batch", "Job") => {
                let api_version = doc
                    .get("apiVersion")
                    .and_then(Node::as_str)
                    .unwrap_or_default();
                let template = spec.and_then(|s| s.get("template"));
                Spec::Workload(Workload::from_template(api_version, kind, spec, template).into())
            }
            ("batch", "CronJob") => Spec::Workload(
                Workload::from_template(
                    "batch/v1",
                    kind,
                    None,
                    spec.and_then(|s| s.at(&["jobTemplate", "spec", "template"])),
                )
                .into(),
            ),
            ("cilium.io", "CiliumLoadBalancerIPPool") => {
                Spec::LbIpPool(LbIpPool::from_spec(spec).into())
            }
            ("cilium.io", "CiliumGatewayClassConfig") => {
                Spec::GatewayClassConfig(GatewayClassConfig::from_spec(spec).into())
            }
            ("cilium.io", "CiliumL2AnnouncementPolicy") => {
                Spec::L2Policy(L2Policy::from_spec(spec).into())
            }
            ("cilium.io", "CiliumBGPAdvertisement") => {
                Spec::BgpAdvertisement(BgpAdvertisement::from_spec(spec).into())
            }
            ("cilium.io", "CiliumBGPClusterConfig") => {
                Spec::BgpClusterConfig(cilium_bgp::BgpClusterConfig::from_spec(spec).into())
            }
            ("cilium.io", "CiliumBGPPeerConfig") => {
                Spec::BgpPeerConfig(cilium_bgp::BgpPeerConfig::from_spec(spec).into())
            }
            ("cilium.io", "CiliumBGPPeeringPolicy") => {
                Spec::BgpPeeringPolicy(cilium_bgp::BgpPeeringPolicy::from_spec(spec).into())
            }
            ("cert-manager.io", "Certificate") => Spec::Certificate {
                secret_name: spec
                    .and_then(|s| s.get("secretName"))
                    .and_then(Spanned::from_str_node)
                    .map(Box::new),
            },
            ("external-secrets.io", "ExternalSecret") => Spec::ExternalSecret {
                target_name: string_at(spec, &["target", "name"]),
            },
            ("bitnami.com", "SealedSecret") => Spec::SealedSecret {
                template_name: string_at(spec, &["template", "metadata", "name"]),
            },
            ("helm.toolkit.fluxcd.io", "HelmRelease") => {
                Spec::HelmCharts(helm::from_helm_release(doc))
            }
            ("source.toolkit.fluxcd.io", "OCIRepository") => Spec::OciRepository {
                app_template: app_template::oci_repository_version(doc).map(Box::new),
            },
            ("argoproj.io", "Application") => Spec::HelmCharts(helm::from_argo_application(spec)),
            ("argoproj.io", "ApplicationSet") => {
                Spec::HelmCharts(helm::from_argo_application_set(spec))
            }
            ("kustomize.config.k8s.io", "Kustomization") => {
                Spec::HelmCharts(helm::from_kustomization(doc))
            }
            _ => Spec::Other,
        }
    }
}

/// A non-empty string at a path under `spec`.
fn string_at(spec: Option<Node<'_>>, path: &[&str]) -> Option<Text> {
    spec.and_then(|s| s.at(path))
        .and_then(Node::as_str)
        .filter(|s| !s.is_empty())
        .map(text)
}

/// The first object of a YAML text, in `namespace` unless it names one: for the model's tests.
#[cfg(test)]
pub(crate) fn first_object(text: &str, namespace: &str) -> Object {
    use crate::source::{FileId, LineIndex, yaml};
    let loaded = yaml::load(text, &LineIndex::new(text));
    Object::from_document(loaded.documents[0].root(), FileId(0), namespace)
        .expect("an object")
        .remove(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_keep_their_value_in_one_pointer() {
        let long = "preview.cyberdyne-1722.example.net";
        assert_eq!(text(long), long);
        assert_eq!(text(GATEWAY_GROUP), GATEWAY_GROUP);
        assert_eq!(std::mem::size_of::<Text>(), 8);
        assert_eq!(std::mem::size_of::<Option<Text>>(), 8);
    }

    /// Every loaded object costs this much, and the 100k-object benchmark holds them all (256
    /// bytes before its strings were interned).
    #[test]
    fn an_object_stays_184_bytes() {
        assert_eq!(std::mem::size_of::<Object>(), 184);
    }
}
