//! Adversarial shapes: what a linter that compares every object with every other, or keeps a
//! second copy of every tree, does badly on.

use std::fmt::Write;
use std::io;

use crate::render::{self, ANNOUNCE_KEY, Parent, Ports};
use crate::rng::Rng;
use crate::{Defect, Out};

const ROUTE_DEFECTS: [Defect; 5] = [
    Defect::RouteParentNotFound,
    Defect::RouteListenerNotFound,
    Defect::RouteHostnameMismatch,
    Defect::BackendNotFound,
    Defect::BackendPortMismatch,
];

/// A route to `backend` port 80 on `gateway`'s `https` listener (`*.{domain}`), broken one time
/// in fifty.
#[allow(clippy::too_many_arguments)]
fn route(
    w: &mut Out,
    rng: &mut Rng,
    name: &str,
    ns: &str,
    gateway: &str,
    gw_ns: &str,
    domain: &str,
    backend: &str,
) -> String {
    let defect = (rng.below(50) == 0).then(|| *rng.pick(&ROUTE_DEFECTS));
    let mut parent = gateway.to_string();
    let mut section = "https".to_string();
    let mut hostname = format!("{name}.{domain}");
    let mut backend = backend.to_string();
    let mut port = 80;
    match defect {
        Some(Defect::RouteParentNotFound) => parent = format!("{gateway}-v2"),
        Some(Defect::RouteListenerNotFound) => section = "htps".into(),
        Some(Defect::RouteHostnameMismatch) => hostname = format!("{name}.example.invalid"),
        Some(Defect::BackendNotFound) => backend = format!("{backend}-old"),
        Some(Defect::BackendPortMismatch) => port = 8080,
        _ => {}
    }
    if let Some(d) = defect {
        w.defect(d);
    }
    render::route(
        false,
        name,
        ns,
        &Parent {
            name: &parent,
            namespace: (ns != gw_ns).then_some(gw_ns),
            section: Some(&section),
            port: None,
        },
        &hostname,
        &backend,
        None,
        port,
        false,
    )
}

/// A Gateway with a wildcard HTTPS listener that admits routes from every namespace.
fn open_gateway(name: &str, ns: &str, domain: &str, announce: &str) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: {name}
  namespace: {ns}
spec:
  gatewayClassName: cilium
  infrastructure:
    labels:
      {ANNOUNCE_KEY}: {announce}
  listeners:
    - name: http
      protocol: HTTP
      port: 80
      hostname: \"*.{domain}\"
      allowedRoutes: &all
        namespaces:
          from: All
    - name: https
      protocol: HTTPS
      port: 443
      hostname: \"*.{domain}\"
      tls:
        certificateRefs:
          - name: {name}-tls
      allowedRoutes: *all
"
    )
}

/// Pool and L2 policy for a Gateway's generated Service.
fn gateway_announcement(name: &str, announce: &str, cidr: &str) -> [String; 2] {
    [
        render::ip_pool(&format!("{name}-pool"), cidr, &[(ANNOUNCE_KEY, announce)]),
        render::l2_policy(&format!("{name}-l2"), &[(ANNOUNCE_KEY, announce)]),
    ]
}

const HTTP: Ports = Ports {
    grpc: false,
    named_target: true,
};

pub fn one_gateway(w: &mut Out, rng: &mut Rng) -> io::Result<()> {
    let domain = "hub.example.com";
    let docs = [
        render::namespace("hub", &[]),
        open_gateway("hub", "hub", domain, "hub"),
        render::tls_secret(rng, "hub-tls", "hub"),
    ];
    w.write(
        "hub/gateway.yaml",
        &render::join_docs("# The shared Gateway every team attaches to.\n", &docs),
        3,
    )?;
    let cilium = gateway_announcement("hub", "hub", "10.200.0.0/24");
    w.write("hub/cilium.yaml", &render::join_docs("", &cilium), 2)?;
    let teams = 100;
    for t in 0..teams {
        let ns = format!("team-{t:03}");
        let docs = [
            render::namespace(&ns, &[]),
            render::deployment(rng, "backend", &ns, &ns, HTTP, false, true),
            render::service("backend", &ns, HTTP),
        ];
        w.write(
            &format!("hub/backends/{ns}.yaml"),
            &render::join_docs("", &docs),
            3,
        )?;
    }
    // 10,000 routes, 100 per team, in files of 10 to 40.
    for t in 0..teams {
        let ns = format!("team-{t:03}");
        let mut i = 0;
        let mut file = 0;
        while i < 100 {
            let k = rng.range(10, 40).min(100 - i);
            let docs: Vec<String> = (i..i + k)
                .map(|j| {
                    let name = format!("r{:05}", t * 100 + j);
                    route(w, rng, &name, &ns, "hub", "hub", domain, "backend")
                })
                .collect();
            w.write(
                &format!("hub/routes/{ns}/routes-{file:02}.yaml"),
                &render::join_docs("", &docs),
                k,
            )?;
            i += k;
            file += 1;
        }
    }
    Ok(())
}

pub fn ns_services(w: &mut Out, rng: &mut Rng) -> io::Result<()> {
    const SERVICES: usize = 20_000;
    const TEAMS: usize = 100;
    const PER_FILE: usize = 200;
    w.write(
        "bulk/namespace.yaml",
        &render::namespace("bulk", &[("net.example.io/tier", "shared")]),
        1,
    )?;
    for f in 0..SERVICES / PER_FILE {
        let mut docs = Vec::with_capacity(PER_FILE);
        for i in f * PER_FILE..(f + 1) * PER_FILE {
            let team = format!("team-{:02}", i % TEAMS);
            // One in fifty has its team label under a misspelt key: announced by nothing.
            let key = if rng.below(50) == 0 {
                w.defect(Defect::ServiceNotAdvertised);
                "taem"
            } else {
                "team"
            };
            let zone = format!("zone-{}", rng.below(4));
            let name = format!("svc-{i:05}");
            docs.push(render::lb_service(
                &name,
                "bulk",
                &name,
                &[
                    (key, &team),
                    ("zone", &zone),
                    ("app.kubernetes.io/name", &name),
                ],
                None,
                *rng.pick(&[80, 443, 5432, 8080]),
                None,
            ));
        }
        w.write(
            &format!("bulk/services/services-{f:03}.yaml"),
            &render::join_docs("", &docs),
            PER_FILE,
        )?;
    }
    let teams = |pred: &dyn Fn(usize) -> bool| -> Vec<String> {
        (0..TEAMS)
            .filter(|t| pred(*t))
            .map(|t| format!("team-{t:02}"))
            .collect()
    };
    // 34 pools over every team, two of them misspelt (selecting nothing).
    let b0 = rng.below(34);
    let b1 = (b0 + 1 + rng.below(33)) % 34;
    let mut pools = Vec::new();
    for j in 0..34 {
        let mut values = teams(&|t| t % 34 == j);
        if j == b0 || j == b1 {
            w.defect(Defect::SelectorMatchesNothing);
            values = values.iter().map(|v| v.replace("team-", "taem-")).collect();
        }
        let mut s = format!(
            "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: bulk-{j:02}\nspec:\n  blocks:\n    - cidr: 100.64.{j}.0/24\n  serviceSelector:\n"
        );
        s.push_str(&render::match_expressions(
            "    ",
            &[
                ("team", values),
                ("zone", (0..4).map(|z| format!("zone-{z}")).collect()),
            ],
        ));
        pools.push(s);
    }
    w.write("bulk/cilium/pools.yaml", &render::join_docs("", &pools), 34)?;
    // 33 L2 policies: teams 0..33, one each.
    let l2: Vec<String> = (0..33)
        .map(|j| {
            let team = format!("team-{j:02}");
            render::l2_policy(&format!("bulk-l2-{j:02}"), &[("team", &team)])
        })
        .collect();
    w.write("bulk/cilium/l2.yaml", &render::join_docs("", &l2), 33)?;
    // The BGP chain and 33 advertisements over teams 33..100.
    let mut bgp: Vec<String> = render::bgp_chain("bulk", 65100, "10.250.0.1", "")
        .into_iter()
        .take(2)
        .collect();
    for j in 0..33 {
        let selector = render::match_expressions(
            "        ",
            &[("team", teams(&|t| t >= 33 && (t - 33) % 33 == j))],
        );
        bgp.push(render::bgp_advertisement(
            &format!("bulk-bgp-{j:02}"),
            "bulk",
            &selector,
        ));
    }
    w.write("bulk/cilium/bgp.yaml", &render::join_docs("", &bgp), 35)?;
    let mut md = String::from("# bulk\n\n20,000 LoadBalancer Services, 100 selectors.\n\n```sh\n");
    let _ = writeln!(md, "kubectl -n bulk get svc -l team=team-07 -o wide");
    md.push_str("```\n");
    w.write("bulk/README.md", &md, 0)
}

pub fn big_file(w: &mut Out, rng: &mut Rng, bytes: u64) -> io::Result<()> {
    let domain = "big.example.com";
    let mut s = String::with_capacity(bytes as usize + 8192);
    s.push_str("# Everything, rendered into one file by a Helm-less pipeline.\n");
    let mut objects = 0;
    let mut add = |s: &mut String, doc: &str| {
        if objects > 0 {
            s.push_str("---\n");
        }
        s.push_str(doc);
        objects += 1;
    };
    for d in gateway_announcement("big", "big", "10.201.0.0/24") {
        add(&mut s, &d);
    }
    add(&mut s, &render::namespace("big", &[]));
    add(&mut s, &open_gateway("big", "big", domain, "big"));
    add(&mut s, &render::tls_secret(rng, "big-tls", "big"));
    let mut i = 0usize;
    while (s.len() as u64) < bytes {
        let ns = format!("big-{:02}", i % 50);
        if i < 50 {
            add(&mut s, &render::namespace(&ns, &[]));
        }
        let name = format!("app-{i:06}");
        add(
            &mut s,
            &render::config_map(rng, &format!("{name}-config"), &ns),
        );
        add(
            &mut s,
            &render::deployment(rng, &name, &ns, "big", HTTP, true, false),
        );
        add(&mut s, &render::service(&name, &ns, HTTP));
        let r = route(w, rng, &name, &ns, "big", "big", domain, &name);
        add(&mut s, &r);
        i += 1;
    }
    w.write("big/all.yaml", &s, objects)
}

pub fn tiny_files(w: &mut Out, rng: &mut Rng) -> io::Result<()> {
    const FILES: usize = 30_000;
    let domain = "tiny.example.com";
    w.write(
        "tiny/gateway/gateway.yaml",
        &open_gateway("tiny", "tiny-gw", domain, "tiny"),
        1,
    )?;
    w.write(
        "tiny/gateway/secret.yaml",
        &render::tls_secret(rng, "tiny-tls", "tiny-gw"),
        1,
    )?;
    for idx in 0..FILES - 2 {
        let u = idx / 4;
        let ns = format!("tiny-{:03}", u % 300);
        let name = format!("app-{u:05}");
        let (kind, text) = match idx % 4 {
            0 => ("service", render::service(&name, &ns, HTTP)),
            1 => (
                "serviceaccount",
                format!(
                    "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
                ),
            ),
            2 => (
                "configmap",
                format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\ndata:\n  LEVEL: \"{}\"\n",
                    rng.below(10)
                ),
            ),
            _ => (
                "route",
                route(w, rng, &name, &ns, "tiny", "tiny-gw", domain, &name),
            ),
        };
        w.write(&format!("tiny/{ns}/{name}-{kind}.yaml"), &text, 1)?;
    }
    Ok(())
}
