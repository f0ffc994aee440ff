//! The `gitops` shape: clusters with their Cilium setup, tenants with namespaces, Gateways,
//! apps and scripts, and about 2% planted defects, with exactly the requested object count.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write;
use std::io;

use crate::render::{self, ANNOUNCE_KEY, CLUSTER_KEY, Parent, Ports, TENANT_KEY};
use crate::rng::Rng;
use crate::{Defect, Out};

/// One defect per this many objects (2%).
const DEFECT_EVERY: usize = 50;
/// Objects of a cluster's own setup: 2 pools, an L2 policy, the BGP chain, the edge namespace
/// and its 2 LoadBalancer Services.
const CLUSTER_OBJECTS: usize = 9;
/// The most objects a tenant has besides its apps (namespaces, Gateway, Secrets, LoadBalancer
/// Service, ReferenceGrants, defect extras).
const TENANT_OVERHEAD: usize = 14;
/// The most objects per app: Deployment, Service, route, ConfigMap.
const PER_APP: usize = 4;
const MIN_APPS: usize = 3;
const TENANT_MIN: usize = TENANT_OVERHEAD + PER_APP * MIN_APPS;

const TENANT_WORDS: &[&str] = &[
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark",
    "wayne",
    "wonka",
    "tyrell",
    "cyberdyne",
    "soylent",
    "vandelay",
    "aperture",
    "oscorp",
    "monarch",
    "nakatomi",
    "gringotts",
    "duff",
    "krusty",
    "pied-piper",
];
const APP_WORDS: &[&str] = &[
    "web",
    "api",
    "cart",
    "checkout",
    "search",
    "catalog",
    "billing",
    "payments",
    "auth",
    "profile",
    "inventory",
    "orders",
    "shipping",
    "reviews",
    "ratings",
    "recommend",
    "media",
    "upload",
    "notify",
    "mailer",
    "ledger",
    "pricing",
    "quotes",
    "reports",
    "export",
    "frontend",
    "admin",
    "status",
    "docs",
    "blog",
];
const GATEWAY_NAMES: &[&str] = &["public", "edge", "web", "ingress", "main-gw", "external"];
const TLDS: &[&str] = &["example.com", "example.net", "example.org"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Everything in one file.
    AllInOne,
    /// One multi-document file per app.
    PerApp,
    /// One directory per app, one file per kind.
    PerKind,
    /// One file per kind for the whole tenant (`deployments.yaml`, `services.yaml`, ...).
    ByKind,
}

struct App {
    name: String,
    /// Index into the tenant's namespaces.
    ns: usize,
    ports: Ports,
    config: bool,
    /// The route lives in the Gateway's namespace and refers to the Service across namespaces.
    route_in_gateway_ns: bool,
    /// The route omits sectionName (attaches to every listener whose hostname matches).
    any_listener: bool,
    defect: Option<Defect>,
}

struct Tenant {
    name: String,
    cluster: String,
    domain: String,
    base: String,
    namespaces: Vec<String>,
    gateway: String,
    gw_mode: &'static str,
    lb_mode: &'static str,
    apps: Vec<App>,
    style: Style,
    /// Secrets in manifests (else created by a kubectl command): apex, wildcard.
    secret_manifest: [bool; 2],
    defects: Vec<Defect>,
}

impl Tenant {
    fn has(&self, d: Defect) -> bool {
        self.defects.contains(&d)
    }

    fn grants(&self) -> BTreeMap<(usize, usize), BTreeSet<&'static str>> {
        let mut g: BTreeMap<(usize, usize), BTreeSet<&'static str>> = BTreeMap::new();
        for a in &self.apps {
            if a.route_in_gateway_ns && a.ns != 0 {
                g.entry((a.ns, 0))
                    .or_default()
                    .insert(route_kind(a.ports.grpc));
            }
        }
        g
    }

    /// Objects before defects that add objects.
    fn base_objects(&self) -> usize {
        self.namespaces.len()
            + 1
            + self.secret_manifest.iter().filter(|m| **m).count()
            + 1
            + self.grants().len()
            + self
                .apps
                .iter()
                .map(|a| 3 + usize::from(a.config))
                .sum::<usize>()
    }
}

fn route_kind(grpc: bool) -> &'static str {
    if grpc { "GRPCRoute" } else { "HTTPRoute" }
}

/// Hands out defect kinds in shuffled rounds, so every kind is planted about equally often.
struct DefectQueue {
    queue: VecDeque<Defect>,
    rng: Rng,
}

impl DefectQueue {
    fn take(&mut self, tenant: &Tenant, free_apps: usize) -> Option<Defect> {
        while self.queue.len() < Defect::ALL.len() {
            let mut round = Defect::ALL;
            self.rng.shuffle(&mut round);
            self.queue.extend(round);
        }
        let i = self.queue.iter().position(|d| {
            if d.on_route() {
                free_apps > 0
            } else {
                !tenant.has(*d)
            }
        })?;
        self.queue.remove(i)
    }
}

pub fn generate(w: &mut Out, rng: &mut Rng, budget: usize, prefix: &str) -> io::Result<()> {
    let target = w.stats.objects + budget;
    let n_clusters = (budget / 4000).clamp(1, 99);
    let mut queue = DefectQueue {
        queue: VecDeque::new(),
        rng: rng.fork(),
    };
    let mut debt = 0usize;
    let mut tenant_no = 0usize;
    let mut pool_no = 0usize;
    for ci in 0..n_clusters {
        let left = target - w.stats.objects;
        if left < CLUSTER_OBJECTS + TENANT_MIN {
            break;
        }
        let cluster_end = w.stats.objects + left / (n_clusters - ci);
        let cluster = format!("c{ci:02}");
        cluster_setup(w, rng, prefix, ci, &cluster)?;
        while cluster_end.saturating_sub(w.stats.objects) >= TENANT_MIN
            || (ci + 1 == n_clusters && target - w.stats.objects >= TENANT_MIN)
        {
            let room = if ci + 1 == n_clusters {
                target - w.stats.objects
            } else {
                cluster_end - w.stats.objects
            };
            let mut trng = rng.fork();
            let mut t = plan_tenant(&mut trng, prefix, &cluster, tenant_no, room);
            tenant_no += 1;
            debt += t.base_objects();
            while debt >= DEFECT_EVERY {
                let free = t.apps.iter().filter(|a| a.defect.is_none()).count();
                let Some(d) = queue.take(&t, free) else { break };
                debt -= DEFECT_EVERY;
                if d.on_route() {
                    let free: Vec<usize> = (0..t.apps.len())
                        .filter(|&i| t.apps[i].defect.is_none())
                        .collect();
                    let i = *trng.pick(&free);
                    t.apps[i].defect = Some(d);
                }
                t.defects.push(d);
            }
            write_tenant(w, &mut trng, &t, &mut pool_no)?;
        }
    }
    filler(w, rng, prefix, target - w.stats.objects)
}

fn cluster_setup(w: &mut Out, rng: &mut Rng, prefix: &str, ci: usize, c: &str) -> io::Result<()> {
    let dir = format!("{prefix}clusters/{c}/infra");
    let l2 = [(CLUSTER_KEY, c), (ANNOUNCE_KEY, "l2")];
    let bgp = [(CLUSTER_KEY, c), (ANNOUNCE_KEY, "bgp")];
    let pools = [
        render::ip_pool(&format!("{c}-l2"), &format!("10.{ci}.0.0/24"), &l2),
        render::ip_pool(&format!("{c}-bgp"), &format!("10.{ci}.1.0/24"), &bgp),
    ];
    w.write(
        &format!("{dir}/cilium/lb-ipam.yaml"),
        &render::join_docs(
            "# LB-IPAM: one pool per announcement mode. Services choose with net.example.io/announce.\n",
            &pools,
        ),
        2,
    )?;
    w.write(
        &format!("{dir}/cilium/l2-announcements.yaml"),
        &render::join_docs(
            "# ARP for the LoadBalancer IPs of Services labelled announce=l2.\n",
            &[render::l2_policy(&format!("{c}-l2"), &l2)],
        ),
        1,
    )?;
    let selector = render::match_expressions(
        "        ",
        &[
            (CLUSTER_KEY, vec![c.to_string()]),
            (ANNOUNCE_KEY, vec!["bgp".to_string()]),
        ],
    );
    let asn = 65001 + ci as u32;
    let chain = render::bgp_chain(c, asn, &format!("10.{ci}.255.1"), &selector);
    w.write(
        &format!("{dir}/cilium/bgp.yaml"),
        &render::join_docs(
            "# BGP control plane v2: cluster config -> peer config -> advertisement.\n",
            &chain,
        ),
        3,
    )?;
    let edge = format!("{c}-edge");
    let docs = [
        render::namespace(&edge, &[("pod-security.kubernetes.io/enforce", "baseline")]),
        render::lb_service("ingress-l2", &edge, "envoy", &l2, None, 443, None),
        render::lb_service(
            "ingress-bgp",
            &edge,
            "envoy",
            &bgp,
            Some("io.cilium/bgp-control-plane"),
            443,
            None,
        ),
    ];
    w.write(
        &format!("{dir}/edge/edge.yaml"),
        &render::join_docs("", &docs),
        3,
    )?;
    let mut md = format!(
        "# Cluster {c}\n\nCilium {}.{}: LB-IPAM pools, L2 announcements and BGP (ASN {asn}).\n\n\
         Check what is announced:\n\n```sh\nkubectl get ciliumloadbalancerippools\n\
         kubectl get ciliuml2announcementpolicies -o wide\nkubectl -n {edge} get svc ingress-l2 ingress-bgp\n```\n",
        1,
        rng.range(15, 18)
    );
    md.push_str(
        "\nThe tenants live under `tenants/` (and `apps/` at the top of the repository).\n",
    );
    w.write(&format!("{prefix}clusters/{c}/README.md"), &md, 0)
}

fn plan_tenant(rng: &mut Rng, prefix: &str, cluster: &str, no: usize, room: usize) -> Tenant {
    let word = *rng.pick(TENANT_WORDS);
    let name = format!("{word}-{no:04}");
    let domain = format!("{name}.{}", rng.pick(TLDS));
    let base = if rng.chance(70) {
        format!("{prefix}clusters/{cluster}/tenants/{name}")
    } else {
        format!("{prefix}apps/{name}")
    };
    let n_ns = *rng.pick(&[1, 2, 2, 3]);
    let namespaces: Vec<String> = ["", "-api", "-data"][..n_ns]
        .iter()
        .map(|s| format!("{name}{s}"))
        .collect();
    let want = match rng.below(100) {
        0..70 => rng.range(3, 10),
        70..95 => rng.range(10, 30),
        _ => rng.range(30, 120),
    };
    let max_apps = (room - TENANT_OVERHEAD) / PER_APP;
    let n_apps = want.min(max_apps).max(MIN_APPS);
    let apps = (0..n_apps)
        .map(|i| {
            let name = if i < APP_WORDS.len() {
                APP_WORDS[i].to_string()
            } else {
                format!("{}-{}", APP_WORDS[i % APP_WORDS.len()], i / APP_WORDS.len())
            };
            let ns = if i == 0 { 0 } else { rng.below(n_ns) };
            App {
                name,
                ns,
                ports: Ports {
                    grpc: rng.chance(15),
                    named_target: rng.chance(50),
                },
                config: rng.chance(60),
                route_in_gateway_ns: ns != 0 && rng.chance(30),
                any_listener: rng.chance(20),
                defect: None,
            }
        })
        .collect();
    let gw_l2 = rng.chance(50);
    let style = match rng.below(100) {
        0..10 => Style::AllInOne,
        10..50 => Style::PerApp,
        50..70 => Style::ByKind,
        _ => Style::PerKind,
    };
    Tenant {
        name,
        cluster: cluster.to_string(),
        domain,
        base,
        namespaces,
        gateway: rng.pick(GATEWAY_NAMES).to_string(),
        gw_mode: if gw_l2 { "l2" } else { "bgp" },
        lb_mode: if gw_l2 { "bgp" } else { "l2" },
        apps,
        style,
        secret_manifest: [rng.chance(60), rng.chance(60)],
        defects: Vec::new(),
    }
}

struct Doc {
    group: String,
    kind: &'static str,
    text: String,
}

fn write_tenant(w: &mut Out, rng: &mut Rng, t: &Tenant, pool_no: &mut usize) -> io::Result<()> {
    let mut docs: Vec<Doc> = Vec::new();
    let mut push = |group: &str, kind: &'static str, text: String| {
        docs.push(Doc {
            group: group.to_string(),
            kind,
            text,
        })
    };
    let ns0 = t.namespaces[0].as_str();
    let tenant_label = [(TENANT_KEY, t.name.as_str())];
    for ns in &t.namespaces {
        push(
            "namespaces",
            "namespace",
            render::namespace(ns, &tenant_label),
        );
    }
    let apex = format!("{}-apex-tls", t.name);
    let wildcard = format!("{}-wildcard-tls", t.name);
    let wildcard_ref = if t.has(Defect::TlsSecretNotFound) {
        loop {
            let s = render::typo(rng, &wildcard);
            if s != apex {
                break s;
            }
        }
    } else {
        wildcard.clone()
    };
    // Where a misspelt `kubectl label` goes: 0 a YAML comment, 1 the script, 2 the README.
    let label_place = rng.below(3);
    push(
        "gateway",
        "gateway",
        gateway(rng, t, &apex, &wildcard_ref, label_place == 0),
    );
    for (i, secret) in [&apex, &wildcard].into_iter().enumerate() {
        if t.secret_manifest[i] {
            push("gateway", "secret", render::tls_secret(rng, secret, ns0));
        }
    }
    // The tenant's own LoadBalancer Service (a database or MQTT broker exposed on the LAN).
    // The defect: the class of the other announcement mode. The pool still gives the Service an
    // address (pools serve both Cilium classes), but the announcer its labels choose ignores
    // that class and the other one does not select it.
    let class = match (rng.chance(30), t.lb_mode) {
        _ if t.has(Defect::ServiceNotAdvertised) => Some(if t.lb_mode == "l2" {
            "io.cilium/bgp-control-plane"
        } else {
            "io.cilium/l2-announcer"
        }),
        (false, _) => None,
        (true, "l2") => Some("io.cilium/l2-announcer"),
        (true, _) => Some("io.cilium/bgp-control-plane"),
    };
    let lb_value = t.lb_mode;
    push(
        "lb",
        "service",
        render::lb_service(
            &format!("{}-tcp", t.name),
            ns0,
            &t.apps[0].name,
            &[
                (CLUSTER_KEY, t.cluster.as_str()),
                (ANNOUNCE_KEY, lb_value),
                ("app.kubernetes.io/part-of", t.name.as_str()),
            ],
            class,
            *rng.pick(&[5432, 6379, 1883, 8883]),
            // The app's own container port, by name: its pods listen there.
            Some(t.apps[0].ports.name()),
        ),
    );
    let taken: BTreeSet<&str> = t.apps.iter().map(|a| a.name.as_str()).collect();
    for a in &t.apps {
        let group = format!("apps/{}", a.name);
        let ns = t.namespaces[a.ns].as_str();
        if a.config {
            push(
                &group,
                "configmap",
                render::config_map(rng, &format!("{}-config", a.name), ns),
            );
        }
        push(
            &group,
            "deployment",
            render::deployment(rng, &a.name, ns, &t.name, a.ports, a.config, true),
        );
        push(&group, "service", render::service(&a.name, ns, a.ports));
        push(&group, "route", app_route(rng, t, a, &taken));
    }
    for ((to, from), kinds) in t.grants() {
        let kinds: Vec<&str> = kinds.into_iter().collect();
        push(
            "referencegrants",
            "referencegrant",
            render::reference_grant(&t.namespaces[to], &t.namespaces[from], &kinds),
        );
    }
    if t.has(Defect::RouteNotAllowed) {
        // A preview namespace that the listeners' namespace selector does not admit.
        let sandbox = format!("{}-sandbox", t.name);
        let a = &t.apps[0];
        let a_ns = t.namespaces[a.ns].as_str();
        push(
            "sandbox",
            "namespace",
            render::namespace(&sandbox, &[(TENANT_KEY, sandbox.as_str())]),
        );
        push(
            "sandbox",
            "route",
            render::route(
                false,
                "preview",
                &sandbox,
                &Parent {
                    name: &t.gateway,
                    namespace: Some(ns0),
                    section: Some("https-wildcard"),
                    port: None,
                },
                &format!("preview.{}", t.domain),
                &a.name,
                Some(a_ns),
                a.ports.service(),
                false,
            ),
        );
        push(
            "sandbox",
            "referencegrant",
            render::reference_grant(a_ns, &sandbox, &["HTTPRoute"]),
        );
    }
    if t.has(Defect::SelectorMatchesNothing) {
        // A reserved pool for a DMZ nobody labels for.
        let n = *pool_no;
        *pool_no += 1;
        push(
            "cilium-pool",
            "pool",
            render::ip_pool(
                &format!("{}-reserved", t.name),
                &format!(
                    "198.{}.{}.{}/28",
                    18 + n / 4096,
                    (n / 16) % 256,
                    (n % 16) * 16
                ),
                &[
                    (CLUSTER_KEY, t.cluster.as_str()),
                    (ANNOUNCE_KEY, "dmz"),
                    (TENANT_KEY, t.name.as_str()),
                ],
            ),
        );
    }
    for d in &t.defects {
        w.defect(*d);
    }

    // Files.
    let mut files: BTreeMap<String, (Vec<String>, usize)> = BTreeMap::new();
    for d in docs {
        let path = match t.style {
            Style::AllInOne => format!("{}/{}.yaml", t.base, t.name),
            Style::PerApp => format!("{}/{}.yaml", t.base, d.group),
            Style::PerKind if d.group.starts_with("apps/") => {
                format!("{}/{}/{}.yaml", t.base, d.group, d.kind)
            }
            Style::PerKind => format!("{}/{}.yaml", t.base, d.group),
            Style::ByKind => format!("{}/{}s.yaml", t.base, d.kind),
        };
        let f = files.entry(path).or_default();
        f.0.push(d.text);
        f.1 += 1;
    }
    for (path, (docs, n)) in files {
        let header = if rng.chance(50) {
            format!("# Tenant {} ({}), managed by GitOps.\n", t.name, t.cluster)
        } else {
            String::new()
        };
        w.write(&path, &render::join_docs(&header, &docs), n)?;
    }
    scripts(w, rng, t, &apex, &wildcard, label_place)
}

fn gateway(
    rng: &mut Rng,
    t: &Tenant,
    apex: &str,
    wildcard: &str,
    label_in_comment: bool,
) -> String {
    let ns0 = &t.namespaces[0];
    let d = &t.domain;
    let mut s = String::new();
    if rng.chance(30) {
        let _ = write!(
            s,
            "# The Service Cilium generates for this Gateway gets its DNS name from external-dns:\n\
             #    kubectl -n {ns0} annotate service cilium-gateway-{} external-dns.alpha.kubernetes.io/ttl=60\n",
            t.gateway
        );
    }
    if t.has(Defect::LabelCommandUnknownGateway) && label_in_comment {
        let _ = writeln!(
            s,
            "# Until Cilium propagates labels, run:\n#    kubectl -n {ns0} label service cilium-gateway-{} {ANNOUNCE_KEY}={} --overwrite",
            label_typo(rng, t),
            t.gw_mode
        );
    }
    let _ = write!(
        s,
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: {}\n  namespace: {ns0}\n  labels:\n    app.kubernetes.io/part-of: {}\n",
        t.gateway, t.name
    );
    let unpropagated = t.has(Defect::GatewayLabelsNotPropagated);
    if unpropagated || rng.chance(20) {
        let _ = write!(
            s,
            "    {CLUSTER_KEY}: {}\n    {ANNOUNCE_KEY}: {}\n",
            t.cluster, t.gw_mode
        );
    }
    let _ = write!(
        s,
        "  annotations:\n    external-dns.alpha.kubernetes.io/hostname: \"{d},*.{d}\"\nspec:\n  gatewayClassName: cilium\n"
    );
    if !unpropagated {
        let _ = write!(
            s,
            "  infrastructure:\n    labels:\n      {CLUSTER_KEY}: {}\n      {ANNOUNCE_KEY}: {}\n",
            t.cluster, t.gw_mode
        );
    }
    let allowed = if t.namespaces.len() > 1 {
        format!(
            "      allowedRoutes: &routes\n        namespaces:\n          from: Selector\n          selector:\n            matchLabels:\n              {TENANT_KEY}: {}\n",
            t.name
        )
    } else if rng.chance(50) {
        "      allowedRoutes: &routes\n        namespaces:\n          from: Same\n".to_string()
    } else {
        String::new()
    };
    let alias = if allowed.is_empty() {
        ""
    } else {
        "      allowedRoutes: *routes\n"
    };
    let _ = write!(
        s,
        "  listeners:
    - name: http
      protocol: HTTP
      port: 80
      hostname: \"*.{d}\"
{allowed}    - name: https
      protocol: HTTPS
      port: 443
      hostname: {d}
      tls:
        mode: Terminate
        certificateRefs:
          - kind: Secret
            name: {apex}
{alias}    - name: https-wildcard # one certificate for every app
      protocol: HTTPS
      port: 443
      hostname: \"*.{d}\"
      tls:
        mode: Terminate
        certificateRefs:
          - name: {wildcard}
{alias}"
    );
    s
}

fn label_typo(rng: &mut Rng, t: &Tenant) -> String {
    render::typo(rng, &t.gateway)
}

fn app_route(rng: &mut Rng, t: &Tenant, a: &App, taken: &BTreeSet<&str>) -> String {
    let ns0 = t.namespaces[0].as_str();
    let svc_ns = t.namespaces[a.ns].as_str();
    let route_ns = if a.route_in_gateway_ns { ns0 } else { svc_ns };
    let mut parent_name = t.gateway.clone();
    let mut section = if a.any_listener {
        None
    } else {
        Some("https-wildcard".to_string())
    };
    let mut port = None;
    let mut hostname = format!("{}.{}", a.name, t.domain);
    let mut backend = a.name.clone();
    let mut backend_port = a.ports.service();
    match a.defect {
        Some(Defect::RouteParentNotFound) => parent_name = render::typo(rng, &t.gateway),
        Some(Defect::RouteListenerNotFound) => {
            if rng.chance(50) {
                section = Some(render::typo(rng, "https-wildcard"));
            } else {
                section = None;
                port = Some(8443);
            }
        }
        Some(Defect::RouteHostnameMismatch) => {
            // The apex on the wildcard listener.
            section = Some("https-wildcard".to_string());
            hostname = t.domain.clone();
        }
        Some(Defect::BackendNotFound) => {
            backend = loop {
                let b = render::typo(rng, &a.name);
                if !taken.contains(b.as_str()) && b != format!("{}-tcp", t.name) {
                    break b;
                }
            }
        }
        Some(Defect::BackendPortMismatch) => backend_port = a.ports.container(),
        _ => {}
    }
    render::route(
        a.ports.grpc,
        &a.name,
        route_ns,
        &Parent {
            name: &parent_name,
            namespace: (route_ns != ns0).then_some(ns0),
            section: section.as_deref(),
            port,
        },
        &hostname,
        &backend,
        (route_ns != svc_ns).then_some(svc_ns),
        backend_port,
        a.defect == Some(Defect::UnusedSuppression),
    )
}

/// The tenant's bootstrap script and README, with the kubectl commands that create the Secrets
/// not in manifests.
fn scripts(
    w: &mut Out,
    rng: &mut Rng,
    t: &Tenant,
    apex: &str,
    wildcard: &str,
    label_place: usize,
) -> io::Result<()> {
    let ns0 = &t.namespaces[0];
    let mut sh = String::new();
    let mut md = String::new();
    let secrets = [(apex, "apex"), (wildcard, "wildcard")];
    for (i, (name, file)) in secrets.iter().enumerate() {
        if t.secret_manifest[i] {
            continue;
        }
        if rng.chance(70) {
            let _ = write!(
                sh,
                "kubectl create secret tls {name} -n {ns0} \\\n  --cert=certs/{file}.crt --key=certs/{file}.key \\\n  --dry-run=client -o yaml | kubectl apply -f -\n"
            );
        } else {
            let _ = writeln!(
                md,
                "kubectl -n {ns0} create secret tls {name} --cert=certs/{file}.crt --key=certs/{file}.key"
            );
        }
    }
    if rng.chance(50) {
        let _ = writeln!(
            sh,
            "kubectl -n {ns0} annotate service cilium-gateway-{} external-dns.alpha.kubernetes.io/ttl=300 --overwrite",
            t.gateway
        );
    }
    if t.has(Defect::LabelCommandUnknownGateway) && label_place != 0 {
        let cmd = format!(
            "kubectl -n {ns0} label service cilium-gateway-{} {ANNOUNCE_KEY}={} --overwrite",
            label_typo(rng, t),
            t.gw_mode
        );
        if label_place == 1 {
            sh.push_str("# Cilium does not copy the Gateway's labels; add them by hand.\n");
            sh.push_str(&cmd);
            sh.push('\n');
        } else {
            md.push_str(&cmd);
            md.push('\n');
        }
    }
    if !sh.is_empty() || rng.chance(30) {
        let text = format!(
            "#!/usr/bin/env bash\n# Bootstrap for tenant {}: certificates and one-off labels.\nset -euo pipefail\n\n{sh}kubectl -n {ns0} rollout status deployment/{} --timeout=120s\n",
            t.name, t.apps[0].name
        );
        w.write(&format!("{}/scripts/bootstrap.sh", t.base), &text, 0)?;
    }
    if !md.is_empty() || rng.chance(30) {
        let text = format!(
            "# {}\n\nTenant of cluster `{}`, served at `https://{}` by Gateway `{}`.\n\n\
             Run kubectl get httproutes to see what is attached (prose, not a command).\n\n\
             ```sh\n{md}kubectl -n {ns0} get gateway {} -o wide\n```\n",
            t.name, t.cluster, t.domain, t.gateway, t.gateway
        );
        w.write(&format!("{}/README.md", t.base), &text, 0)?;
    }
    Ok(())
}

fn filler(w: &mut Out, rng: &mut Rng, prefix: &str, n: usize) -> io::Result<()> {
    let mut done = 0;
    let mut file = 0;
    while done < n {
        let k = (n - done).min(rng.range(5, 25));
        let docs: Vec<String> = (0..k)
            .map(|i| render::config_map(rng, &format!("settings-{file:03}-{i:02}"), "platform"))
            .collect();
        w.write(
            &format!("{prefix}platform/settings/settings-{file:03}.yaml"),
            &render::join_docs("# Platform settings.\n", &docs),
            k,
        )?;
        done += k;
        file += 1;
    }
    Ok(())
}
