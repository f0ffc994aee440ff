//! Operators whose custom resources make Services and Secrets with documented names, and what
//! custom resources of other kinds may make. The Catalog adds the documented objects as
//! generated (found); a custom resource of a kind cilint knows nothing about only makes
//! names it prefixes unverifiable.

/// One object an operator makes from a custom resource.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Made {
    /// `Service` or `Secret` (core group).
    pub kind: &'static str,
    /// The name: `{}` is the custom resource's name, anywhere in it (`rfs-{}`); `*` stands for
    /// one or more characters the resource's spec decides (a user name), which cilint does not
    /// read. Without `{}` the name is fixed.
    pub name: &'static str,
    /// Made for every resource of the kind, by every version still in use: found. Else made
    /// only with some settings of the spec or by some versions: a lookup of that name is
    /// unverifiable, naming the resource, never found and never missing.
    pub always: bool,
}

/// An operator's custom resource and the objects it makes in the resource's namespace.
#[derive(Debug)]
pub struct Operator {
    /// Who makes them, for messages: "the CloudNativePG operator".
    pub operator: &'static str,
    pub group: &'static str,
    pub kind: &'static str,
    pub makes: &'static [Made],
    /// The Services listed (always or not) are all the Services the operator names after the
    /// resource. Else (optional listeners, pools, extra services) another Service the
    /// resource's name prefixes is unverifiable, as for an unknown custom resource. Secrets and
    /// ConfigMaps always are.
    pub services_complete: bool,
}

const fn svc(name: &'static str) -> Made {
    Made {
        kind: "Service",
        name,
        always: true,
    }
}

const fn secret(name: &'static str) -> Made {
    Made {
        kind: "Secret",
        name,
        always: true,
    }
}

/// A Service made only with some settings or versions.
const fn maybe_svc(name: &'static str) -> Made {
    Made {
        kind: "Service",
        name,
        always: false,
    }
}

/// A Secret made only with some settings, or named after what the spec says.
const fn maybe_secret(name: &'static str) -> Made {
    Made {
        kind: "Secret",
        name,
        always: false,
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
    // `<cluster>-replication`). The superuser Secret only with spec.enableSuperuserAccess,
    // false by default (api/v1/cluster_funcs.go `GetEnableSuperuserAccess`,
    // internal/controller/cluster_create.go `reconcileSuperuserSecret`).
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
            maybe_secret("{}-superuser"),
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
    // mariadb-operator, api/v1alpha1/mariadb_keys.go and
    // internal/controller/mariadb_controller.go (`reconcileService`): the Service named as the
    // MariaDB and `<name>-internal` (headless) always; `<name>-primary` and `<name>-secondary`
    // only with replication or Galera (`IsHAEnabled`); the root password Secret `<name>-root`
    // and the initial user's `<name>-password` only when the spec names no Secret of its own;
    // `<name>-metrics` with the exporter. Group k8s.mariadb.com since v0.0.26.
    Operator {
        operator: "the MariaDB operator",
        group: "k8s.mariadb.com",
        kind: "MariaDB",
        makes: &[
            svc("{}"),
            svc("{}-internal"),
            maybe_svc("{}-primary"),
            maybe_svc("{}-secondary"),
            maybe_secret("{}-root"),
            maybe_secret("{}-password"),
        ],
        services_complete: false,
    },
    // The same operator before v0.0.26 (group mariadb.mmontes.io): `<name>-internal` was made
    // only with HA too (v0.0.20 controllers/mariadb_controller.go `reconcileService`).
    Operator {
        operator: "the MariaDB operator",
        group: "mariadb.mmontes.io",
        kind: "MariaDB",
        makes: &[
            svc("{}"),
            maybe_svc("{}-internal"),
            maybe_svc("{}-primary"),
            maybe_svc("{}-secondary"),
            maybe_secret("{}-root"),
            maybe_secret("{}-password"),
        ],
        services_complete: false,
    },
    // mongodb/mongodb-kubernetes-operator api/v1/mongodbcommunity_types.go: `ServiceName()` is
    // `<name>-svc` unless spec.statefulSet.spec.serviceName overrides it;
    // `AutomationConfigSecretName()` is `<name>-config`; a user's connection string Secret is
    // `GetConnectionStringSecretName`: "<name>-<db>-<user>", unless the user names another.
    Operator {
        operator: "the MongoDB Community operator",
        group: "mongodbcommunity.mongodb.com",
        kind: "MongoDBCommunity",
        makes: &[svc("{}-svc"), secret("{}-config"), maybe_secret("{}-*")],
        services_complete: false,
    },
    // zalando/postgres-operator pkg/cluster/k8sres.go `serviceName`: the master Service is
    // named as the cluster, the replica Service `<cluster>-repl`, Patroni's `<cluster>-config`;
    // pkg/cluster/connection_pooler.go `connectionPoolerName`: `<cluster>-pooler` and
    // `<cluster>-pooler-repl` when the pooler is enabled. pkg/util/config/config.go
    // `secret_name_template` "{username}.{cluster}.credentials.{tprkind}.{tprgroup}", for the
    // system users `postgres` (super_username) and `standby` (replication_username) and for
    // every user of spec.users (underscores become dashes, pkg/cluster/util.go
    // `credentialSecretNameForCluster`), which cilint does not read.
    Operator {
        operator: "the Zalando postgres operator",
        group: "acid.zalan.do",
        kind: "postgresql",
        makes: &[
            svc("{}"),
            svc("{}-repl"),
            maybe_svc("{}-config"),
            maybe_svc("{}-pooler"),
            maybe_svc("{}-pooler-repl"),
            secret("postgres.{}.credentials.postgresql.acid.zalan.do"),
            secret("standby.{}.credentials.postgresql.acid.zalan.do"),
            maybe_secret("*.{}.credentials.postgresql.acid.zalan.do"),
        ],
        services_complete: true,
    },
    // OT-CONTAINER-KIT/redis-operator internal/k8sutils/redis-standalone.go
    // (`CreateStandaloneService`): `<name>` and `<name>-headless`, `<name>-additional` unless
    // turned off (kubernetesConfig.service), `<name>-metrics` with the exporter in recent
    // versions.
    Operator {
        operator: "the OT-Container-Kit Redis operator",
        group: "redis.redis.opstreelabs.in",
        kind: "Redis",
        makes: &[svc("{}"), svc("{}-headless"), maybe_svc("{}-additional")],
        services_complete: false,
    },
    // internal/k8sutils/redis-replication.go (`CreateReplicationService`): `<name>`,
    // `<name>-headless`; `<name>-additional`, and in recent versions `<name>-master`
    // (`MasterService()`) and `<name>-replica`.
    Operator {
        operator: "the OT-Container-Kit Redis operator",
        group: "redis.redis.opstreelabs.in",
        kind: "RedisReplication",
        makes: &[
            svc("{}"),
            svc("{}-headless"),
            maybe_svc("{}-additional"),
            maybe_svc("{}-master"),
            maybe_svc("{}-replica"),
        ],
        services_complete: false,
    },
    // internal/k8sutils/redis-cluster.go (`CreateRedisClusterService`, roles `leader` and
    // `follower`): `<name>-<role>` and `<name>-<role>-headless`; `<name>-<role>-additional`
    // unless turned off, and `<name>-master` in recent versions.
    Operator {
        operator: "the OT-Container-Kit Redis operator",
        group: "redis.redis.opstreelabs.in",
        kind: "RedisCluster",
        makes: &[
            svc("{}-leader"),
            svc("{}-leader-headless"),
            svc("{}-follower"),
            svc("{}-follower-headless"),
            maybe_svc("{}-leader-additional"),
            maybe_svc("{}-follower-additional"),
            maybe_svc("{}-master"),
        ],
        services_complete: false,
    },
    // internal/k8sutils/redis-sentinel.go (`CreateRedisSentinelService`, role `sentinel`).
    Operator {
        operator: "the OT-Container-Kit Redis operator",
        group: "redis.redis.opstreelabs.in",
        kind: "RedisSentinel",
        makes: &[
            svc("{}-sentinel"),
            svc("{}-sentinel-headless"),
            maybe_svc("{}-sentinel-additional"),
        ],
        services_complete: false,
    },
    // spotahome/redis-operator README ("rfs-<NAME>: Sentinel service", "rfr-<NAME>: Redis
    // service (if redis-exporter is enabled)") and operator/redisfailover/service/names.go
    // (`generateName`: "rf" + type + "-" + name): the master `rfrm-<name>` and replica
    // `rfrs-<name>` Services exist only since v1.3 (ensurer.go). The prefix comes before the
    // resource's name.
    Operator {
        operator: "the Spotahome Redis operator",
        group: "databases.spotahome.com",
        kind: "RedisFailover",
        makes: &[
            svc("rfs-{}"),
            maybe_svc("rfr-{}"),
            maybe_svc("rfrm-{}"),
            maybe_svc("rfrs-{}"),
        ],
        services_complete: true,
    },
    // grafana/grafana-operator (v5) controllers/resources/resources.go: the Service
    // `<name>-service` and the admin Secret `<name>-admin-credentials` (unless
    // spec.disableDefaultAdminSecret); recent versions add the headless `<name>-alerting`.
    Operator {
        operator: "the Grafana operator",
        group: "grafana.integreatly.org",
        kind: "Grafana",
        makes: &[
            svc("{}-service"),
            maybe_svc("{}-alerting"),
            secret("{}-admin-credentials"),
        ],
        services_complete: true,
    },
    // VictoriaMetrics/operator internal/controller/operator/factory/build/service.go
    // (`Service`: named `PrefixedName()`) and the `PrefixedName` of each kind in
    // api/operator/v1beta1 and v1: "vmsingle-%s", "vmagent-%s", … — the prefix comes before the
    // resource's name. With spec.useLegacyNaming (docs/CHANGELOG.md) the Service is named as
    // the resource; spec.serviceSpec adds `<prefixed name>-additional-service` or a name of its
    // own (api/operator/v1beta1/vmextra_types.go `NameOrDefault`).
    Operator {
        operator: "the VictoriaMetrics operator",
        group: "operator.victoriametrics.com",
        kind: "VMSingle",
        makes: &[
            svc("vmsingle-{}"),
            maybe_svc("{}"),
            maybe_svc("vmsingle-{}-additional-service"),
        ],
        services_complete: false,
    },
    Operator {
        operator: "the VictoriaMetrics operator",
        group: "operator.victoriametrics.com",
        kind: "VMAgent",
        makes: &[
            svc("vmagent-{}"),
            maybe_svc("{}"),
            maybe_svc("vmagent-{}-additional-service"),
        ],
        services_complete: false,
    },
    Operator {
        operator: "the VictoriaMetrics operator",
        group: "operator.victoriametrics.com",
        kind: "VMAlert",
        makes: &[
            svc("vmalert-{}"),
            maybe_svc("{}"),
            maybe_svc("vmalert-{}-additional-service"),
        ],
        services_complete: false,
    },
    Operator {
        operator: "the VictoriaMetrics operator",
        group: "operator.victoriametrics.com",
        kind: "VMAlertmanager",
        makes: &[
            svc("vmalertmanager-{}"),
            maybe_svc("{}"),
            maybe_svc("vmalertmanager-{}-additional-service"),
        ],
        services_complete: false,
    },
    Operator {
        operator: "the VictoriaMetrics operator",
        group: "operator.victoriametrics.com",
        kind: "VMAuth",
        makes: &[
            svc("vmauth-{}"),
            maybe_svc("{}"),
            maybe_svc("vmauth-{}-additional-service"),
        ],
        services_complete: false,
    },
    Operator {
        operator: "the VictoriaMetrics operator",
        group: "operator.victoriametrics.com",
        kind: "VLSingle",
        makes: &[
            svc("vlsingle-{}"),
            maybe_svc("{}"),
            maybe_svc("vlsingle-{}-additional-service"),
        ],
        services_complete: false,
    },
    // A VMCluster's components are each optional (spec.vmselect, .vminsert, .vmstorage, the
    // load balancer): `ClusterPrefixedName` "vm" + component + "-" + name, or with legacy
    // naming `ClusterSuffixedName` "<name>-vm<component>" (api/operator/v1beta1/vmextra_types.go).
    Operator {
        operator: "the VictoriaMetrics operator",
        group: "operator.victoriametrics.com",
        kind: "VMCluster",
        makes: &[
            maybe_svc("vmselect-{}"),
            maybe_svc("vminsert-{}"),
            maybe_svc("vmstorage-{}"),
            maybe_svc("vmclusterlb-{}"),
        ],
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

/// The name an operator gives an object made from resource `cr` (for names without `*`).
pub fn made_name(made: &Made, cr: &str) -> String {
    made.name.replace("{}", cr)
}

/// The names of the resources for which `made` is `name`: `rfs-{}` gives `cache` for
/// `rfs-cache`; `*.{}.credentials…` gives `acid-main` for `app.acid-main.credentials…`. A `*`
/// matches one or more characters, so a name may fit more than one resource name; each is then
/// one index lookup.
pub fn made_for<'a>(made: &Made, name: &'a str) -> Vec<&'a str> {
    let Some((left, right)) = made.name.split_once("{}") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for rest in strip_left(left, name) {
        found.extend(
            strip_right(right, rest)
                .into_iter()
                .filter(|cr| !cr.is_empty()),
        );
    }
    found
}

/// What follows `pattern` at the start of `name`, for each way a `*` in it can match.
fn strip_left<'a>(pattern: &str, name: &'a str) -> Vec<&'a str> {
    let Some((before, after)) = pattern.split_once('*') else {
        return name.strip_prefix(pattern).into_iter().collect();
    };
    let Some(tail) = name.strip_prefix(before) else {
        return Vec::new();
    };
    // The `*` takes at least the first character.
    tail.char_indices()
        .skip(1)
        .filter(|&(i, _)| tail[i..].starts_with(after))
        .map(|(i, _)| &tail[i + after.len()..])
        .collect()
}

/// What precedes `pattern` at the end of `name`, for each way a `*` in it can match.
fn strip_right<'a>(pattern: &str, name: &'a str) -> Vec<&'a str> {
    let Some((before, after)) = pattern.split_once('*') else {
        return name.strip_suffix(pattern).into_iter().collect();
    };
    let Some(head) = name.strip_suffix(after) else {
        return Vec::new();
    };
    // The `*` takes at least the last character.
    head.char_indices()
        .filter(|&(i, _)| head[i..].starts_with(before) && head.len() > i + before.len())
        .map(|(i, _)| &head[..i])
        .collect()
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
        // Every entry makes something, of a kind lookups ask for; a name cilint adds is
        // complete, and a name it cannot add is found again from the resource's name.
        for o in OPERATORS {
            assert!(!o.makes.is_empty(), "{}", o.kind);
            for m in o.makes {
                assert!(["Service", "Secret"].contains(&m.kind), "{m:?}");
                assert!(!m.always || !m.name.contains('*'), "{m:?}");
                assert!(m.always || m.name.contains("{}"), "{m:?}");
                assert!(m.name.matches('*').count() <= 1, "{m:?}");
            }
        }
        // One entry per kind: the first would hide the second.
        for (i, o) in OPERATORS.iter().enumerate() {
            assert!(
                OPERATORS[..i]
                    .iter()
                    .all(|p| (p.group, p.kind) != (o.group, o.kind)),
                "{} {}",
                o.group,
                o.kind
            );
        }
    }

    /// The names an entry makes for resource `cr`, always or not.
    fn names(group: &str, kind: &str, cr: &str) -> (Vec<String>, Vec<String>) {
        let op = operator(group, kind).unwrap();
        let (always, maybe): (Vec<&Made>, Vec<&Made>) = op.makes.iter().partition(|m| m.always);
        (
            always.iter().map(|m| made_name(m, cr)).collect(),
            maybe.iter().map(|m| made_name(m, cr)).collect(),
        )
    }

    /// Whether `name` is one `kind` of `group` may make for the resource `cr`, by any entry.
    fn fits(group: &str, kind: &str, name: &str, cr: &str) -> bool {
        operator(group, kind)
            .unwrap()
            .makes
            .iter()
            .any(|m| made_for(m, name).contains(&cr))
    }

    #[test]
    fn mariadb_makes_its_service_always_and_the_primary_only_with_replication() {
        let (always, maybe) = names("k8s.mariadb.com", "MariaDB", "mariadb");
        assert_eq!(always, ["mariadb", "mariadb-internal"]);
        assert_eq!(
            maybe,
            [
                "mariadb-primary",
                "mariadb-secondary",
                "mariadb-root",
                "mariadb-password"
            ]
        );
        let (always, _) = names("mariadb.mmontes.io", "MariaDB", "db");
        assert_eq!(always, ["db"]);
        assert!(fits("mariadb.mmontes.io", "MariaDB", "db-internal", "db"));
    }

    #[test]
    fn mongodb_community_names_user_secrets_after_the_resource_the_db_and_the_user() {
        let (always, _) = names("mongodbcommunity.mongodb.com", "MongoDBCommunity", "mongo");
        assert_eq!(always, ["mongo-svc", "mongo-config"]);
        let g = ("mongodbcommunity.mongodb.com", "MongoDBCommunity");
        assert!(fits(g.0, g.1, "mongo-admin-my-user", "mongo"));
        assert!(fits(g.0, g.1, "mongo-admin-my-user", "mongo-admin"));
        assert!(!fits(g.0, g.1, "mongo-", "mongo"));
        assert!(!fits(g.0, g.1, "other-admin-my-user", "mongo"));
    }

    #[test]
    fn zalando_credentials_put_the_user_before_the_cluster() {
        let g = ("acid.zalan.do", "postgresql");
        let (always, maybe) = names(g.0, g.1, "acid-main");
        assert_eq!(
            always,
            [
                "acid-main",
                "acid-main-repl",
                "postgres.acid-main.credentials.postgresql.acid.zalan.do",
                "standby.acid-main.credentials.postgresql.acid.zalan.do"
            ]
        );
        assert!(maybe.contains(&"acid-main-pooler".to_string()));
        // A user of spec.users: the cluster is found after the first dot.
        let app = "app-user.acid-main.credentials.postgresql.acid.zalan.do";
        assert!(fits(g.0, g.1, app, "acid-main"));
        assert!(!fits(g.0, g.1, app, "app-user"));
        // Another cluster's Secret fits that cluster only.
        let other = "app-user.acid-other.credentials.postgresql.acid.zalan.do";
        assert!(!fits(g.0, g.1, other, "acid-main"));
        // No user, or another kind's suffix.
        assert!(!fits(
            g.0,
            g.1,
            ".acid-main.credentials.postgresql.acid.zalan.do",
            "acid-main"
        ));
        assert!(!fits(
            g.0,
            g.1,
            "app.acid-main.credentials.other.acid.zalan.do",
            "acid-main"
        ));
    }

    #[test]
    fn ot_redis_names_services_after_the_resource_and_its_roles() {
        let g = "redis.redis.opstreelabs.in";
        assert_eq!(names(g, "Redis", "cache").0, ["cache", "cache-headless"]);
        assert_eq!(
            names(g, "RedisReplication", "cache").0,
            ["cache", "cache-headless"]
        );
        assert!(fits(g, "RedisReplication", "cache-master", "cache"));
        assert_eq!(
            names(g, "RedisCluster", "cache").0,
            [
                "cache-leader",
                "cache-leader-headless",
                "cache-follower",
                "cache-follower-headless"
            ]
        );
        assert_eq!(
            names(g, "RedisSentinel", "ha").0,
            ["ha-sentinel", "ha-sentinel-headless"]
        );
    }

    #[test]
    fn spotahome_puts_its_prefix_before_the_failover_name() {
        let g = ("databases.spotahome.com", "RedisFailover");
        assert_eq!(names(g.0, g.1, "cache").0, ["rfs-cache"]);
        assert!(fits(g.0, g.1, "rfr-cache", "cache"));
        assert!(fits(g.0, g.1, "rfrm-cache", "cache"));
        assert!(!fits(g.0, g.1, "rfr-cache", "rfr"));
        assert!(!fits(g.0, g.1, "cache-rfr", "cache"));
        assert!(operator(g.0, g.1).unwrap().services_complete);
    }

    #[test]
    fn victoriametrics_puts_the_kind_before_the_name() {
        let g = "operator.victoriametrics.com";
        assert_eq!(names(g, "VMSingle", "vm").0, ["vmsingle-vm"]);
        assert_eq!(
            names(g, "VMAlertmanager", "main").0,
            ["vmalertmanager-main"]
        );
        assert_eq!(names(g, "VMAuth", "edge").0, ["vmauth-edge"]);
        // Legacy naming: the resource's own name.
        assert!(fits(g, "VMAgent", "agent", "agent"));
        assert!(fits(g, "VMCluster", "vmselect-metrics", "metrics"));
        assert!(names(g, "VMCluster", "metrics").0.is_empty());
        assert!(!fits(g, "VMCluster", "vmselect-metrics", "vmselect"));
        assert!(!fits(g, "VMSingle", "vmagent-vm", "vm"));
    }

    #[test]
    fn grafana_v5_makes_the_service_and_the_admin_secret() {
        let g = ("grafana.integreatly.org", "Grafana");
        assert_eq!(
            names(g.0, g.1, "grafana").0,
            ["grafana-service", "grafana-admin-credentials"]
        );
        assert!(fits(g.0, g.1, "grafana-alerting", "grafana"));
        assert!(!fits(g.0, g.1, "grafana-web", "grafana"));
    }
}
