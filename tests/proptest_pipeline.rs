//! Property: on any tree of plausible manifests (random names, namespaces, ports, labels, YAML
//! formatting, some garbage), the pipeline never panics, and its rendered output in every format
//! is the same on a second run and when the files were created in another order.

use std::fs;
use std::path::Path;

use cilint::report::{self, Format, SrcRoot, Style};
use cilint::{Options, lint};
use proptest::prelude::*;

const NAMES: &[&str] = &[
    "web",
    "shop",
    "api",
    "public",
    "cilium-gateway-public",
    "shop-tls",
];
const NAMESPACES: &[&str] = &["default", "shop", "infra"];

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(NAMES).prop_map(str::to_string)
}

/// No namespace at all, or one of a few.
fn namespace() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::of(prop::sample::select(NAMESPACES))
}

fn port() -> impl Strategy<Value = u32> {
    prop_oneof![Just(80u32), Just(443), Just(8080), 0u32..70000]
}

fn labels() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
    prop::collection::vec(
        (
            prop::sample::select(&["app", "tier", "io.cilium/l2"][..]),
            prop::sample::select(&["web", "shop", "enable"][..]),
        ),
        0..3,
    )
}

/// A scalar as written: plain, single- or double-quoted.
fn quote(s: &str, style: u8) -> String {
    match style % 3 {
        0 => s.to_string(),
        1 => format!("'{s}'"),
        _ => format!("\"{s}\""),
    }
}

/// Labels in block or flow style.
fn label_block(labels: &[(&str, &str)], pad: &str, depth: usize, flow: bool) -> String {
    if flow || labels.is_empty() {
        let items: Vec<String> = labels.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        return format!(" {{{}}}\n", items.join(", "));
    }
    let mut out = "\n".to_string();
    for (k, v) in labels {
        out.push_str(&format!("{}{k}: {v}\n", pad.repeat(depth)));
    }
    out
}

#[derive(Clone, Debug)]
struct Doc {
    kind: u8,
    name: String,
    other: String,
    namespace: Option<&'static str>,
    port: u32,
    labels: Vec<(&'static str, &'static str)>,
    quote: u8,
    flow: bool,
    garbage: String,
}

fn doc() -> impl Strategy<Value = Doc> {
    (
        0u8..8,
        name(),
        name(),
        namespace(),
        port(),
        labels(),
        any::<u8>(),
        any::<bool>(),
        "[a-z:{}\\[\\]&*!|>'\"#, \n-]{0,40}",
    )
        .prop_map(
            |(kind, name, other, namespace, port, labels, quote, flow, garbage)| Doc {
                kind,
                name,
                other,
                namespace,
                port,
                labels,
                quote,
                flow,
                garbage,
            },
        )
}

/// One document as YAML text with `pad` as its indentation step.
fn render_doc(d: &Doc, pad: &str) -> String {
    let p = |n: usize| pad.repeat(n);
    let q = |s: &str| quote(s, d.quote);
    let ns = d
        .namespace
        .map(|n| format!("{}namespace: {}\n", p(1), q(n)))
        .unwrap_or_default();
    let meta = format!(
        "metadata:\n{}name: {}\n{ns}{}labels:{}",
        p(1),
        q(&d.name),
        p(1),
        label_block(&d.labels, pad, 2, d.flow)
    );
    let port = d.port;
    let other = q(&d.other);
    let selector = label_block(&d.labels, pad, 2, d.flow);
    match d.kind {
        0 => format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n{meta}spec:\n\
             {a}gatewayClassName: cilium\n{a}listeners:\n{a}- name: https\n{b}protocol: HTTPS\n\
             {b}port: {port}\n{b}tls:\n{c}certificateRefs:\n{c}- name: {other}\n",
            a = p(1),
            b = p(2),
            c = p(3),
        ),
        1 => format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n{meta}spec:\n\
             {a}parentRefs:\n{a}- name: {other}\n{b}sectionName: https\n{a}rules:\n\
             {a}- backendRefs:\n{c}- name: {other}\n{c}  port: {port}\n",
            a = p(1),
            b = p(2),
            c = p(2),
        ),
        2 => format!(
            "apiVersion: v1\nkind: Service\n{meta}spec:\n{a}type: LoadBalancer\n\
             {a}selector:{selector}{a}ports:\n{a}- port: {port}\n",
            a = p(1),
        ),
        3 => format!(
            "apiVersion: v1\nkind: Secret\n{meta}type: kubernetes.io/tls\ndata:\n\
             {a}tls.crt: {other}\n{a}tls.key: {other}\n",
            a = p(1),
        ),
        4 => format!(
            "apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\n{meta}spec:\n\
             {a}blocks:\n{a}- cidr: 10.0.{}.0/24\n{a}serviceSelector:\n{b}matchLabels:{selector}",
            port % 256,
            a = p(1),
            b = p(2),
        ),
        5 => format!(
            "apiVersion: apps/v1\nkind: Deployment\n{meta}spec:\n{a}template:\n{b}metadata:\n\
             {c}labels:{}",
            label_block(&d.labels, pad, 4, d.flow),
            a = p(1),
            b = p(2),
            c = p(3),
        ),
        6 => format!("{meta}{}\n", d.garbage),
        _ => d.garbage.clone(),
    }
}

#[derive(Clone, Debug)]
struct File {
    path: String,
    text: String,
}

fn file() -> impl Strategy<Value = File> {
    (
        prop::sample::select(&["apps", "infra", "apps/shop", "."][..]),
        0u8..6,
        prop::collection::vec(doc(), 1..4),
        prop::sample::select(&["  ", "    "][..]),
        any::<bool>(),
    )
        .prop_map(|(dir, n, docs, pad, crlf)| {
            let kind = n % 6;
            let (ext, text) = if kind == 5 {
                // A script whose commands name the generated objects.
                let d = &docs[0];
                let ns = d.namespace.unwrap_or("default");
                let text = format!(
                    "#!/bin/sh\nkubectl label svc cilium-gateway-{} -n {ns} a=b \\\n  --overwrite\n\
                     kubectl create secret tls {} --cert=c --key=k -n {ns}\n{}\n",
                    d.name, d.other, d.garbage
                );
                ("sh", text)
            } else {
                let body: Vec<String> = docs.iter().map(|d| render_doc(d, pad)).collect();
                ("yaml", body.join("---\n"))
            };
            let text = if crlf {
                text.replace('\n', "\r\n")
            } else {
                text
            };
            File {
                path: format!("{dir}/f{n}.{ext}"),
                text,
            }
        })
}

/// Files with distinct paths, and an order to create them in.
fn tree() -> impl Strategy<Value = (Vec<File>, Vec<usize>)> {
    prop::collection::vec(file(), 1..6).prop_flat_map(|mut files| {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files.dedup_by(|a, b| *a.path == b.path);
        let order: Vec<usize> = (0..files.len()).collect();
        (Just(files), Just(order).prop_shuffle())
    })
}

fn write(root: &Path, files: &[File], order: impl Iterator<Item = usize>) {
    for i in order {
        let path = root.join(&files[i].path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, &files[i].text).unwrap();
    }
}

/// Every format's output, the temporary root replaced so two trees compare. The root is the
/// repository root too, so SARIF's URIs and fingerprints do not depend on it.
fn outputs(root: &Path) -> Vec<String> {
    let style = Style {
        src_root: SrcRoot {
            dir: root.to_path_buf(),
            prefix: String::new(),
        },
        ..Style::default()
    };
    let root = root.to_str().unwrap();
    let options = Options {
        show_unverified: true,
        ..Options::default()
    };
    let report = lint(&[root.to_string()], &options);
    [
        Format::Human,
        Format::Json,
        Format::Sarif,
        Format::Github,
        Format::Gitlab,
        Format::Junit,
    ]
    .into_iter()
    .map(|f| report::render(&report, f, style.clone()).replace(root, "ROOT"))
    .collect()
}

/// Fails with the first line that differs: the whole SARIF output is too long to read.
fn same(a: &[String], b: &[String], what: &str) -> Result<(), TestCaseError> {
    for (format, (a, b)) in ["human", "json", "sarif", "github", "gitlab", "junit"]
        .iter()
        .zip(a.iter().zip(b))
    {
        if let Some((x, y)) = a.lines().zip(b.lines()).find(|(x, y)| x != y) {
            return Err(TestCaseError::fail(format!(
                "{what} changes the {format} output:\n  {x}\n  {y}"
            )));
        }
        prop_assert_eq!(
            a.lines().count(),
            b.lines().count(),
            "{} changes {}",
            what,
            format
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 32,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn pipeline_is_total_and_deterministic((files, order) in tree()) {
        let first = tempfile::tempdir().unwrap();
        write(first.path(), &files, 0..files.len());
        let once = outputs(first.path());
        same(&once, &outputs(first.path()), "a second run")?;

        let shuffled = tempfile::tempdir().unwrap();
        write(shuffled.path(), &files, order.into_iter());
        same(&once, &outputs(shuffled.path()), "another creation order")?;
    }
}
