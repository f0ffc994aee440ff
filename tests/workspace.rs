//! The incremental engine (`cilint::workspace::Workspace`) against `cilint::lint`: after opening
//! a tree, and after every edit (an editor's text, a file changed, created or deleted on disk),
//! its report is the one `cilint::lint` gives on the tree as it then is, fixes included: those
//! `--fix` writes.

mod common;

use std::path::{Path, PathBuf};

use cilint::workspace::Workspace;
use cilint::{Options, Report};

/// Every fixture repository, copied into a temporary directory (a `.git` marks its root).
const REPOS: &[&str] = &[
    "argocd-appset",
    "argocd-remote",
    "bgp-homelab",
    "flux-app-template",
    "flux-cluster-template",
    "flux-multi-cluster",
    "homelab-l2",
    "homelab-mix",
    "homelab-operators",
    "kustomize-components",
    "kustomize-overlays",
    "mixed-gateways",
    "scaffold-templates",
    "terraform-bootstrap",
];

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A fixture repository copied where it may be edited, and the root to lint.
fn checkout(name: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    copy_tree(&Path::new("fixtures/repos").join(name), dir.path());
    let root = dir.path().to_string_lossy().into_owned();
    (dir, root)
}

/// The options the command line would use for the root: its `.cilint.yaml`.
fn options(root: &str) -> Options {
    let paths = [root.to_string()];
    let config = cilint::config::find_for_run(&paths)
        .map(|p| cilint::config::load(&p, &cilint::rules::ids()).expect("the configuration loads"))
        .unwrap_or_default();
    Options::from_config(config)
}

/// The command line's report. The workspace keeps only the texts the report points into, as a
/// run without `--fix` does, and its fixes are those of `--fix` (which keeps every text).
fn lint(root: &str) -> Report {
    let report = cilint::lint(&[root.to_string()], &options(root));
    let fixing = Options {
        fixing: true,
        ..options(root)
    };
    let with_fix = cilint::lint(&[root.to_string()], &fixing);
    assert_eq!(
        report.findings, with_fix.findings,
        "{root}: fixes as --fix resolves them"
    );
    report
}

/// Two reports alike in everything but their timings and which texts they hold: the workspace
/// holds those of the files its findings point into (and the editor's buffers), with the
/// command line's text where it has one; the command line also reads again the files of
/// references it could not verify.
fn assert_same(got: &Report, want: &Report, what: &str) {
    let files =
        |r: &Report| -> Vec<String> { r.files.iter().map(|f| f.path.to_string()).collect() };
    assert_eq!(files(got), files(want), "{what}: files");
    for (g, w) in got.files.iter().zip(&want.files) {
        if !w.text.is_empty() && !g.text.is_empty() {
            assert_eq!(g.text, w.text, "{what}: the text of {}", w.path);
        }
    }
    for f in &got.findings {
        let related = f.related.iter().map(|r| r.location.file);
        for id in std::iter::once(f.location.file).chain(related) {
            let (g, w) = (got.file(id), want.file(id));
            assert_eq!(
                g.text, w.text,
                "{what}: the text of {}, a finding's",
                w.path
            );
        }
    }
    assert_eq!(got.findings, want.findings, "{what}: findings");
    assert_eq!(got.summary, want.summary, "{what}: summary");
    assert_eq!(got.input_errors, want.input_errors, "{what}: input errors");
    assert_eq!(
        format!("{:?}", got.unverified),
        format!("{:?}", want.unverified),
        "{what}: unverified"
    );
    assert_eq!(got.rules, want.rules, "{what}: rules");
}

/// The first manifest of the tree holding a Gateway (not a patch of one), by report name.
fn gateway_file(report: &Report) -> String {
    let gateways: Vec<&str> = report
        .files
        .iter()
        .filter(|f| {
            f.path.ends_with(".yaml")
                && std::fs::read_to_string(&*f.path).is_ok_and(|t| t.contains("\nkind: Gateway\n"))
        })
        .map(|f| &*f.path)
        .collect();
    gateways
        .iter()
        .find(|p| !p.contains("templates/") && !p.contains("patch"))
        .or(gateways.first())
        .expect("every fixture repository has a Gateway")
        .to_string()
}

/// The Gateway's text with its `metadata.name` changed.
fn renamed(text: &str) -> String {
    let kind = text.find("\nkind: Gateway\n").unwrap();
    let name = kind + text[kind..].find("\n  name: ").unwrap() + "\n  name: ".len();
    let end = name + text[name..].find('\n').unwrap();
    format!("{}renamed-gw{}", &text[..name], &text[end..])
}

/// Writes `text` at the report's file `name` (as `cilint::lint` will read it).
fn write(name: &str, text: &str) {
    std::fs::write(name, text).unwrap();
}

#[test]
fn open_gives_the_report_of_lint_on_every_fixture_repository() {
    for name in REPOS {
        let (_dir, root) = checkout(name);
        let mut ws = Workspace::open(std::slice::from_ref(&root), options(&root));
        ws.lint();
        assert_same(ws.report_with_fixes(), &lint(&root), name);
        assert!(
            !ws.report().findings.is_empty(),
            "{name} has planted findings"
        );
    }
}

/// What a lint keeps is the editors' texts, and those Flux may substitute variables in, never
/// another read from disk (the server would hold the text of every file a finding points
/// into); a fix is resolved when asked for, as `--fix` resolves it.
#[test]
fn a_lint_holds_only_the_texts_it_parses_again_and_resolves_fixes_when_asked() {
    let (_dir, root) = checkout("homelab-mix");
    let mut ws = Workspace::open(std::slice::from_ref(&root), options(&root));
    let report = ws.report();
    let kept = |report: &Report| -> Vec<String> {
        (report.files.iter())
            .filter(|f| !f.text.is_empty() && !f.text.contains("${"))
            .map(|f| f.path.to_string())
            .collect()
    };
    assert_eq!(kept(report), Vec::<String>::new());
    let unresolved = report.findings.iter().filter(|f| f.fix.is_some()).count();
    assert!(unresolved > 0, "homelab-mix has fixable findings");
    assert!(
        report
            .findings
            .iter()
            .flat_map(|f| &f.fix)
            .any(|fix| !fix.resolved()),
        "some fix needs a text to be resolved"
    );

    let gateway = gateway_file(report);
    let edited = renamed(&std::fs::read_to_string(&gateway).unwrap());
    ws.set_text(Path::new(&gateway), edited.clone());
    ws.lint();
    assert_eq!(kept(ws.report()), std::slice::from_ref(&gateway));

    let mut findings = ws.report().findings.clone();
    ws.resolve_fixes(&mut findings);
    assert!(
        findings
            .iter()
            .flat_map(|f| &f.fix)
            .all(|fix| fix.resolved())
    );
    write(&gateway, &edited);
    assert_eq!(findings, lint(&root).findings);
}

#[test]
fn editor_texts_give_the_report_of_lint_on_the_edited_tree() {
    for name in REPOS {
        let (_dir, root) = checkout(name);
        let mut ws = Workspace::open(std::slice::from_ref(&root), options(&root));
        let gateway = gateway_file(ws.report());
        let original = std::fs::read_to_string(&gateway).unwrap();

        // Rename the Gateway: its routes no longer attach.
        let edited = renamed(&original);
        ws.set_text(Path::new(&gateway), edited.clone());
        ws.lint();
        assert_eq!(
            ws.files_parsed(),
            1,
            "{name}: only the edited file is parsed"
        );
        write(&gateway, &edited);
        assert_same(
            ws.report_with_fixes(),
            &lint(&root),
            &format!("{name}: renamed"),
        );
        assert_eq!(
            ws.text(Path::new(&gateway)).as_deref(),
            Some(edited.as_str())
        );

        // Back as it was.
        ws.set_text(Path::new(&gateway), original.clone());
        ws.lint();
        write(&gateway, &original);
        assert_same(
            ws.report_with_fixes(),
            &lint(&root),
            &format!("{name}: restored"),
        );

        // Nothing changed, or a buffer opened as the file is: nothing parsed, the same report.
        let before = ws.report().findings.clone();
        ws.lint();
        assert_eq!(ws.report().findings, before);
        ws.set_text(Path::new(&gateway), original.clone());
        ws.lint();
        assert_eq!(ws.files_parsed(), 0, "{name}");
        assert_eq!(ws.report().findings, before);
    }
}

#[test]
fn a_file_broken_mid_typing_keeps_its_last_good_objects_for_the_other_files() {
    for name in REPOS {
        let (_dir, root) = checkout(name);
        let mut ws = Workspace::open(std::slice::from_ref(&root), options(&root));
        let good = lint(&root);
        let gateway = gateway_file(&good);
        let original = std::fs::read_to_string(&gateway).unwrap();
        let broken = format!("{original}  listeners: [ {{ name: http\n");
        ws.set_text(Path::new(&gateway), broken.clone());
        ws.lint();

        // Its syntax error, as lint reports it on the broken tree…
        write(&gateway, &broken);
        let on_broken = lint(&root);
        let in_file = |r: &Report| -> Vec<cilint::diagnostic::Finding> {
            r.findings
                .iter()
                .filter(|f| *r.file(f.location.file).path == gateway)
                .cloned()
                .collect()
        };
        // (Only the syntax error: other positions in the file are of its last good text.)
        let mut syntax = in_file(&on_broken);
        syntax.retain(|f| f.rule == "yaml-syntax");
        assert!(!syntax.is_empty(), "{name}");
        assert_eq!(in_file(ws.report()), syntax, "{name}: the syntax error");

        // …and elsewhere the findings of the last good text: no route lost its Gateway.
        let elsewhere = |r: &Report| -> Vec<cilint::diagnostic::Finding> {
            r.findings
                .iter()
                .filter(|f| *r.file(f.location.file).path != gateway)
                .cloned()
                .map(|mut f| {
                    f.related
                        .retain(|rel| *r.file(rel.location.file).path != gateway);
                    f.fix = f.fix.filter(|_| false);
                    f
                })
                .collect()
        };
        assert_eq!(
            elsewhere(ws.report()),
            elsewhere(&good),
            "{name}: the other files"
        );
        assert_eq!(
            ws.text(Path::new(&gateway)).as_deref(),
            Some(broken.as_str())
        );

        // Fixed again: the report of the tree.
        ws.set_text(Path::new(&gateway), original.clone());
        ws.lint();
        write(&gateway, &original);
        assert_same(
            ws.report_with_fixes(),
            &lint(&root),
            &format!("{name}: fixed again"),
        );
    }
}

#[test]
fn files_created_changed_and_deleted_on_disk_are_followed() {
    for name in ["homelab-mix", "flux-multi-cluster", "terraform-bootstrap"] {
        let (dir, root) = checkout(name);
        let mut ws = Workspace::open(std::slice::from_ref(&root), options(&root));
        let gateway = gateway_file(ws.report());

        // Deleted (a checkout of another branch).
        std::fs::remove_file(&gateway).unwrap();
        ws.reload(Path::new(&gateway));
        ws.lint();
        assert_same(
            ws.report_with_fixes(),
            &lint(&root),
            &format!("{name}: deleted"),
        );
        assert_eq!(ws.text(Path::new(&gateway)), None);

        // Created again, with another name.
        let original = std::fs::read_to_string(
            Path::new("fixtures/repos")
                .join(name)
                .join(Path::new(&gateway).strip_prefix(dir.path()).unwrap()),
        )
        .unwrap();
        write(&gateway, &renamed(&original));
        ws.reload(Path::new(&gateway));
        ws.lint();
        assert_same(
            ws.report_with_fixes(),
            &lint(&root),
            &format!("{name}: created"),
        );

        // A new file at the start of the tree: every FileId after it moves.
        let first = dir.path().join("0-routes.yaml");
        write(
            first.to_str().unwrap(),
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: \
             early\nspec:\n  parentRefs:\n    - name: renamed-gw\n",
        );
        ws.reload(&first);
        ws.lint();
        assert_same(
            ws.report_with_fixes(),
            &lint(&root),
            &format!("{name}: file added"),
        );

        // Changed on disk, the editor's buffer closed.
        ws.set_text(&first, "kind: [".into());
        ws.lint();
        write(first.to_str().unwrap(), "# emptied\n");
        ws.reload(&first);
        ws.lint();
        assert_same(
            ws.report_with_fixes(),
            &lint(&root),
            &format!("{name}: reloaded"),
        );
    }
}

#[test]
fn a_terraform_file_edited_reads_its_module_again() {
    let (dir, root) = checkout("terraform-bootstrap");
    let mut ws = Workspace::open(std::slice::from_ref(&root), options(&root));
    let tf: Vec<PathBuf> = ws
        .report()
        .files
        .iter()
        .filter(|f| f.path.ends_with(".tf"))
        .map(|f| PathBuf::from(&*f.path))
        .collect();
    assert!(!tf.is_empty(), "{}", dir.path().display());
    for file in tf {
        let text = std::fs::read_to_string(&file).unwrap();
        // The module's objects go away, then come back.
        let emptied = "# moved elsewhere\n".to_string();
        ws.set_text(&file, emptied.clone());
        ws.lint();
        write(file.to_str().unwrap(), &emptied);
        assert_same(
            ws.report_with_fixes(),
            &lint(&root),
            &format!("{}", file.display()),
        );
        ws.set_text(&file, text.clone());
        ws.lint();
        write(file.to_str().unwrap(), &text);
        assert_same(
            ws.report_with_fixes(),
            &lint(&root),
            &format!("{}", file.display()),
        );
    }
}

#[test]
fn an_unsaved_new_file_is_linted_and_paths_map_both_ways() {
    let (dir, root) = checkout("kustomize-overlays");
    let mut ws = Workspace::open(std::slice::from_ref(&root), options(&root));
    let before = ws.report().files.len();

    // Not a file cilint reads, or outside the root: ignored.
    ws.set_text(&dir.path().join("notes.txt"), "kind: [".into());
    ws.set_text(Path::new("/elsewhere/route.yaml"), "kind: [".into());
    assert_eq!(ws.lint().files.len(), before);

    let new = dir.path().join("apps/new-route.yaml");
    let text = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: \
                new\n  namespace: shop\nspec:\n  parentRefs:\n    - name: no-such-gateway\n";
    ws.set_text(&new, text.into());
    ws.lint();
    let name = ws.report_path(&new).unwrap();
    assert_eq!(name, new.to_string_lossy());
    assert_eq!(ws.absolute(&name), new);
    write(&name, text);
    assert_same(ws.report_with_fixes(), &lint(&root), "unsaved file");
    assert!(
        ws.report()
            .findings
            .iter()
            .any(|f| *ws.report().file(f.location.file).path == name),
        "the new route's parent does not exist"
    );
}

#[test]
fn report_names_are_as_reached_from_a_relative_root() {
    let root = "fixtures/repos/kustomize-overlays".to_string();
    let ws = Workspace::open(std::slice::from_ref(&root), options(&root));
    let file = ws.report().files[0].path.to_string();
    assert!(
        file.starts_with("fixtures/repos/kustomize-overlays/"),
        "{file}"
    );
    let absolute = ws.absolute(&file);
    assert!(absolute.is_absolute() && absolute.is_file());
    assert_eq!(ws.report_path(&absolute), Some(file.clone()));
    assert_eq!(ws.report_path(Path::new(&file)), Some(file.clone()));
    assert_eq!(ws.report_path(Path::new("/")), None);
    assert!(ws.text(&absolute).is_some());
}

#[test]
fn a_workspace_moves_to_another_thread() {
    fn send<T: Send + 'static>() {}
    send::<Workspace>();
}

#[test]
fn a_byte_order_mark_from_the_editor_is_read_as_from_disk() {
    let (_dir, root) = checkout("kustomize-overlays");
    let mut ws = Workspace::open(std::slice::from_ref(&root), options(&root));
    let gateway = gateway_file(ws.report());
    let original = std::fs::read_to_string(&gateway).unwrap();
    ws.set_text(Path::new(&gateway), format!("\u{feff}{original}"));
    ws.lint();
    assert_eq!(ws.files_parsed(), 0, "the text is the disk's, as read");
    assert_same(ws.report_with_fixes(), &lint(&root), "byte-order mark");
    assert_eq!(
        ws.text(Path::new(&gateway)).as_deref(),
        Some(original.as_str())
    );
}

#[test]
fn a_broken_file_keeps_its_last_good_objects_when_the_tree_changes_around_it() {
    for name in ["homelab-mix", "kustomize-overlays"] {
        let (dir, root) = checkout(name);
        let mut ws = Workspace::open(std::slice::from_ref(&root), options(&root));
        let gateway = gateway_file(ws.report());
        let original = std::fs::read_to_string(&gateway).unwrap();
        ws.set_text(Path::new(&gateway), format!("{original}  listeners: [\n"));
        ws.lint();
        // A file created before it on disk: every FileId after it moves.
        let first = dir.path().join("0-settings.yaml");
        write(
            first.to_str().unwrap(),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n",
        );
        ws.reload(&first);
        ws.lint();
        assert!(
            ws.files_parsed() > 1,
            "{name}: the moved files are parsed again"
        );
        // On disk the Gateway still has its good text: lint's findings elsewhere are the same.
        let want = lint(&root);
        let outside = |r: &Report| -> Vec<(String, &'static str, u32)> {
            r.findings
                .iter()
                .map(|f| {
                    let file = r.file(f.location.file).path.to_string();
                    (file, f.rule, f.location.span.start.line)
                })
                .filter(|(file, _, _)| *file != gateway)
                .collect()
        };
        assert_eq!(outside(ws.report()), outside(&want), "{name}");
        let in_gateway: Vec<&str> = ws
            .report()
            .findings
            .iter()
            .filter(|f| *ws.report().file(f.location.file).path == gateway)
            .map(|f| f.rule)
            .collect();
        assert_eq!(in_gateway, ["yaml-syntax"], "{name}");
    }
}

#[test]
fn a_text_read_from_disk_is_read_again_only_while_it_is_the_one_linted() {
    let (_dir, root) = checkout("kustomize-overlays");
    let mut ws = Workspace::open(std::slice::from_ref(&root), options(&root));
    // A file no finding points into: its text is not kept, but read again when asked for.
    let clean = ws
        .report()
        .files
        .iter()
        .find(|f| f.path.ends_with("kustomization.yaml") && f.text.is_empty())
        .expect("a kustomization without findings")
        .path
        .to_string();
    let linted = std::fs::read_to_string(&clean).unwrap();
    assert_eq!(ws.text(Path::new(&clean)).as_deref(), Some(linted.as_str()));
    // `git checkout` changed it, and the watcher has not said so yet: its findings' positions
    // are of the old text, which the disk no longer has.
    let checked_out = format!("# checked out\n{linted}");
    write(&clean, &checked_out);
    assert_eq!(ws.text(Path::new(&clean)), None);
    ws.reload(Path::new(&clean));
    ws.lint();
    assert_eq!(
        ws.text(Path::new(&clean)).as_deref(),
        Some(checked_out.as_str())
    );
    assert_same(ws.report_with_fixes(), &lint(&root), "checked out");
}

#[test]
fn new_options_apply_without_parsing_again_unless_parsing_depends_on_them() {
    let (_dir, root) = checkout("homelab-l2");
    let mut ws = Workspace::open(std::slice::from_ref(&root), options(&root));
    let before = ws.report().findings.len();
    let rule = ws.report().findings[0].rule;
    // `.cilint.yaml` saved with a rule turned off.
    let config = format!("rules:\n  {rule}: off\n");
    write(&format!("{root}/.cilint.yaml"), &config);
    ws.set_options(options(&root));
    ws.lint();
    assert_eq!(ws.files_parsed(), 0, "the objects parsed are kept");
    assert!(ws.report().findings.len() < before);
    assert!(ws.report().findings.iter().all(|f| f.rule != rule));
    assert_same(ws.report_with_fixes(), &lint(&root), "a rule turned off");
    // Another default namespace: every object may land elsewhere.
    write(
        &format!("{root}/.cilint.yaml"),
        &format!("{config}namespace: prod\n"),
    );
    ws.set_options(options(&root));
    ws.lint();
    assert_eq!(ws.files_parsed(), ws.report().files.len());
    assert_same(
        ws.report_with_fixes(),
        &lint(&root),
        "another default namespace",
    );
}

#[test]
fn an_edit_and_a_new_file_linted_together_are_both_seen() {
    let (dir, root) = checkout("kustomize-overlays");
    let mut ws = Workspace::open(std::slice::from_ref(&root), options(&root));
    // A Gateway renamed (its routes lose their parent) and, before the lint, a new file that
    // makes discovery run again: one batch of an editor's changes.
    let gateway = gateway_file(ws.report());
    let edited = renamed(&std::fs::read_to_string(&gateway).unwrap());
    ws.set_text(Path::new(&gateway), edited.clone());
    let new = dir.path().join("zz-notes.yaml");
    ws.set_text(
        &new,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n".into(),
    );
    ws.lint();
    write(&gateway, &edited);
    write(
        &new.to_string_lossy(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n",
    );
    assert_same(
        ws.report_with_fixes(),
        &lint(&root),
        "an edit and a new file",
    );
}

#[test]
fn an_edit_checks_again_only_the_worlds_it_is_placed_in() {
    let (_dir, root) = checkout("flux-multi-cluster");
    let mut ws = Workspace::open(std::slice::from_ref(&root), options(&root));
    let worlds = ws.report().timings.worlds;
    let per_world = ws.report().rules.len();
    assert!(worlds >= 2, "{worlds} worlds");
    assert_eq!(ws.report().timings.rules_run, worlds * per_world);
    // A route only the production cluster deploys, its parent renamed.
    let route = format!("{root}/apps/production/admin-route.yaml");
    let text = std::fs::read_to_string(&route).unwrap();
    let edited = text.replacen("sectionName:", "sectionName: x-", 1);
    assert_ne!(edited, text);
    ws.set_text(Path::new(&route), edited.clone());
    ws.lint();
    assert_eq!(
        ws.report().timings.rules_run,
        per_world,
        "one world checked again"
    );
    write(&route, &edited);
    assert_same(ws.report_with_fixes(), &lint(&root), "production edited");
    // Parsed again to the same objects (a comment at the end): nothing is checked.
    ws.set_text(
        Path::new(&route),
        format!("{edited}# a comment at the end\n"),
    );
    ws.lint();
    assert_eq!((ws.files_parsed(), ws.report().timings.rules_run), (1, 0));
    write(&route, &format!("{edited}# a comment at the end\n"));
    assert_same(ws.report_with_fixes(), &lint(&root), "a comment added");
}
