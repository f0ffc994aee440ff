//! What the ReferenceGrant rules ask the Catalog: the objects of a kind in one namespace, and
//! whether a namespace may hold grants, or referring objects, that the tree does not show.

use super::{Catalog, ChartIn, by_kind, may_become, placeholder};
use crate::model::{GATEWAY_GROUP, ObjectId};

impl Catalog {
    /// Every object of a kind in one namespace, in load order: one index lookup.
    pub fn in_namespace(&self, group: &str, kind: &str, namespace: &str) -> &[ObjectId] {
        by_kind(&self.kinds, group, kind)
            .and_then(|k| k.names(Some(namespace)))
            .map(|n| n.ids.as_slice())
            .unwrap_or(&[])
    }

    /// Why a ReferenceGrant that is not in the tree may still exist in `namespace` (in strict
    /// mode, never). Charts in general do not make Gateway API objects (see `charts_make`), so a
    /// chart from a chart repository excuses nothing; a chart of the repository itself may
    /// template anything, a grant included. A kustomize patch cilint cannot apply exactly may
    /// rewrite a grant into this namespace, and a grant named or placed with a placeholder may
    /// become one here.
    pub fn grant_unverifiable(&self, namespace: &str) -> Option<String> {
        if self.strict {
            return None;
        }
        if let Some(p) = placeholder(namespace) {
            return Some(format!(
                "the namespace holds the unresolved placeholder {p}"
            ));
        }
        if let Some(c) = self
            .helm_namespaces
            .get(namespace)
            .and_then(|charts| charts.iter().find(|c| c.in_git))
        {
            return Some(format!(
                "namespace {namespace} receives {}, a chart of the repository that may template a ReferenceGrant",
                c.what
            ));
        }
        if let Some((pattern, c)) = self
            .placeholder_charts
            .iter()
            .find(|(pattern, c)| c.in_git && may_become(pattern, namespace))
        {
            return Some(format!(
                "{} is deployed into namespace {pattern}, which may be {namespace}, and may template a ReferenceGrant",
                c.what
            ));
        }
        self.unseen_of_kind(GATEWAY_GROUP, "ReferenceGrant", namespace)
    }

    /// Why objects of (group, kind) in `namespace` may exist that the tree does not show: the
    /// namespace is a placeholder, or receives a Helm chart (any: charts ship HTTPRoutes), a
    /// remote kustomize resource, or a patch cilint cannot apply exactly, or an object of the
    /// kind is placed with a placeholder that may become it.
    pub fn namespace_unseen(&self, group: &str, kind: &str, namespace: &str) -> Option<String> {
        self.deployed_unseen(namespace, |_| true)
            .or_else(|| self.unseen_of_kind(group, kind, namespace))
    }

    /// Why something the tree does not show may be deployed into `namespace`: the namespace is
    /// a placeholder, a chart `may_make` accepts is deployed into it (or into a namespace
    /// written with a placeholder that may become it), or a remote kustomize resource is.
    pub(super) fn deployed_unseen(
        &self,
        namespace: &str,
        may_make: impl Fn(&ChartIn) -> bool,
    ) -> Option<String> {
        if let Some(p) = placeholder(namespace) {
            return Some(format!(
                "the namespace holds the unresolved placeholder {p}"
            ));
        }
        if let Some(c) = self
            .helm_namespaces
            .get(namespace)
            .and_then(|charts| charts.iter().find(|c| may_make(c)))
        {
            return Some(format!("namespace {namespace} receives {}", c.what));
        }
        if let Some((pattern, c)) = self
            .placeholder_charts
            .iter()
            .find(|(pattern, c)| may_make(c) && may_become(pattern, namespace))
        {
            return Some(format!(
                "{} is deployed into namespace {pattern}, which may be {namespace}",
                c.what
            ));
        }
        self.remote_namespaces.get(namespace).cloned()
    }

    /// An object of the kind a patch cilint cannot apply exactly may move into the namespace,
    /// or one whose namespace holds a placeholder may land there.
    fn unseen_of_kind(&self, group: &str, kind: &str, namespace: &str) -> Option<String> {
        if let Some(o) = self
            .across
            .unverifiable
            .iter()
            .map(|&id| self.object(id))
            .find(|o| o.is(group, kind))
        {
            return Some(format!(
                "{kind} {} may be it: a kustomize patch cilint cannot apply exactly changes it",
                o.qualified_name()
            ));
        }
        by_kind(&self.across.placeholder_named, group, kind)?
            .iter()
            .map(|&id| self.object(id))
            .find(|o| {
                o.namespace
                    .as_deref()
                    .is_some_and(|ns| may_become(ns, namespace))
            })
            .map(|o| {
                format!(
                    "{kind} {} may be in namespace {namespace} once substituted",
                    o.qualified_name()
                )
            })
    }
}
