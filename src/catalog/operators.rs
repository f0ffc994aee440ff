//! Operators whose custom resources make Services and Secrets with documented names, and what
//! custom resources of other kinds may make. The Catalog adds the documented objects as
//! generated (found); a custom resource of a kind cilint knows nothing about only makes
//! names it prefixes unverifiable.

/// One object an operator makes from a custom resource.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Made {
    /// `Service` or `Secret` (core group).
    pub kind: &'static str,
    /// The name: `{}` is the custom resource's name; without `{}` the name is fixed.
    pub name: &'static str,
}

/// An operator's custom resource and the objects it makes in the resource's namespace.
#[derive(Debug)]
pub struct Operator {
    /// Who makes them, for messages: "the CloudNativePG operator".
    pub operator: &'static str,
    pub group: &'static str,
    pub kind: &'static str,
    pub makes: &'static [Made],
    /// The Services listed are all the Services the operator names after the resource. Else
    /// (optional listeners, pools, extra services) another Service the resource's name prefixes
    /// is unverifiable, as for an unknown custom resource. Secrets and ConfigMaps always are.
    pub services_complete: bool,
}

const fn svc(name: &'static str) -> Made {
    Made {
        kind: "Service",
        name,
    }
}

const fn secret(name: &'static str) -> Made {
    Made {
        kind: "Secret",
        name,
    }
}

/// Documented names only: they are found. Another name the resource's prefixes stays
/// unverifiable (see `services_complete`), never missing. The ports of these Services are not
/// known.
pub static OPERATORS: &[Operator] = &[
    // https://cloudnative-pg.io/documentation/current/service_management/ ("<CLUSTER_NAME>-rw,
    // -ro, -r"), applications/ ("[cluster name]-any" for discovery),
    // https://cloudnative-pg.io/documentation/current/bootstrap/ (the `<cluster>-app` and
    // `<cluster>-superuser` Secrets) and certificates/ (`<cluster>-ca`, `<cluster>-server`,
    // `<cluster>-replication`).
    Operator {
        operator: "the CloudNativePG operator",
        group: "postgresql.cnpg.io",
        kind: "Cluster",
        makes: &[
            svc("{}-rw"),
            svc("{}-ro"),
            svc("{}-r"),
            svc("{}-any"),
            secret("{}-app"),
            secret("{}-superuser"),
            secret("{}-ca"),
            secret("{}-server"),
            secret("{}-replication"),
        ],
        services_complete: false,
    },
    // https://www.keycloak.org/operator/basic-deployment ("service/example-kc-service"); the
    // headless `<name>-discovery` Service is KeycloakDiscoveryServiceDependentResource in
    // keycloak/keycloak operator/src/main/java/org/keycloak/operator/controllers/.
    Operator {
        operator: "the Keycloak operator",
        group: "k8s.keycloak.org",
        kind: "Keycloak",
        makes: &[svc("{}-service"), svc("{}-discovery")],
        services_complete: true,
    },
    // https://strimzi.io/docs/operators/latest/deploying ("List of Kafka cluster resources":
    // `<kafka_cluster_name>-kafka-bootstrap`, `<kafka_cluster_name>-kafka-brokers`,
    // `<kafka_cluster_name>-cluster-ca-cert`, `<kafka_cluster_name>-clients-ca-cert`).
    Operator {
        operator: "the Strimzi operator",
        group: "kafka.strimzi.io",
        kind: "Kafka",
        makes: &[
            svc("{}-kafka-bootstrap"),
            svc("{}-kafka-brokers"),
            secret("{}-cluster-ca-cert"),
            secret("{}-clients-ca-cert"),
        ],
        services_complete: false,
    },
    // https://www.elastic.co/guide/en/cloud-on-k8s/current/k8s-services.html: "a Kubernetes
    // service named <name>-[es|kb|apm]-http"; the elastic user's password "is stored in a
    // Secret named <name>-es-elastic-user".
    Operator {
        operator: "ECK",
        group: "elasticsearch.k8s.elastic.co",
        kind: "Elasticsearch",
        makes: &[svc("{}-es-http"), secret("{}-es-elastic-user")],
        services_complete: false,
    },
    Operator {
        operator: "ECK",
        group: "kibana.k8s.elastic.co",
        kind: "Kibana",
        makes: &[svc("{}-kb-http")],
        services_complete: false,
    },
    // https://access.crunchydata.com/documentation/postgres-operator/latest/tutorial/connect-cluster:
    // Services `hippo-ha`, `hippo-ha-config`, `hippo-pods`, `hippo-primary`, `hippo-replicas`
    // for the cluster `hippo`; the user Secret "<clusterName>-pguser-<userName>", the user
    // named as the cluster by default.
    Operator {
        operator: "Crunchy PGO",
        group: "postgres-operator.crunchydata.com",
        kind: "PostgresCluster",
        makes: &[
            svc("{}-ha"),
            svc("{}-ha-config"),
            svc("{}-pods"),
            svc("{}-primary"),
            svc("{}-replicas"),
            secret("{}-pguser-{}"),
        ],
        services_complete: false,
    },
    // https://github.com/dragonflydb/dragonfly-operator (README): "A service of the form
    // <dragonfly-name>.<namespace>.svc.cluster.local will be created, that selects the master".
    Operator {
        operator: "the Dragonfly operator",
        group: "dragonflydb.io",
        kind: "Dragonfly",
        makes: &[svc("{}")],
        services_complete: false,
    },
    // https://www.rabbitmq.com/kubernetes/operator/using-operator ("Find Your RabbitmqCluster
    // Service Name and Admin Credentials"): the client Service is named as the cluster, its
    // headless Service `<name>-nodes`, and the admin credentials are the Secret
    // `<name>-default-user`.
    Operator {
        operator: "the RabbitMQ cluster operator",
        group: "rabbitmq.com",
        kind: "RabbitmqCluster",
        makes: &[svc("{}"), svc("{}-nodes"), secret("{}-default-user")],
        services_complete: false,
    },
    // https://prometheus-operator.dev/docs/platform/exposing-prometheus-and-alertmanager/:
    // the operator creates the governing Services `prometheus-operated` and
    // `alertmanager-operated` in the namespace of each Prometheus and Alertmanager.
    Operator {
        operator: "the Prometheus operator",
        group: "monitoring.coreos.com",
        kind: "Prometheus",
        makes: &[svc("prometheus-operated")],
        services_complete: false,
    },
    Operator {
        operator: "the Prometheus operator",
        group: "monitoring.coreos.com",
        kind: "Alertmanager",
        makes: &[svc("alertmanager-operated")],
        services_complete: false,
    },
];

/// Custom resources whose controllers make no Service, Secret or ConfigMap named after them, or
/// that cilint models itself: they excuse nothing by prefix.
const NOT_CREATORS: &[&str] = &[
    // Flux and Argo CD deploy what cilint reads; their objects are not named after them.
    "toolkit.fluxcd.io",
    "argoproj.io",
    // Cilium's custom resources are policies, pools and configuration.
    "cilium.io",
    // cert-manager's Certificates are modelled; issuers make no named Service or Secret.
    "cert-manager.io",
    "external-secrets.io",
    "bitnami.com",
];

/// Rules and monitors of prometheus-operator make nothing named after them.
const NOT_CREATOR_KINDS: &[(&str, &str)] = &[
    ("monitoring.coreos.com", "ServiceMonitor"),
    ("monitoring.coreos.com", "PodMonitor"),
    ("monitoring.coreos.com", "PrometheusRule"),
    ("monitoring.coreos.com", "Probe"),
];

/// The documented operator of a custom resource kind.
pub fn operator(group: &str, kind: &str) -> Option<&'static Operator> {
    OPERATORS
        .iter()
        .find(|o| o.group == group && o.kind == kind)
}

/// Whether an object of this group and kind is a custom resource whose controller may make
/// Services, Secrets and ConfigMaps named after it beyond what the table lists. Built-in groups
/// (no dot, or `*.k8s.io`) are not custom resources.
pub fn may_create_by_prefix(group: &str, kind: &str) -> bool {
    if !group.contains('.') || group.ends_with(".k8s.io") || group == "k8s.io" {
        return false;
    }
    let in_group = |g: &str| {
        group
            .strip_suffix(g)
            .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
    };
    !(NOT_CREATORS.iter().any(|g| in_group(g)) || NOT_CREATOR_KINDS.contains(&(group, kind)))
}

/// The name an operator gives an object made from resource `cr`.
pub fn made_name(made: &Made, cr: &str) -> String {
    made.name.replace("{}", cr)
}

/// The prefixes of `name` that a custom resource may have been named to make it: the whole
/// name, and every part before a `-`. `sso-db-rw` gives `sso-db-rw`, `sso-db`, `sso`.
pub fn name_prefixes(name: &str) -> impl Iterator<Item = &str> {
    std::iter::once(name).chain(
        name.char_indices()
            .filter(|&(i, c)| c == '-' && i > 0)
            .map(|(i, _)| &name[..i])
            .rev(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_end_before_a_dash_or_are_the_whole_name() {
        assert_eq!(
            name_prefixes("sso-db-rw").collect::<Vec<_>>(),
            ["sso-db-rw", "sso-db", "sso"]
        );
        assert_eq!(name_prefixes("plain").collect::<Vec<_>>(), ["plain"]);
        assert_eq!(name_prefixes("-x").collect::<Vec<_>>(), ["-x"]);
    }

    #[test]
    fn built_in_and_known_kinds_create_nothing_by_prefix() {
        assert!(may_create_by_prefix("redis.redis.opstreelabs.in", "Redis"));
        let crunchy = operator("postgres-operator.crunchydata.com", "PostgresCluster").unwrap();
        assert_eq!(made_name(&crunchy.makes[5], "hippo"), "hippo-pguser-hippo");
        assert!(may_create_by_prefix("mariadb.mmontes.io", "MariaDB"));
        assert!(!may_create_by_prefix("", "Service"));
        assert!(!may_create_by_prefix("apps", "Deployment"));
        assert!(!may_create_by_prefix("networking.k8s.io", "Ingress"));
        assert!(!may_create_by_prefix(
            "gateway.networking.k8s.io",
            "Gateway"
        ));
        assert!(!may_create_by_prefix(
            "kustomize.toolkit.fluxcd.io",
            "Kustomization"
        ));
        assert!(!may_create_by_prefix(
            "cilium.io",
            "CiliumLoadBalancerIPPool"
        ));
        assert!(!may_create_by_prefix(
            "monitoring.coreos.com",
            "ServiceMonitor"
        ));
        // In the table, and still making names the table does not list.
        assert!(may_create_by_prefix("postgresql.cnpg.io", "Cluster"));
    }

    #[test]
    fn table_names_follow_the_documented_patterns() {
        let cnpg = operator("postgresql.cnpg.io", "Cluster").unwrap();
        let names: Vec<String> = cnpg.makes.iter().map(|m| made_name(m, "pg")).collect();
        assert!(names.contains(&"pg-rw".to_string()));
        assert!(names.contains(&"pg-app".to_string()));
        let kc = operator("k8s.keycloak.org", "Keycloak").unwrap();
        assert_eq!(made_name(&kc.makes[0], "sso"), "sso-service");
        let prom = operator("monitoring.coreos.com", "Prometheus").unwrap();
        assert_eq!(made_name(&prom.makes[0], "k8s"), "prometheus-operated");
        // Every entry makes something, of a kind lookups ask for.
        for o in OPERATORS {
            assert!(!o.makes.is_empty(), "{}", o.kind);
            assert!(
                o.makes
                    .iter()
                    .all(|m| ["Service", "Secret"].contains(&m.kind))
            );
        }
    }
}
