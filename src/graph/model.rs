//! Nodes and edges of one world. Each edge remembers the YAML nodes that make it (the parentRef,
//! the backendRef, the selector, the command's Service name): a finding located in one of them
//! breaks it, and so does a finding about one of the edge's objects whose related location is
//! in one; an unverifiable reference located in one makes it unverifiable.

use std::collections::{BTreeMap, HashMap, HashSet};

use smallvec::SmallVec;

use super::{Edge, Graph, Node, NodeLocation, Shared, State, node_id};
use crate::analysis::attachment::{self, Outcome, parent_namespace};
use crate::analysis::bgp::{self, RefTarget};
use crate::analysis::lb::{self, SelectorKind};
use crate::analysis::references::Resolved;
use crate::analysis::{Facts, versions::Versions};
use crate::catalog::{Catalog, Lookup};
use crate::diagnostic::{Finding, ObjectRef};
use crate::layout::Positions;
use crate::model::{GATEWAY_GROUP, Object, ObjectId};
use crate::source::commands::Action;
use crate::source::{FileId, Location, SourceFile};

/// What a graph is built from: one world's Catalog and what the pipeline found in it.
pub struct World<'a> {
    pub cluster: Option<String>,
    pub catalog: &'a Catalog,
    pub versions: Versions,
    /// The world's findings, located (`Positions::locate`), suppressions applied.
    pub findings: &'a [Finding],
    /// The world's references, located.
    pub references: &'a [Resolved],
    pub positions: &'a Positions,
    pub files: &'a [SourceFile],
    /// Draw only the edges that touch a node one of these names is part of, and the nodes they
    /// join (what a hover reads); `None` draws everything. (Not `cilint graph --focus`, which
    /// keeps what reaches an object once the whole graph is drawn.)
    pub around: Option<&'a [String]>,
}

/// An edge while the graph is built.
#[derive(Default)]
struct Draft {
    edge: Edge,
    /// The YAML nodes that make the edge, located: nearly always one.
    spans: SmallVec<[Location; 1]>,
    /// The node ids of the objects whose findings may break it through a related location.
    about: Vec<Shared>,
    /// Drawn only when a finding breaks it: what was meant and does not happen.
    only_if_broken: bool,
}

struct Builder<'a> {
    world: &'a World<'a>,
    nodes: BTreeMap<Shared, Node>,
    drafts: Vec<Draft>,
    /// Where an edge away from the names drawn around is drafted, to be overwritten by the next.
    elsewhere: Draft,
    /// The objects named away from them: drawn only when an edge around them joins them.
    seeds: HashMap<Shared, ObjectId>,
    /// Every string shared so far, each held once.
    strings: HashSet<Shared>,
}

/// The graph of one world.
pub fn build(world: &World<'_>) -> Graph {
    let mut b = Builder {
        world,
        nodes: BTreeMap::new(),
        drafts: Vec::new(),
        elsewhere: Draft::default(),
        seeds: HashMap::new(),
        strings: HashSet::new(),
    };
    let facts = Facts::with_versions(world.catalog, world.versions);
    b.gateways();
    b.listener_sets();
    b.routes(&facts);
    b.backends();
    b.workloads(&facts);
    b.addresses();
    b.bgp(&facts);
    b.commands();
    b.finish()
}

fn object_id(o: &Object) -> String {
    node_id(&o.kind, o.namespace.as_deref(), &o.name)
}

impl<'a> Builder<'a> {
    fn catalog(&self) -> &'a Catalog {
        self.world.catalog
    }

    /// The id of a node drawn, or of an object only named, as the builder holds it.
    fn known(&self, id: &str) -> Option<&Shared> {
        match self.nodes.get_key_value(id) {
            Some((shared, _)) => Some(shared),
            None => self.seeds.get_key_value(id).map(|(shared, _)| shared),
        }
    }

    /// The node `id` names, as the nodes hold it: an edge's end costs no string of its own.
    fn node_id(&self, id: String) -> Shared {
        match self.known(&id) {
            Some(shared) => shared.clone(),
            None => id.into(),
        }
    }

    /// `s`, held once however often the graph names it.
    fn share(&mut self, s: &str) -> Shared {
        if let Some(shared) = self.strings.get(s) {
            return shared.clone();
        }
        let shared = Shared::from(s);
        self.strings.insert(shared.clone());
        shared
    }

    /// Whether the node `id` is one the graph is drawn around.
    fn is_around(&self, id: &str) -> bool {
        is_around(self.world.around, id)
    }

    fn locate(&self, l: Location) -> Location {
        self.world.positions.locate(l)
    }

    fn node_location(&mut self, l: Option<Location>) -> Option<NodeLocation> {
        let l = self.locate(l?);
        let file = self.world.files.get(l.file.0 as usize)?;
        Some(NodeLocation {
            file: self.share(&file.path),
            line: l.span.start.line,
            column: l.span.start.col,
        })
    }

    /// The node of an object of the Catalog: drawn when the graph is drawn around it, else named
    /// until an edge around joins it (a hover's graph holds no label or location of the whole
    /// tree).
    fn object(&mut self, id: ObjectId) -> Shared {
        let node_id = object_id(self.catalog().object(id));
        if let Some(shared) = self.known(&node_id) {
            return shared.clone();
        }
        let node_id = Shared::from(node_id);
        if self.is_around(node_id.as_str()) {
            self.draw_object(node_id.clone(), id);
        } else {
            self.seeds.insert(node_id.clone(), id);
        }
        node_id
    }

    /// The node of an object only named, once an edge around joins it.
    fn draw_seed(&mut self, node_id: &Shared) {
        if let Some(id) = self.seeds.remove(node_id) {
            self.draw_object(node_id.clone(), id);
        }
    }

    fn draw_object(&mut self, node_id: Shared, id: ObjectId) {
        let o = self.catalog().object(id);
        let generated = self.catalog().generator(id).is_some();
        let label = match (generated, &o.origin) {
            (true, _) => format!("{} {} (generated)", o.kind, o.qualified_name()),
            (_, crate::model::Origin::Command) => {
                format!("{} {} (made by a command)", o.kind, o.qualified_name())
            }
            _ => format!("{} {}", o.kind, o.qualified_name()),
        };
        let location = if generated {
            None
        } else {
            self.node_location(o.name_location())
        };
        let name = o.name.to_string();
        self.add_node(
            node_id,
            &o.kind,
            o.namespace.as_deref(),
            name,
            label,
            location,
        );
    }

    /// A node, its kind and namespace shared with the other nodes'; its id, as it holds it.
    fn add_node(
        &mut self,
        id: Shared,
        kind: &str,
        namespace: Option<&str>,
        name: String,
        label: String,
        location: Option<NodeLocation>,
    ) -> Shared {
        let node = Node {
            id: id.clone(),
            kind: self.share(kind),
            namespace: namespace.map(|n| self.share(n)),
            name,
            label,
            location,
            rule: None,
        };
        self.nodes.insert(id.clone(), node);
        id
    }

    /// The node of a reference's target: the object when the tree holds it, else a node that
    /// says the tree does not.
    fn target(
        &mut self,
        lookup: &Lookup,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Shared {
        if let Lookup::Found(id) = lookup {
            return self.object(*id);
        }
        let node_id = node_id(kind, namespace, name);
        if let Some(id) = self.known(&node_id) {
            return id.clone();
        }
        let label = match namespace {
            Some(ns) => format!("{kind} {ns}/{name} (not in the tree)"),
            None => format!("{kind} {name} (not in the tree)"),
        };
        self.add_node(
            node_id.into(),
            kind,
            namespace,
            name.to_string(),
            label,
            None,
        )
    }

    fn edge(
        &mut self,
        from: &Shared,
        to: &Shared,
        label: &str,
        spans: Vec<Location>,
    ) -> &mut Draft {
        if !self.is_around(from.as_str()) && !self.is_around(to.as_str()) {
            return &mut self.elsewhere;
        }
        self.draw_seed(from);
        self.draw_seed(to);
        let spans = spans.into_iter().map(|l| self.locate(l)).collect();
        let label = self.share(label);
        self.drafts.push(Draft {
            edge: Edge {
                from: from.clone(),
                to: to.clone(),
                label,
                state: State::Ok,
                rule: None,
                reason: None,
            },
            spans,
            about: Vec::new(),
            only_if_broken: false,
        });
        self.drafts.last_mut().expect("just pushed")
    }

    /// Gateway → listener → TLS Secret.
    fn gateways(&mut self) {
        let catalog = self.catalog();
        for &id in catalog.of_kind(GATEWAY_GROUP, "Gateway") {
            let o = catalog.object(id);
            let Some(gw) = o.gateway() else { continue };
            let gw_node = self.object(id);
            for l in gw.listeners.iter() {
                let listener: Shared = format!("{gw_node}/listener/{}", l.name.value).into();
                let mut label = format!("listener {} · {}", l.name.value, l.protocol);
                if let Some(port) = l.port {
                    label.push_str(&format!(" :{port}"));
                }
                if let Some(h) = &l.hostname {
                    label.push_str(&format!(" · {}", h.value));
                }
                let location = self.node_location(o.at(l.name.span));
                let name = format!("{}/{}", o.name, l.name.value);
                let ns = o.namespace.as_deref();
                self.add_node(listener.clone(), "Listener", ns, name, label, location);
                // Structural: a finding about the listener is not a finding about this edge.
                self.edge(&gw_node, &listener, "listener", Vec::new());
                for c in l.certificate_refs.iter() {
                    if !c.group.is_empty() || c.kind != "Secret" {
                        continue;
                    }
                    let ns = c
                        .namespace
                        .as_ref()
                        .map(|n| n.value.as_str())
                        .or(o.namespace.as_deref())
                        .unwrap_or(&catalog.default_namespace);
                    let lookup = catalog.lookup("", "Secret", Some(ns), &c.name.value);
                    let secret = self.target(&lookup, "Secret", Some(ns), &c.name.value);
                    let spans = o.at(c.span).into_iter().collect();
                    self.edge(&listener, &secret, "TLS certificate", spans);
                }
            }
        }
    }

    /// Gateway → the ListenerSets whose parentRef names it (a route attached to a set hangs
    /// from the set).
    fn listener_sets(&mut self) {
        let catalog = self.catalog();
        for (set, spec) in crate::analysis::listener_set::listener_sets(catalog) {
            let (Some(parent), Some(lookup)) = (
                &spec.parent,
                crate::analysis::listener_set::parent_lookup(catalog, set),
            ) else {
                continue;
            };
            let ns = crate::analysis::listener_set::parent_namespace(catalog, set, parent);
            let gateway = self.target(&lookup, "Gateway", Some(ns), &parent.name.value);
            let set_node = self.object_of(set);
            let spans = set.at(parent.span).into_iter().collect();
            self.edge(&gateway, &set_node, "listener set", spans);
        }
    }

    /// listener → route, or Gateway → route when no listener takes it.
    fn routes(&mut self, facts: &Facts<'a>) {
        let catalog = self.catalog();
        let mut attempted = std::collections::HashSet::new();
        for a in facts.attempts() {
            attempted.insert((a.route as *const Object, a.parent.index));
            let route = self.object_of(a.route);
            let parent = self.object_of(a.gateway);
            let spans: Vec<Location> = a.route.at(a.parent.span).into_iter().collect();
            let listeners: Vec<_> = match &a.outcome {
                Outcome::Accepted => a
                    .listeners()
                    .iter()
                    .filter(|l| attachment::selects(a.parent, l) && l.admits_kind(a.spec.kind))
                    .collect(),
                _ => Vec::new(),
            };
            if listeners.is_empty() || a.gateway.kind != "Gateway" {
                let mut spans = spans;
                // route-hostname-mismatch points at the route's hostnames, for this parentRef.
                if let (Outcome::NoMatchingListenerHostname(_), Some(first), Some(last)) = (
                    &a.outcome,
                    a.spec.hostnames.first(),
                    a.spec.hostnames.last(),
                ) {
                    let span = crate::source::Span {
                        start: first.span.start,
                        end: last.span.end,
                    };
                    spans.extend(a.route.at(span));
                }
                let label = format!("parentRef {}", a.parent.index + 1);
                let d = self.edge(&parent, &route, &label, spans);
                // A listener's finding that names this route (listener-route-kinds-invalid).
                d.about = vec![route, parent];
                continue;
            }
            for l in listeners {
                let from = self.node_id(format!("{parent}/listener/{}", l.name.value));
                self.edge(&from, &route, "attaches", spans.clone());
            }
        }
        // parentRefs to Gateways the tree does not hold, and to ListenerSets their Gateway does
        // not take.
        for (route, spec) in attachment::routes(catalog) {
            for p in spec.parent_refs.iter() {
                let listener_set = p.is_listener_set();
                if !(p.is_gateway() || listener_set)
                    || attempted.contains(&(route as *const Object, p.index))
                {
                    continue;
                }
                let ns = parent_namespace(catalog, route, p);
                let (group, kind) = if listener_set {
                    (p.group.as_str(), p.kind.as_str())
                } else {
                    (GATEWAY_GROUP, "Gateway")
                };
                let lookup = catalog.lookup(group, kind, Some(ns), &p.name.value);
                let gateway = self.target(&lookup, kind, Some(ns), &p.name.value);
                let route_node = self.object_of(route);
                let spans = route.at(p.span).into_iter().collect();
                let label = format!("parentRef {}", p.index + 1);
                self.edge(&gateway, &route_node, &label, spans);
            }
        }
    }

    /// The node of an object the Catalog holds, found by identity.
    fn object_of(&mut self, o: &Object) -> Shared {
        let catalog = self.catalog();
        let group = o.group();
        match catalog.lookup(group, &o.kind, o.namespace.as_deref(), &o.name) {
            Lookup::Found(id) => self.object(id),
            _ => self.target(&Lookup::Missing, &o.kind, o.namespace.as_deref(), &o.name),
        }
    }

    /// route → backend Service, labelled with the rule and port.
    fn backends(&mut self) {
        let catalog = self.catalog();
        for (route, spec) in attachment::routes(catalog) {
            let route_node = self.object_of(route);
            for b in spec.backend_refs.iter() {
                if !b.group.is_empty() || b.kind != "Service" {
                    continue;
                }
                let ns = b
                    .namespace
                    .as_ref()
                    .map(|n| n.value.as_str())
                    .or(route.namespace.as_deref())
                    .unwrap_or(&catalog.default_namespace);
                let lookup = catalog.lookup("", "Service", Some(ns), &b.name.value);
                let service = self.target(&lookup, "Service", Some(ns), &b.name.value);
                let mut label = format!("rule {}", b.rule + 1);
                if let Some(port) = &b.port {
                    label.push_str(&format!(" :{}", port.value));
                }
                let spans = route.at(b.span).into_iter().collect();
                self.edge(&route_node, &service, &label, spans);
            }
        }
    }

    /// Service → the workloads its selector reaches, for the Services drawn.
    fn workloads(&mut self, facts: &Facts<'a>) {
        for p in facts.service_pods() {
            let Some(service) = self.known(&object_id(p.object)).cloned() else {
                continue;
            };
            let spans: Vec<Location> = p
                .service
                .selector_span
                .and_then(|s| p.object.at(s))
                .into_iter()
                .collect();
            for &(id, _) in &p.workloads {
                let workload = self.object(id);
                self.edge(&service, &workload, "selects pods", spans.clone());
            }
        }
    }

    /// Gateway → generated Service → the pools, L2 policies and BGP advertisements that select
    /// it, and those that would with the Gateway's labels (drawn only when a finding says so).
    fn addresses(&mut self) {
        let catalog = self.catalog();
        for gw in lb::cilium_gateways(catalog).collect::<Vec<_>>() {
            let Some(svc) = catalog.generated_service(gw) else {
                continue;
            };
            let gw_node = self.object(gw);
            let svc_node = self.object(svc);
            self.edge(&gw_node, &svc_node, "generates", Vec::new());
        }
        let selectors = lb::selectors(catalog);
        for s in &selectors {
            let label = match s.kind {
                SelectorKind::Pool => "gets an IP from".to_string(),
                SelectorKind::L2 => "announced over ARP by".to_string(),
                SelectorKind::Bgp => format!("advertised by (advertisement {})", s.entry),
            };
            let spans: Vec<Location> = s.location.into_iter().collect();
            for svc in s.matching(catalog) {
                let svc_object = catalog.object(svc);
                if self.known(&object_id(svc_object)).is_none() {
                    continue;
                }
                let from = self.object(svc);
                let to = self.object(s.owner);
                let about = vec![from.clone(), to.clone()];
                self.edge(&from, &to, &label, spans.clone()).about = about;
            }
            for gw in lb::cilium_gateways(catalog).collect::<Vec<_>>() {
                if s.needs_gateway_labels(catalog, gw).is_empty() {
                    continue;
                }
                let Some(svc) = catalog.generated_service(gw) else {
                    continue;
                };
                let from = self.object(svc);
                let to = self.object(s.owner);
                let about = vec![self.object(gw), to.clone()];
                let d = self.edge(&from, &to, &label, spans.clone());
                d.about = about;
                d.only_if_broken = true;
            }
        }
    }

    /// BGP advertisement → the PeerConfigs whose families select it → the ClusterConfigs whose
    /// peers reference them.
    fn bgp(&mut self, facts: &Facts<'a>) {
        let catalog = self.catalog();
        let chain = facts.bgp();
        for r in &chain.refs {
            let cc = catalog.object(r.cluster_config);
            let Some(peer) = bgp::peers(cc).get(r.peer) else {
                continue;
            };
            let Some(name) = &peer.peer_config_ref else {
                continue;
            };
            let lookup = match &r.target {
                RefTarget::Found(id) => Lookup::Found(*id),
                RefTarget::Unverifiable(reason) => Lookup::Unverifiable(reason.clone()),
                _ => Lookup::Missing,
            };
            let pc = self.target(&lookup, bgp::PEER_CONFIG, None, &name.value);
            let cc_node = self.object(r.cluster_config);
            let spans = cc.at(peer.span).into_iter().collect();
            let d = self.edge(&pc, &cc_node, &format!("peer {}", peer.name), spans);
            if let RefTarget::Unverifiable(reason) = &r.target {
                d.edge.state = State::Unverifiable;
                d.edge.reason = Some(reason.clone());
            }
        }
        let advertised: HashSet<Shared> = self
            .drafts
            .iter()
            .filter(|d| d.edge.to.starts_with("CiliumBGPAdvertisement/"))
            .map(|d| d.edge.to.clone())
            .collect();
        for (&pc, families) in &chain.reached {
            let Some(spec) = bgp::peer_config(catalog.object(pc)) else {
                continue;
            };
            for (family, selected) in spec.families.iter().zip(families) {
                for &ad in selected.iter().flatten() {
                    // Advertisements that select no Service drawn stay out of the picture.
                    if !advertised.contains(object_id(catalog.object(ad)).as_str()) {
                        continue;
                    }
                    let ad_node = self.object(ad);
                    let pc_node = self.object(pc);
                    let spans = catalog.object(pc).at(family.span).into_iter().collect();
                    let label = format!("family {}/{}", family.afi, family.safi);
                    self.edge(&ad_node, &pc_node, &label, spans);
                }
            }
        }
    }

    /// `kubectl label|annotate service …` → the Service; `kubectl create secret|configmap` →
    /// what it makes. Only the verb, the resource and the names are drawn: never a value.
    fn commands(&mut self) {
        let catalog = self.catalog();
        for cmd in catalog.commands() {
            let ns = cmd
                .namespace
                .as_ref()
                .map_or(catalog.default_namespace.as_str(), |n| n.text.as_str());
            let command = match self.command_node(cmd.location, ns, &cmd.action) {
                Some(c) => c,
                None => continue,
            };
            match &cmd.action {
                Action::Label { targets, .. } => {
                    for t in targets.iter().filter(|t| t.resource == "service") {
                        let name = t.name.text.as_str();
                        let lookup = catalog.lookup("", "Service", Some(ns), name);
                        let service = self.target(&lookup, "Service", Some(ns), name);
                        let spans = vec![Location {
                            file: cmd.location.file,
                            span: t.name.span,
                        }];
                        self.edge(&command, &service, "labels", spans);
                    }
                }
                Action::Create { kind, name } => {
                    let lookup = catalog.lookup("", kind.kind(), Some(ns), &name.text);
                    let made = self.target(&lookup, kind.kind(), Some(ns), &name.text);
                    let spans = vec![Location {
                        file: cmd.location.file,
                        span: name.span,
                    }];
                    self.edge(&command, &made, "creates", spans);
                }
                Action::Other => {}
            }
        }
    }

    fn command_node(&mut self, at: Location, ns: &str, action: &Action) -> Option<Shared> {
        let text = match action {
            Action::Label { annotate, targets } => {
                let services: Vec<&str> = targets
                    .iter()
                    .filter(|t| t.resource == "service")
                    .map(|t| t.name.text.as_str())
                    .collect();
                if services.is_empty() {
                    return None;
                }
                let verb = if *annotate { "annotate" } else { "label" };
                format!(
                    "kubectl {verb} service {} · namespace {ns}",
                    services.join(" ")
                )
            }
            Action::Create { kind, name } => {
                let what = match kind {
                    crate::source::commands::CreatedKind::SecretTls => "secret tls",
                    crate::source::commands::CreatedKind::SecretGeneric => "secret generic",
                    crate::source::commands::CreatedKind::SecretDockerRegistry => {
                        "secret docker-registry"
                    }
                    crate::source::commands::CreatedKind::ConfigMap => "configmap",
                };
                format!("kubectl create {what} {} · namespace {ns}", name.text)
            }
            Action::Other => return None,
        };
        let location = self.node_location(Some(at))?;
        let id = Shared::from(format!(
            "command/{}:{}:{}",
            location.file, location.line, location.column
        ));
        let name = format!("{}:{}", location.file, location.line);
        Some(self.add_node(id, "Command", Some(ns), name, text, Some(location)))
    }

    /// Findings and references judge the edges; edges sorted and deduplicated.
    fn finish(mut self) -> Graph {
        let mut by_file: HashMap<FileId, Vec<usize>> = HashMap::new();
        for (i, d) in self.drafts.iter().enumerate() {
            for l in &d.spans {
                by_file.entry(l.file).or_default().push(i);
            }
        }
        let within = |d: &Draft, l: Location| d.spans.iter().any(|s| s.contains(l));
        let mut broken: BTreeMap<usize, Vec<&'static str>> = BTreeMap::new();
        // Findings about an object that break no edge mark the object's node.
        let mut flagged: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
        for f in self.world.findings {
            let mut hit_any = false;
            let about = f
                .object
                .as_ref()
                .map(|o: &ObjectRef| node_id(&o.kind, o.namespace.as_deref(), &o.name));
            let mut hit = |i: usize| {
                hit_any = true;
                let rules = broken.entry(i).or_default();
                if !rules.contains(&f.rule) {
                    rules.push(f.rule);
                }
            };
            for &i in by_file.get(&f.location.file).into_iter().flatten() {
                if within(&self.drafts[i], f.location) {
                    hit(i);
                }
            }
            let Some(about) = about else { continue };
            for r in &f.related {
                for &i in by_file.get(&r.location.file).into_iter().flatten() {
                    let d = &self.drafts[i];
                    if d.about.iter().any(|a| *a == *about) && within(d, r.location) {
                        hit(i);
                    }
                }
            }
            if !hit_any {
                let rules = flagged.entry(about).or_default();
                if !rules.contains(&f.rule) {
                    rules.push(f.rule);
                }
            }
        }
        for (id, rules) in flagged {
            if let Some(node) = self.nodes.get_mut(id.as_str()) {
                node.rule = Some(rules.join(", "));
            }
        }
        for (i, rules) in broken {
            let e = &mut self.drafts[i].edge;
            e.state = State::Broken;
            e.rule = Some(rules.join(", "));
            e.reason = None;
        }
        for r in self.world.references {
            let Some(reason) = r.reason() else { continue };
            for &i in by_file.get(&r.location.file).into_iter().flatten() {
                let d = &mut self.drafts[i];
                if d.edge.state == State::Ok && d.spans.iter().any(|s| s.contains(r.location)) {
                    d.edge.state = State::Unverifiable;
                    d.edge.reason = Some(reason.to_string());
                }
            }
        }
        let mut edges: Vec<Edge> = self
            .drafts
            .into_iter()
            .filter(|d| !d.only_if_broken || d.edge.state == State::Broken)
            .map(|d| d.edge)
            .collect();
        edges.sort_by(|a, b| {
            (&a.from, &a.to, &a.label, worst_first(a.state)).cmp(&(
                &b.from,
                &b.to,
                &b.label,
                worst_first(b.state),
            ))
        });
        // The same edge made twice (two rules' backendRefs to one port) is drawn once, its worst
        // state kept.
        edges.dedup_by(|later, kept| {
            later.from == kept.from && later.to == kept.to && later.label == kept.label
        });
        // Collected in place, the edges would keep the drafts' allocation, half again larger
        // per edge and grown by doubling (10k objects: 4.0 MB kept for 1.1 MB of edges).
        edges.shrink_to_fit();
        let around = self.world.around;
        let mut nodes: Vec<Node> = self.nodes.into_values().collect();
        // Nodes no edge touches and no Gateway: unreachable leftovers of lookups.
        let touched: std::collections::HashSet<&str> = edges
            .iter()
            .flat_map(|e| [e.from.as_str(), e.to.as_str()])
            .collect();
        nodes.retain(|n| {
            touched.contains(n.id.as_str()) || (n.kind == "Gateway" && is_around(around, &n.id))
        });
        nodes.shrink_to_fit();
        Graph {
            cluster: self.world.cluster.clone(),
            nodes,
            edges,
        }
    }
}

/// Whether a graph drawn around `names` takes in the node `id`: each name is one part of an id
/// between its slashes (`Kind/namespace/name`, a listener's `Gateway/namespace/name/listener/NAME`),
/// or several parts for a name written with a slash.
fn is_around(names: Option<&[String]>, id: &str) -> bool {
    let bounded = |n: &str| {
        id.match_indices(n).any(|(i, _)| {
            let end = i + n.len();
            (i == 0 || id.as_bytes()[i - 1] == b'/')
                && (end == id.len() || id.as_bytes()[end] == b'/')
        })
    };
    names.is_none_or(|names| names.iter().any(|n| bounded(n)))
}

/// Broken first, then unverifiable, then ok: the order duplicates are kept in.
fn worst_first(s: State) -> u8 {
    match s {
        State::Broken => 0,
        State::Unverifiable => 1,
        State::Ok => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::is_around;

    #[test]
    fn a_graph_drawn_around_names_takes_in_the_ids_they_are_whole_parts_of() {
        let names = ["web".to_string(), "a/b".to_string()];
        let around = Some(&names[..]);
        assert!(is_around(around, "Gateway/ingress/web"));
        assert!(is_around(around, "Gateway/ingress/web/listener/https"));
        assert!(is_around(around, "web/x"));
        assert!(!is_around(around, "Service/ingress/webapp"));
        assert!(!is_around(around, "Service/web-ns/api"));
        assert!(is_around(around, "Service/ns/a/b"));
        assert!(!is_around(around, "Service/ns/xa/b"));
        assert!(is_around(None, "Service/ns/api"));
    }
}
