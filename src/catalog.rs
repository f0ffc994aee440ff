//! The Catalog: every object of one cluster, indexed once, plus the objects that controllers
//! and commands create. Rules read it and nothing else.

mod charts;
pub mod gateway_classes;
mod grants;
pub mod operators;

use std::collections::BTreeSet;

/// The Catalog's maps hash short names millions of times on large trees: a fast hasher with a
/// fixed seed (the maps are never iterated into output, and no input is adversarial).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

use rayon::prelude::*;
use smallvec::SmallVec;

pub use charts::ReleaseRender;

use crate::config::ExternalObject;
use crate::layout::Shadow;
use crate::load::{Build, FileContents};
use crate::model::cilium_config::{CiliumSetting, Setting};
use crate::model::helm::HelmChart;
use crate::model::route::BackendRef;
use crate::model::selector::{LabelSelector, Operator};
use crate::model::service::{Service, ServicePort};
use crate::model::shared::SharedVec;
use crate::model::versions::Pin;
use crate::model::{
    CILIUM_GATEWAY_CONTROLLER, GATEWAY_GROUP, Label, Object, ObjectId, Origin, Secret, Spec, Text,
    Workload, is_cluster_scoped, text,
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

/// Why a reference missed, when the tree says why: what it names is written, but not deployed
/// (a file its kustomization does not list) or not an object kubectl accepts (no `kind`). The
/// finding of the reference says so, and points there.
#[derive(Clone, Debug, PartialEq)]
pub struct MissReason {
    /// Appended to the finding's message.
    pub sentence: String,
    pub help: String,
    /// Where the object is written, and what to say there.
    pub location: Option<Location>,
    pub note: String,
}

/// Shadows by (group, kind, namespace, name).
type ShadowKey = (Text, Text, Option<Text>, Text);

/// Objects of one kind in one namespace (or cluster-scoped).
#[derive(Default)]
struct Names {
    /// The first object of each name.
    first: HashMap<Text, ObjectId>,
    /// Every object, in load order.
    ids: Vec<ObjectId>,
}

/// Objects of one kind, indexed for every question rules ask so none scans the kind.
#[derive(Default)]
struct KindIndex {
    ids: Vec<ObjectId>,
    cluster_scoped: Names,
    namespaced: HashMap<Text, Names>,
    /// Every object of a name, in any namespace, in load order.
    named: HashMap<Text, SmallVec<[ObjectId; 2]>>,
    /// Each object whose namespace and name an earlier object of the kind has, with the first.
    repeated: Vec<(ObjectId, ObjectId)>,
}

impl KindIndex {
    fn add(&mut self, id: ObjectId, o: &Object) {
        self.ids.push(id);
        let names = match &o.namespace {
            None => &mut self.cluster_scoped,
            Some(ns) => entry(&mut self.namespaced, ns),
        };
        names.ids.push(id);
        // The first object of a name wins; a duplicate is still listed by kind.
        match names.first.get(o.name.as_str()) {
            Some(&first) => self.repeated.push((first, id)),
            None => {
                names.first.insert(o.name, id);
            }
        }
        entry(&mut self.named, &o.name).push(id);
    }

    fn names(&self, namespace: Option<&str>) -> Option<&Names> {
        match namespace {
            None => Some(&self.cluster_scoped),
            Some(ns) => self.namespaced.get(ns),
        }
    }
}

/// A map keyed by (group, kind) that answers `&str` queries without building owned keys.
type ByKind<T> = HashMap<Text, HashMap<Text, T>>;

fn by_kind<'m, T>(map: &'m ByKind<T>, group: &str, kind: &str) -> Option<&'m T> {
    map.get(group).and_then(|kinds| kinds.get(kind))
}

fn by_kind_mut<'m, T: Default>(map: &'m mut ByKind<T>, group: &str, kind: &str) -> &'m mut T {
    entry(entry(map, group), kind)
}

/// Every object's id by kind, each list in load order; ranges of objects are grouped in
/// parallel, then their lists joined in order.
fn ids_by_kind(objects: &Objects) -> ByKind<Vec<ObjectId>> {
    (0..objects.len() as u32)
        .into_par_iter()
        .map(ObjectId)
        .fold(HashMap::default, |mut ids: ByKind<Vec<ObjectId>>, id| {
            let o = objects.get(id);
            by_kind_mut(&mut ids, o.group(), &o.kind).push(id);
            ids
        })
        .reduce(HashMap::default, |mut earlier, later| {
            for (group, kinds) in later {
                for (kind, mut ids) in kinds {
                    by_kind_mut(&mut earlier, &group, &kind).append(&mut ids);
                }
            }
            earlier
        })
}

/// `map.entry(key).or_default()` that copies the key only when it is new.
fn entry<'m, T: Default>(map: &'m mut HashMap<Text, T>, key: &str) -> &'m mut T {
    if !map.contains_key(key) {
        map.insert(text(key), T::default());
    }
    map.get_mut(key).expect("inserted above")
}

/// Every object, in load order: each file's objects in the list loading put them in, then the
/// objects the Catalog adds, in a chunk of their own. Moving them all into one Vec would copy
/// tens of MB into freshly mapped pages on large trees, which took longer than building every
/// index; and a file's list is shared with the workspace that keeps it (`cilint server`).
#[derive(Default)]
struct Objects {
    chunks: Vec<SharedVec<Object>>,
    /// The chunk and position of each object, by ObjectId.
    at: Vec<(u32, u32)>,
    /// The last chunk is the Catalog's own, not a file's.
    own_last: bool,
}

impl Objects {
    /// Adds a file's objects, as a chunk of their own.
    fn extend(&mut self, objects: SharedVec<Object>) {
        if objects.is_empty() {
            return;
        }
        let chunk = self.chunks.len() as u32;
        self.at
            .extend((0..objects.len() as u32).map(|i| (chunk, i)));
        self.chunks.push(objects);
        self.own_last = false;
    }

    /// Adds one object at the end: in the last chunk when it is the Catalog's own, never in a
    /// file's list (which another may share).
    fn push(&mut self, o: Object) {
        if !self.own_last {
            self.chunks.push(SharedVec::default());
            self.own_last = true;
        }
        let chunk = self.chunks.len() - 1;
        self.at
            .push((chunk as u32, self.chunks[chunk].len() as u32));
        self.chunks[chunk].push(o);
    }

    fn get(&self, id: ObjectId) -> &Object {
        let (chunk, i) = self.at[id.0 as usize];
        &self.chunks[chunk as usize][i as usize]
    }

    fn get_mut(&mut self, id: ObjectId) -> &mut Object {
        let (chunk, i) = self.at[id.0 as usize];
        &mut self.chunks[chunk as usize][i as usize]
    }

    fn len(&self) -> usize {
        self.at.len()
    }

    fn iter(&self) -> impl Iterator<Item = &Object> {
        self.chunks.iter().flatten()
    }
}

/// The indexes across kinds.
#[derive(Default)]
struct Across {
    /// Services by label key, then value, for selector queries.
    service_labels: HashMap<Text, HashMap<Text, Vec<ObjectId>>>,
    /// Pod-bearing workloads by namespace, for what a Service selects.
    workloads: HashMap<Option<Text>, Vec<ObjectId>>,
    /// Objects whose name or namespace holds an unresolved `${…}`, by (group, kind): a
    /// reference that misses may still be one of them once substituted.
    placeholder_named: ByKind<Vec<ObjectId>>,
    /// Objects with a route spec, for their backendRefs without a scan of every object.
    routes: Vec<ObjectId>,
    /// Objects a kustomize patch cilint cannot apply exactly may change.
    unverifiable: Vec<ObjectId>,
}

impl Across {
    fn add(&mut self, id: ObjectId, o: &Object) {
        if placeholder(&o.name).is_some() || o.namespace.as_deref().and_then(placeholder).is_some()
        {
            by_kind_mut(&mut self.placeholder_named, o.group(), &o.kind).push(id);
        }
        if o.route().is_some() {
            self.routes.push(id);
        }
        if o.unverifiable {
            self.unverifiable.push(id);
        }
        if let Spec::Workload(_) = o.spec {
            self.workloads.entry(o.namespace).or_default().push(id);
        }
        if o.service().is_some() {
            for l in &o.labels {
                entry(entry(&mut self.service_labels, &l.key), &l.value).push(id);
            }
        }
    }
}

pub struct Catalog {
    objects: Objects,
    commands: Vec<(FileId, Command)>,
    suppressions: Vec<(FileId, Suppression)>,
    yaml_errors: Vec<(FileId, YamlError)>,
    undefined_variables: Vec<(FileId, crate::load::substitute::Undefined)>,
    kinds: ByKind<KindIndex>,
    across: Across,
    generated_service: HashMap<ObjectId, ObjectId>,
    /// Namespaces Helm charts are deployed into, with the charts in load order.
    helm_namespaces: HashMap<String, Vec<ChartIn>>,
    /// Charts deployed into a namespace written with a placeholder (a Terraform `var.ns`, a
    /// Flux `${NS}`, the destination `{{.name}}-apps` an ApplicationSet generator cilint cannot
    /// expand fills in), with that namespace as written: matched against a namespace only when
    /// no chart known to be in it makes the kind.
    placeholder_charts: Vec<(String, ChartIn)>,
    /// Custom resources of kinds cilint does not know, by namespace then name: their
    /// controllers may make Services, Secrets and ConfigMaps their name prefixes.
    custom_resources: HashMap<Text, HashMap<Text, ObjectId>>,
    /// Secrets and ConfigMaps copied into namespaces cilint cannot tell (by kind, then name),
    /// with who copies them.
    copied_everywhere: HashMap<Text, HashMap<Text, String>>,
    /// Secrets and ConfigMaps custom resources of unmodelled kinds name in their spec, by
    /// namespace, then kind and name: the custom resource.
    named_by_resources: HashMap<Text, HashMap<(Text, Text), ObjectId>>,
    /// Objects an operator of the table makes, with the operator: their ports are not known.
    operator_made: HashMap<ObjectId, &'static str>,
    /// Namespaces a remote kustomize resource deploys into, with the first such as the reason.
    remote_namespaces: HashMap<String, String>,
    /// Objects in files their kustomization does not list; looked up only after a miss.
    shadows: HashMap<ShadowKey, Shadow>,
    /// Names written in the part of a file that does not parse, with why they are unverifiable.
    unparsed_names: HashMap<Text, String>,
    /// The Cilium and Gateway API versions the world's files pin, in file order.
    pins: Vec<Pin>,
    cilium_settings: Vec<CiliumSetting>,
    /// What rendering each app-template HelmRelease gave, in load order.
    renders: Vec<ReleaseRender>,
    /// Each rendered object: the index of its release's render, and its values key.
    rendered_from: HashMap<ObjectId, (u32, Text)>,
    /// The build deploying each run of objects from one placed file: (first object, build).
    builds: Vec<(ObjectId, Option<Build>)>,
    /// Report what may be created outside the tree as missing.
    pub strict: bool,
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
            objects: Objects::default(),
            commands: Vec::new(),
            suppressions: Vec::new(),
            yaml_errors: Vec::new(),
            undefined_variables: Vec::new(),
            kinds: HashMap::default(),
            across: Across::default(),
            generated_service: HashMap::default(),
            helm_namespaces: HashMap::default(),
            placeholder_charts: Vec::new(),
            remote_namespaces: HashMap::default(),
            custom_resources: HashMap::default(),
            operator_made: HashMap::default(),
            copied_everywhere: HashMap::default(),
            named_by_resources: HashMap::default(),
            shadows: HashMap::default(),
            unparsed_names: HashMap::default(),
            pins: Vec::new(),
            cilium_settings: Vec::new(),
            renders: Vec::new(),
            rendered_from: HashMap::default(),
            builds: Vec::new(),
            strict: false,
            default_namespace: default_namespace.to_string(),
            skipped_documents: 0,
            manifest_objects: 0,
        };
        let mut commands = Vec::new();
        for (file, contents) in files {
            c.skipped_documents += contents.skipped_documents;
            if let Some(e) = contents.yaml_error {
                c.yaml_errors.push((file, *e));
            }
            if let Some(u) = contents.unparsed {
                for name in u.names {
                    c.unparsed_names.entry(name).or_insert_with(|| {
                        format!(
                            "the name is written in {}, which does not parse from line {}",
                            u.path, u.line
                        )
                    });
                }
            }
            c.undefined_variables
                .extend(contents.undefined.into_iter().map(|u| (file, u)));
            if c.builds.last().is_none_or(|(_, b)| *b != contents.build) {
                c.builds
                    .push((ObjectId(c.objects.len() as u32), contents.build));
            }
            c.objects.extend(contents.objects);
            c.pins.extend(contents.pins);
            c.cilium_settings.extend(contents.cilium_settings);
            commands.extend(contents.commands.into_iter().map(|cmd| (file, cmd)));
            c.suppressions
                .extend(contents.suppressions.into_iter().map(|s| (file, s)));
        }
        c.manifest_objects = c.objects.len();
        c.index_manifests();
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
        c.add_rendered_charts();
        c.add_gateway_services();
        c.apply_default_lb_service_ipam();
        c.add_certificate_secrets();
        c.add_external_secrets();
        c.add_sealed_secrets();
        c.add_gateway_shim_secrets();
        c.add_operator_objects();
        c.add_config_maker_objects();
        c.index_custom_resources();
        c.index_helm_namespaces();
        c.index_remote_namespaces();
        c
    }

    /// Indexes the objects of the manifests, all in the Catalog and none indexed yet, as
    /// `insert` one by one would (each list in load order), but in parallel: the indexes across
    /// kinds in one task, and the objects grouped by kind, then one task per kind.
    fn index_manifests(&mut self) {
        let objects = &self.objects;
        let (indexes, across) = rayon::join(
            || {
                let per_kind: Vec<(Text, Text, Vec<ObjectId>)> = ids_by_kind(objects)
                    .into_iter()
                    .flat_map(|(group, kinds)| {
                        kinds.into_iter().map(move |(kind, ids)| (group, kind, ids))
                    })
                    .collect();
                per_kind
                    .into_par_iter()
                    .map(|(group, kind, ids)| {
                        let mut index = KindIndex::default();
                        for id in ids {
                            index.add(id, objects.get(id));
                        }
                        (group, kind, index)
                    })
                    .collect::<Vec<_>>()
            },
            || {
                let mut across = Across::default();
                for (i, o) in objects.iter().enumerate() {
                    across.add(ObjectId(i as u32), o);
                }
                across
            },
        );
        for (group, kind, index) in indexes {
            self.kinds.entry(group).or_default().insert(kind, index);
        }
        self.across = across;
    }

    fn insert(&mut self, o: Object) -> ObjectId {
        let id = ObjectId(self.objects.len() as u32);
        by_kind_mut(&mut self.kinds, o.group(), &o.kind).add(id, &o);
        self.across.add(id, &o);
        self.objects.push(o);
        id
    }

    /// An object the configuration declares as living in the cluster.
    fn external_object(&self, e: &ExternalObject) -> Object {
        let namespace = (!is_cluster_scoped(&e.kind))
            .then(|| text(e.namespace.as_ref().unwrap_or(&self.default_namespace)));
        Object {
            api_version: text(&e.api_version),
            kind: text(&e.kind),
            name: text(&e.name),
            namespace_defaulted: namespace.is_some() && e.namespace.is_none(),
            unverifiable: false,
            namespace,
            labels: e
                .labels
                .iter()
                .map(|(k, v)| generated_label(k, v))
                .collect(),
            annotations: Box::default(),
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
        let namespace = text(
            cmd.namespace
                .as_ref()
                .map_or(&self.default_namespace, |n| &n.text),
        );
        Some(Object {
            api_version: "v1".into(),
            kind: kind.kind().into(),
            name: text(&name.text),
            namespace: Some(namespace),
            namespace_defaulted: cmd.namespace.is_none(),
            unverifiable: false,
            labels: Box::default(),
            annotations: Box::default(),
            origin: Origin::Command,
            location: Some(Location {
                file: cmd.location.file,
                span: name.span,
            }),
            name_span: name.span,
            labels_span: None,
            spec: match kind.secret_type() {
                Some(t) => Spec::Secret(Box::new(Secret {
                    secret_type: Some(t.into()),
                    ..Secret::default()
                })),
                None => Spec::Other,
            },
        })
    }

    /// For every Gateway of a Cilium class, the Service Cilium generates, with exactly the labels
    /// Cilium puts on it: two fixed ones and `spec.infrastructure.labels`, never
    /// `metadata.labels`; and likewise `spec.infrastructure.annotations` only.
    fn add_gateway_services(&mut self) {
        let gateways: Vec<ObjectId> = self.of_kind(GATEWAY_GROUP, "Gateway").to_vec();
        // In host-network mode the Service is a NodePort (ClusterIP before 1.18): no pool, no
        // announcement.
        let service_type = if self.gateways_on_host_network() {
            "NodePort"
        } else {
            "LoadBalancer"
        };
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
            // The class config's policy; without one, the agent flag (Helm
            // `gatewayAPI.externalTrafficPolicy`, default Cluster), which cilint does not read.
            let external_traffic_policy = self
                .gateway_class_config(gw_id)
                .and_then(|c| match &self.object(c).spec {
                    Spec::GatewayClassConfig(c) => c.external_traffic_policy.clone(),
                    _ => None,
                })
                .or_else(|| {
                    let (value, at) = self.cilium_setting(|s| match s {
                        Setting::GatewayExternalTrafficPolicy(v) => Some(*v),
                        _ => None,
                    })?;
                    Some(crate::model::Spanned {
                        value,
                        span: at.span,
                    })
                });
            let gw = self.object(gw_id);
            let spec = gw.gateway().expect("Gateway kind has a Gateway spec");
            let service = Object {
                api_version: "v1".into(),
                kind: "Service".into(),
                name: generated_service_name(&gw.name).into(),
                namespace: gw.namespace,
                namespace_defaulted: gw.namespace_defaulted,
                // What the Gateway's patch may change, its Service follows.
                unverifiable: gw.unverifiable,
                labels: labels.into(),
                annotations: spec.infrastructure_annotations.clone(),
                origin: Origin::Generated { by: gw_id },
                location: None,
                name_span: Span::default(),
                labels_span: None,
                spec: Spec::Service(Box::new(Service {
                    service_type: service_type.into(),
                    selector: None,
                    selector_span: None,
                    ports: ports
                        .into_iter()
                        .map(|p| ServicePort {
                            name: Some(format!("port-{p}").into()),
                            port: p,
                            target_port: None,
                            protocol: "TCP".into(),
                            app_protocol: None,
                            target_port_span: None,
                            span: Span::default(),
                        })
                        .collect(),
                    load_balancer_class: None,
                    external_traffic_policy,
                    requested_ips: spec.requested_ips.clone(),
                    load_balancer_ip_span: None,
                    default_ipam_elsewhere: None,
                    headless: false,
                })),
            };
            let svc_id = self.insert(service);
            self.generated_service.insert(gw_id, svc_id);
        }
    }

    /// The TLS Secret cert-manager creates for every Certificate.
    fn add_certificate_secrets(&mut self) {
        for id in self.of_kind("cert-manager.io", "Certificate").to_vec() {
            if let Spec::Certificate {
                secret_name: Some(name),
            } = &self.object(id).spec
            {
                let name = name.value;
                self.add_generated_secret(id, name, tls_secret());
            }
        }
    }

    /// The Secret the External Secrets operator creates for every ExternalSecret (any version):
    /// `spec.target.name`, else the ExternalSecret's name.
    fn add_external_secrets(&mut self) {
        for id in self
            .of_kind("external-secrets.io", "ExternalSecret")
            .to_vec()
        {
            let o = self.object(id);
            if let Spec::ExternalSecret { target_name } = &o.spec {
                let name = (*target_name).unwrap_or(o.name);
                self.add_generated_secret(id, name, Secret::default());
            }
        }
    }

    /// The Secret the Sealed Secrets controller unseals from every SealedSecret:
    /// `spec.template.metadata.name`, else the SealedSecret's name.
    fn add_sealed_secrets(&mut self) {
        for id in self.of_kind("bitnami.com", "SealedSecret").to_vec() {
            let o = self.object(id);
            if let Spec::SealedSecret { template_name } = &o.spec {
                let name = (*template_name).unwrap_or(o.name);
                self.add_generated_secret(id, name, Secret::default());
            }
        }
    }

    /// The TLS Secrets cert-manager's gateway-shim issues for a Gateway annotated with an issuer:
    /// one per certificateRef of each listener with a hostname (the shim skips listeners without
    /// one), and only for refs in the Gateway's own namespace (it skips cross-namespace refs).
    fn add_gateway_shim_secrets(&mut self) {
        for id in self.of_kind(GATEWAY_GROUP, "Gateway").to_vec() {
            let gw = self.object(id);
            let annotated = gw
                .annotations
                .iter()
                .any(|(k, _)| CERT_MANAGER_ISSUER_ANNOTATIONS.contains(&k.as_str()));
            let (true, Some(spec)) = (annotated, gw.gateway()) else {
                continue;
            };
            let names: Vec<Text> = spec
                .listeners
                .iter()
                .filter(|l| l.hostname.is_some())
                .flat_map(|l| &l.certificate_refs)
                .filter(|r| r.group.is_empty() && r.kind == "Secret")
                .filter(|r| {
                    r.namespace
                        .as_ref()
                        .is_none_or(|n| Some(n.as_str()) == gw.namespace.as_deref())
                })
                .map(|r| r.name.value)
                .collect();
            for name in names {
                self.add_generated_secret(id, name, tls_secret());
            }
        }
    }

    /// A Secret a controller makes from object `by`, in `by`'s namespace; not added when the
    /// tree already has it.
    fn add_generated_secret(&mut self, by: ObjectId, name: Text, secret: Secret) {
        let namespace = self.object(by).namespace;
        self.add_generated("Secret", by, name, namespace, Spec::Secret(secret.into()));
    }

    /// A Secret or ConfigMap a controller makes from object `by`, in `namespace`; not added
    /// when the tree already has it.
    fn add_generated(
        &mut self,
        kind: &'static str,
        by: ObjectId,
        name: Text,
        namespace: Option<Text>,
        spec: Spec,
    ) {
        let owner = self.object(by);
        let namespace_defaulted = owner.namespace_defaulted && namespace == owner.namespace;
        if namespace.is_none() || self.find("", kind, namespace.as_deref(), &name).is_some() {
            return;
        }
        self.insert(Object {
            api_version: "v1".into(),
            kind: kind.into(),
            name,
            namespace,
            namespace_defaulted,
            unverifiable: false,
            labels: Box::default(),
            annotations: Box::default(),
            origin: Origin::Generated { by },
            location: None,
            name_span: Span::default(),
            labels_span: None,
            spec,
        });
    }

    /// The Secrets and ConfigMaps secret managers make from their resources (in the resource's
    /// namespace, or the one its spec names), and those copied into namespaces cilint cannot
    /// tell: by a ClusterExternalSecret, a Kyverno generate rule, a trust-manager Bundle, or
    /// the reflector (emberstack) and replicator (mittwald) annotations on the source.
    fn add_config_maker_objects(&mut self) {
        let mut made = Vec::new();
        for (i, o) in self.objects.iter().enumerate() {
            let copier = match &o.spec {
                Spec::ConfigMaker(m) if m.maybe.is_some() => continue,
                Spec::ConfigMaker(m) => {
                    for x in m.made.iter() {
                        if m.everywhere {
                            let why = format!(
                                "{} {} may copy it into this namespace",
                                o.kind,
                                o.qualified_name()
                            );
                            made.push((x.kind, x.name, None, Some(why), ObjectId(i as u32)));
                        } else {
                            let ns = x.namespace.or(o.namespace);
                            made.push((x.kind, x.name, ns, None, ObjectId(i as u32)));
                        }
                    }
                    continue;
                }
                _ if !(o.group().is_empty() && matches!(&*o.kind, "Secret" | "ConfigMap")) => {
                    continue;
                }
                _ => o
                    .annotations
                    .iter()
                    .find(|(k, v)| copies(k) && v.value != "false"),
            };
            if let Some((annotation, _)) = copier {
                let kind = if o.kind == "Secret" {
                    "Secret"
                } else {
                    "ConfigMap"
                };
                let why = format!(
                    "{} {} is copied into other namespaces ({annotation})",
                    o.kind,
                    o.qualified_name()
                );
                made.push((kind, o.name, None, Some(why), ObjectId(i as u32)));
            }
        }
        for (i, o) in self.objects.iter().enumerate() {
            let (Spec::ConfigMaker(m), Some(ns)) = (&o.spec, &o.namespace) else {
                continue;
            };
            if m.maybe.is_none() {
                continue;
            }
            let names = self.named_by_resources.entry(*ns).or_default();
            for x in m.made.iter() {
                names
                    .entry((text(x.kind), x.name))
                    .or_insert(ObjectId(i as u32));
            }
        }
        for (kind, name, namespace, everywhere, by) in made {
            if let Some(why) = everywhere {
                let slot = entry(entry(&mut self.copied_everywhere, kind), &name);
                if slot.is_empty() {
                    *slot = why;
                }
                continue;
            }
            let spec = match kind {
                "Secret" => Spec::Secret(Box::default()),
                _ => Spec::Other,
            };
            self.add_generated(kind, by, name, namespace, spec);
        }
    }

    /// The Services and Secrets the operators of the table make from their custom resources
    /// (`operators::OPERATORS`), in the resource's namespace; not added when the tree already
    /// has them.
    fn add_operator_objects(&mut self) {
        for op in operators::OPERATORS {
            for id in self.of_kind(op.group, op.kind).to_vec() {
                for made in op.makes.iter().filter(|m| m.always) {
                    let cr = self.object(id);
                    let name = text(&operators::made_name(made, &cr.name));
                    if cr.namespace.is_none()
                        || self
                            .find("", made.kind, cr.namespace.as_deref(), &name)
                            .is_some()
                    {
                        continue;
                    }
                    let spec = match made.kind {
                        "Service" => Spec::Service(Box::new(Service {
                            service_type: "ClusterIP".into(),
                            selector: None,
                            selector_span: None,
                            ports: Box::default(),
                            load_balancer_class: None,
                            external_traffic_policy: None,
                            requested_ips: Box::default(),
                            load_balancer_ip_span: None,
                            default_ipam_elsewhere: None,
                            headless: false,
                        })),
                        _ => Spec::Secret(Box::default()),
                    };
                    let o = Object {
                        api_version: "v1".into(),
                        kind: made.kind.into(),
                        name,
                        namespace: cr.namespace,
                        namespace_defaulted: cr.namespace_defaulted,
                        unverifiable: cr.unverifiable,
                        labels: Box::default(),
                        annotations: Box::default(),
                        origin: Origin::Generated { by: id },
                        location: None,
                        name_span: Span::default(),
                        labels_span: None,
                        spec,
                    };
                    let made_id = self.insert(o);
                    self.operator_made.insert(made_id, op.operator);
                }
            }
        }
    }

    /// Indexes the custom resources whose controllers cilint does not know, by namespace and
    /// name, so that a lookup tries the prefixes of one name, never every object.
    fn index_custom_resources(&mut self) {
        for (i, o) in self.objects.iter().enumerate() {
            let Some(ns) = &o.namespace else { continue };
            if o.origin != Origin::Manifest
                || !matches!(&o.spec, Spec::Other)
                    && !matches!(&o.spec, Spec::ConfigMaker(m) if m.maybe.is_some())
                || !operators::may_create_by_prefix(o.group(), &o.kind)
            {
                continue;
            }
            self.custom_resources
                .entry(*ns)
                .or_default()
                .entry(o.name)
                .or_insert(ObjectId(i as u32));
        }
    }

    /// The namespaces Helm charts are deployed into, with every chart that is; and the
    /// destination templates of ApplicationSets whose generators cilint cannot expand.
    fn index_helm_namespaces(&mut self) {
        let complete: std::collections::HashSet<ObjectId> = self
            .renders
            .iter()
            .filter(|r| r.complete)
            .map(|r| r.release)
            .collect();
        let failed: HashMap<ObjectId, &str> = self
            .renders
            .iter()
            .filter_map(|r| Some((r.release, r.failed_names.as_deref()?)))
            .collect();
        for (i, o) in self.objects.iter().enumerate() {
            let Spec::HelmCharts(charts) = &o.spec else {
                continue;
            };
            for chart in charts.iter().filter(|c| !c.remote) {
                let Some(ns) = chart.namespace.as_deref().or(o.namespace.as_deref()) else {
                    continue;
                };
                let what = match &chart.chart {
                    Some(c) => format!("Helm chart {c}"),
                    None => "a Helm chart".into(),
                };
                // Kustomization files often have no name.
                let from = if let Some(from) = &chart.from {
                    from.clone()
                } else if o.name.is_empty() {
                    o.kind.to_string()
                } else {
                    format!("{} {}", o.kind, o.qualified_name())
                };
                // Names a chart's objects usually start with: the release or the chart's own
                // name (Helm's `fullname` helper), and the deploying object's name.
                let chart_name = chart
                    .chart
                    .as_deref()
                    .map(|c| c.rsplit('/').next().unwrap_or(c).to_string());
                let mut prefixes: Vec<String> = Vec::new();
                prefixes.extend(release_name(o, chart));
                if !o.name.is_empty() && !prefixes.contains(&o.name.to_string()) {
                    prefixes.push(o.name.to_string());
                }
                prefixes.extend(chart_name.clone());
                let what = match &chart.unexpanded {
                    Some(generator) => {
                        format!("{what} ({from}, whose {generator} generator cilint cannot expand)")
                    }
                    None => format!("{what} ({from})"),
                };
                let chart_in = ChartIn {
                    what,
                    prefixes,
                    // An ApplicationSet's release is the Application's name, which its
                    // generators fill in: not known unless `releaseName` says it.
                    release_known: o.kind.as_str() != "ApplicationSet" || chart.release.is_some(),
                    chart_name,
                    in_git: chart.chart.as_deref().is_some_and(|c| c.contains('/')),
                    services_known: complete.contains(&ObjectId(i as u32)),
                    services_named: failed.get(&ObjectId(i as u32)).map(|r| r.to_string()),
                };
                if placeholder(ns).is_some() {
                    self.placeholder_charts.push((ns.to_string(), chart_in));
                    continue;
                }
                let charts = self.helm_namespaces.entry(ns.to_string()).or_default();
                // One object deploying the same chart twice into a namespace (an ApplicationSet
                // whose generators fill in the same destination) is one chart there.
                if charts.iter().any(|c| c.what == chart_in.what) {
                    continue;
                }
                charts.push(chart_in);
            }
        }
    }

    /// The namespaces remote kustomize resources deploy into (the kustomization's, as placed,
    /// unless the bundle is known to write another), each with the first resource that does.
    fn index_remote_namespaces(&mut self) {
        for o in self.objects.iter() {
            let Spec::HelmCharts(charts) = &o.spec else {
                continue;
            };
            for r in charts.iter().filter(|c| c.remote) {
                let Some(ns) = r.namespace.as_deref().or(o.namespace.as_deref()) else {
                    continue;
                };
                let url = r.chart.as_deref().unwrap_or_default();
                self.remote_namespaces
                    .entry(ns.to_string())
                    .or_insert_with(|| {
                        format!(
                            "namespace {ns} receives the remote kustomize resource {url}, which cilint does not fetch"
                        )
                    });
            }
        }
    }

    /// Why a missing object may come from a remote kustomize resource: only the kinds install
    /// bundles make (Services, Secrets, ConfigMaps, ServiceAccounts, workloads), never Gateways
    /// or Cilium pools and policies, in a namespace such a resource deploys into.
    fn remote_resource_reason(
        &self,
        group: &str,
        kind: &str,
        namespace: Option<&str>,
    ) -> Option<&String> {
        let bundled = match group {
            "" => matches!(kind, "Service" | "Secret" | "ConfigMap" | "ServiceAccount"),
            "apps" => matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet"),
            _ => false,
        };
        if !bundled {
            return None;
        }
        self.remote_namespaces.get(namespace?)
    }

    /// Why a Secret or ConfigMap a custom resource names in its spec may exist: its operator
    /// may make it (mariadb-operator's `passwordSecretKeyRef` with `generate: true`).
    fn named_by_resource_reason(
        &self,
        group: &str,
        kind: &str,
        ns: &str,
        name: &str,
    ) -> Option<String> {
        if !group.is_empty() {
            return None;
        }
        let id = *self
            .named_by_resources
            .get(ns)?
            .get(&(text(kind), text(name)))?;
        let o = self.object(id);
        Some(format!(
            "{} {} names it in its spec: its operator may make it",
            o.kind,
            o.qualified_name()
        ))
    }

    /// Why a chart in the namespace may have made the object: named after the chart whose
    /// release or chart name prefixes the name, else the only chart, else how many there are.
    /// Only for the kinds charts make (or a chart documented to make that kind).
    fn chart_reason(&self, group: &str, kind: &str, ns: &str, name: &str) -> Option<String> {
        let charts: Vec<&ChartIn> = match self.helm_namespaces.get(ns) {
            Some(charts) => charts
                .iter()
                .filter(|c| c.makes(group, kind) && c.may_name(group, kind, name))
                .collect(),
            None => Vec::new(),
        };
        if charts.is_empty() {
            return self.placeholder_chart_reason(group, kind, ns, name);
        }
        let prefixed = charts
            .iter()
            .find(|c| operators::name_prefixes(name).any(|p| c.prefixes.iter().any(|x| x == p)));
        match (prefixed, charts.as_slice()) {
            (Some(c), _) | (None, [c]) => Some(format!("namespace {ns} receives {}", c.what)),
            (None, []) => None,
            (None, all) => Some(format!(
                "one of {} Helm charts in namespace {ns} may create it ({})",
                all.len(),
                all.iter()
                    .map(|c| c.what.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Why a cluster-scoped object of this kind, absent from the tree, may still exist: a chart
    /// deployed anywhere that may make the kind (a chart of the repository's own, whose
    /// templates cilint does not render).
    pub fn cluster_chart_reason(&self, group: &str, kind: &str) -> Option<String> {
        // The map's order varies from run to run: name the first chart by its description.
        let chart = (self.helm_namespaces.values().flatten())
            .chain(self.placeholder_charts.iter().map(|(_, c)| c))
            .filter(|c| c.makes(group, kind))
            .min_by(|a, b| a.what.cmp(&b.what))?;
        Some(format!("{} may create it", chart.what))
    }

    /// Why a chart deployed into a namespace cilint cannot evaluate may have made the object:
    /// the namespace as written may become `ns`, and the release or chart name prefixes `name`
    /// (any name, when the release is not known). Without the prefix nothing is excused: such a
    /// chart could be anywhere, and excusing every name of every namespace would hide the
    /// defects cilint is for.
    fn placeholder_chart_reason(
        &self,
        group: &str,
        kind: &str,
        ns: &str,
        name: &str,
    ) -> Option<String> {
        self.placeholder_charts.iter().find_map(|(pattern, c)| {
            let fits = may_become(pattern, ns)
                && c.makes(group, kind)
                && (!c.release_known
                    || operators::name_prefixes(name).any(|p| c.prefixes.iter().any(|x| x == p)));
            fits.then(|| {
                format!(
                    "{} is deployed into namespace {pattern}, which may be {ns}",
                    c.what
                )
            })
        })
    }

    /// The custom resource of a kind cilint does not know whose name prefixes `name` (or is
    /// it), in the namespace: one index lookup per prefix.
    fn custom_resource_reason(&self, kind: &str, ns: &str, name: &str) -> Option<String> {
        if !matches!(kind, "Service" | "Secret" | "ConfigMap") {
            return None;
        }
        let in_ns = self.custom_resources.get(ns)?;
        operators::name_prefixes(name).find_map(|p| {
            let o = self.object(*in_ns.get(p)?);
            // An operator whose Services the table lists completely makes no other.
            if kind == "Service"
                && operators::operator(o.group(), &o.kind).is_some_and(|op| op.services_complete)
            {
                return None;
            }
            Some(format!(
                "it may be created by the controller of {} {}",
                o.kind,
                o.qualified_name()
            ))
        })
    }

    /// Why a missing object may be one an operator of the table makes only with some settings
    /// or versions (`Made::always` false): a resource of the operator's kind whose name fits
    /// the pattern is in the namespace. One index lookup per resource name the name fits.
    fn operator_maybe_reason(&self, kind: &str, ns: &str, name: &str) -> Option<String> {
        operators::OPERATORS.iter().find_map(|op| {
            if self.of_kind(op.group, op.kind).is_empty() {
                return None;
            }
            op.makes
                .iter()
                .filter(|m| !m.always && m.kind == kind)
                .flat_map(|m| operators::made_for(m, name))
                .find_map(|cr| self.find(op.group, op.kind, Some(ns), cr))
                .map(|id| {
                    let o = self.object(id);
                    format!(
                        "{} makes it for {} {} only with some settings of the resource or some versions of the operator",
                        op.operator,
                        o.kind,
                        o.qualified_name()
                    )
                })
        })
    }

    /// For an object an operator of the table makes: who makes it, from what ("made by the
    /// Keycloak operator for Keycloak auth/sso").
    pub fn made_by(&self, id: ObjectId) -> Option<String> {
        let op = self.operator_made.get(&id)?;
        let by = self.object(self.generator(id)?);
        Some(format!(
            "made by {op} for {} {}",
            by.kind,
            by.qualified_name()
        ))
    }

    /// Whether a Service's ports are not known: an operator made it, and cilint does not model
    /// the ports operators choose. Rules about ports say nothing about it.
    pub fn ports_unknown(&self, id: ObjectId) -> bool {
        self.operator_made.contains_key(&id)
    }

    /// Adds the objects of files their kustomization does not list: never found by a lookup,
    /// only by [`Catalog::shadow`]. The first of a name wins.
    pub fn add_shadows(&mut self, shadows: Vec<Shadow>) {
        for s in shadows {
            let o = &s.object;
            let key = (text(o.group()), o.kind, o.namespace, o.name);
            self.shadows.entry(key).or_insert(s);
        }
    }

    /// The object a reference that missed would have resolved to, had its file been listed by
    /// its kustomization. One index lookup; asked only after a miss.
    pub fn shadow(
        &self,
        group: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<&Shadow> {
        if self.shadows.is_empty() {
            return None;
        }
        self.shadows
            .get(&(text(group), text(kind), namespace.map(text), text(name)))
    }

    /// Why a reference to (group, kind, namespace, name) missed, if the tree says: a shadow of
    /// that identity, or a manifest object of that name written without `kind`. Index lookups,
    /// asked only after a miss.
    pub fn miss_reason(
        &self,
        group: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<MissReason> {
        if let Some(s) = self.shadow(group, kind, namespace, name) {
            return Some(MissReason {
                sentence: s.sentence(),
                help: s.help(),
                location: s.object.name_location(),
                note: s.note(),
            });
        }
        let id = self.find(group, "", namespace, name)?;
        let o = self.object(id);
        if o.origin != Origin::Manifest {
            return None;
        }
        let at = match namespace {
            Some(ns) => format!(" in namespace {ns}"),
            None => String::new(),
        };
        Some(MissReason {
            sentence: format!(
                "the object named `{name}`{at} has no `kind`, so kubectl refuses it (invalid-object)"
            ),
            help: format!("add `kind: {kind}` to the object named `{name}`"),
            location: o.location,
            note: format!("no `kind`: is this {kind} {name}?"),
        })
    }

    /// A Catalog of one YAML text, loaded as a file would be (tests).
    #[cfg(test)]
    pub(crate) fn of_yaml(text: &str, namespace: &str) -> Catalog {
        let source = crate::source::SourceFile {
            path: "test.yaml".into(),
            kind: crate::source::FileKind::Yaml,
            text: text.into(),
        };
        let contents = crate::load::parse(FileId(0), &source, true, namespace);
        Catalog::build(vec![(FileId(0), contents)], namespace, &[])
    }

    /// The versions the world's files pin (`analysis::versions` decides which hold).
    pub fn pins(&self) -> &[Pin] {
        &self.pins
    }

    /// A Cilium setting as the world writes it, with where it is first written: `None` when
    /// nothing writes it, or two places disagree (then the chart default is no safer a guess).
    pub fn cilium_setting<T: PartialEq>(
        &self,
        pick: impl Fn(&Setting) -> Option<T>,
    ) -> Option<(T, Location)> {
        let mut written = self
            .cilium_settings
            .iter()
            .filter_map(|s| Some((pick(&s.setting)?, s.location)));
        let first = written.next()?;
        written.all(|(v, _)| v == first.0).then_some(first)
    }

    /// Whether Cilium runs its Gateways on the host network: their Services are then not
    /// LoadBalancers (semantics.md §1.5).
    fn gateways_on_host_network(&self) -> bool {
        let on = self.cilium_setting(|s| match s {
            Setting::GatewayHostNetwork(b) => Some(*b),
            _ => None,
        });
        on.is_some_and(|(b, _)| b)
    }

    /// With `defaultLBServiceIPAM` other than `lbipam`, LoadBalancer Services without a
    /// `loadBalancerClass` are node IPAM's (or nobody's): LB-IPAM, the L2 announcer and BGP
    /// leave them alone (semantics.md §2, "Eligible Services").
    fn apply_default_lb_service_ipam(&mut self) {
        let Some((ipam, _)) = self.cilium_setting(|s| match s {
            Setting::DefaultLbServiceIpam(v) => Some(*v),
            _ => None,
        }) else {
            return;
        };
        if ipam == "lbipam" {
            return;
        }
        for id in self.of_kind("", "Service").to_vec() {
            // Read first: changing an object copies its file's list when it is shared.
            let eligible = matches!(&self.objects.get(id).spec,
                Spec::Service(svc) if svc.load_balancer_class.is_none());
            if eligible && let Spec::Service(svc) = &mut self.objects.get_mut(id).spec {
                svc.default_ipam_elsewhere = Some(ipam);
            }
        }
    }

    /// The build that deploys an object written in a manifest, when one does (see
    /// [`Build`]): objects placed as they are, made by commands or generated have none.
    pub fn build_of(&self, id: ObjectId) -> Option<Build> {
        if id.0 as usize >= self.manifest_objects {
            return None;
        }
        let at = self.builds.partition_point(|(start, _)| *start <= id);
        at.checked_sub(1).and_then(|i| self.builds[i].1)
    }

    /// Pairs of objects of one kind, namespace and name, each with the first of its identity,
    /// in load order.
    pub fn repeated_identities(&self) -> Vec<(ObjectId, ObjectId)> {
        let mut pairs: Vec<(ObjectId, ObjectId)> = self
            .kinds
            .values()
            .flat_map(|kinds| kinds.values())
            .flat_map(|index| index.repeated.iter().copied())
            .collect();
        pairs.sort_unstable_by_key(|&(first, id)| (id, first));
        pairs
    }

    pub fn object(&self, id: ObjectId) -> &Object {
        self.objects.get(id)
    }

    pub fn objects(&self) -> impl Iterator<Item = (ObjectId, &Object)> {
        self.objects
            .iter()
            .enumerate()
            .map(|(i, o)| (ObjectId(i as u32), o))
    }

    /// Every object of a kind, in load order (duplicates included).
    pub fn of_kind(&self, group: &str, kind: &str) -> &[ObjectId] {
        by_kind(&self.kinds, group, kind)
            .map(|k| k.ids.as_slice())
            .unwrap_or(&[])
    }

    /// Whether an object exists: found, missing, or unverifiable when it is not in the tree but
    /// may be created by something cilint cannot see (in strict mode that is missing too).
    pub fn lookup(&self, group: &str, kind: &str, namespace: Option<&str>, name: &str) -> Lookup {
        if let Some(id) = self.find(group, kind, namespace, name) {
            return Lookup::Found(id);
        }
        if self.strict {
            return Lookup::Missing;
        }
        match self.unverified_reason(group, kind, namespace, name) {
            Some(reason) => Lookup::Unverifiable(reason),
            None => Lookup::Missing,
        }
    }

    fn find(
        &self,
        group: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<ObjectId> {
        by_kind(&self.kinds, group, kind)
            .and_then(|k| k.names(namespace))
            .and_then(|n| n.first.get(name))
            .copied()
    }

    /// Why an object that is not in the tree may still exist, whatever the strict setting: its
    /// name or namespace holds an unresolved placeholder, a Helm chart is deployed into its
    /// namespace, or an object whose name holds a placeholder may become it.
    pub fn unverified_reason(
        &self,
        group: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<String> {
        if let Some(p) = placeholder(name) {
            return Some(format!("the name holds the unresolved placeholder {p}"));
        }
        if let Some(p) = namespace.and_then(placeholder) {
            return Some(format!(
                "the namespace holds the unresolved placeholder {p}"
            ));
        }
        if let Some(reason) = namespace.and_then(|ns| self.operator_maybe_reason(kind, ns, name)) {
            return Some(reason);
        }
        if let Some(reason) = namespace.and_then(|ns| self.custom_resource_reason(kind, ns, name)) {
            return Some(reason);
        }
        if let Some(reason) = namespace.and_then(|ns| self.chart_reason(group, kind, ns, name)) {
            return Some(reason);
        }
        if let Some(reason) = (group.is_empty() && namespace.is_some())
            .then(|| self.copied_everywhere.get(kind)?.get(name))
            .flatten()
        {
            return Some(reason.clone());
        }
        if let Some(reason) =
            namespace.and_then(|ns| self.named_by_resource_reason(group, kind, ns, name))
        {
            return Some(reason);
        }
        if let Some(reason) = self.remote_resource_reason(group, kind, namespace) {
            return Some(reason.clone());
        }
        if let Some(reason) = self.unparsed_names.get(name) {
            return Some(reason.clone());
        }
        // A patch cilint cannot apply may rename an object of that kind into this one.
        if let Some(o) = self
            .across
            .unverifiable
            .iter()
            .map(|&id| self.object(id))
            .find(|o| o.group() == group && o.kind == kind)
        {
            return Some(format!(
                "{kind} {} may be it: a kustomize patch cilint cannot apply exactly changes it",
                o.qualified_name()
            ));
        }
        let candidates = by_kind(&self.across.placeholder_named, group, kind)?;
        candidates.iter().find_map(|&id| {
            let o = self.object(id);
            let namespace_fits = match (o.namespace.as_deref(), namespace) {
                (Some(pattern), Some(ns)) => may_become(pattern, ns),
                (None, None) => true,
                _ => false,
            };
            if !(namespace_fits && may_become(&o.name, name)) {
                return None;
            }
            let p = placeholder(&o.name).or(o.namespace.as_deref().and_then(placeholder))?;
            Some(format!(
                "{kind} {} may be it once {p} is substituted",
                o.qualified_name()
            ))
        })
    }

    /// Whether a location is in an object a kustomize patch cilint cannot apply exactly may
    /// change: what it holds is not known, so no finding may point there.
    pub fn in_unverifiable(&self, l: Location) -> bool {
        self.across.unverifiable.iter().any(|&id| {
            let o = self.object(id);
            let at = o
                .location
                .or_else(|| self.generator(id).and_then(|g| self.object(g).location));
            at.is_some_and(|at| at.contains(l))
        })
    }

    /// For the help of a not-found finding in strict mode: why the object may exist after all.
    pub fn strict_note(
        &self,
        group: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<String> {
        if !self.strict {
            return None;
        }
        self.unverified_reason(group, kind, namespace, name)
            .map(|r| {
                format!("; reported in strict mode, though it may be created outside the tree: {r}")
            })
    }

    /// Objects of that kind and name in other namespaces: the help for a reference that fails
    /// only because of its namespace.
    pub fn same_name_elsewhere(&self, group: &str, kind: &str, name: &str) -> Vec<&Object> {
        by_kind(&self.kinds, group, kind)
            .and_then(|k| k.named.get(name))
            .map(SmallVec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|&id| self.object(id))
            .collect()
    }

    /// Names of that kind in a namespace, for "did you mean".
    pub fn names_in<'a>(
        &'a self,
        group: &str,
        kind: &str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'a str> + 'a {
        by_kind(&self.kinds, group, kind)
            .and_then(|k| k.names(namespace))
            .map(|n| n.ids.as_slice())
            .unwrap_or(&[])
            .iter()
            .map(|&id| self.object(id).name.as_str())
    }

    /// Every backendRef to a core Service written in a route, with the namespace it resolves in.
    pub fn service_backend_refs(&self) -> impl Iterator<Item = BackendUse<'_>> {
        self.across.routes.iter().flat_map(|&id| {
            let route_obj = self.object(id);
            let file = route_obj.location.map(|l| l.file);
            let route_ns = route_obj.namespace.as_deref();
            route_obj
                .route()
                .map(|r| &r.backend_refs[..])
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

    /// Every workload written in a manifest that no patch cilint cannot apply may change, kind
    /// by kind in load order.
    pub fn written_workloads(&self) -> impl Iterator<Item = (&Object, &Workload)> {
        crate::model::workload::WORKLOAD_KINDS
            .iter()
            .flat_map(|(group, kind)| self.of_kind(group, kind))
            .filter_map(|&id| {
                let o = self.object(id);
                match &o.spec {
                    Spec::Workload(w) if o.location.is_some() && !o.unverifiable => Some((o, &**w)),
                    _ => None,
                }
            })
    }

    /// A ConfigMap, Secret or Service a workload names, in its namespace. kustomize renames
    /// the reference along with what it names when both are in one build (its nameReference
    /// transformer), so under a `namePrefix`/`nameSuffix` the renamed name is tried too.
    pub fn lookup_for_workload(
        &self,
        w: &Workload,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Lookup {
        let plain = self.lookup("", kind, Some(namespace), name);
        if let (Lookup::Found(_), _) | (_, None) = (&plain, &w.renamed) {
            return plain;
        }
        let (prefix, suffix) = &**w.renamed.as_ref().expect("checked above");
        let renamed = format!("{prefix}{name}{suffix}");
        match self.find("", kind, Some(namespace), &renamed) {
            Some(id) => Lookup::Found(id),
            None => plain,
        }
    }

    /// The pod-bearing workloads of a namespace, in load order.
    pub fn workloads_in(&self, namespace: &Option<Text>) -> &[ObjectId] {
        self.across
            .workloads
            .get(namespace)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Why the pods of a namespace may not all be in the tree: a Helm chart, a remote
    /// kustomize resource or a custom resource whose controller cilint does not know deploys
    /// there (operators run pods for their resources), or a workload there is one a patch
    /// cilint cannot apply exactly changes. Index lookups, asked once per selecting Service.
    pub fn pods_unverified_reason(&self, namespace: &str) -> Option<String> {
        if let Some(reason) = self.deployed_unseen(namespace, |c| c.makes("apps", "Deployment")) {
            return Some(reason);
        }
        // The map is unordered: name the first resource loaded.
        if let Some(&id) = self
            .custom_resources
            .get(namespace)
            .and_then(|by_name| by_name.values().min())
        {
            let o = self.object(id);
            return Some(format!(
                "the controller of {} {} may run pods in namespace {namespace}",
                o.kind,
                o.qualified_name()
            ));
        }
        let ns = Some(text(namespace));
        self.workloads_in(&ns)
            .iter()
            .map(|&id| self.object(id))
            .find(|o| o.unverifiable)
            .map(|o| {
                format!(
                    "{} {} may be it: a kustomize patch cilint cannot apply exactly changes it",
                    o.kind,
                    o.qualified_name()
                )
            })
    }

    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        self.commands.iter().map(|(_, c)| c)
    }

    pub fn yaml_errors(&self) -> &[(FileId, YamlError)] {
        &self.yaml_errors
    }

    /// The Flux `${VAR}`s nothing defines: no source of the Flux Kustomization deploying their
    /// file does, and cilint sees every source it has.
    pub fn undefined_variables(&self) -> &[(FileId, crate::load::substitute::Undefined)] {
        &self.undefined_variables
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

    /// The `CiliumGatewayClassConfig` a Gateway's class names in `parametersRef`, when it is in
    /// the tree: it decides how Cilium builds the Gateway's Service.
    pub fn gateway_class_config(&self, gw: ObjectId) -> Option<ObjectId> {
        let class = self.object(gw).gateway()?.class()?;
        let Spec::GatewayClass(c) = &self
            .object(self.find(GATEWAY_GROUP, "GatewayClass", None, class)?)
            .spec
        else {
            return None;
        };
        let r = c.parameters_ref.as_ref()?;
        (r.group == "cilium.io" && r.kind == "CiliumGatewayClassConfig")
            .then(|| self.find("cilium.io", &r.kind, r.namespace.as_deref(), &r.name))?
    }

    /// The Service Cilium generates for a Gateway, if it is a Cilium Gateway.
    pub fn generated_service(&self, gw: ObjectId) -> Option<ObjectId> {
        self.generated_service.get(&gw).copied()
    }

    /// The object a controller made this one from (a Gateway, a Certificate, an ExternalSecret…).
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
        let is_cilium_lb = |&id: &ObjectId| {
            self.object(id)
                .service()
                .is_some_and(Service::is_cilium_load_balancer)
        };
        match selector {
            Some(s) => self
                .services_matching(s)
                .into_iter()
                .filter(is_cilium_lb)
                .collect(),
            None => self
                .of_kind("", "Service")
                .iter()
                .copied()
                .filter(is_cilium_lb)
                .collect(),
        }
    }

    /// The Services of any type whose labels (as [`Catalog::service_label`] reads them) a
    /// selector matches, in load order. Candidates come from the label index.
    pub fn services_matching(&self, selector: &LabelSelector) -> Vec<ObjectId> {
        let candidates = match self.narrowest_term(selector) {
            Some(ids) => ids,
            None => self.of_kind("", "Service").to_vec(),
        };
        candidates
            .into_iter()
            .filter(|&id| {
                let o = self.object(id);
                o.service().is_some() && selector.matches(self.service_label(o))
            })
            .collect()
    }

    /// The fewest candidates any one term of a selector admits, in load order, so a query never
    /// scans every Service when one term narrows it: a `matchLabels` entry or an `In` requirement
    /// through the label index (the special keys through names and namespaces), an `Exists` through
    /// every value of its key. `NotIn` and `DoesNotExist` admit Services without the key, so they
    /// narrow nothing.
    fn narrowest_term(&self, s: &LabelSelector) -> Option<Vec<ObjectId>> {
        let labels = s
            .match_labels
            .iter()
            .map(|t| vec![self.services_labelled(&t.key, &t.value)]);
        let expressions = s.match_expressions.iter().filter_map(|r| match r.operator {
            Operator::In => Some(
                r.values
                    .iter()
                    .map(|v| self.services_labelled(&r.key, v))
                    .collect(),
            ),
            Operator::Exists if r.key != SERVICE_NAME_KEY && r.key != SERVICE_NAMESPACE_KEY => {
                Some(
                    self.across
                        .service_labels
                        .get(r.key.as_str())
                        .map(|values| values.values().map(Vec::as_slice).collect())
                        .unwrap_or_default(),
                )
            }
            _ => None,
        });
        let lists: Vec<&[ObjectId]> = labels
            .chain(expressions)
            .min_by_key(|lists: &Vec<&[ObjectId]>| lists.iter().map(|l| l.len()).sum::<usize>())?;
        let mut ids = lists.concat();
        // Several lists (values of an `In`, of a key) are merged back into load order.
        if lists.len() > 1 {
            ids.sort_unstable();
            ids.dedup();
        }
        Some(ids)
    }

    /// The Services with `key: value` as selectors see them.
    fn services_labelled(&self, key: &str, value: &str) -> &[ObjectId] {
        let services = by_kind(&self.kinds, "", "Service");
        let ids = match key {
            SERVICE_NAME_KEY => services
                .and_then(|k| k.named.get(value))
                .map(SmallVec::as_slice),
            SERVICE_NAMESPACE_KEY => services
                .and_then(|k| k.namespaced.get(value))
                .map(|names| names.ids.as_slice()),
            _ => self
                .across
                .service_labels
                .get(key)
                .and_then(|values| values.get(value))
                .map(Vec::as_slice),
        };
        ids.unwrap_or(&[])
    }

    /// The labels of a Namespace as selectors see them, the automatic
    /// `kubernetes.io/metadata.name` included. `None` when the Namespace is not in the tree.
    pub fn namespace_labels(&self, namespace: &str) -> Option<Vec<Label>> {
        let Lookup::Found(id) = self.lookup("", "Namespace", None, namespace) else {
            return None;
        };
        let mut labels = self.object(id).labels.to_vec();
        labels.retain(|l| l.key != NAMESPACE_NAME_LABEL);
        labels.push(generated_label(NAMESPACE_NAME_LABEL, namespace));
        Some(labels)
    }
}

/// The annotations that make cert-manager's gateway-shim issue a Gateway's certificates.
const CERT_MANAGER_ISSUER_ANNOTATIONS: &[&str] =
    &["cert-manager.io/issuer", "cert-manager.io/cluster-issuer"];

/// A Helm chart deployed into a namespace.
#[derive(Debug)]
struct ChartIn {
    /// "Helm chart podinfo (HelmRelease flux-system/podinfo)".
    what: String,
    /// The release and chart names its objects are usually named after.
    prefixes: Vec<String>,
    /// The chart's name without its repository path.
    chart_name: Option<String>,
    /// The release name is known (an ApplicationSet's is the name of each Application its
    /// generators make, unless `releaseName` is written).
    release_known: bool,
    /// A chart in a directory of the repository (`charts/infra`): a home-grown chart may
    /// template anything, a Gateway included, and cilint does not render its templates.
    in_git: bool,
    /// cilint rendered every Service of the release (app-template): it makes no other.
    services_known: bool,
    /// An app-template release that fails to render, whose Services (of an earlier revision)
    /// can only be named after the release: `<R>` or `<R>-…`.
    services_named: Option<String>,
}

impl ChartIn {
    /// Whether the chart may make an object of this kind with this name.
    fn may_name(&self, group: &str, kind: &str, name: &str) -> bool {
        match &self.services_named {
            Some(release) if group.is_empty() && kind == "Service" => {
                name == release
                    || name
                        .strip_prefix(release.as_str())
                        .is_some_and(|rest| rest.starts_with('-'))
            }
            _ => true,
        }
    }

    /// Whether the chart may make objects of this kind.
    fn makes(&self, group: &str, kind: &str) -> bool {
        if self.services_known && group.is_empty() && kind == "Service" {
            return false;
        }
        charts_make(group, kind) || chart_makes(self, group, kind)
    }
}

/// The release a chart is installed as: `releaseName` when written, else the deploying tool's
/// default. Flux names a HelmRelease's release `[<targetNamespace>-]<name>`
/// (helm-controller API, `spec.releaseName`); Argo CD and kustomize name it after the object.
fn release_name(o: &Object, chart: &HelmChart) -> Option<String> {
    if let Some(release) = &chart.release {
        return Some(release.clone());
    }
    if o.name.is_empty() {
        return None;
    }
    match (o.group(), &*o.kind, &chart.namespace) {
        ("helm.toolkit.fluxcd.io", "HelmRelease", Some(target)) => {
            Some(format!("{target}-{}", o.name))
        }
        _ => Some(o.name.to_string()),
    }
}

/// Whether Helm charts in general make objects of this kind: Services, Secrets, ConfigMaps,
/// service accounts, workloads and their companions. Gateways, GatewayClasses and Cilium's
/// pools and announcement policies are cluster infrastructure a chart rarely makes.
fn charts_make(group: &str, kind: &str) -> bool {
    match group {
        "" => matches!(
            kind,
            "Service" | "Secret" | "ConfigMap" | "ServiceAccount" | "PersistentVolumeClaim"
        ),
        "apps" | "batch" | "policy" | "autoscaling" | "rbac.authorization.k8s.io" => true,
        _ => false,
    }
}

/// Charts that may make a kind charts rarely make: a chart of the repository's own, and charts
/// documented to. Traefik's chart makes a Gateway
/// (`traefik-gateway` unless `gateway.name` is set) when its Gateway API provider is enabled:
/// https://github.com/traefik/traefik-helm-chart/blob/master/traefik/templates/gateway.yaml
fn chart_makes(chart: &ChartIn, group: &str, kind: &str) -> bool {
    chart.in_git
        || (group == GATEWAY_GROUP
            && kind == "Gateway"
            && chart.chart_name.as_deref() == Some("traefik"))
}

fn tls_secret() -> Secret {
    Secret {
        secret_type: Some("kubernetes.io/tls".into()),
        keys: Box::new(["tls.crt".into(), "tls.key".into()]),
        ..Secret::default()
    }
}

/// Annotations by which kubernetes-reflector and kubernetes-replicator copy a Secret or
/// ConfigMap into other namespaces under the same name
/// (https://github.com/emberstack/kubernetes-reflector,
/// https://github.com/mittwald/kubernetes-replicator).
fn copies(annotation: &str) -> bool {
    matches!(
        annotation,
        "reflector.v1.k8s.emberstack.com/reflection-allowed"
            | "reflector.v1.k8s.emberstack.com/reflection-auto-enabled"
            | "replicator.v1.mittwald.de/replicate-to"
            | "replicator.v1.mittwald.de/replicate-to-matching"
            | "replicator.v1.mittwald.de/replication-allowed"
    )
}

/// The first placeholder in a text: Flux's `${VAR}` (`${VAR:=default}`, `${VAR:-default}`), or
/// the `{{ … }}` of a template that parsed as a string (a quoted `"{{ .name }}"`, a Helm or
/// Jinja expression inside a longer string). What it becomes is known only once rendered.
pub fn placeholder(text: &str) -> Option<&str> {
    // Both kinds hold `{`, which nearly no name does: one byte search answers most calls, where
    // two substring searches cost ten times as much (rules ask for every workload and name).
    if !text.as_bytes().contains(&b'{') {
        return None;
    }
    let variable = text.find("${").and_then(|start| {
        let len = text[start..].find('}')?;
        Some((start, start + len + 1))
    });
    let expression = text.find("{{").and_then(|start| {
        let len = text[start + 2..].find("}}")?;
        Some((start, start + 2 + len + 2))
    });
    let (start, end) = match (variable, expression) {
        (Some(v), Some(e)) => v.min(e),
        (v, e) => v.or(e)?,
    };
    Some(&text[start..end])
}

/// Whether `text` may be what `pattern` becomes once each of its placeholders is replaced by
/// some value (possibly empty).
fn may_become(pattern: &str, text: &str) -> bool {
    let mut literals = Vec::new();
    let mut rest = pattern;
    while let Some(p) = placeholder(rest) {
        let at = rest.find(p).expect("the placeholder is in the text");
        literals.push(&rest[..at]);
        rest = &rest[at + p.len()..];
    }
    let (first, last) = match literals.first() {
        Some(first) => (*first, rest),
        None => return pattern == text,
    };
    let Some(mut middle) = text.strip_prefix(first).and_then(|t| t.strip_suffix(last)) else {
        return false;
    };
    // The middle literals, in order, between the prefix and the suffix.
    for literal in &literals[1..] {
        match middle.find(literal) {
            Some(i) => middle = &middle[i + literal.len()..],
            None => return false,
        }
    }
    true
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
    use super::*;
    use crate::load::Unparsed;

    fn catalog(text: &str) -> Catalog {
        Catalog::of_yaml(text, "default")
    }

    fn secret(c: &Catalog, ns: &str, name: &str) -> Lookup {
        c.lookup("", "Secret", Some(ns), name)
    }

    fn generator_kind(c: &Catalog, ns: &str, name: &str) -> String {
        let Lookup::Found(id) = secret(c, ns, name) else {
            panic!("no Secret {ns}/{name}");
        };
        let by = c.generator(id).expect("generated");
        c.object(by).kind.to_string()
    }

    fn unverifiable(c: &Catalog, kind: &str, ns: &str, name: &str) -> String {
        let group = if kind == "Gateway" { GATEWAY_GROUP } else { "" };
        match c.lookup(group, kind, Some(ns), name) {
            Lookup::Unverifiable(reason) => reason,
            other => panic!("{kind} {ns}/{name}: {other:?}"),
        }
    }

    #[test]
    fn cilium_settings_change_which_services_are_cilium_load_balancers() {
        let tree = |values: &str| {
            catalog(&format!(
                "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n\
                 metadata: {{name: cilium, namespace: kube-system}}\n\
                 spec:\n  chart: {{spec: {{chart: cilium, version: 1.19.3}}}}\n  values: {values}\n\
                 ---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n\
                 metadata: {{name: gw}}\nspec: {{gatewayClassName: cilium}}\n\
                 ---\napiVersion: v1\nkind: Service\nmetadata: {{name: plain}}\n\
                 spec: {{type: LoadBalancer}}\n\
                 ---\napiVersion: v1\nkind: Service\nmetadata: {{name: l2}}\n\
                 spec: {{type: LoadBalancer, loadBalancerClass: io.cilium/l2-announcer}}\n"
            ))
        };
        let cilium_lbs = |c: &Catalog| -> Vec<String> {
            c.cilium_services_matching(None)
                .into_iter()
                .map(|id| c.object(id).name.to_string())
                .collect()
        };
        assert_eq!(
            cilium_lbs(&tree("{}")),
            ["plain", "l2", "cilium-gateway-gw"]
        );
        assert_eq!(
            cilium_lbs(&tree(
                "{gatewayAPI: {enabled: true, hostNetwork: {enabled: true}}}"
            )),
            ["plain", "l2"]
        );
        assert_eq!(
            cilium_lbs(&tree("{defaultLBServiceIPAM: nodeipam}")),
            ["l2"]
        );
        assert_eq!(
            cilium_lbs(&tree("{defaultLBServiceIPAM: lbipam}")),
            ["plain", "l2", "cilium-gateway-gw"]
        );
        // Two places that disagree leave the chart default.
        let disagreeing = format!(
            "{}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cilium-config}}\n\
             data: {{default-lb-service-ipam: lbipam}}\n",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\
             helmCharts:\n- {name: cilium, valuesInline: {defaultLBServiceIPAM: none}}\n\
             ---\napiVersion: v1\nkind: Service\nmetadata: {name: plain}\n\
             spec: {type: LoadBalancer}\n"
        );
        assert_eq!(cilium_lbs(&catalog(&disagreeing)), ["plain"]);
    }

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

    #[test]
    fn external_secrets_create_their_target_or_their_own_name() {
        let c = catalog(
            "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\n\
             metadata: {name: db, namespace: shop}\nspec: {target: {name: db-credentials}}\n---\n\
             apiVersion: external-secrets.io/v1\nkind: ExternalSecret\n\
             metadata: {name: api-token, namespace: shop}\nspec: {secretStoreRef: {name: vault}}\n",
        );
        assert_eq!(
            generator_kind(&c, "shop", "db-credentials"),
            "ExternalSecret"
        );
        assert_eq!(generator_kind(&c, "shop", "api-token"), "ExternalSecret");
        assert_eq!(secret(&c, "shop", "db"), Lookup::Missing);
        assert_eq!(secret(&c, "default", "db-credentials"), Lookup::Missing);
    }

    #[test]
    fn sealed_secrets_create_their_template_name_or_their_own_name() {
        let c = catalog(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n\
             metadata: {name: sealed, namespace: shop}\n\
             spec: {template: {metadata: {name: shop-tls}}, encryptedData: {tls.crt: AgB}}\n---\n\
             apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n\
             metadata: {name: registry}\nspec: {encryptedData: {x: AgB}}\n",
        );
        assert_eq!(generator_kind(&c, "shop", "shop-tls"), "SealedSecret");
        assert_eq!(generator_kind(&c, "default", "registry"), "SealedSecret");
        assert_eq!(secret(&c, "shop", "sealed"), Lookup::Missing);
    }

    #[test]
    fn gateway_shim_issues_same_namespace_refs_of_listeners_with_a_hostname() {
        let c = catalog(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n\
             metadata: {name: web, namespace: infra, annotations: {cert-manager.io/issuer: le}}\n\
             spec:\n  gatewayClassName: cilium\n  listeners:\n\
             \x20 - {name: a, protocol: HTTPS, port: 443, hostname: a.example.com,\n\
             \x20    tls: {certificateRefs: [{name: a-tls}, {name: x-tls, namespace: certs}]}}\n\
             \x20 - {name: b, protocol: HTTPS, port: 443, hostname: b.example.com,\n\
             \x20    tls: {certificateRefs: [{name: b-tls, namespace: infra}]}}\n\
             \x20 - {name: c, protocol: HTTPS, port: 443, tls: {certificateRefs: [{name: c-tls}]}}\n\
             ---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n\
             metadata: {name: plain, namespace: infra}\nspec:\n  listeners:\n\
             \x20 - {name: d, hostname: d.example.com, tls: {certificateRefs: [{name: d-tls}]}}\n",
        );
        assert_eq!(generator_kind(&c, "infra", "a-tls"), "Gateway");
        assert_eq!(generator_kind(&c, "infra", "b-tls"), "Gateway");
        // Cross-namespace refs and listeners without a hostname are skipped by the shim.
        assert_eq!(secret(&c, "certs", "x-tls"), Lookup::Missing);
        assert_eq!(secret(&c, "infra", "c-tls"), Lookup::Missing);
        // No annotation, no Secret.
        assert_eq!(secret(&c, "infra", "d-tls"), Lookup::Missing);
    }

    #[test]
    fn a_secret_in_the_tree_is_not_generated_again() {
        let c = catalog(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\n---\n\
             apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\n\
             metadata: {name: db, namespace: shop}\n",
        );
        assert_eq!(c.of_kind("", "Secret").len(), 1);
        let Lookup::Found(id) = secret(&c, "shop", "db") else {
            panic!()
        };
        assert_eq!(c.generator(id), None);
    }

    #[test]
    fn unresolved_placeholders_are_unverifiable_unless_they_match_exactly() {
        let c = catalog(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n\
             metadata: {name: \"${GATEWAY_NAME}\", namespace: infra}\n",
        );
        assert!(matches!(
            c.lookup(GATEWAY_GROUP, "Gateway", Some("infra"), "${GATEWAY_NAME}"),
            Lookup::Found(_)
        ));
        assert_eq!(
            unverifiable(&c, "Service", "shop", "${APP_NAME}-web"),
            "the name holds the unresolved placeholder ${APP_NAME}"
        );
        assert_eq!(
            unverifiable(&c, "Service", "${NS:=shop}", "web"),
            "the namespace holds the unresolved placeholder ${NS:=shop}"
        );
        assert_eq!(
            c.lookup("", "Service", Some("shop"), "web"),
            Lookup::Missing
        );
    }

    #[test]
    fn an_object_named_with_a_placeholder_may_be_the_one_wanted() {
        let c = catalog(
            "apiVersion: v1\nkind: Service\nmetadata: {name: \"${APP}-web\", namespace: shop}\n",
        );
        assert_eq!(
            unverifiable(&c, "Service", "shop", "podinfo-web"),
            "Service shop/${APP}-web may be it once ${APP} is substituted"
        );
        assert_eq!(
            c.lookup("", "Service", Some("shop"), "podinfo-api"),
            Lookup::Missing
        );
        assert_eq!(
            c.lookup("", "Service", Some("prod"), "podinfo-web"),
            Lookup::Missing
        );
    }

    #[test]
    fn unparsed_names_start_at_the_document_that_holds_the_error() {
        let yaml = "kind: Service\nmetadata:\n  name: web\n---\nkind: ConfigMap\n\
                    metadata:\n  name: \"bad\"  # the broken one\ndata:\n  x: [\n---\n\
                    kind: Service\nmetadata: {name: inline}\n---\nspec:\n  ports:\n  - name: http\n";
        let error = YamlError {
            pos: crate::source::Pos {
                line: 10,
                col: 1,
                byte: yaml.find("---\nkind: Service\nmetadata: {").unwrap() as u32,
            },
            message: "x".into(),
        };
        let u = Unparsed::of("a.yaml", yaml, &error);
        // `web` was loaded; a flow mapping's name is not found by the line scan (a miss, never
        // a false alarm: the reference is then reported as before).
        assert_eq!(u.names, [text("bad"), text("http")]);
        assert_eq!(u.line, 10);
    }

    #[test]
    fn placeholder_patterns() {
        assert_eq!(placeholder("a-${X:-b}-c"), Some("${X:-b}"));
        assert_eq!(placeholder("a-${X"), None);
        assert_eq!(
            placeholder("{{ .Values.name }}-web"),
            Some("{{ .Values.name }}")
        );
        assert_eq!(placeholder("a-{{x}}-${Y}"), Some("{{x}}"));
        assert_eq!(placeholder("a-${Y}-{{x}}"), Some("${Y}"));
        assert_eq!(placeholder("a-{{ x"), None);
        assert_eq!(placeholder("a-{x}}"), None);
        assert!(may_become("{{ cookiecutter.app }}-web", "shop-web"));
        assert!(may_become("{{ .name }}-${ENV}", "shop-prod"));
        assert!(!may_become("{{ .name }}-web", "shop-api"));
        assert!(may_become("${A}-web", "shop-web"));
        assert!(may_become("${A}-${B}", "x-y"));
        assert!(may_become("pre-${A}-mid-${B}-post", "pre-1-mid-2-post"));
        assert!(!may_become("pre-${A}-mid-${B}-post", "pre-1-2-post"));
        assert!(!may_become("ab${A}ba", "aba"));
        assert!(!may_become("${A}-web", "shop-api"));
        assert!(may_become("web", "web"));
    }

    #[test]
    fn namespaces_that_receive_helm_charts_are_unverifiable() {
        let c = catalog(
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n\
             metadata: {name: podinfo, namespace: flux-system}\n\
             spec: {targetNamespace: shop, chart: {spec: {chart: podinfo}}}\n---\n\
             apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\n\
             metadata: {name: redis, namespace: cache}\nspec: {chart: {spec: {chart: redis}}}\n---\n\
             apiVersion: argoproj.io/v1alpha1\nkind: Application\n\
             metadata: {name: grafana, namespace: argocd}\n\
             spec:\n  destination: {namespace: monitoring}\n\
             \x20 sources:\n  - {repoURL: https://grafana.github.io/helm-charts, chart: grafana}\n---\n\
             apiVersion: argoproj.io/v1alpha1\nkind: Application\n\
             metadata: {name: local, namespace: argocd}\n\
             spec: {destination: {namespace: tools}, source: {path: charts/tools, helm: {}}}\n---\n\
             apiVersion: argoproj.io/v1alpha1\nkind: Application\n\
             metadata: {name: plain, namespace: argocd}\n\
             spec: {destination: {namespace: plain}, source: {path: apps/plain}}\n---\n\
             apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: data\n\
             helmCharts:\n- {name: postgresql}\n- {name: minio, namespace: storage}\n",
        );
        let reason = |kind, ns, name| unverifiable(&c, kind, ns, name);
        assert_eq!(
            reason("Service", "shop", "podinfo"),
            "namespace shop receives Helm chart podinfo (HelmRelease flux-system/podinfo)"
        );
        assert_eq!(
            reason("Secret", "cache", "redis"),
            "namespace cache receives Helm chart redis (HelmRelease cache/redis)"
        );
        assert_eq!(
            reason("Secret", "monitoring", "gw"),
            "namespace monitoring receives Helm chart grafana (Application argocd/grafana)"
        );
        // Charts make Services and Secrets, not Gateways.
        assert_eq!(
            c.lookup(GATEWAY_GROUP, "Gateway", Some("monitoring"), "gw"),
            Lookup::Missing
        );
        assert_eq!(
            reason("Service", "tools", "x"),
            "namespace tools receives Helm chart charts/tools (Application argocd/local)"
        );
        // A chart of the repository's own may template a Gateway.
        assert_eq!(
            reason("Gateway", "tools", "gw"),
            "namespace tools receives Helm chart charts/tools (Application argocd/local)"
        );
        assert!(reason("Service", "data", "pg").contains("Helm chart postgresql"));
        assert!(reason("Service", "storage", "minio").contains("Helm chart minio"));
        assert_eq!(c.lookup("", "Service", Some("plain"), "x"), Lookup::Missing);
        assert_eq!(
            c.lookup("", "Service", Some("flux-system"), "x"),
            Lookup::Missing
        );
        // Cluster-scoped objects are not in any namespace a chart is deployed into.
        assert_eq!(
            c.lookup(GATEWAY_GROUP, "GatewayClass", None, "x"),
            Lookup::Missing
        );
    }

    #[test]
    fn the_reason_names_the_chart_whose_release_prefixes_the_name() {
        let c = catalog(
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n\
             metadata: {name: podinfo, namespace: flux-system}\n\
             spec: {targetNamespace: shop, chart: {spec: {chart: podinfo}}}\n---\n\
             apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n\
             metadata: {name: cache, namespace: flux-system}\n\
             spec: {targetNamespace: shop, releaseName: valkey, chart: {spec: {chart: valkey}}}\n",
        );
        let reason = |name| unverifiable(&c, "Service", "shop", name);
        // Flux names the release `<targetNamespace>-<name>`.
        assert_eq!(
            reason("shop-podinfo-frontend"),
            "namespace shop receives Helm chart podinfo (HelmRelease flux-system/podinfo)"
        );
        assert_eq!(
            reason("valkey-primary"),
            "namespace shop receives Helm chart valkey (HelmRelease flux-system/cache)"
        );
        assert!(reason("other").starts_with("one of 2 Helm charts in namespace shop"));
    }

    #[test]
    fn unexpanded_destinations_match_the_namespaces_they_may_become() {
        let c = catalog(
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\n\
             metadata: {name: addons, namespace: argocd}\n\
             spec:\n  generators: [{clusters: {}}]\n  template:\n    spec:\n\
             \x20     destination: {namespace: '{{name}}-monitoring'}\n\
             \x20     source: {repoURL: https://grafana.github.io/helm-charts, chart: grafana}\n",
        );
        let why = "Helm chart grafana (ApplicationSet argocd/addons) is deployed into namespace \
                   {{name}}-monitoring, which may be prod-monitoring";
        assert_eq!(
            unverifiable(&c, "Service", "prod-monitoring", "grafana"),
            why
        );
        // The release is each Application's name, which the generator fills in: any name.
        assert_eq!(
            unverifiable(&c, "Secret", "prod-monitoring", "prod-grafana-admin"),
            why
        );
        assert_eq!(
            c.lookup("", "Service", Some("shop"), "grafana"),
            Lookup::Missing
        );
        assert_eq!(
            c.lookup(GATEWAY_GROUP, "Gateway", Some("prod-monitoring"), "gw"),
            Lookup::Missing
        );
    }

    #[test]
    fn operators_of_the_table_make_their_documented_objects() {
        let c = catalog(
            "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\n\
             metadata: {name: pg, namespace: db}\n---\n\
             apiVersion: k8s.keycloak.org/v2alpha1\nkind: Keycloak\n\
             metadata: {name: sso, namespace: auth}\n---\n\
             apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\n\
             metadata: {name: k8s, namespace: monitoring}\n---\n\
             apiVersion: dragonflydb.io/v1alpha1\nkind: Dragonfly\n\
             metadata: {name: cache, namespace: apps}\n",
        );
        let found = |kind, ns, name| match c.lookup("", kind, Some(ns), name) {
            Lookup::Found(id) => c.made_by(id).unwrap(),
            other => panic!("{kind} {ns}/{name}: {other:?}"),
        };
        assert_eq!(
            found("Service", "auth", "sso-service"),
            "made by the Keycloak operator for Keycloak auth/sso"
        );
        assert_eq!(
            found("Service", "db", "pg-rw"),
            "made by the CloudNativePG operator for Cluster db/pg"
        );
        found("Secret", "db", "pg-app");
        found("Service", "monitoring", "prometheus-operated");
        // Named as the resource itself.
        assert_eq!(
            found("Service", "apps", "cache"),
            "made by the Dragonfly operator for Dragonfly apps/cache"
        );
        let Lookup::Found(id) = c.lookup("", "Service", Some("db"), "pg-ro") else {
            panic!()
        };
        assert!(c.ports_unknown(id));
        // Another Service of a Keycloak: its two Services are all it makes. Another namespace.
        assert_eq!(
            c.lookup("", "Service", Some("auth"), "sso-services"),
            Lookup::Missing
        );
        assert_eq!(
            c.lookup("", "Service", Some("auth"), "pg-rw"),
            Lookup::Missing
        );
        // CloudNativePG makes more Services than it documents by name (managed services):
        // another name its Cluster prefixes is unverifiable, as is any Secret.
        assert_eq!(
            unverifiable(&c, "Service", "db", "pg-rww"),
            "it may be created by the controller of Cluster db/pg"
        );
        assert_eq!(
            unverifiable(&c, "Secret", "auth", "sso-initial-admin"),
            "it may be created by the controller of Keycloak auth/sso"
        );
        // Made only with spec.enableSuperuserAccess, off by default.
        assert_eq!(
            unverifiable(&c, "Secret", "db", "pg-superuser"),
            "the CloudNativePG operator makes it for Cluster db/pg only with some settings of the \
             resource or some versions of the operator"
        );
    }

    #[test]
    fn an_unknown_custom_resource_excuses_only_names_it_prefixes() {
        let c = catalog(
            "apiVersion: minio.min.io/v2\nkind: Tenant\n\
             metadata: {name: store, namespace: apps}\n---\n\
             apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n\
             metadata: {name: web, namespace: apps}\n---\n\
             apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: apps}\n",
        );
        let why = "it may be created by the controller of Tenant apps/store";
        assert_eq!(unverifiable(&c, "Service", "apps", "store"), why);
        assert_eq!(unverifiable(&c, "Secret", "apps", "store-auth"), why);
        // Not a prefix followed by `-`, another namespace, an unrelated name, a kind a
        // controller of a Service would not be asked for, a kind that makes nothing.
        for (kind, ns, name) in [
            ("Service", "apps", "storex"),
            ("Service", "other", "store"),
            ("Service", "apps", "minio"),
            ("Service", "apps", "web"),
            ("Service", "apps", "settings-x"),
        ] {
            assert_eq!(
                c.lookup("", kind, Some(ns), name),
                Lookup::Missing,
                "{name}"
            );
        }
        assert_eq!(
            c.lookup(GATEWAY_GROUP, "Gateway", Some("apps"), "store"),
            Lookup::Missing
        );
    }

    #[test]
    fn names_operators_make_only_with_some_settings_are_unverifiable_and_named() {
        let c = catalog(
            "apiVersion: acid.zalan.do/v1\nkind: postgresql\n\
             metadata: {name: acid-main, namespace: db}\n---\n\
             apiVersion: databases.spotahome.com/v1\nkind: RedisFailover\n\
             metadata: {name: cache, namespace: apps}\n---\n\
             apiVersion: k8s.mariadb.com/v1alpha1\nkind: MariaDB\n\
             metadata: {name: mariadb, namespace: apps}\n",
        );
        let found = |kind, ns, name| match c.lookup("", kind, Some(ns), name) {
            Lookup::Found(id) => c.made_by(id).unwrap(),
            other => panic!("{kind} {ns}/{name}: {other:?}"),
        };
        assert_eq!(
            found(
                "Secret",
                "db",
                "postgres.acid-main.credentials.postgresql.acid.zalan.do"
            ),
            "made by the Zalando postgres operator for postgresql db/acid-main"
        );
        assert_eq!(
            found("Service", "apps", "rfs-cache"),
            "made by the Spotahome Redis operator for RedisFailover apps/cache"
        );
        found("Service", "apps", "mariadb-internal");
        // A user of spec.users, which cilint does not read.
        assert_eq!(
            unverifiable(
                &c,
                "Secret",
                "db",
                "app.acid-main.credentials.postgresql.acid.zalan.do"
            ),
            "the Zalando postgres operator makes it for postgresql db/acid-main only with some \
             settings of the resource or some versions of the operator"
        );
        assert_eq!(
            unverifiable(&c, "Service", "apps", "rfr-cache"),
            "the Spotahome Redis operator makes it for RedisFailover apps/cache only with some \
             settings of the resource or some versions of the operator"
        );
        assert_eq!(
            unverifiable(&c, "Service", "apps", "mariadb-primary"),
            "the MariaDB operator makes it for MariaDB apps/mariadb only with some settings of \
             the resource or some versions of the operator"
        );
        // Another cluster's user, another namespace, a Service the table says a postgresql
        // does not make, a prefix after the name instead of before it.
        for (kind, ns, name) in [
            (
                "Secret",
                "db",
                "app.acid-other.credentials.postgresql.acid.zalan.do",
            ),
            (
                "Secret",
                "apps",
                "app.acid-main.credentials.postgresql.acid.zalan.do",
            ),
            ("Service", "db", "acid-main-primary"),
            ("Service", "apps", "cache-rfr"),
            ("Service", "other", "rfr-cache"),
        ] {
            assert_eq!(
                c.lookup("", kind, Some(ns), name),
                Lookup::Missing,
                "{name}"
            );
        }
    }

    #[test]
    fn the_chart_named_in_a_reason_is_the_one_whose_name_prefixes_the_missing_one() {
        let c = catalog(
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n\
             metadata: {name: cilium, namespace: kube-system}\n\
             spec: {chart: {spec: {chart: cilium}}}\n---\n\
             apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n\
             metadata: {name: metrics-server, namespace: kube-system}\n\
             spec: {chart: {spec: {chart: metrics-server}}}\n---\n\
             apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n\
             metadata: {name: traefik, namespace: edge}\n\
             spec: {chart: {spec: {chart: traefik}}}\n",
        );
        assert_eq!(
            unverifiable(&c, "Service", "kube-system", "hubble-relay"),
            "one of 2 Helm charts in namespace kube-system may create it (Helm chart cilium \
             (HelmRelease kube-system/cilium), Helm chart metrics-server (HelmRelease \
             kube-system/metrics-server))"
        );
        assert_eq!(
            unverifiable(&c, "Service", "kube-system", "metrics-server-tls"),
            "namespace kube-system receives Helm chart metrics-server (HelmRelease \
             kube-system/metrics-server)"
        );
        // The Cilium chart makes no Gateway; Traefik's documents one.
        assert_eq!(
            c.lookup(GATEWAY_GROUP, "Gateway", Some("kube-system"), "main"),
            Lookup::Missing
        );
        assert_eq!(
            unverifiable(&c, "Gateway", "edge", "traefik-gateway"),
            "namespace edge receives Helm chart traefik (HelmRelease edge/traefik)"
        );
    }

    #[test]
    fn strict_mode_makes_unverifiable_missing_and_says_why() {
        let mut c = catalog(
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n\
             metadata: {name: podinfo, namespace: shop}\nspec: {chart: {spec: {chart: podinfo}}}\n",
        );
        assert_eq!(c.strict_note("", "Service", Some("shop"), "podinfo"), None);
        c.strict = true;
        assert_eq!(
            c.lookup("", "Service", Some("shop"), "podinfo"),
            Lookup::Missing
        );
        assert_eq!(
            c.strict_note("", "Service", Some("shop"), "podinfo")
                .unwrap(),
            "; reported in strict mode, though it may be created outside the tree: namespace \
             shop receives Helm chart podinfo (HelmRelease shop/podinfo)"
        );
        assert_eq!(c.strict_note("", "Service", Some("prod"), "podinfo"), None);
    }
}
