//! Pod-bearing workloads: the pod template's labels, its containers' ports, the port names its
//! probes and hooks use, the ConfigMaps and Secrets it reads, and the workload's own selector.
//! Only names and spans are kept, never the values of environment variables.

use super::selector::LabelSelector;
use super::{Label, Spanned, Text, labels_from, text, text_at};
use crate::source::yaml::Node;

#[derive(Clone, Debug, PartialEq)]
pub struct ContainerPort {
    pub container: Text,
    pub name: Option<Text>,
    pub port: u32,
    pub protocol: Text,
}

/// A probe's or lifecycle hook's `httpGet.port` / `tcpSocket.port` written as a name.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedProbePort {
    pub container: Text,
    /// `livenessProbe`, `readinessProbe`, `startupProbe`, `lifecycle.postStart`,
    /// `lifecycle.preStop`.
    pub probe: &'static str,
    /// `httpGet` or `tcpSocket`.
    pub action: &'static str,
    pub name: Spanned<Text>,
}

/// The kind of object a pod reads its configuration from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigKind {
    ConfigMap,
    Secret,
}

impl ConfigKind {
    pub fn kind(self) -> &'static str {
        match self {
            ConfigKind::ConfigMap => "ConfigMap",
            ConfigKind::Secret => "Secret",
        }
    }
}

/// A ConfigMap or Secret the pod needs (not `optional: true`).
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigRef {
    pub kind: ConfigKind,
    pub name: Spanned<Text>,
    /// The container that reads it; `None` for volumes and `imagePullSecrets`.
    pub container: Option<Text>,
    /// Where it is written: `envFrom`, `env`, `volume <name>`, `imagePullSecrets`.
    pub via: Text,
}

impl ConfigRef {
    /// A ConfigMap a controller writes into every namespace, which no tree makes:
    /// `kube-root-ca.crt` (kube-controller-manager's root CA publisher), and the CA bundles
    /// istiod (`istio-ca-root-cert`) and OpenShift's service CA operator
    /// (`openshift-service-ca.crt`) publish the same way on the clusters that run them.
    pub fn in_every_namespace(&self) -> bool {
        self.kind == ConfigKind::ConfigMap
            && matches!(
                self.name.as_str(),
                "kube-root-ca.crt" | "istio-ca-root-cert" | "openshift-service-ca.crt"
            )
    }
}

/// The workload's own `spec.selector`, where the API server requires one to select the template.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum OwnSelector {
    /// Pods, CronJobs, Jobs without `manualSelector: true`, versions before apps/v1: the API
    /// server writes the selector itself.
    #[default]
    Defaulted,
    /// apps/v1 without `spec.selector`; the span is the `spec` (or the object's kind).
    Missing,
    Written(Box<LabelSelector>),
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Workload {
    /// Labels of the pods it creates (the template's, not the workload's own).
    pub pod_labels: Box<[Label]>,
    /// Span of the template's `metadata.labels` (or of the template), for findings.
    pub pod_labels_span: Option<crate::source::Span>,
    pub ports: Box<[ContainerPort]>,
    pub probe_ports: Box<[NamedProbePort]>,
    pub config_refs: Box<[ConfigRef]>,
    pub selector: OwnSelector,
    /// A StatefulSet's `spec.serviceName`, when written and not empty.
    pub service_name: Option<Spanned<Text>>,
    /// The kustomize `namePrefix` and `nameSuffix` its name was given: kustomize gives the
    /// ConfigMaps, Secrets and Service it names in the same build the same, and rewrites the
    /// references (its nameReference transformer).
    pub renamed: Option<Box<(Text, Text)>>,
}

impl Workload {
    /// A Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob: `template` is its pod
    /// template, `spec` its own spec (for the selector), `api_version` decides whether the
    /// selector is required.
    pub fn from_template(
        api_version: &str,
        kind: &str,
        spec: Option<Node<'_>>,
        template: Option<Node<'_>>,
    ) -> Workload {
        let mut w = match template {
            Some(t) => Workload {
                pod_labels: labels_from(t.at(&["metadata", "labels"])),
                pod_labels_span: Some(t.at(&["metadata", "labels"]).unwrap_or(t).span()),
                ..Workload::of_pod_spec(t.get("spec"))
            },
            None => Workload::default(),
        };
        w.selector = own_selector(api_version, kind, spec);
        if kind == "StatefulSet" {
            w.service_name = spec
                .and_then(|s| s.get("serviceName"))
                .and_then(Spanned::from_str_node)
                .filter(|n| !n.value.is_empty());
        }
        w
    }

    pub fn from_pod(doc: Node<'_>) -> Workload {
        Workload {
            pod_labels: labels_from(doc.at(&["metadata", "labels"])),
            ..Workload::of_pod_spec(doc.get("spec"))
        }
    }

    fn of_pod_spec(spec: Option<Node<'_>>) -> Workload {
        let Some(spec) = spec else {
            return Workload::default();
        };
        let mut w = Workload::default();
        let mut ports = Vec::new();
        let mut probes = Vec::new();
        let mut refs = Vec::new();
        for list in ["containers", "initContainers"] {
            for c in spec.get(list).map(Node::as_seq).unwrap_or_default() {
                let container = text(c.get("name").and_then(Node::as_str).unwrap_or_default());
                ports_of(c, &container, &mut ports);
                probe_ports(c, &container, &mut probes);
                container_refs(c, &container, &mut refs);
            }
        }
        volume_refs(spec, &mut refs);
        for s in spec
            .get("imagePullSecrets")
            .map(Node::as_seq)
            .unwrap_or_default()
        {
            push_ref(
                &mut refs,
                ConfigKind::Secret,
                s.get("name"),
                None,
                "imagePullSecrets",
            );
        }
        w.ports = ports.into();
        w.probe_ports = probes.into();
        w.config_refs = refs.into();
        w
    }

    /// Whether a Service selector (equality terms) selects this workload's pods.
    pub fn selected_by(&self, selector: &[(Text, Text)]) -> bool {
        !selector.is_empty()
            && selector
                .iter()
                .all(|(k, v)| self.pod_labels.iter().any(|l| l.key == *k && l.value == *v))
    }

    /// The value of a pod template label.
    pub fn pod_label(&self, key: &str) -> Option<&str> {
        super::label_value(&self.pod_labels, key)
    }
}

/// The selector the API server requires: apps/v1 Deployments, StatefulSets, DaemonSets and
/// ReplicaSets (`ValidateDeploymentSpec` and its siblings: "Required value"), and Jobs that
/// set `manualSelector: true` (otherwise the Job controller generates it).
fn own_selector(api_version: &str, kind: &str, spec: Option<Node<'_>>) -> OwnSelector {
    let selector = spec.and_then(|s| s.get("selector"));
    let required = match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => api_version == "apps/v1",
        "Job" => {
            spec.and_then(|s| s.get("manualSelector"))
                .and_then(Node::as_bool)
                == Some(true)
        }
        _ => false,
    };
    match (required, selector) {
        (false, _) => OwnSelector::Defaulted,
        (true, Some(s)) if !s.is_null() => OwnSelector::Written(LabelSelector::from_node(s).into()),
        (true, _) => OwnSelector::Missing,
    }
}

fn ports_of(c: Node<'_>, container: &Text, out: &mut Vec<ContainerPort>) {
    for p in c.get("ports").map(Node::as_seq).unwrap_or_default() {
        let Some(port) = p.get("containerPort").and_then(Node::as_u32) else {
            continue;
        };
        out.push(ContainerPort {
            container: *container,
            name: p.get("name").and_then(Node::as_str).map(text),
            port,
            protocol: text_at(p, "protocol", "TCP"),
        });
    }
}

/// The probe and hook ports written as names. A number (also a quoted one: the kubelet parses
/// it) is never a name; `grpc.port` is a number only.
fn probe_ports(c: Node<'_>, container: &Text, out: &mut Vec<NamedProbePort>) {
    const PROBES: [(&str, &[&str]); 5] = [
        ("livenessProbe", &["livenessProbe"]),
        ("readinessProbe", &["readinessProbe"]),
        ("startupProbe", &["startupProbe"]),
        ("lifecycle.postStart", &["lifecycle", "postStart"]),
        ("lifecycle.preStop", &["lifecycle", "preStop"]),
    ];
    for (probe, path) in PROBES {
        let Some(handler) = c.at(path) else { continue };
        for action in ["httpGet", "tcpSocket"] {
            let Some(port) = handler.at(&[action, "port"]) else {
                continue;
            };
            let Some(name) = port.as_str().filter(|s| !s.is_empty()) else {
                continue;
            };
            if name.parse::<i64>().is_ok() {
                continue;
            }
            out.push(NamedProbePort {
                container: *container,
                probe,
                action,
                name: Spanned {
                    value: text(name),
                    span: port.span(),
                },
            });
        }
    }
}

/// Whether a reference is `optional: true`: the kubelet then starts the pod without it.
fn optional(r: Node<'_>) -> bool {
    r.get("optional").and_then(Node::as_bool) == Some(true)
}

fn push_ref(
    out: &mut Vec<ConfigRef>,
    kind: ConfigKind,
    name: Option<Node<'_>>,
    container: Option<&Text>,
    via: &str,
) {
    let Some(name) = name.and_then(Spanned::from_str_node) else {
        return;
    };
    if name.value.is_empty() {
        return;
    }
    out.push(ConfigRef {
        kind,
        name,
        container: container.cloned(),
        via: text(via),
    });
}

fn container_refs(c: Node<'_>, container: &Text, out: &mut Vec<ConfigRef>) {
    for e in c.get("envFrom").map(Node::as_seq).unwrap_or_default() {
        for (key, kind) in [
            ("configMapRef", ConfigKind::ConfigMap),
            ("secretRef", ConfigKind::Secret),
        ] {
            if let Some(r) = e.get(key).filter(|r| !optional(*r)) {
                push_ref(out, kind, r.get("name"), Some(container), "envFrom");
            }
        }
    }
    for e in c.get("env").map(Node::as_seq).unwrap_or_default() {
        let Some(from) = e.get("valueFrom") else {
            continue;
        };
        for (key, kind) in [
            ("configMapKeyRef", ConfigKind::ConfigMap),
            ("secretKeyRef", ConfigKind::Secret),
        ] {
            if let Some(r) = from.get(key).filter(|r| !optional(*r)) {
                let var = e.get("name").and_then(Node::as_str).unwrap_or_default();
                let via = format!("env {var}");
                push_ref(out, kind, r.get("name"), Some(container), &via);
            }
        }
    }
}

fn volume_refs(spec: Node<'_>, out: &mut Vec<ConfigRef>) {
    for v in spec.get("volumes").map(Node::as_seq).unwrap_or_default() {
        let via = || {
            let volume = v.get("name").and_then(Node::as_str).unwrap_or_default();
            format!("volume {volume}")
        };
        // One pass over the volume's keys: most volumes are claims, emptyDirs and hostPaths.
        for (key, source) in v.as_map() {
            match key.as_str() {
                Some("configMap") if !optional(source) => {
                    push_ref(out, ConfigKind::ConfigMap, source.get("name"), None, &via());
                }
                Some("secret") if !optional(source) => {
                    push_ref(
                        out,
                        ConfigKind::Secret,
                        source.get("secretName"),
                        None,
                        &via(),
                    );
                }
                Some("projected") => {
                    for s in source.get("sources").map(Node::as_seq).unwrap_or_default() {
                        if let Some(cm) = s.get("configMap").filter(|r| !optional(*r)) {
                            push_ref(out, ConfigKind::ConfigMap, cm.get("name"), None, &via());
                        }
                        if let Some(secret) = s.get("secret").filter(|r| !optional(*r)) {
                            push_ref(out, ConfigKind::Secret, secret.get("name"), None, &via());
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// The kinds whose objects are [`Workload`]s: (group, kind).
pub const WORKLOAD_KINDS: [(&str, &str); 7] = [
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("apps", "ReplicaSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("", "Pod"),
];
