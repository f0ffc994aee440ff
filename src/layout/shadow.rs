//! An object written beside a kustomization that does not list its file: not deployed.

use crate::model::Object;

/// An object written in a file its directory's kustomization does not list: not deployed, so
/// it satisfies no reference, but a reference that would have resolved to it says why it does
/// not.
#[derive(Clone, Debug, PartialEq)]
pub struct Shadow {
    /// The object as the kustomization would have placed it (namespace, prefixes).
    pub object: Object,
    /// The file's name and its kustomization file's name, in the same directory.
    pub file: String,
    pub kustomization: String,
}

impl Shadow {
    /// `Service api-proxy is in extra-services.yaml, which kustomization.yaml does not list`.
    pub fn sentence(&self) -> String {
        format!(
            "{} {} is in {}, which {} does not list",
            self.object.kind, self.object.name, self.file, self.kustomization
        )
    }

    /// The fix.
    pub fn help(&self) -> String {
        format!(
            "add `{}` to the `resources` of the {} beside it: kustomize builds only what that \
             file lists, so {} {} is not deployed",
            self.file, self.kustomization, self.object.kind, self.object.name
        )
    }

    /// The related note at the object.
    pub fn note(&self) -> String {
        format!(
            "not deployed: {} does not list {}",
            self.kustomization, self.file
        )
    }
}
