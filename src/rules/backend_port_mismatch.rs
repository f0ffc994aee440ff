//! backend-port-mismatch: a Service backendRef without `port`, or with a port the Service does
//! not expose (often its targetPort or a containerPort).

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::pods::{named_ports, selected_by};
use crate::catalog::{Catalog, Lookup};
use crate::diagnostic::{Finding, Severity};
use crate::model::route::BackendRef;
use crate::model::service::{ServicePort, TargetPort};
use crate::model::workload::ContainerPort;
use crate::model::{Object, ObjectId, Service};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "backend-port-mismatch",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "a Service backendRef has no port, or a port the Service does not expose",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for u in catalog.service_backend_refs() {
        // A missing Service is backend-not-found's finding.
        let Lookup::Found(svc_id) =
            catalog.lookup("", "Service", Some(u.namespace), u.backend.name.as_str())
        else {
            continue;
        };
        let svc_obj = catalog.object(svc_id);
        let Some(svc) = svc_obj.service() else {
            continue;
        };
        // An operator made it: its ports are not known, so no port can be called wrong.
        if catalog.ports_unknown(svc_id) {
            continue;
        }
        let target = Target {
            catalog,
            route: u.route,
            backend: u.backend,
            svc_id,
            svc_obj,
            svc,
        };
        let at = |span| Location { file: u.file, span };
        match &u.backend.port {
            None => out.push(target.no_port(at(u.backend.span))),
            // ExternalName Services have no ports to match and are implementation-specific.
            Some(_) if svc.service_type == "ExternalName" => {}
            Some(port) if svc.ports.iter().any(|p| p.port == port.value) => {}
            Some(port) => out.push(target.wrong_port(port.value, at(port.span))),
        }
    }
}

/// One backendRef and the Service it resolves to.
struct Target<'a> {
    catalog: &'a Catalog,
    route: &'a Object,
    backend: &'a BackendRef,
    svc_id: ObjectId,
    svc_obj: &'a Object,
    svc: &'a Service,
}

/// How a number that is not a Service port relates to the Service.
#[derive(Debug)]
enum Relation<'a> {
    /// The targetPort (numeric, or named and resolved in a selected workload) of a Service port.
    TargetPort {
        service_port: &'a ServicePort,
        via: Option<(ObjectId, &'a ContainerPort)>,
    },
    /// A containerPort of a selected workload that no Service port forwards to.
    ContainerPort(ObjectId, &'a ContainerPort),
    Unrelated,
}

impl<'a> Target<'a> {
    /// The backendRef's `port` path, also when it is missing; written only for a finding, as
    /// nearly every backendRef matches.
    fn field(&self) -> String {
        format!("{}.port", self.backend.path())
    }

    fn subject(&self) -> String {
        format!("{} {}", self.route.kind, self.route.qualified_name())
    }

    fn service_location(&self) -> Option<Location> {
        self.catalog.report_location(self.svc_id)
    }

    fn no_port(&self, at: Location) -> Finding {
        let name = &self.svc_obj.name;
        let fix = match &self.svc.ports[..] {
            [only] => format!(
                "add `port: {}`, the only port of Service `{name}`",
                only.port
            ),
            [] => format!("add `port:` with a port of Service `{name}`, which declares none"),
            ports => format!("add `port:` with {}", choose_port(ports)),
        };
        Finding::new(
            &META,
            at,
            format!(
                "{}: backendRef to Service `{name}` has no `port`",
                self.subject()
            ),
        )
        .object(self.route)
        .field(self.field())
        .label("no `port`")
        .condition("ResolvedRefs=False/InvalidKind")
        .help(format!(
            "{fix}. A Service backendRef must name the Service port: the Gateway API CRD rejects \
             it (\"Must have port for Service reference\"), and Cilium drops the backend"
        ))
        .related(
            self.service_location(),
            format!(
                "Service `{name}` exposes {}",
                describe_ports(&self.svc.ports)
            ),
        )
    }

    fn wrong_port(&self, port: u32, at: Location) -> Finding {
        let name = &self.svc_obj.name;
        let exposed = describe_ports(&self.svc.ports);
        let relation = self.relation(port);
        let (why, fix) = match &relation {
            Relation::TargetPort { service_port, .. } => (
                format!(
                    "{port} is the targetPort of Service port {}; backendRef.port is the \
                     Service port",
                    describe_port(service_port)
                ),
                format!("set `port: {}`", service_port.port),
            ),
            Relation::ContainerPort(id, cp) => (
                format!(
                    "{port} is a containerPort of {}, but no port of Service `{name}` forwards \
                     to it",
                    workload_name(self.catalog.object(*id))
                ),
                format!(
                    "add a Service port with `targetPort: {}`, or use {}",
                    cp.name
                        .as_ref()
                        .map_or_else(|| cp.port.to_string(), |n| n.to_string()),
                    choose_port(&self.svc.ports)
                ),
            ),
            Relation::Unrelated => (
                format!("Service `{name}` exposes {exposed}"),
                match &self.svc.ports[..] {
                    [only] => format!("set `port: {}`", only.port),
                    ports => format!("use {}", choose_port(ports)),
                },
            ),
        };
        let mut f = Finding::new(
            &META,
            at,
            format!(
                "{}: backendRef port {port} is not a port of Service `{name}`: {why}",
                self.subject()
            ),
        )
        .object(self.route)
        .field(self.field())
        .label(format!("not a port of Service `{name}`"))
        .help(format!(
            "{fix}. Cilium does not check backendRef ports: the route is accepted and requests \
             to this backend fail"
        ));
        f = match relation {
            Relation::TargetPort { service_port, via } => {
                let f = f.related(
                    self.port_location(service_port),
                    format!(
                        "Service port {} forwards to targetPort {}",
                        describe_port(service_port),
                        describe_target(&service_port.effective_target())
                    ),
                );
                match via {
                    Some((id, cp)) => f.related(
                        self.catalog.report_location(id),
                        format!(
                            "{} declares port {} as `{}`",
                            container_of(self.catalog.object(id), cp),
                            cp.port,
                            cp.name.as_deref().unwrap_or_default()
                        ),
                    ),
                    None => f,
                }
            }
            Relation::ContainerPort(id, cp) => f
                .related(
                    self.catalog.report_location(id),
                    format!(
                        "{} declares port {}",
                        container_of(self.catalog.object(id), cp),
                        describe_container_port(cp)
                    ),
                )
                .related(
                    self.service_location(),
                    format!("Service `{name}` exposes {exposed}"),
                ),
            Relation::Unrelated => f.related(
                self.service_location(),
                format!("Service `{name}` exposes {exposed}"),
            ),
        };
        f
    }

    /// The span of one Service port, or the Service (or its Gateway) when it was generated.
    fn port_location(&self, p: &ServicePort) -> Option<Location> {
        match self.svc_obj.location {
            Some(l) if self.catalog.generator(self.svc_id).is_none() => Some(Location {
                file: l.file,
                span: p.span,
            }),
            _ => self.service_location(),
        }
    }

    fn relation(&self, port: u32) -> Relation<'a> {
        let workloads = self.selected_workloads();
        for sp in &self.svc.ports {
            match sp.effective_target() {
                TargetPort::Number(n) if n == port => {
                    return Relation::TargetPort {
                        service_port: sp,
                        via: None,
                    };
                }
                TargetPort::Name(target) => {
                    let via = named_ports(&workloads, &target, &sp.protocol)
                        .find(|(_, cp)| cp.port == port);
                    if via.is_some() {
                        return Relation::TargetPort {
                            service_port: sp,
                            via,
                        };
                    }
                }
                TargetPort::Number(_) => {}
            }
        }
        workloads
            .iter()
            .find_map(|&(id, w)| {
                w.ports
                    .iter()
                    .find(|cp| cp.port == port)
                    .map(|cp| Relation::ContainerPort(id, cp))
            })
            .unwrap_or(Relation::Unrelated)
    }

    /// The workloads in the Service's namespace whose pods its selector selects.
    fn selected_workloads(&self) -> Vec<(ObjectId, &'a crate::model::Workload)> {
        match &self.svc.selector {
            Some(selector) => selected_by(self.catalog, &self.svc_obj.namespace, selector),
            None => Vec::new(),
        }
    }
}

fn workload_name(o: &Object) -> String {
    format!("{} {}", o.kind, o.name)
}

/// `80 (http)`, or `80` for an unnamed port.
fn describe_port(p: &ServicePort) -> String {
    match &p.name {
        Some(name) => format!("{} ({name})", p.port),
        None => p.port.to_string(),
    }
}

/// `container `web` of Deployment storefront`.
fn container_of(workload: &Object, cp: &ContainerPort) -> String {
    format!(
        "container `{}` of {}",
        cp.container,
        workload_name(workload)
    )
}

/// `8080 (http)`, or `8080` for an unnamed container port.
fn describe_container_port(cp: &ContainerPort) -> String {
    match &cp.name {
        Some(name) => format!("{} ({name})", cp.port),
        None => cp.port.to_string(),
    }
}

/// `port 80 (http)` when there is one, else `one of ports 80 (http), 443 (https)`.
fn choose_port(ports: &[ServicePort]) -> String {
    match ports {
        [_] => describe_ports(ports),
        _ => format!("one of {}", describe_ports(ports)),
    }
}

/// `port 80 (http)` or `ports 80 (http), 443 (https)`, or `no ports`.
fn describe_ports(ports: &[ServicePort]) -> String {
    let list: Vec<String> = ports.iter().map(describe_port).collect();
    match list.len() {
        0 => "no ports".into(),
        1 => format!("port {}", list[0]),
        _ => format!("ports {}", list.join(", ")),
    }
}

fn describe_target(t: &TargetPort) -> String {
    match t {
        TargetPort::Number(n) => n.to_string(),
        TargetPort::Name(name) => format!("`{name}`"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::catalog::Catalog;
    use crate::rules::Facts;
    use crate::source::{FileId, FileKind, SourceFile};

    fn messages(yaml: &str) -> Vec<String> {
        let source = SourceFile {
            path: "t.yaml".into(),
            kind: FileKind::Yaml,
            text: Arc::from(yaml),
        };
        let contents = crate::load::parse(FileId(0), &source, true, "default");
        let catalog = Catalog::build(vec![(FileId(0), contents)], "default", &[]);
        let mut out = Vec::new();
        super::check(&Facts::new(&catalog), &mut out);
        out.into_iter().map(|f| f.message).collect()
    }

    const WORKLOAD: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: dns}
spec:
  template:
    metadata: {labels: {app: dns}}
    spec:
      containers:
        - name: coredns
          ports:
            - {name: dns, containerPort: 5353, protocol: UDP}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: other}
spec:
  template:
    metadata: {labels: {app: other}}
    spec:
      containers:
        - name: web
          ports:
            - {name: web, containerPort: 8080}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: UDPRoute
metadata: {name: dns}
spec:
  rules:
    - backendRefs:
        - {name: dns, port: PORT}
";

    fn with_service(service_ports: &str, port: u32) -> Vec<String> {
        let yaml = format!(
            "{}---\napiVersion: v1\nkind: Service\nmetadata: {{name: dns}}\n\
             spec:\n  selector: {{app: dns}}\n  ports:\n{service_ports}",
            WORKLOAD.replace("PORT", &port.to_string())
        );
        messages(&yaml)
    }

    #[test]
    fn named_target_port_needs_the_same_protocol() {
        let udp = "    - {name: dns, port: 53, targetPort: dns, protocol: UDP}\n";
        let tcp = "    - {name: dns, port: 53, targetPort: dns}\n";
        assert!(with_service(udp, 5353)[0].contains("5353 is the targetPort of Service port 53"));
        // A TCP Service port does not resolve a UDP container port of that name.
        assert!(with_service(tcp, 5353)[0].contains("5353 is a containerPort of Deployment dns"));
    }

    #[test]
    fn only_selected_workloads_count() {
        let ports = "    - {name: http, port: 80, targetPort: web}\n";
        let found = with_service(ports, 8080);
        assert!(
            found[0].ends_with("Service `dns` exposes port 80 (http)"),
            "{found:?}"
        );
    }

    #[test]
    fn service_ports_pass() {
        assert!(with_service("    - {name: dns, port: 53, protocol: UDP}\n", 53).is_empty());
    }
}
