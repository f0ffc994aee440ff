use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use cilint_corpus::{Shape, Spec, Stats, generate};

fn spec(shape: Shape, objects: usize, seed: u64) -> Spec {
    Spec {
        shape,
        objects,
        seed,
        bytes: 2_000_000,
    }
}

/// Every file under `root`, by relative path, with its bytes.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn gen_tree(spec: &Spec) -> (Stats, BTreeMap<PathBuf, Vec<u8>>) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("corpus");
    let stats = generate(spec, &out).unwrap();
    (stats, tree(&out))
}

#[test]
fn same_seed_same_bytes() {
    for s in [
        spec(Shape::Gitops, 1_500, 7),
        spec(Shape::BigFile, 0, 7),
        spec(Shape::Ns20kServices, 0, 7),
        spec(Shape::HomeOps, 1_500, 7),
    ] {
        let (stats_a, a) = gen_tree(&s);
        let (stats_b, b) = gen_tree(&s);
        assert_eq!(stats_a, stats_b, "{s:?}");
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            b.keys().collect::<Vec<_>>(),
            "{s:?}"
        );
        for (path, bytes) in &a {
            assert!(b[path] == *bytes, "{s:?}: {} differs", path.display());
        }
        assert_eq!(stats_a.files, a.len());
        assert_eq!(
            stats_a.bytes,
            a.values().map(|v| v.len() as u64).sum::<u64>()
        );
    }
    let (_, other) = gen_tree(&spec(Shape::Gitops, 1_500, 8));
    let (_, first) = gen_tree(&spec(Shape::Gitops, 1_500, 7));
    assert_ne!(first, other, "another seed gives another tree");
    let (_, other) = gen_tree(&spec(Shape::HomeOps, 1_500, 8));
    let (_, first) = gen_tree(&spec(Shape::HomeOps, 1_500, 7));
    assert_ne!(first, other, "another seed gives another home-ops tree");
}

/// Top-level `kind:` lines: one per object (nested `kind:` keys are indented).
fn count_objects(files: &BTreeMap<PathBuf, Vec<u8>>) -> usize {
    files
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "yaml"))
        .map(|(_, b)| {
            std::str::from_utf8(b)
                .unwrap()
                .lines()
                .filter(|l| l.starts_with("kind: "))
                .count()
        })
        .sum()
}

#[test]
fn gitops_object_count_is_exact() {
    for n in [0, 1, 40, 57, 333, 1_000, 4_321] {
        let (stats, files) = gen_tree(&spec(Shape::Gitops, n, 3));
        assert_eq!(stats.objects, n);
        assert_eq!(count_objects(&files), n, "objects in the files for {n}");
    }
}

#[test]
fn home_ops_object_count_is_exact() {
    // From the fixed part (network, kube-system, cert-manager, the component) on.
    for n in [30, 31, 32, 33, 34, 35, 100, 777, 2_345] {
        let (stats, files) = gen_tree(&spec(Shape::HomeOps, n, 3));
        assert_eq!(stats.objects, n);
        assert_eq!(count_objects(&files), n, "objects in the files for {n}");
    }
}

#[test]
fn home_ops_is_mostly_app_template_releases() {
    let (stats, files) = gen_tree(&spec(Shape::HomeOps, 3_000, 1));
    let text = |p: &PathBuf| std::str::from_utf8(&files[p]).unwrap().to_string();
    let releases: Vec<String> = files
        .keys()
        .filter(|p| p.ends_with("app/helmrelease.yaml"))
        .map(text)
        .collect();
    let app_template = releases
        .iter()
        .filter(|t| t.contains("    name: app-template\n"))
        .count();
    let share = app_template * 100 / releases.len();
    assert!(
        (70..=90).contains(&share),
        "{app_template} of {}",
        releases.len()
    );
    // The mixes of real repositories: automatic backends, identifiers, literal names, `{}`,
    // LoadBalancer Services and releases with two Services or two routes all occur.
    for needle in [
        "- identifier: app\n",
        "- name: *app\n",
        "- backendRefs: [{}]\n",
        "type: LoadBalancer\n",
        "      metrics:\n        ports:",
        "      external:\n        hostnames:",
        "namespace: network\n            sectionName: https\n",
        "\"{{ .Release.Name }}.${SECRET_DOMAIN}\"",
    ] {
        assert!(
            releases.iter().any(|t| t.contains(needle)),
            "no release has {needle:?}"
        );
    }
    let routes = releases
        .iter()
        .filter(|t| t.contains("    route:\n"))
        .count();
    let automatic = releases
        .iter()
        .filter(|t| t.contains("    route:\n") && !t.contains("rules:"))
        .count();
    assert!(automatic * 100 / routes >= 35, "{automatic} of {routes}");
    // About 2% of the rendered Services and routes carry a defect.
    assert!(stats.defects_total() * 100 >= app_template * 2, "{stats}");
}

#[test]
fn adversarial_shapes_have_their_shape() {
    let (stats, files) = gen_tree(&spec(Shape::BigFile, 0, 1));
    assert_eq!(stats.files, 1);
    assert!(stats.bytes >= 2_000_000 && stats.bytes < 2_010_000);
    assert_eq!(count_objects(&files), stats.objects);

    let (stats, _) = gen_tree(&spec(Shape::Ns20kServices, 0, 1));
    assert_eq!(stats.objects, 1 + 20_000 + 34 + 33 + 2 + 33);

    // Filler beyond the shape's own objects.
    let (stats, files) = gen_tree(&spec(Shape::Ns20kServices, 21_000, 1));
    assert_eq!(stats.objects, 21_000);
    assert!(files.keys().any(|p| p.starts_with("filler")));
}

#[test]
fn small_corpus_lints_with_exactly_the_planted_findings() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("corpus");
    let stats = generate(&spec(Shape::Gitops, 1_000, 1), &out).unwrap();
    assert!(stats.defects_total() >= 12, "{stats}");

    let report = cilint::lint(
        &[out.to_string_lossy().into_owned()],
        &cilint::Options::default(),
    );
    assert!(report.input_errors.is_empty(), "{:?}", report.input_errors);
    assert_eq!(report.summary.objects, 1_000);
    let mut found: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &report.findings {
        *found.entry(f.rule).or_default() += 1;
    }
    assert!(!found.contains_key("yaml-syntax"), "{found:?}");
    assert!(found.len() >= 8, "{found:?}");
    // One planted defect, one finding: nothing else in the tree draws one.
    assert_eq!(found, stats.defects);
}

/// The rendering of app-template values draws no finding the generator did not plant, and
/// every planted defect is found (the benchmark's tree and a smaller one).
#[test]
fn home_ops_corpus_lints_with_exactly_the_planted_findings() {
    for (objects, seed) in [(1_000, 2), (10_000, 1)] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("corpus");
        let stats = generate(&spec(Shape::HomeOps, objects, seed), &out).unwrap();
        // 2% of the rendered Services and routes, about 1% of the documents.
        assert!(stats.defects_total() >= objects / 200, "{stats}");
        assert_eq!(stats.defects.len(), 5, "{stats}");

        let report = cilint::lint(
            &[out.to_string_lossy().into_owned()],
            &cilint::Options::default(),
        );
        assert!(report.input_errors.is_empty(), "{:?}", report.input_errors);
        assert_eq!(report.summary.objects, objects);
        assert_eq!(report.summary.unverified, 0, "{objects}");
        let mut found: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &report.findings {
            *found.entry(f.rule).or_default() += 1;
        }
        assert_eq!(found, stats.defects, "{objects} objects");
    }
}
