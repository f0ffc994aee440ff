//! The Catalog: every object of one cluster, indexed once, plus the objects that controllers
//! and commands create. Rules read it and nothing else.

use std::collections::{BTreeSet, HashMap};

use crate::config::ExternalObject;
use crate::model::route::BackendRef;
use crate::model::selector::LabelSelector;
use crate::model::service::{Service, ServicePort};
use crate::model::{
    CILIUM_GATEWAY_CONTROLLER, GATEWAY_GROUP, Label, Object, ObjectId, Origin, Secret, Spec,
    group_of, is_cluster_scoped,
};
use crate::source::commands::{Action, Command};
use crate::source::suppress::Suppression;
use crate::source::yaml::YamlError;
use crate::source::{FileId, Location, Span};

/// The label Cilium puts on a Gateway's Service naming the Gateway (deprecated, still set).
pub const OWNING_GATEWAY_LABEL: &str = "io.cilium.gateway/owning-gateway";
/// The label GEP-1762 requires on a Gateway's generated resources.
pub const GATEWAY_NAME_LABEL: &str = "gateway.networking.k8s.io/gateway-name";
/// Cilium selector keys that match a Service's name and namespace.
pub const SERVICE_NAME_KEY: &str = "io.kubernetes.service.name";
pub const SERVICE_NAMESPACE_KEY: &str = "io.kubernetes.service.namespace";
/// The label the API server sets on every Namespace.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The answer to "does this object exist?".
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup {
    Found(ObjectId),
    Missing,
    /// It may be made by something cilint cannot see; the reason says what.
    Unverifiable(String),
}

/// A route's backendRef to a Service, with the namespace it resolves in and the route's file.
pub struct BackendUse<'a> {
    pub route: &'a Object,
    pub backend: &'a BackendRef,
    pub namespace: &'a str,
    pub file: FileId,
}

/// What one file contributed.
#[derive(Debug, Default)]
pub struct FileContents {
    pub objects: Vec<Object>,
    pub commands: Vec<Command>,
    pub suppressions: Vec<Suppression>,
    pub yaml_error: Option<YamlError>,
    /// YAML documents that are not Kubernetes objects.
    pub skipped_documents: usize,
}

#[derive(Default)]
struct KindIndex {
    ids: Vec<ObjectId>,
    by_name: HashMap<(Option<String>, String), ObjectId>,
}

pub struct Catalog {
    objects: Vec<Object>,
    commands: Vec<(FileId, Command)>,
    suppressions: Vec<(FileId, Suppression)>,
    yaml_errors: Vec<(FileId, YamlError)>,
    kinds: HashMap<(String, String), KindIndex>,
    /// Services by `(label key, value)`, for selector queries.
    service_labels: HashMap<(String, String), Vec<ObjectId>>,
    generated_service: HashMap<ObjectId, ObjectId>,
    pub default_namespace: String,
    pub skipped_documents: usize,
    /// Objects written in manifests (not generated, not made by commands).
    pub manifest_objects: usize,
}

impl Catalog {
    pub fn build(
        files: Vec<(FileId, FileContents)>,
        default_namespace: &str,
        external: &[ExternalObject],
    ) -> Catalog {
        let mut c = Catalog {
            objects: Vec::new(),
            commands: Vec::new(),
            suppressions: Vec::new(),
            yaml_errors: Vec::new(),
            kinds: HashMap::new(),
            service_labels: HashMap::new(),
            generated_service: HashMap::new(),
            default_namespace: default_namespace.to_string(),
            skipped_documents: 0,
            manifest_objects: 0,
        };
        let mut commands = Vec::new();
        for (file, contents) in files {
            c.skipped_documents += contents.skipped_documents;
            if let Some(e) = contents.yaml_error {
                c.yaml_errors.push((file, e));
            }
            for o in contents.objects {
                c.manifest_objects += 1;
                c.insert(o);
            }
            commands.extend(contents.commands.into_iter().map(|cmd| (file, cmd)));
            c.suppressions
                .extend(contents.suppressions.into_iter().map(|s| (file, s)));
        }
        for (_, cmd) in &commands {
            if let Some(o) = c.object_of_command(cmd) {
                c.insert(o);
            }
        }
        c.commands = commands;
        for e in external {
            let o = c.external_object(e);
            c.insert(o);
        }
        c.add_gateway_services();
        c.add_certificate_secrets();
        c
    }

    fn insert(&mut self, o: Object) -> ObjectId {
        let id = ObjectId(self.objects.len() as u32);
        let index = self
            .kinds
            .entry((o.group.clone(), o.kind.clone()))
            .or_default();
        index.ids.push(id);
        // The first object of a name wins; a duplicate is still listed by kind.
        index
            .by_name
            .entry((o.namespace.clone(), o.name.clone()))
            .or_insert(id);
        if o.service().is_some() {
            for l in &o.labels {
                self.service_labels
                    .entry((l.key.clone(), l.value.clone()))
                    .or_default()
                    .push(id);
            }
        }
        self.objects.push(o);
        id
    }

    /// An object the configuration declares as living in the cluster.
    fn external_object(&self, e: &ExternalObject) -> Object {
        let namespace = (!is_cluster_scoped(&e.kind)).then(|| {
            e.namespace
                .clone()
                .unwrap_or_else(|| self.default_namespace.clone())
        });
        Object {
            api_version: e.api_version.clone(),
            group: group_of(&e.api_version).to_string(),
            kind: e.kind.clone(),
            name: e.name.clone(),
            namespace_defaulted: namespace.is_some() && e.namespace.is_none(),
            namespace,
            labels: e
                .labels
                .iter()
                .map(|(k, v)| generated_label(k, v))
                .collect(),
            annotations: Vec::new(),
            origin: Origin::External,
            location: None,
            name_span: Span::default(),
            labels_span: None,
            // Nothing is known of its spec: rules that need one skip it.
            spec: Spec::Other,
        }
    }

    /// The Secret or ConfigMap a `kubectl create` command makes.
    fn object_of_command(&self, cmd: &Command) -> Option<Object> {
        let Action::Create { kind, name } = &cmd.action else {
            return None;
        };
        let namespace = cmd
            .namespace
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_else(|| self.default_namespace.clone());
        Some(Object {
            api_version: "v1".into(),
            group: String::new(),
            kind: kind.kind().into(),
            name: name.text.clone(),
            namespace: Some(namespace),
            namespace_defaulted: cmd.namespace.is_none(),
            labels: Vec::new(),
            annotations: Vec::new(),
            origin: Origin::Command,
            location: Some(Location {
                file: cmd.location.file,
                span: name.span,
            }),
            name_span: name.span,
            labels_span: None,
            spec: match kind.secret_type() {
                Some(t) => Spec::Secret(Secret {
                    secret_type: Some(t.into()),
                    keys: Vec::new(),
                }),
                None => Spec::Other,
            },
        })
    }

    /// For every Gateway of a Cilium class, the Service Cilium generates, with exactly the labels
    /// Cilium puts on it: two fixed ones and `spec.infrastructure.labels`, never
    /// `metadata.labels`.
    fn add_gateway_services(&mut self) {
        let gateways: Vec<ObjectId> = self.of_kind(GATEWAY_GROUP, "Gateway").to_vec();
        for gw_id in gateways {
            if !self.is_cilium_gateway(gw_id) {
                continue;
            }
            let gw = self.object(gw_id);
            let spec = gw.gateway().expect("Gateway kind has a Gateway spec");
            let mut labels = vec![
                generated_label(OWNING_GATEWAY_LABEL, &gw.name),
                generated_label(GATEWAY_NAME_LABEL, &gw.name),
            ];
            for l in &spec.infrastructure_labels {
                labels.retain(|x| x.key != l.key);
                labels.push(l.clone());
            }
            let ports: BTreeSet<u32> = spec.listeners.iter().filter_map(|l| l.port).collect();
            let service = Object {
                api_version: "v1".into(),
                group: String::new(),
                kind: "Service".into(),
                name: generated_service_name(&gw.name),
                namespace: gw.namespace.clone(),
                namespace_defaulted: gw.namespace_defaulted,
                labels,
                annotations: Vec::new(),
                origin: Origin::Generated { by: gw_id },
                location: None,
                name_span: Span::default(),
                labels_span: None,
                spec: Spec::Service(Service {
                    service_type: "LoadBalancer".into(),
                    selector: None,
                    ports: ports
                        .into_iter()
                        .map(|p| ServicePort {
                            name: Some(format!("port-{p}")),
                            port: p,
                            target_port: None,
                            protocol: "TCP".into(),
                            span: Span::default(),
                        })
                        .collect(),
                    load_balancer_class: None,
                    external_traffic_policy: None,
                }),
            };
            let svc_id = self.insert(service);
            self.generated_service.insert(gw_id, svc_id);
        }
    }

    /// The TLS Secret cert-manager creates for every Certificate.
    fn add_certificate_secrets(&mut self) {
        let certificates: Vec<ObjectId> = self.of_kind("cert-manager.io", "Certificate").to_vec();
        for id in certificates {
            let cert = self.object(id);
            let Spec::Certificate {
                secret_name: Some(secret_name),
            } = &cert.spec
            else {
                continue;
            };
            let secret = Object {
                api_version: "v1".into(),
                group: String::new(),
                kind: "Secret".into(),
                name: secret_name.value.clone(),
                namespace: cert.namespace.clone(),
                namespace_defaulted: cert.namespace_defaulted,
                labels: Vec::new(),
                annotations: Vec::new(),
                origin: Origin::Generated { by: id },
                location: None,
                name_span: Span::default(),
                labels_span: None,
                spec: Spec::Secret(Secret {
                    secret_type: Some("kubernetes.io/tls".into()),
                    keys: vec!["tls.crt".into(), "tls.key".into()],
                }),
            };
            self.insert(secret);
        }
    }

    pub fn object(&self, id: ObjectId) -> &Object {
        &self.objects[id.0 as usize]
    }

    pub fn objects(&self) -> impl Iterator<Item = (ObjectId, &Object)> {
        self.objects
            .iter()
            .enumerate()
            .map(|(i, o)| (ObjectId(i as u32), o))
    }

    /// Every object of a kind, in load order (duplicates included).
    pub fn of_kind(&self, group: &str, kind: &str) -> &[ObjectId] {
        self.kinds
            .get(&(group.to_string(), kind.to_string()))
            .map(|k| k.ids.as_slice())
            .unwrap_or(&[])
    }

    pub fn lookup(&self, group: &str, kind: &str, namespace: Option<&str>, name: &str) -> Lookup {
        let found = self
            .kinds
            .get(&(group.to_string(), kind.to_string()))
            .and_then(|k| {
                k.by_name
                    .get(&(namespace.map(str::to_string), name.to_string()))
            });
        match found {
            Some(id) => Lookup::Found(*id),
            None => Lookup::Missing,
        }
    }

    /// Objects of that kind and name in other namespaces: the help for a reference that fails
    /// only because of its namespace.
    pub fn same_name_elsewhere(&self, group: &str, kind: &str, name: &str) -> Vec<&Object> {
        self.of_kind(group, kind)
            .iter()
            .map(|&id| self.object(id))
            .filter(|o| o.name == name)
            .collect()
    }

    /// Names of that kind in a namespace, for "did you mean".
    pub fn names_in<'a>(
        &'a self,
        group: &str,
        kind: &str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.of_kind(group, kind)
            .iter()
            .map(|&id| self.object(id))
            .filter(move |o| o.namespace.as_deref() == namespace)
            .map(|o| o.name.as_str())
    }

    /// Every backendRef to a core Service written in a route, with the namespace it resolves in.
    pub fn service_backend_refs(&self) -> impl Iterator<Item = BackendUse<'_>> {
        self.objects.iter().flat_map(|route_obj| {
            let file = route_obj.location.map(|l| l.file);
            let route_ns = route_obj.namespace.as_deref();
            route_obj
                .route()
                .map(|r| r.backend_refs.as_slice())
                .unwrap_or(&[])
                .iter()
                .filter(|b| b.is_service())
                .filter_map(move |backend| {
                    let namespace = backend
                        .namespace
                        .as_ref()
                        .map(|n| n.as_str())
                        .or(route_ns)?;
                    Some(BackendUse {
                        route: route_obj,
                        backend,
                        namespace,
                        file: file?,
                    })
                })
        })
    }

    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        self.commands.iter().map(|(_, c)| c)
    }

    pub fn yaml_errors(&self) -> &[(FileId, YamlError)] {
        &self.yaml_errors
    }

    /// The `cilint-ignore` comments of every file.
    pub fn suppressions(&self) -> &[(FileId, Suppression)] {
        &self.suppressions
    }

    /// Whether a Gateway's class is Cilium's: a GatewayClass in the tree with Cilium's
    /// controller, or, when the class is not in the tree, the name `cilium` that Cilium's Helm
    /// chart installs.
    pub fn is_cilium_gateway(&self, gw: ObjectId) -> bool {
        let Some(class) = self.object(gw).gateway().and_then(|g| g.class()) else {
            return false;
        };
        match self.lookup(GATEWAY_GROUP, "GatewayClass", None, class) {
            Lookup::Found(id) => match &self.object(id).spec {
                Spec::GatewayClass(c) => {
                    c.controller_name.as_deref() == Some(CILIUM_GATEWAY_CONTROLLER)
                }
                _ => false,
            },
            _ => class == "cilium",
        }
    }

    /// The Service Cilium generates for a Gateway, if it is a Cilium Gateway.
    pub fn generated_service(&self, gw: ObjectId) -> Option<ObjectId> {
        self.generated_service.get(&gw).copied()
    }

    /// The Gateway that generated an object, if it was generated.
    pub fn generator(&self, id: ObjectId) -> Option<ObjectId> {
        match self.object(id).origin {
            Origin::Generated { by } => Some(by),
            _ => None,
        }
    }

    /// Where to point for an object: its name, or for generated objects the name of the object
    /// that generated them.
    pub fn report_location(&self, id: ObjectId) -> Option<Location> {
        match self.object(id).origin {
            Origin::Generated { by } => self.object(by).name_location(),
            _ => self.object(id).name_location(),
        }
    }

    /// Labels of a Service as Cilium's selectors see them: its labels plus the special name and
    /// namespace keys.
    pub fn service_label<'a>(&'a self, svc: &'a Object) -> impl Fn(&str) -> Option<&'a str> {
        move |key| match key {
            SERVICE_NAME_KEY => Some(svc.name.as_str()),
            SERVICE_NAMESPACE_KEY => svc.namespace.as_deref(),
            _ => svc.label(key),
        }
    }

    /// The Services (LoadBalancers Cilium handles, generated ones included) a Cilium selector
    /// selects. `None` as selector selects all of them.
    pub fn cilium_services_matching(&self, selector: Option<&LabelSelector>) -> Vec<ObjectId> {
        let candidates: Vec<ObjectId> = match selector.and_then(|s| self.narrowest_term(s)) {
            Some(ids) => ids.to_vec(),
            None => self.of_kind("", "Service").to_vec(),
        };
        candidates
            .into_iter()
            .filter(|&id| {
                let o = self.object(id);
                o.service().is_some_and(Service::is_cilium_load_balancer)
                    && selector.is_none_or(|s| s.matches(self.service_label(o)))
            })
            .collect()
    }

    /// The smallest posting list among a selector's equality terms, so a query never scans every
    /// Service when one term narrows it.
    fn narrowest_term(&self, s: &LabelSelector) -> Option<&[ObjectId]> {
        let empty: &[ObjectId] = &[];
        s.match_labels
            .iter()
            .filter(|t| t.key != SERVICE_NAME_KEY && t.key != SERVICE_NAMESPACE_KEY)
            .map(|t| {
                self.service_labels
                    .get(&(t.key.clone(), t.value.clone()))
                    .map(Vec::as_slice)
                    .unwrap_or(empty)
            })
            .min_by_key(|ids| ids.len())
    }

    /// The labels of a Namespace as selectors see them, the automatic
    /// `kubernetes.io/metadata.name` included. `None` when the Namespace is not in the tree.
    pub fn namespace_labels(&self, namespace: &str) -> Option<Vec<Label>> {
        let Lookup::Found(id) = self.lookup("", "Namespace", None, namespace) else {
            return None;
        };
        let mut labels = self.object(id).labels.clone();
        labels.retain(|l| l.key != NAMESPACE_NAME_LABEL);
        labels.push(generated_label(NAMESPACE_NAME_LABEL, namespace));
        Some(labels)
    }
}

fn generated_label(key: &str, value: &str) -> Label {
    Label {
        key: key.into(),
        value: value.into(),
        span: Span::default(),
    }
}

/// `cilium-gateway-<name>`, the Service name Cilium gives a Gateway. Names over 63 characters are
/// cut to 52 and suffixed with a 10-character hash, as Cilium's `pkg/shortener` does.
pub fn generated_service_name(gateway: &str) -> String {
    const MAX: usize = 63;
    const HASH: usize = 10;
    let full = format!("cilium-gateway-{gateway}");
    if full.len() <= MAX {
        return full;
    }
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(full.as_bytes());
    // The hex digest's first ten characters, with the letters kubectl's hash encoder swaps to
    // avoid vowels and look-alike digits.
    let hash: String = digest
        .iter()
        .flat_map(|b| [b >> 4, b & 0xf])
        .take(HASH)
        .map(|n| match n {
            0 => 'g',
            1 => 'h',
            3 => 'k',
            0xa => 'm',
            0xe => 't',
            n => char::from_digit(n.into(), 16).unwrap(),
        })
        .collect();
    let mut cut = MAX - HASH - 1;
    while !full.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}-{hash}", &full[..cut])
}

#[cfg(test)]
mod tests {
    use super::generated_service_name;

    #[test]
    fn generated_names_follow_cilium() {
        assert_eq!(
            generated_service_name("cd-arp-gw"),
            "cilium-gateway-cd-arp-gw"
        );
        // Expected value computed independently: sha256 hex, first 10, 0→g 1→h 3→k a→m e→t.
        assert_eq!(
            generated_service_name(&"a".repeat(60)),
            format!("cilium-gateway-{}-b57746456m", "a".repeat(37))
        );
    }
}
