//! probe-port-not-found: a probe's or lifecycle hook's `httpGet.port` / `tcpSocket.port` is a
//! name the container does not declare in its `ports`: the kubelet cannot resolve it, so the
//! probe (or hook) fails every time.

use super::{Category, Facts, Rule, RuleMeta};
use crate::catalog::placeholder;
use crate::diagnostic::{Finding, Severity};
use crate::model::Object;
use crate::model::suggest::{closest, only_close};
use crate::model::workload::{NamedProbePort, Workload};

pub static META: RuleMeta = RuleMeta {
    id: "probe-port-not-found",
    severity: Severity::Error,
    category: Category::Kubernetes,
    summary: "a probe or lifecycle hook names a port its container does not declare",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for (o, w) in catalog.written_workloads() {
        for p in w.probe_ports.iter() {
            if placeholder(&p.name.value).is_some() || declares(w, p) {
                continue;
            }
            if let Some(at) = o.at(p.name.span) {
                out.push(finding(o, w, p, at));
            }
        }
    }
}

/// Whether the probe's container declares a port of that name (kubelet `findPortByName`
/// looks in that container only).
fn declares(w: &Workload, p: &NamedProbePort) -> bool {
    w.ports
        .iter()
        .any(|cp| cp.container == p.container && cp.name.as_deref() == Some(&*p.name.value))
}

fn finding(o: &Object, w: &Workload, p: &NamedProbePort, at: crate::source::Location) -> Finding {
    let name = p.name.as_str();
    let names: Vec<&str> = w
        .ports
        .iter()
        .filter(|cp| cp.container == p.container)
        .filter_map(|cp| cp.name.as_deref())
        .collect();
    let hook = p.probe.starts_with("lifecycle");
    let consequence = match p.probe {
        "livenessProbe" | "startupProbe" => {
            "the probe fails every time and the kubelet restarts the container over and over"
        }
        "readinessProbe" => "the probe fails every time and the pod never becomes Ready",
        "lifecycle.postStart" => {
            "the hook fails and the kubelet kills the container (FailedPostStartHook)"
        }
        _ => "the hook fails (FailedPreStopHook) and the container stops without it",
    };
    let what = if hook { "hook" } else { "probe" };
    let help = match closest(name, names.iter().copied()) {
        Some(near) => format!(
            "did you mean port `{near}`? Name a port of container `{}`, or write the port number",
            p.container
        ),
        None if names.is_empty() => format!(
            "container `{}` declares no named port: add `ports: [{{name: {name}, containerPort: <port>}}]` to it, or write the port number",
            p.container
        ),
        None => format!(
            "name one of the ports container `{}` declares ({}), or write the port number",
            p.container,
            names.join(", ")
        ),
    };
    let f = Finding::new(
        &META,
        at,
        format!(
            "{} {}: the {what} {}.{}.port of container `{}` names port `{name}`, which the container does not declare: {consequence}",
            o.kind,
            o.qualified_name(),
            p.probe,
            p.action,
            p.container
        ),
    )
    .object(o)
    .field(format!(
        "containers[{}].{}.{}.port",
        p.container, p.probe, p.action
    ))
    .label(format!("no port `{name}` in container `{}`", p.container))
    .help(help);
    match closest(name, names.iter().copied()) {
        Some(near) if only_close(name, names.iter().copied()) == Some(near) => {
            f.rename(name, near, format!("name port `{near}`"))
        }
        _ => f,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::findings_in;

    const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          ports: [{name: http, containerPort: 8080}]
          livenessProbe: {httpGet: {path: /, port: PORT}}
        - name: sidecar
          ports: [{name: metrics, containerPort: 9090}]
";

    fn with(port: &str) -> Vec<Finding> {
        findings_in(check, &DEPLOYMENT.replace("PORT", port))
    }

    #[test]
    fn a_declared_name_or_a_number_is_fine() {
        assert!(with("http").is_empty());
        assert!(with("8080").is_empty());
        assert!(with("\"9999\"").is_empty());
        assert!(with("${PORT}").is_empty());
    }

    #[test]
    fn an_undeclared_name_is_reported_with_the_closest() {
        let f = with("htp");
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("livenessProbe.httpGet.port"),
            "{}",
            f[0].message
        );
        assert!(f[0].help.as_deref().unwrap().contains("`http`"));
    }

    #[test]
    fn another_containers_port_does_not_count() {
        assert_eq!(with("metrics").len(), 1);
    }

    #[test]
    fn lifecycle_hooks_and_tcp_sockets_resolve_the_same() {
        let yaml = DEPLOYMENT
            .replace(
                "livenessProbe: {httpGet: {path: /, port: PORT}}",
                "readinessProbe: {tcpSocket: {port: grpc}}\n          lifecycle: {preStop: {httpGet: {path: /q, port: admin}}}",
            );
        let f = findings_in(check, &yaml);
        assert_eq!(f.len(), 2, "{f:#?}");
    }
}
