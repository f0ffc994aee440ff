//! service-target-port-not-found: a Service port whose `targetPort` no container of the
//! selected workloads declares: by name (with the port's protocol), the port has no endpoints;
//! by number, when the containers declare their ports and none is that number.

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::pods::{ServicePods, named_ports};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, Severity};
use crate::model::ObjectId;
use crate::model::service::{ServicePort, TargetPort};
use crate::model::suggest::{closest, only_close};
use crate::model::workload::ContainerPort;

pub static META: RuleMeta = RuleMeta {
    id: "service-target-port-not-found",
    severity: Severity::Error,
    category: Category::Kubernetes,
    summary: "a Service port's targetPort is not a port the selected containers declare",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for p in catalog.service_pods() {
        // Pods cilint cannot see may declare it; none selected is service-selects-no-pods'.
        if !p.complete() || p.workloads.is_empty() {
            continue;
        }
        for sp in &p.service.ports {
            match sp.effective_target() {
                TargetPort::Name(name) => {
                    if named_ports(&p.workloads, &name, &sp.protocol)
                        .next()
                        .is_none()
                    {
                        out.push(name_not_found(catalog, p, sp, &name));
                    }
                }
                TargetPort::Number(n) => {
                    // A container may listen on a port it does not declare: only when every
                    // selected workload declares ports of the Service port's protocol is an
                    // absent number worth a word (a UDP discovery port beside declared TCP
                    // ports usually goes undeclared).
                    let declared = p
                        .workloads
                        .iter()
                        .all(|(_, w)| w.ports.iter().any(|cp| cp.protocol == sp.protocol));
                    let any = p.workloads.iter().any(|(_, w)| {
                        w.ports
                            .iter()
                            .any(|cp| cp.port == n && cp.protocol == sp.protocol)
                    });
                    if declared && !any {
                        out.push(number_not_declared(catalog, p, sp, n));
                    }
                }
            }
        }
    }
}

/// Every container port of the selected workloads, with its workload.
fn container_ports<'c>(p: &ServicePods<'c>) -> impl Iterator<Item = (ObjectId, &'c ContainerPort)> {
    p.workloads
        .iter()
        .flat_map(|&(id, w)| w.ports.iter().map(move |cp| (id, cp)))
}

fn subject(p: &ServicePods, sp: &ServicePort) -> String {
    match &sp.name {
        Some(name) => format!(
            "Service {} port {} ({name})",
            p.object.qualified_name(),
            sp.port
        ),
        None => format!("Service {} port {}", p.object.qualified_name(), sp.port),
    }
}

/// `Deployment web` or `2 workloads (Deployment web, …)`.
fn selected(catalog: &Catalog, p: &ServicePods) -> String {
    let names: Vec<String> = p
        .workloads
        .iter()
        .map(|&(id, _)| {
            let o = catalog.object(id);
            format!("{} {}", o.kind, o.name)
        })
        .collect();
    match names.as_slice() {
        [one] => one.clone(),
        all => format!("{} workloads ({})", all.len(), all.join(", ")),
    }
}

fn name_not_found(catalog: &Catalog, p: &ServicePods, sp: &ServicePort, name: &str) -> Finding {
    let selected = selected(catalog, p);
    let same_protocol = || container_ports(p).filter(|(_, cp)| cp.protocol == sp.protocol);
    // Declared with that name for another protocol (DNS: `dns` for UDP): the port of the
    // Service's protocol with the same number is what was meant, else the nearest name.
    let other_protocol = container_ports(p).find(|(_, cp)| cp.name.as_deref() == Some(name));
    let twin = other_protocol.and_then(|(_, other)| {
        same_protocol().find(|(_, cp)| cp.port == other.port && cp.name.is_some())
    });
    let names = same_protocol().filter_map(|(_, cp)| cp.name.as_deref());
    let near = twin.or_else(|| {
        closest(name, names)
            .and_then(|n| same_protocol().find(|(_, cp)| cp.name.as_deref() == Some(n)))
    });
    let at = sp.target_port_span.unwrap_or(sp.span);
    let mut f = Finding::new(
        &META,
        p.object
            .at(at)
            .expect("a manifest's Service has a location"),
        format!(
            "{}: targetPort `{name}` is not a {} port name of {selected}, so the port has no \
             endpoints",
            subject(p, sp),
            sp.protocol
        ),
    )
    .object(p.object)
    .field(format!("spec.ports[{}].targetPort", port_index(p, sp)))
    .label(format!(
        "no selected container declares `{name}` for {}",
        sp.protocol
    ));
    let why = "the EndpointSlice controller resolves a named targetPort in each pod by name and \
               protocol (podutil.FindPort) and gives a pod where it finds none no endpoint for \
               the port";
    if let Some((id, cp)) = other_protocol {
        f = f.related(
            catalog.report_location(id),
            format!(
                "container `{}` declares `{name}` ({}) for {} only",
                cp.container, cp.port, cp.protocol
            ),
        );
    }
    match (near, other_protocol) {
        (Some((id, cp)), _) => {
            let near = cp.name.as_deref().unwrap_or_default();
            // The same port of the Service's protocol, or the one name a typo away.
            let unambiguous = twin.is_some()
                || only_close(
                    name,
                    same_protocol().filter_map(|(_, cp)| cp.name.as_deref()),
                ) == Some(near);
            if unambiguous {
                f = f.rename(name, near, format!("name targetPort `{near}`"));
            }
            let f = f.help(format!(
                "did you mean `targetPort: {near}`, the {} port {} of container `{}`? {why}",
                cp.protocol, cp.port, cp.container
            ));
            // The workload is already related when it declares the name for another protocol.
            if other_protocol.is_some_and(|(other, _)| other == id) {
                return f;
            }
            f.related(
                catalog.report_location(id),
                format!(
                    "container `{}` declares `{near}` ({})",
                    cp.container, cp.port
                ),
            )
        }
        (None, Some((_, cp))) => f.help(format!(
            "declare a {} container port for {}, or set the Service port's protocol to {}: {why}",
            sp.protocol, cp.port, cp.protocol
        )),
        (None, None) => {
            let declared: Vec<String> = same_protocol()
                .filter_map(|(_, cp)| Some(format!("`{}` ({})", cp.name.as_deref()?, cp.port)))
                .collect();
            let fix = match declared.len() {
                0 => format!(
                    "no container of {selected} names a {} port: name one `{name}`, or use a \
                     number",
                    sp.protocol
                ),
                _ => format!(
                    "use one of {}, or name a container port `{name}`",
                    declared.join(", ")
                ),
            };
            f.help(format!("{fix}: {why}"))
        }
    }
}

fn number_not_declared(catalog: &Catalog, p: &ServicePods, sp: &ServicePort, n: u32) -> Finding {
    let selected = selected(catalog, p);
    let declared: Vec<String> = container_ports(p)
        .map(|(_, cp)| cp.port.to_string())
        .collect();
    let mut f = Finding::new(
        &META,
        p.object
            .at(sp.target_port_span.unwrap_or(sp.span))
            .expect("a manifest's Service has a location"),
        format!(
            "{}: targetPort {n} is not a {} port the containers of {selected} declare ({})",
            subject(p, sp),
            sp.protocol,
            declared.join(", ")
        ),
    )
    .object(p.object)
    .field(format!("spec.ports[{}].targetPort", port_index(p, sp)))
    .label(format!("no selected container declares {n}"))
    .help(format!(
        "point targetPort at a declared port, or declare {n} in the container; a container may \
         listen on a port it does not declare, so this is only a warning, but traffic to a port \
         nothing listens on is refused"
    ));
    f.severity = Severity::Warning;
    if let Some(&(id, _)) = p.workloads.first() {
        f = f.related(
            catalog.report_location(id),
            format!("{} declares its ports here", catalog.object(id).name),
        );
    }
    f
}

fn port_index(p: &ServicePods, sp: &ServicePort) -> usize {
    p.service
        .ports
        .iter()
        .position(|x| std::ptr::eq(x, sp))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use crate::rules::findings_in;

    fn tree(container_ports: &str, service_ports: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: dns}}\nspec:\n  template:\n    \
             metadata: {{labels: {{app: dns}}}}\n    spec: {{containers: [{{name: coredns, ports: {container_ports}}}]}}\n---\n\
             apiVersion: v1\nkind: Service\nmetadata: {{name: dns}}\nspec: {{selector: {{app: dns}}, ports: {service_ports}}}\n"
        )
    }

    fn messages(container_ports: &str, service_ports: &str) -> Vec<String> {
        findings_in(super::check, &tree(container_ports, service_ports))
            .into_iter()
            .map(|f| format!("{:?}: {}", f.severity, f.message))
            .collect()
    }

    #[test]
    fn a_name_needs_the_service_ports_protocol() {
        let udp = "[{name: dns, containerPort: 53, protocol: UDP}]";
        assert!(messages(udp, "[{port: 53, protocol: UDP, targetPort: dns}]").is_empty());
        let tcp = messages(udp, "[{port: 53, targetPort: dns}]");
        assert_eq!(tcp.len(), 1);
        assert!(
            tcp[0].starts_with(
                "Error: Service default/dns port 53: targetPort `dns` is not a TCP port name"
            ),
            "{tcp:?}"
        );
    }

    #[test]
    fn an_undeclared_number_is_a_warning_only_when_ports_are_declared() {
        let declared = "[{name: http, containerPort: 8080}]";
        assert_eq!(
            messages(declared, "[{port: 80, targetPort: 8080}]").len(),
            0
        );
        let found = messages(declared, "[{port: 80}]");
        assert!(found[0].starts_with("Warning: "), "{found:?}");
        assert!(messages("[]", "[{port: 80}]").is_empty());
    }
}
