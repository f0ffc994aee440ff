//! kustomize `replacements` that set where a Flux Kustomization deploys. Repositories in the
//! home-operations style list their Flux Kustomizations in a namespace directory whose
//! kustomization copies the name of its `Namespace` into every Kustomization's
//! `spec.targetNamespace`:
//!
//! ```yaml
//! replacements:
//!   - path: ../../../components/replacements/ks.yaml   # or the same entry written inline
//! # ks.yaml
//! - source: {kind: Namespace, fieldPath: metadata.name}
//!   targets:
//!     - select: {kind: Kustomization, group: kustomize.toolkit.fluxcd.io}
//!       fieldPaths: [spec.targetNamespace]
//!       options: {create: true}
//! ```
//!
//! Without it, everything those Kustomizations deploy would land in the wrong namespace. Only
//! this target is followed: the value of another replacement is not known to cilint, which keeps
//! no field but names, namespaces and what rules read, so the objects such a target selects are
//! unverifiable, as the targets of a patch cilint cannot apply are.
//! <https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/replacements/>

use crate::model::non_empty_string;
use crate::source::yaml::Node;

/// The Flux Kustomization API group.
const FLUX_KUSTOMIZE_GROUP: &str = "kustomize.toolkit.fluxcd.io";

/// Which objects a source or target selects (`group`, `version`, `kind`, `name`, `namespace`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Select {
    pub group: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

impl Select {
    fn read(node: Option<Node<'_>>) -> Select {
        let get = |key| non_empty_string(node.and_then(|n| n.get(key)));
        Select {
            group: get("group"),
            kind: get("kind"),
            name: get("name"),
            namespace: get("namespace"),
        }
    }

    /// Whether an object of this API group, kind, name and namespace is selected.
    pub fn matches(&self, group: &str, kind: &str, name: &str, namespace: Option<&str>) -> bool {
        self.group.as_deref().is_none_or(|g| g == group)
            && self.kind.as_deref().is_none_or(|k| k == kind)
            && self.name.as_deref().is_none_or(|n| n == name)
            && self
                .namespace
                .as_deref()
                .is_none_or(|n| Some(n) == namespace)
    }

    /// Whether it selects Flux Kustomizations (and nothing says it does not).
    fn selects_flux_kustomizations(&self) -> bool {
        self.kind.as_deref() == Some("Kustomization")
            && self
                .group
                .as_deref()
                .is_none_or(|g| g == FLUX_KUSTOMIZE_GROUP)
            && self.name.is_none()
            && self.namespace.is_none()
    }
}

/// One replacement: a field of a source object copied into fields of target objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replacement {
    pub source: Select,
    /// The source's field, `metadata.name` when not written.
    pub source_field: String,
    /// The targets that set `spec.targetNamespace` of every Flux Kustomization, and whether
    /// they create the field where it is not written.
    pub flux_target_namespace: Option<bool>,
    /// What every other target selects: cilint does not know what the replacement writes there.
    pub other_targets: Vec<Select>,
}

impl Replacement {
    /// The replacements of a `replacements:` entry written inline, or of a file's document: a
    /// mapping is one replacement, a sequence a list of them.
    pub fn read_all(node: Node<'_>) -> Vec<Replacement> {
        if node.is_map() {
            return Replacement::read(node).into_iter().collect();
        }
        node.as_seq().filter_map(Replacement::read).collect()
    }

    fn read(node: Node<'_>) -> Option<Replacement> {
        let source = node.get("source")?;
        let mut flux_target_namespace = None;
        let mut other_targets = Vec::new();
        for target in node.get("targets").map(Node::as_seq).unwrap_or_default() {
            let paths: Vec<&str> = target
                .get("fieldPaths")
                .map(Node::as_seq)
                .unwrap_or_default()
                .filter_map(Node::as_str)
                .collect();
            let rejects = target.get("reject").is_some_and(|r| !r.is_null());
            let select = Select::read(target.get("select"));
            if paths == ["spec.targetNamespace"] && !rejects && select.selects_flux_kustomizations()
            {
                let create = target.at(&["options", "create"]).and_then(Node::as_bool);
                flux_target_namespace = Some(create.unwrap_or(false));
            } else {
                other_targets.push(select);
            }
        }
        Some(Replacement {
            source: Select::read(Some(source)),
            source_field: non_empty_string(source.get("fieldPath"))
                .unwrap_or_else(|| "metadata.name".into()),
            flux_target_namespace,
            other_targets,
        })
    }
}

/// The namespace a kustomization's replacements give the Flux Kustomizations it builds, and
/// whether a Kustomization that writes none gets it too: from the one object `source` selects
/// among `objects` (group, kind, name, namespace, as the kustomization places them). `None` when
/// no replacement sets it, or its value is not one cilint knows.
pub fn flux_target_namespace<'o>(
    replacements: &[Replacement],
    objects: impl Iterator<Item = (&'o str, &'o str, &'o str, Option<&'o str>)> + Clone,
) -> Option<(String, bool)> {
    let r = replacements
        .iter()
        .rev()
        .find(|r| r.flux_target_namespace.is_some())?;
    let mut selected = objects.filter(|(g, k, n, ns)| r.source.matches(g, k, n, *ns));
    let (_, _, name, namespace) = selected.next()?;
    if selected.next().is_some() {
        return None; // kustomize refuses a source that selects more than one object
    }
    let value = match r.source_field.as_str() {
        "metadata.name" => name,
        "metadata.namespace" => namespace?,
        _ => return None,
    };
    Some((value.to_string(), r.flux_target_namespace?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Replacement> {
        let loaded = crate::source::yaml::load(text, &crate::source::LineIndex::new(text));
        Replacement::read_all(loaded.documents[0].root())
    }

    const HOME_OPERATIONS: &str = "- source:\n    kind: Namespace\n    fieldPath: metadata.name\n  \
        targets:\n    - select:\n        kind: Kustomization\n        group: kustomize.toolkit.fluxcd.io\n      \
        fieldPaths:\n        - spec.targetNamespace\n      options:\n        create: true\n";

    #[test]
    fn the_namespace_name_becomes_every_flux_kustomizations_target_namespace() {
        let r = read(HOME_OPERATIONS);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].flux_target_namespace, Some(true));
        let objects = [
            ("", "Namespace", "network", None),
            (
                FLUX_KUSTOMIZE_GROUP,
                "Kustomization",
                "echo",
                Some("network"),
            ),
        ];
        assert_eq!(
            flux_target_namespace(&r, objects.iter().copied()),
            Some(("network".to_string(), true))
        );
    }

    #[test]
    fn other_replacements_and_ambiguous_sources_set_nothing() {
        let other = read(
            "source: {kind: ConfigMap, name: settings, fieldPath: data.domain}\n\
             targets:\n  - select: {kind: HTTPRoute}\n    fieldPaths: [spec.hostnames.0]\n",
        );
        assert_eq!(other[0].flux_target_namespace, None);
        assert_eq!(other[0].other_targets[0].kind.as_deref(), Some("HTTPRoute"));
        assert!(other[0].other_targets[0].matches(
            "gateway.networking.k8s.io",
            "HTTPRoute",
            "web",
            None
        ));
        let objects = [("", "Namespace", "a", None), ("", "Namespace", "b", None)];
        let r = read(HOME_OPERATIONS);
        assert_eq!(flux_target_namespace(&r, objects.iter().copied()), None);
        assert_eq!(flux_target_namespace(&r, [].iter().copied()), None);
        // A target limited to one Kustomization by name is not followed.
        let named = read(&HOME_OPERATIONS.replace(
            "kind: Kustomization\n",
            "kind: Kustomization\n        name: echo\n",
        ));
        assert_eq!(named[0].flux_target_namespace, None);
    }
}
