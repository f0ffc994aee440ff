//! What is derived from a whole Catalog and shared by several rules: route attachment, the
//! load-balancer/announcement decision, the references and how they resolve.

pub mod attachment;
pub mod bgp;
pub mod cilium_api;
pub mod lb;
pub mod listener_set;
pub mod pods;
pub mod references;
pub mod rendered;
pub mod versions;

use std::ops::Deref;
use std::sync::OnceLock;

use crate::catalog::Catalog;
use attachment::{Attempt, attempts};
use versions::Versions;

/// What rules read: the Catalog (which it derefs to), and what several rules derive from it,
/// computed once by the first that asks.
pub struct Facts<'c> {
    catalog: &'c Catalog,
    attempts: OnceLock<Vec<Attempt<'c>>>,
    bgp: OnceLock<bgp::Chain>,
    pods: OnceLock<Vec<pods::ServicePods<'c>>>,
    pod_labels: OnceLock<pods::PodLabels<'c>>,
    /// The Gateway API bundle and Cilium release the world runs.
    pub versions: Versions,
}

impl<'c> Facts<'c> {
    /// The facts of a world with the versions its tree pins, or the defaults.
    pub fn new(catalog: &'c Catalog) -> Facts<'c> {
        let versions = versions::versions(catalog, &Default::default());
        Facts::with_versions(catalog, versions)
    }

    /// The facts of a world that runs `versions`.
    pub fn with_versions(catalog: &'c Catalog, versions: Versions) -> Facts<'c> {
        Facts {
            catalog,
            attempts: OnceLock::new(),
            bgp: OnceLock::new(),
            pods: OnceLock::new(),
            pod_labels: OnceLock::new(),
            versions,
        }
    }

    /// Every parentRef to a Gateway in the tree, attached: three route rules each report one
    /// stage of the outcome.
    pub fn attempts(&self) -> &[Attempt<'c>] {
        self.attempts.get_or_init(|| attempts(self.catalog))
    }

    /// The BGP control plane chain: which advertisements are advertised, where it breaks.
    pub fn bgp(&self) -> &bgp::Chain {
        self.bgp
            .get_or_init(|| bgp::chain(self.catalog, &self.versions))
    }
}

impl<'c> Facts<'c> {
    /// Every Service whose selector chooses its endpoints, with the workloads it selects.
    pub fn service_pods(&self) -> &[pods::ServicePods<'c>] {
        self.pods
            .get_or_init(|| pods::service_pods_with(self.catalog, self.pod_labels()))
    }

    /// Every workload by pod label, for what a selector selects in any namespace.
    pub fn pod_labels(&self) -> &pods::PodLabels<'c> {
        self.pod_labels
            .get_or_init(|| pods::PodLabels::new(self.catalog))
    }
}

impl Deref for Facts<'_> {
    type Target = Catalog;

    fn deref(&self) -> &Catalog {
        self.catalog
    }
}
