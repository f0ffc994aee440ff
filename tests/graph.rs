//! `cilint graph`: the pictures of fixtures/seed-post and of a two-cluster Flux repository in
//! every format, `--focus`, Graphviz parsing the DOT, the SVG parsed back, and the README's
//! picture kept equal to the command's output.

use std::process::{Command, Output};

use cilint::graph::{self, Graph, State};
use cilint::{Options, graph as run_graph};

const SEED: &str = "fixtures/seed-post";
const FLUX: &str = "fixtures/repos/flux-multi-cluster";

/// The graphs of `cilint graph -n NAMESPACE PATH`: with the configuration the command finds (the
/// seed post's `.cilint.yaml` declares the ConfigMap and Secret it makes by hand).
fn graphs(path: &str, namespace: &str) -> Vec<Graph> {
    let paths = [path.to_string()];
    let rules: Vec<&str> = cilint::rules::RULES.iter().map(|r| r.meta.id).collect();
    let config = cilint::config::find_for_run(&paths)
        .map(|file| cilint::config::load(&file, &rules).expect("the fixture's configuration loads"))
        .unwrap_or_default();
    let report = run_graph(
        &paths,
        &Options {
            namespace: namespace.into(),
            config,
            ..Options::default()
        },
    );
    assert!(report.input_errors.is_empty());
    report.graphs
}

fn cilint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cilint"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("cilint runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// The labels of the edges in `state`, with their rule or reason, as `from -> to: caption`.
fn edges_in(g: &Graph, state: State) -> Vec<String> {
    g.edges
        .iter()
        .filter(|e| e.state == state)
        .map(|e| format!("{} -> {}: {}", e.from, e.to, e.caption()))
        .collect()
}

#[test]
fn the_seed_posts_two_label_gaps_and_two_typod_commands_are_the_broken_edges() {
    let g = graphs(SEED, "prod");
    assert_eq!(g.len(), 1);
    let broken = edges_in(&g[0], State::Broken);
    assert_eq!(
        broken,
        [
            "Service/prod/cilium-gateway-cd-arp-gw -> CiliumL2AnnouncementPolicy/mdhlabs-arp: announced over ARP by ✗ gateway-labels-not-propagated",
            "Service/prod/cilium-gateway-cd-arp-gw -> CiliumLoadBalancerIPPool/prod-arp-pool: gets an IP from ✗ gateway-labels-not-propagated",
            "Service/prod/cilium-gateway-cd-bgp-gw -> CiliumBGPAdvertisement/mdhlabs-bgp-services: advertised by (advertisement 1) ✗ gateway-labels-not-propagated",
            "Service/prod/cilium-gateway-cd-bgp-gw -> CiliumLoadBalancerIPPool/prod-bgp-pool: gets an IP from ✗ gateway-labels-not-propagated",
            "command/fixtures/seed-post/scripts/label-gateway-services.sh:4:1 -> Service/prod/cilium-gateway-arp-gw: labels ✗ label-command-unknown-gateway",
            "command/fixtures/seed-post/scripts/label-gateway-services.sh:5:1 -> Service/prod/cilium-gateway-bgp-gw: labels ✗ label-command-unknown-gateway",
        ]
    );
    // The request path works: Gateway → listener → route → Service → Deployment.
    let ok = edges_in(&g[0], State::Ok);
    for e in [
        "Gateway/prod/cd-arp-gw -> Gateway/prod/cd-arp-gw/listener/https: listener",
        "Gateway/prod/cd-arp-gw/listener/https -> HTTPRoute/prod/cd-arp-httproute: attaches",
        "HTTPRoute/prod/cd-arp-httproute -> Service/prod/cd-arp-svc: rule 1 :6680",
        "Service/prod/cd-arp-svc -> Deployment/prod/cd-arp-deploy: selects pods",
        "Gateway/prod/cd-arp-gw -> Service/prod/cilium-gateway-cd-arp-gw: generates",
        "CiliumBGPPeerConfig/mdhlabs-peer -> CiliumBGPClusterConfig/mdhlabs-bgp: peer lab-router",
    ] {
        assert!(ok.iter().any(|o| o == e), "{e} not in {ok:#?}");
    }
    // The TLS Secret is drawn by name only: the command that makes it names no key or value.
    let secret = g[0].nodes.iter().find(|n| n.kind == "Secret").unwrap();
    assert_eq!(
        secret.label,
        "Secret prod/api-secrettls (made by a command)"
    );
}

/// A finding that breaks no drawn edge (an L2 policy announcing nothing, a Deployment reading an
/// undefined Flux variable) marks its object's node instead, so no finding is invisible.
#[test]
fn findings_that_break_no_edge_mark_their_node() {
    let g = graphs("fixtures/repos/homelab-mix", "default");
    let flagged: Vec<(String, String)> = g
        .iter()
        .flat_map(|g| &g.nodes)
        .filter_map(|n| Some((n.id.to_string(), n.rule.clone()?)))
        .collect();
    for (id, rule) in [
        (
            "CiliumL2AnnouncementPolicy/guest-l2",
            "l2-policy-announces-nothing",
        ),
        ("Deployment/media/jellyfin", "flux-variable-undefined"),
    ] {
        assert!(
            flagged
                .iter()
                .any(|(i, r)| i == id && r.split(", ").any(|r| r == rule)),
            "{id} not marked {rule}: {flagged:?}"
        );
    }
    // A finding drawn on an edge does not also mark a node.
    let seed = graphs(SEED, "prod");
    assert!(seed.iter().flat_map(|g| &g.nodes).all(|n| n.rule.is_none()));
    let mermaid = graph::mermaid::render(&g);
    assert!(mermaid.contains("guest-l2 ✗ l2-policy-announces-nothing\"]:::flagged"));
}

#[test]
fn seed_post_mermaid_dot_and_json() {
    let g = graphs(SEED, "prod");
    insta::assert_snapshot!("seed-post-mermaid", graph::mermaid::render(&g));
    insta::assert_snapshot!("seed-post-dot", graph::dot::render(&g));
    insta::assert_snapshot!("seed-post-json", graph::json::render(&g));
}

#[test]
fn a_flux_repository_of_two_clusters_is_one_picture_per_cluster() {
    let g = graphs(FLUX, "default");
    let clusters: Vec<_> = g.iter().map(|g| g.cluster.as_deref()).collect();
    assert_eq!(clusters, [Some("production"), Some("staging")]);
    // Only production holds the admin route with the wrong sectionName.
    assert!(
        edges_in(&g[0], State::Broken)
            .iter()
            .any(|e| e.ends_with("route-listener-not-found"))
    );
    assert!(
        !edges_in(&g[1], State::Broken)
            .iter()
            .any(|e| e.ends_with("route-listener-not-found"))
    );
    // A backend a HelmRelease of the namespace may make is grey, with the reason.
    let grey = edges_in(&g[0], State::Unverifiable);
    assert!(
        grey.iter().any(|e| e.contains("Service/monitoring/grafana")
            && e.contains("namespace monitoring receives Helm chart grafana")),
        "{grey:#?}"
    );
    insta::assert_snapshot!("flux-multi-cluster-mermaid", graph::mermaid::render(&g));
    insta::assert_snapshot!("flux-multi-cluster-dot", graph::dot::render(&g));
    insta::assert_snapshot!("flux-multi-cluster-json", graph::json::render(&g));
}

#[test]
fn focus_keeps_one_gateways_paths() {
    let g = graph::focus(graphs(SEED, "prod"), "gateway/prod/cd-bgp-gw").unwrap();
    let ids: Vec<&str> = g[0].nodes.iter().map(|n| n.id.as_str()).collect();
    assert!(
        ids.contains(&"CiliumBGPClusterConfig/mdhlabs-bgp"),
        "{ids:?}"
    );
    assert!(!ids.iter().any(|id| id.contains("arp")), "{ids:?}");
    insta::assert_snapshot!("seed-post-focus-mermaid", graph::mermaid::render(&g));
}

#[test]
fn an_unknown_focus_is_a_usage_error_with_a_suggestion() {
    let out = cilint(&[
        "graph",
        "-n",
        "prod",
        "--focus",
        "Gateway/prod/cd-arp-g",
        SEED,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("did you mean `Gateway/prod/cd-arp-gw`"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn the_binary_prints_each_format_and_writes_to_a_file() {
    let g = graphs(SEED, "prod");
    let out = cilint(&["graph", "-n", "prod", SEED]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), graph::mermaid::render(&g));
    let out = cilint(&["graph", "-n", "prod", "--format", "json", SEED]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["tool"]["name"], "cilint");
    assert_eq!(doc["graphs"][0]["cluster"], serde_json::Value::Null);
    let edge = &doc["graphs"][0]["edges"][0];
    for field in ["from", "to", "label", "state"] {
        assert!(edge.get(field).is_some(), "{edge}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("g.dot");
    let out = cilint(&[
        "graph",
        "-n",
        "prod",
        "--format",
        "dot",
        "-o",
        file.to_str().unwrap(),
        SEED,
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(file).unwrap(),
        graph::dot::render(&g)
    );
    // The lint report's formats are not the picture's.
    let out = cilint(&["graph", "--format", "sarif", SEED]);
    assert_eq!(out.status.code(), Some(2));
    // Drawing changes no file: the fixing options are refused, not ignored.
    for fixing in ["--fix", "--diff", "--unsafe-fixes"] {
        let out = cilint(&["graph", fixing, SEED]);
        assert_eq!(out.status.code(), Some(2), "{fixing}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("belong to a lint run"));
    }
}

/// Graphviz parses and lays out the DOT. Skipped where `dot` is missing, except in CI (`CI` set),
/// where `.ci/run` installs it: there a missing `dot` fails.
#[test]
fn graphviz_renders_the_dot() {
    let have_dot = Command::new("dot").arg("-V").output().is_ok();
    if !have_dot {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Graphviz: .ci/run installs it"
        );
        eprintln!("skipped: Graphviz `dot` is not installed");
        return;
    }
    for (path, ns) in [(SEED, "prod"), (FLUX, "default")] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("g.dot");
        std::fs::write(&file, graph::dot::render(&graphs(path, ns))).unwrap();
        let out = Command::new("dot")
            .arg("-Tsvg")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let svg = String::from_utf8(out.stdout).unwrap();
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        roxmltree::Document::parse_with_options(&svg, options).expect("Graphviz's SVG is XML");
    }
}

/// The text of every `<text>` element of an SVG, joined by newlines.
fn svg_text(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .flat_map(|n| n.descendants().filter_map(|t| t.text()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_svg_is_self_contained_xml_with_every_node_label() {
    for (path, ns) in [(SEED, "prod"), (FLUX, "default")] {
        let g = graphs(path, ns);
        let svg = graph::svg::render(&g).unwrap();
        let text = svg_text(&svg);
        // Self-contained: links only to its own definitions (the arrow heads).
        let doc = roxmltree::Document::parse(&svg).unwrap();
        for n in doc.descendants() {
            for a in n.attributes().filter(|a| a.name() == "href") {
                assert!(a.value().starts_with('#'), "links outside: {}", a.value());
            }
        }
        for n in g.iter().flat_map(|g| &g.nodes) {
            assert!(text.contains(&n.label), "{} missing from the SVG", n.label);
        }
    }
}

/// The README's picture is the command's output, so it cannot go stale.
#[test]
fn the_readme_shows_the_seed_posts_picture() {
    let g = graphs(SEED, "prod");
    let readme = std::fs::read_to_string("README.md").unwrap();
    let block = format!("```mermaid\n{}```\n", graph::mermaid::render(&g));
    assert!(
        readme.contains(&block),
        "README.md's ```mermaid block differs from `cilint graph -n prod {SEED}`:\n{block}"
    );
    let svg = std::fs::read_to_string("docs/seed-post.svg").unwrap();
    assert_eq!(
        svg,
        graph::svg::render(&g).unwrap(),
        "docs/seed-post.svg is stale: cilint graph -n prod --format svg -o docs/seed-post.svg {SEED}"
    );
}

/// The same bytes whatever the number of threads, in every format.
#[test]
fn the_pictures_do_not_depend_on_the_number_of_threads() {
    for format in ["mermaid", "dot", "json", "svg"] {
        let run = |threads: &str| {
            let out = Command::new(env!("CARGO_BIN_EXE_cilint"))
                .args(["graph", "--format", format, FLUX])
                .env("RAYON_NUM_THREADS", threads)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0));
            out.stdout
        };
        assert_eq!(run("1"), run("4"), "{format}");
    }
}

/// A graph too large to lay out is refused with the way out, not laid out for minutes.
#[test]
fn an_svg_of_too_many_nodes_is_refused() {
    let mut g = graphs(SEED, "prod").remove(0);
    let node = g.nodes[0].clone();
    g.nodes = (0..=graph::svg::MAX_NODES)
        .map(|i| graph::Node {
            id: format!("{}-{i}", node.id).into(),
            ..node.clone()
        })
        .collect();
    let e = graph::svg::render(&[g]).unwrap_err();
    assert_eq!(e.nodes, graph::svg::MAX_NODES + 1);
    assert!(e.to_string().contains("--focus"), "{e}");
}

/// Secrets are drawn by name: not a value of a manifest, nor of a command's literal, in any
/// format.
#[test]
fn no_secret_value_is_drawn() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let files = [
        (
            "gateway.yaml",
            "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
  namespace: prod
spec:
  gatewayClassName: cilium
  listeners:
  - name: https
    protocol: HTTPS
    port: 443
    tls:
      certificateRefs:
      - name: web-tls
",
        ),
        (
            "secret.yaml",
            "apiVersion: v1
kind: Secret
metadata:
  name: web-tls
  namespace: prod
type: kubernetes.io/tls
stringData:
  tls.key: hunter2-private-key
  tls.crt: hunter2-certificate
",
        ),
        (
            "scripts/setup.sh",
            "kubectl create secret generic api-token -n prod --from-literal=token=hunter2-token\n",
        ),
    ];
    for (rel, text) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let path = dir.path().to_str().unwrap();
    let g = graphs(path, "default");
    let labels: Vec<&str> = g[0].nodes.iter().map(|n| n.label.as_str()).collect();
    assert!(labels.contains(&"Secret prod/web-tls"), "{labels:?}");
    assert!(
        labels
            .iter()
            .any(|l| l.starts_with("kubectl create secret generic api-token")),
        "{labels:?}"
    );
    for text in [
        graph::mermaid::render(&g),
        graph::dot::render(&g),
        graph::json::render(&g),
        graph::svg::render(&g).unwrap(),
    ] {
        assert!(!text.contains("hunter2"), "{text}");
    }
}
