//! Hostile input: each case is written by the test into a temporary tree next to a known-good
//! route that draws `backend-not-found`, linted by the binary, and checked for its exit code, the
//! finding or error at its own file, and the good finding still reported. Nothing is committed
//! as a binary; nothing may crash or hang.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::write;
use serde_json::Value;

/// A route whose backend Service does not exist: its finding proves the run went on.
const GOOD: &str = "\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  namespace: prod
spec:
  rules:
  - backendRefs:
    - name: missing
      port: 80
";
const GOOD_PATH: &str = "good/route.yaml";

/// Long enough for a debug build on a busy machine; a hang fails instead of blocking CI.
const TIMEOUT: Duration = Duration::from_secs(60);

struct Run {
    code: i32,
    json: Value,
    stderr: String,
}

impl Run {
    fn findings(&self) -> &[Value] {
        self.json["findings"].as_array().map_or(&[], Vec::as_slice)
    }

    /// The findings located in `file`.
    fn at(&self, file: &str) -> Vec<&Value> {
        self.findings()
            .iter()
            .filter(|f| f["location"]["file"] == file)
            .collect()
    }

    /// The one finding at `file`, with its rule.
    fn one(&self, file: &str, rule: &str) -> &Value {
        let at = self.at(file);
        assert_eq!(at.len(), 1, "one finding at {file}: {:#}", self.json);
        assert_eq!(at[0]["rule"], rule, "{:#}", self.json);
        at[0]
    }

    fn none_at(&self, file: &str) {
        assert!(
            self.at(file).is_empty(),
            "no finding at {file}: {:#}",
            self.json
        );
    }

    /// The known-good file still drew its finding, and no file hit the internal-error fallback.
    fn good_linted(&self) {
        let good = self.one(GOOD_PATH, "backend-not-found");
        assert_eq!(good["location"]["line"], 9);
        for f in self.findings() {
            let message = f["message"].as_str().unwrap_or_default();
            assert!(!message.contains("internal error"), "{message}");
        }
    }
}

/// A temporary tree holding the known-good route.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), GOOD_PATH, GOOD.as_bytes());
    dir
}

/// Runs `cilint --format json ARGS` in `dir`, failing the test if it does not finish in time.
fn run(dir: &Path, args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cilint"))
        .args(["--format", "json"])
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cilint runs");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).map(|_| s)
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            child.kill().unwrap();
            panic!("cilint {args:?} did not finish in {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out.join().unwrap().unwrap();
    let stderr = err.join().unwrap().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("JSON output ({e}):\n{stdout}\nstderr:\n{stderr}"));
    Run {
        code: status.code().expect("cilint exits, not killed by a signal"),
        json,
        stderr,
    }
}

/// Lints a tree holding the good route and one more file, walked from `.`.
fn lint_with(rel: &str, bytes: &[u8]) -> Run {
    let dir = tree();
    write(dir.path(), rel, bytes);
    let run = run(dir.path(), &["."]);
    run.good_linted();
    run
}

fn assert_at(f: &Value, line: u64, column: u64) {
    assert_eq!(
        (&f["location"]["line"], &f["location"]["column"]),
        (&Value::from(line), &Value::from(column)),
        "{f:#}"
    );
}

fn message(f: &Value) -> &str {
    f["message"].as_str().unwrap()
}

#[test]
fn yaml_syntax_error_at_its_line() {
    let run = lint_with(
        "bad.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a: b\n",
    );
    assert_eq!(run.code, 1);
    let f = run.one("bad.yaml", "yaml-syntax");
    assert_eq!(f["location"]["line"], 4, "{f:#}");
}

#[test]
fn scalar_and_list_documents_are_counted_not_errors() {
    let dir = tree();
    write(dir.path(), "scalar.yaml", b"just a string\n");
    write(dir.path(), "list.yaml", b"- a\n- b\n");
    let run = run(dir.path(), &["."]);
    run.good_linted();
    assert_eq!(run.code, 1);
    run.none_at("scalar.yaml");
    run.none_at("list.yaml");
    assert_eq!(run.json["summary"]["files"], 3);
    assert_eq!(run.json["summary"]["objects"], 1);
}

#[test]
fn object_without_kind() {
    let run = lint_with(
        "nokind.yaml",
        b"apiVersion: v1\nmetadata:\n  name: shop\ndata:\n  a: b\n",
    );
    assert_eq!(run.code, 1);
    let f = run.one("nokind.yaml", "invalid-object");
    assert_at(f, 1, 1);
    assert!(message(f).contains("no `kind`"), "{f:#}");
}

#[test]
fn object_without_name() {
    let run = lint_with(
        "noname.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: prod\n",
    );
    assert_eq!(run.code, 1);
    let f = run.one("noname.yaml", "invalid-object");
    assert_at(f, 1, 1);
    assert!(message(f).contains("no `metadata.name`"), "{f:#}");
}

#[test]
fn unknown_kind_is_counted_never_fatal() {
    let run = lint_with(
        "widget.yaml",
        b"apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n",
    );
    assert_eq!(run.code, 1);
    run.none_at("widget.yaml");
    assert_eq!(run.json["summary"]["objects"], 2);
}

#[test]
fn deep_block_nesting_is_refused() {
    // 100 KB of `- - - …`: far past any stack a recursive loader would survive.
    let text = "- ".repeat(50_000) + "x\n";
    let run = lint_with("deep.yaml", text.as_bytes());
    assert_eq!(run.code, 1);
    let f = run.one("deep.yaml", "yaml-syntax");
    assert!(message(f).contains("nesting deeper"), "{f:#}");
    assert_eq!(f["location"]["line"], 1);
}

#[test]
fn deep_flow_nesting_is_refused() {
    let text = "[".repeat(100_000) + &"]".repeat(100_000);
    let run = lint_with("flow.yaml", text.as_bytes());
    assert_eq!(run.code, 1);
    run.one("flow.yaml", "yaml-syntax");
}

#[test]
fn many_aliases_of_one_anchor_load() {
    let mut text = String::from("base: &base {app: shop}\n");
    for i in 0..20_000 {
        text.push_str(&format!("k{i}: *base\n"));
    }
    let run = lint_with("aliases.yaml", text.as_bytes());
    assert_eq!(run.code, 1);
    run.none_at("aliases.yaml");
}

#[test]
fn long_alias_chain_is_refused() {
    // Each anchor wraps the previous one: the expanded tree deepens by one a link.
    let mut text = String::from("a0: &a0 x\n");
    for i in 1..20_000 {
        text.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
    }
    let run = lint_with("chain.yaml", text.as_bytes());
    assert_eq!(run.code, 1);
    let f = run.one("chain.yaml", "yaml-syntax");
    assert!(message(f).contains("nesting deeper"), "{f:#}");
}

#[test]
fn alias_chain_that_deepens_is_refused() {
    // Every alias wraps the previous anchor in 200 more levels: cheap to write, a tree far
    // deeper than the nesting bound once expanded.
    let mut text = String::from("a0: &a0 x\n");
    for i in 1..200 {
        let open = "[".repeat(200);
        let close = "]".repeat(200);
        text.push_str(&format!("a{i}: &a{i} {open}*a{}{close}\n", i - 1));
    }
    let run = lint_with("deepalias.yaml", text.as_bytes());
    assert_eq!(run.code, 1);
    let f = run.one("deepalias.yaml", "yaml-syntax");
    assert!(message(f).contains("nesting deeper"), "{f:#}");
}

#[test]
fn billion_laughs_is_bounded() {
    let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    let mut prev = 'a';
    for name in 'b'..='i' {
        let refs = vec![format!("*{prev}"); 9].join(", ");
        text.push_str(&format!("{name}: &{name} [{refs}]\n"));
        prev = name;
    }
    let start = Instant::now();
    let run = lint_with("lol.yaml", text.as_bytes());
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(run.code, 1);
    let f = run.one("lol.yaml", "yaml-syntax");
    assert!(message(f).contains("alias"), "{f:#}");
}

#[test]
fn binary_file_with_yaml_extension() {
    let bytes: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    let run = lint_with("image.yaml", &bytes);
    assert_eq!(run.code, 1);
    let f = run.one("image.yaml", "yaml-syntax");
    assert!(message(f).contains("binary or not UTF-8"), "{f:#}");
}

#[test]
fn invalid_utf8() {
    let run = lint_with(
        "latin1.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n",
    );
    assert_eq!(run.code, 1);
    let f = run.one("latin1.yaml", "yaml-syntax");
    assert!(message(f).contains("not UTF-8"), "{f:#}");
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut bytes = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        let pair = if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        };
        bytes.extend(pair);
    }
    bytes
}

#[test]
fn utf16_with_bom_is_decoded_and_linted() {
    // A non-ASCII comment before the error checks that columns count characters.
    let text = GOOD.replace("  rules:", "  # é\n  rules:");
    for (name, be) in [("le.yaml", false), ("be.yaml", true)] {
        let run = lint_with(name, &utf16(&text, be));
        assert_eq!(run.code, 1);
        let f = run.one(name, "backend-not-found");
        assert_at(f, 10, 13);
        assert_eq!(f["location"]["end_column"], 20);
    }
}

#[test]
fn crlf_positions_are_exact() {
    let run = lint_with("crlf.yaml", GOOD.replace('\n', "\r\n").as_bytes());
    assert_eq!(run.code, 1);
    let f = run.one("crlf.yaml", "backend-not-found");
    assert_at(f, 9, 13);
    assert_eq!(f["location"]["end_column"], 20);
}

#[test]
fn nul_byte() {
    let run = lint_with(
        "nul.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\0b\n",
    );
    assert_eq!(run.code, 1);
    let f = run.one("nul.yaml", "yaml-syntax");
    assert!(message(f).contains("binary"), "{f:#}");
}

#[test]
fn empty_file() {
    let run = lint_with("empty.yaml", b"");
    assert_eq!(run.code, 1);
    run.none_at("empty.yaml");
    assert_eq!(run.json["summary"]["files"], 2);
}

#[test]
fn file_over_the_size_limit_is_refused() {
    let dir = tree();
    let big = format!("{GOOD}---\n").repeat(20);
    write(dir.path(), "big.yaml", big.as_bytes());
    let run = run(dir.path(), &["--max-file-size", "1000", "."]);
    run.good_linted();
    assert_eq!(run.code, 2);
    run.none_at("big.yaml");
    let expected = format!(
        "error: big.yaml: the file is {} bytes, over the 1000-byte limit",
        big.len()
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);

    // The same limit from the configuration.
    write(dir.path(), ".cilint.yaml", b"max-file-size: 1000\n");
    let configured = self::run(dir.path(), &["."]);
    assert_eq!(configured.code, 2);
    assert!(
        configured.stderr.contains("big.yaml"),
        "{}",
        configured.stderr
    );
}

/// Whether permission bits stop this process from reading a file (not when running as root).
fn permissions_apply(file: &Path) -> bool {
    std::fs::File::open(file).is_err()
}

#[cfg(unix)]
#[test]
fn unreadable_file_and_directory() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tree();
    write(dir.path(), "locked.yaml", GOOD.as_bytes());
    write(dir.path(), "closed/inside.yaml", GOOD.as_bytes());
    let locked = dir.path().join("locked.yaml");
    let closed = dir.path().join("closed");
    for p in [&locked, &closed] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let run = run(dir.path(), &["."]);
    let enforced = permissions_apply(&locked);
    for p in [&locked, &closed] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    run.good_linted();
    if !enforced {
        // Root reads through permission bits: nothing to refuse.
        eprintln!("permission bits do not apply to this user; skipping the refusal checks");
        return;
    }
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("error: locked.yaml: ") && run.stderr.contains("ermission denied"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("closed"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn symlinks_broken_and_looping() {
    use std::os::unix::fs::symlink;
    let dir = tree();
    symlink("nowhere.yaml", dir.path().join("broken.yaml")).unwrap();
    symlink("loop-b.yaml", dir.path().join("loop-a.yaml")).unwrap();
    symlink("loop-a.yaml", dir.path().join("loop-b.yaml")).unwrap();

    // Walked: symlinks are not followed, so neither stops the run.
    let walked = run(dir.path(), &["."]);
    walked.good_linted();
    assert_eq!(walked.code, 1);

    // Named: an error for that path, exit 2, the rest linted.
    let named = run(dir.path(), &["broken.yaml", "loop-a.yaml", "good"]);
    named.good_linted();
    assert_eq!(named.code, 2);
    assert!(
        named
            .stderr
            .contains("error: broken.yaml: broken symbolic link"),
        "{}",
        named.stderr
    );
    assert!(
        named.stderr.contains("error: loop-a.yaml: "),
        "{}",
        named.stderr
    );
}

#[test]
fn path_that_does_not_exist() {
    let dir = tree();
    let run = run(dir.path(), &["nope.yaml", "good"]);
    run.good_linted();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("error: nope.yaml: "), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn fifo_never_blocks() {
    let dir = tree();
    let made = Command::new("mkfifo")
        .arg(dir.path().join("pipe.yaml"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());

    let walked = run(dir.path(), &["."]);
    walked.good_linted();
    assert_eq!(walked.code, 1);
    walked.none_at("pipe.yaml");

    let named = run(dir.path(), &["pipe.yaml", "good"]);
    named.good_linted();
    assert_eq!(named.code, 2);
    assert!(
        named
            .stderr
            .contains("error: pipe.yaml: not a regular file (a FIFO)"),
        "{}",
        named.stderr
    );
}

#[test]
fn duplicate_keys_are_reported_at_the_second_key() {
    let run = lint_with(
        "dup.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
    );
    assert_eq!(run.code, 1);
    let f = run.one("dup.yaml", "yaml-syntax");
    assert_at(f, 5, 3);
    assert!(
        message(f).contains("duplicate key `name` (first at line 4)"),
        "{f:#}"
    );
}

#[test]
fn merge_keys_tags_and_anchors_resolve() {
    let dir = tree();
    // A second route, whose backends these files define: it draws nothing.
    let routes = GOOD
        .replace("name: shop", "name: other")
        .replace("name: missing", "name: merged")
        + "    - name: tagged\n      port: 80\n";
    write(dir.path(), "routes.yaml", routes.as_bytes());
    write(
        dir.path(),
        "merged.yaml",
        b"apiVersion: v1\nkind: Service\nmetadata:\n  <<: &base {name: merged}\n  \
          namespace: prod\nspec:\n  ports:\n  - port: 80\n",
    );
    write(
        dir.path(),
        "tagged.yaml",
        b"apiVersion: !!str v1\nkind: Service\nmetadata:\n  name: !!str tagged\n  \
          namespace: !custom prod\nspec:\n  ports:\n  - port: !!int 80\n",
    );
    let run = run(dir.path(), &["."]);
    run.good_linted();
    assert_eq!(run.code, 1);
    run.none_at("routes.yaml");
    run.none_at("merged.yaml");
    run.none_at("tagged.yaml");
}

#[test]
fn anchors_do_not_cross_documents() {
    let run = lint_with(
        "anchors.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: a\n---\n\
          apiVersion: v1\nkind: ConfigMap\nmetadata: *m\n",
    );
    assert_eq!(run.code, 1);
    let f = run.one("anchors.yaml", "yaml-syntax");
    assert_at(f, 8, 11);
    assert!(message(f).contains("unknown alias"), "{f:#}");
    assert_eq!(run.json["summary"]["objects"], 2);
}

#[test]
fn shell_scripts_with_unbalanced_quotes_and_heredocs() {
    let dir = tree();
    write(
        dir.path(),
        "quotes.sh",
        b"#!/bin/sh\nkubectl label gateway web 'unclosed\necho \"also\n",
    );
    write(
        dir.path(),
        "heredoc.sh",
        b"#!/bin/sh\nkubectl apply -f - <<EOF\napiVersion: v1\nkind: Service\nmetadata:\n  \
          name: 'x\nEOF\ncat <<'END'\nkubectl delete svc \"y\nEND\n",
    );
    let run = run(dir.path(), &["."]);
    run.good_linted();
    assert_eq!(run.code, 1);
    run.none_at("quotes.sh");
    run.none_at("heredoc.sh");
}

#[test]
fn markdown_with_an_unclosed_fence() {
    let run = lint_with(
        "README.md",
        b"# Setup\n\n```sh\nkubectl label svc web 'x\nkubectl get pods\n",
    );
    assert_eq!(run.code, 1);
    run.none_at("README.md");
}
