//! Pod-bearing workloads: the pod template's labels and its containers' ports.

use super::{Label, Text, labels_from, text, text_at};
use crate::source::yaml::Node;

#[derive(Clone, Debug)]
pub struct ContainerPort {
    pub container: Text,
    pub name: Option<Text>,
    pub port: u32,
    pub protocol: Text,
}

#[derive(Clone, Debug, Default)]
pub struct Workload {
    /// Labels of the pods it creates (the template's, not the workload's own).
    pub pod_labels: Box<[Label]>,
    pub ports: Box<[ContainerPort]>,
}

impl Workload {
    pub fn from_template(template: Option<Node<'_>>) -> Workload {
        let Some(t) = template else {
            return Workload::default();
        };
        Workload {
            pod_labels: labels_from(t.at(&["metadata", "labels"])),
            ports: ports_of(t.get("spec")),
        }
    }

    pub fn from_pod(doc: Node<'_>) -> Workload {
        Workload {
            pod_labels: labels_from(doc.at(&["metadata", "labels"])),
            ports: ports_of(doc.get("spec")),
        }
    }

    /// Whether a Service selector (equality terms) selects this workload's pods.
    pub fn selected_by(&self, selector: &[(Text, Text)]) -> bool {
        !selector.is_empty()
            && selector
                .iter()
                .all(|(k, v)| self.pod_labels.iter().any(|l| l.key == *k && l.value == *v))
    }
}

fn ports_of(pod_spec: Option<Node<'_>>) -> Box<[ContainerPort]> {
    let Some(spec) = pod_spec else {
        return Box::default();
    };
    let mut out = Vec::new();
    for list in ["containers", "initContainers"] {
        for c in spec.get(list).map(Node::as_seq).unwrap_or_default() {
            let container = c.get("name").and_then(Node::as_str).unwrap_or_default();
            for p in c.get("ports").map(Node::as_seq).unwrap_or_default() {
                let Some(port) = p.get("containerPort").and_then(Node::as_u32) else {
                    continue;
                };
                out.push(ContainerPort {
                    container: text(container),
                    name: p.get("name").and_then(Node::as_str).map(text),
                    port,
                    protocol: text_at(p, "protocol", "TCP"),
                });
            }
        }
    }
    out.into()
}
