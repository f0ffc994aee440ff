//! `cilint server` driven through its standard input and output by a scripted client, as an
//! editor would: Content-Length framed JSON-RPC, every wait bounded so that a broken server
//! fails the test instead of hanging it.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(30);

/// A Gateway whose listener name has a typo, the HTTPRoute that names the listener as meant, the
/// Service and Deployment behind it, the certificate's Secret (committed in plain text), the
/// LB-IPAM pool that selects the Gateway's Service, and the script that labels that Service.
const REPO: &[(&str, &str)] = &[
    (
        "infrastructure/gateway/gateway.yaml",
        "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
  namespace: ingress
spec:
  gatewayClassName: cilium
  infrastructure:
    labels:
      lb-pool: public
  listeners:
    - name: htps
      protocol: HTTPS
      port: 443
      hostname: \"*.example.com\"
      allowedRoutes:
        namespaces:
          from: All
      tls:
        certificateRefs:
          - kind: Secret
            name: web-tls
",
    ),
    (
        "infrastructure/gateway/web-tls.yaml",
        "apiVersion: v1
kind: Secret
metadata:
  name: web-tls
  namespace: ingress
type: kubernetes.io/tls
data:
  tls.crt: c2VydmVyLWNlcnQtdmFsdWU=
  tls.key: c2VydmVyLWtleS12YWx1ZQ==
",
    ),
    (
        "infrastructure/cilium/pool.yaml",
        "apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata:
  name: public
spec:
  blocks:
    - cidr: 192.0.2.0/28
  serviceSelector:
    matchLabels:
      lb-pool: public
",
    ),
    (
        "apps/podinfo/service.yaml",
        "apiVersion: v1
kind: Service
metadata:
  name: podinfo
  namespace: apps
spec:
  selector:
    app: podinfo
  ports:
    - name: http
      port: 9898
      targetPort: http
",
    ),
    (
        "apps/podinfo/deployment.yaml",
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  namespace: apps
spec:
  selector:
    matchLabels:
      app: podinfo
  template:
    metadata:
      labels:
        app: podinfo
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:6.7.0
          ports:
            - name: http
              containerPort: 9898
",
    ),
    (
        "apps/podinfo/route.yaml",
        "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: podinfo
  namespace: apps
spec:
  parentRefs:
    - name: web
      namespace: ingress
      sectionName: https
  hostnames:
    - podinfo.example.com
  rules:
    - backendRefs:
        - name: podinfo
          port: 9898
",
    ),
    (
        "docs/runbook.md",
        "# Runbook

Give the Gateway's Service an address from the public pool:

```sh
kubectl -n ingress label service cilium-gateway-wbe lb-pool=public
kubectl -n ingress get service cilium-gateway-web
kubectl -n ingress annotate service cilium-gateway-wbe owner=platform
```
",
    ),
    (
        "scripts/label-gateway.sh",
        "#!/bin/sh
# Cilium copies spec.infrastructure.labels; this is for older releases.
kubectl -n ingress label service cilium-gateway-web lb-pool=public --overwrite
",
    ),
];

/// A Gateway whose pool label sits in `metadata.labels` (a safe fix moves it where Cilium reads
/// it), and a route to a Service in another namespace without a ReferenceGrant (an unsafe fix
/// creates one beside the Service).
const FIXES: &[(&str, &str)] = &[
    (
        "shop/gateway.yaml",
        "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
  namespace: shop
  labels:
    lb: edge
spec:
  gatewayClassName: cilium
  listeners:
    - name: http
      protocol: HTTP
      port: 80
",
    ),
    (
        "shop/route.yaml",
        "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: store
  namespace: shop
spec:
  parentRefs:
    - name: edge
  rules:
    - backendRefs:
        - name: catalog
          namespace: backend
          port: 8080
",
    ),
    (
        "backend/catalog.yaml",
        "apiVersion: v1
kind: Service
metadata:
  name: catalog
  namespace: backend
spec:
  ports:
    - port: 8080
",
    ),
    (
        "cilium/pool.yaml",
        "apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata:
  name: edge
spec:
  blocks:
    - cidr: 198.51.100.0/28
  serviceSelector:
    matchLabels:
      lb: edge
",
    ),
];

/// The Secret's values, encoded and decoded: never in any message.
const SECRET_VALUES: &[&str] = &[
    "c2VydmVyLWNlcnQtdmFsdWU",
    "c2VydmVyLWtleS12YWx1ZQ",
    "server-cert-value",
    "server-key-value",
];

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: mpsc::Receiver<Value>,
    /// Every message the server sent, in order.
    seen: Vec<Value>,
    next_id: i64,
    root: PathBuf,
    _dir: tempfile::TempDir,
    /// The server's cache directory (`XDG_CACHE_HOME`), where it writes the rules' pages.
    cache: tempfile::TempDir,
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

impl Client {
    /// Starts the server on a copy of [`REPO`] and initializes it with `capabilities`.
    fn start(capabilities: Value) -> (Client, Value) {
        Client::start_with(&["server"], capabilities)
    }

    fn start_with(args: &[&str], capabilities: Value) -> (Client, Value) {
        Client::start_repo(REPO, args, capabilities)
    }

    fn start_repo(files: &[(&str, &str)], args: &[&str], capabilities: Value) -> (Client, Value) {
        let cache = tempfile::tempdir().unwrap();
        let cache_home = cache.path().to_path_buf();
        Client::start_in(
            files,
            args,
            capabilities,
            cache,
            &[("XDG_CACHE_HOME", &cache_home)],
        )
    }

    /// Started with these environment variables set (and HOME and the other cache variables
    /// unset): never the user's own cache.
    fn start_in(
        files: &[(&str, &str)],
        args: &[&str],
        capabilities: Value,
        cache: tempfile::TempDir,
        env: &[(&str, &Path)],
    ) -> (Client, Value) {
        let dir = common::repo(files);
        let root = dir.path().canonicalize().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_cilint"));
        command
            .env_remove("HOME")
            .env_remove("XDG_CACHE_HOME")
            .env_remove("LOCALAPPDATA");
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command
            .args(args)
            .current_dir(&root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(message) = read_message(&mut r) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            incoming,
            seen: Vec::new(),
            next_id: 0,
            root,
            _dir: dir,
            cache,
        };
        // The repository, and a folder inside it (VS Code's multi-root workspaces allow it).
        let folder = json!([
            {"uri": uri(&client.root.join("apps")), "name": "apps"},
            {"uri": uri(&client.root), "name": "repo"},
        ]);
        let result = client.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(&client.root),
                "workspaceFolders": folder,
                "capabilities": capabilities,
            }),
        );
        client.notify("initialized", json!({}));
        (client, result)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn uri(&self, rel: &str) -> String {
        uri(&self.path(rel))
    }

    fn write(&mut self, messages: &[Value]) {
        let mut bytes = Vec::new();
        for m in messages {
            let body = serde_json::to_vec(m).unwrap();
            write!(bytes, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
            bytes.extend(body);
        }
        self.stdin.write_all(&bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.write(&[json!({"jsonrpc": "2.0", "method": method, "params": params})]);
    }

    /// The next message from the server; a request from it is answered with `null`.
    fn next(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        let m = self
            .incoming
            .recv_timeout(left)
            .expect("the server said nothing in time");
        if m.get("method").is_some() && m.get("id").is_some() {
            let id = m["id"].clone();
            self.write(&[json!({"jsonrpc": "2.0", "id": id, "result": null})]);
        }
        self.seen.push(m.clone());
        m
    }

    /// Sends a request and returns its whole response.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.write(&[json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})]);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let m = self.next(deadline);
            if m.get("method").is_none() && m["id"] == json!(id) {
                return m;
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.call(method, params);
        assert!(response.get("error").is_none(), "{response}");
        response["result"].clone()
    }

    /// Waits for the diagnostics of `rel` that satisfy `accept`, and returns them.
    fn diagnostics(&mut self, rel: &str, accept: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let wanted = self.uri(rel);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let m = self.next(deadline);
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == wanted {
                let d = m["params"]["diagnostics"].as_array().unwrap().clone();
                if accept(&d) {
                    return d;
                }
            }
        }
    }

    /// Every publication of `rel` the server has sent so far.
    fn publications(&self, rel: &str) -> Vec<Vec<Value>> {
        let wanted = self.uri(rel);
        self.seen
            .iter()
            .filter(|m| {
                m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == wanted
            })
            .map(|m| m["params"]["diagnostics"].as_array().unwrap().clone())
            .collect()
    }

    fn open(&mut self, rel: &str) {
        let text = std::fs::read_to_string(self.path(rel)).unwrap();
        let uri = self.uri(rel);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
        );
    }

    fn at(&self, rel: &str, line: u32, character: u32) -> Value {
        json!({"textDocument": {"uri": self.uri(rel)}, "position": {"line": line, "character": character}})
    }

    /// shutdown, exit, and the process ends with status 0.
    fn shut_down(mut self) -> Vec<Value> {
        assert_eq!(self.request("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        assert_eq!(self.exit_code(), Some(0));
        std::mem::take(&mut self.seen)
    }

    /// The status the server exits with, waited for.
    fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            length = v.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn codes(d: &[Value]) -> Vec<&str> {
    d.iter().filter_map(|d| d["code"].as_str()).collect()
}

fn range(l0: u32, c0: u32, l1: u32, c1: u32) -> Value {
    json!({"start": {"line": l0, "character": c0}, "end": {"line": l1, "character": c1}})
}

#[test]
fn the_first_lint_publishes_each_file_with_code_page_and_related_files() {
    let (mut c, init) = Client::start(json!({}));
    let caps = &init["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental");
    assert_eq!(caps["hoverProvider"], true);
    assert_eq!(caps["definitionProvider"], true);
    assert_eq!(
        caps["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix"])
    );
    let d = c.diagnostics("apps/podinfo/route.yaml", |d| !d.is_empty());
    assert_eq!(d.len(), 1, "{d:?}");
    let d = &d[0];
    assert_eq!(d["code"], "route-listener-not-found");
    assert_eq!(d["source"], "cilint");
    assert_eq!(d["severity"], 1);
    // The rule's page, as `cilint explain` prints it, written where the link points.
    let page = c
        .cache
        .path()
        .join(format!("cilint/{}/rules", env!("CARGO_PKG_VERSION")))
        .join("route-listener-not-found.md");
    assert_eq!(d["codeDescription"]["href"], uri(&page));
    assert_eq!(
        std::fs::read_to_string(&page).unwrap(),
        std::fs::read_to_string("rules/route-listener-not-found.md").unwrap()
    );
    // `sectionName: https` on line 10: 0-based line 9, the value from column 19.
    assert_eq!(d["range"], range(9, 19, 9, 24));
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("has no listener named `https`"),
        "{message}"
    );
    assert!(message.contains("\nhelp: "), "{message}");
    let related = d["relatedInformation"].as_array().unwrap();
    assert_eq!(
        related[0]["location"]["uri"],
        c.uri("infrastructure/gateway/gateway.yaml")
    );
    let secret = c.diagnostics("infrastructure/gateway/web-tls.yaml", |d| !d.is_empty());
    assert_eq!(codes(&secret), ["secret-plain-text"]);
    let seen = c.shut_down();
    assert_no_secret_value(&seen);
}

#[test]
fn utf8_columns_when_the_client_offers_them() {
    // vscode-languageclient announces its transport with `--stdio`.
    let (c, init) = Client::start_with(
        &["server", "--stdio"],
        json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}),
    );
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    c.shut_down();
}

/// [`REPO`] with a section name whose character outside the Basic Multilingual Plane is two
/// UTF-16 units and four bytes.
fn repo_with_an_emoji() -> Vec<(&'static str, String)> {
    REPO.iter()
        .map(|(path, text)| {
            let text = text.replace("sectionName: https", "sectionName: \"h\u{1F600}\"");
            (*path, text)
        })
        .collect()
}

#[test]
fn columns_of_a_file_read_from_disk_are_counted_as_the_client_counts() {
    let files = repo_with_an_emoji();
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    for (encodings, end) in [(json!(["utf-16"]), 24), (json!(["utf-8"]), 26)] {
        let (mut c, _) = Client::start_repo(
            &files,
            &["server"],
            json!({"general": {"positionEncodings": encodings}}),
        );
        let d = c.diagnostics("apps/podinfo/route.yaml", |d| !d.is_empty());
        assert_eq!(d[0]["code"], "route-listener-not-found");
        // `"h😀"` from column 19: four characters, five UTF-16 units, seven bytes.
        assert_eq!(d[0]["range"], range(9, 19, 9, end), "{encodings}");
        c.shut_down();
    }
}

#[test]
fn an_incremental_change_that_fixes_the_gateway_clears_the_route() {
    let (mut c, _) = Client::start(json!({}));
    c.diagnostics("apps/podinfo/route.yaml", |d| !d.is_empty());
    let gateway = "infrastructure/gateway/gateway.yaml";
    c.open(gateway);
    let uri = c.uri(gateway);
    // `    - name: htps` is line 12. Two changes at once, coalesced into one lint: the first
    // breaks the YAML (`name: [`), the second makes it `name: https`.
    let change = |version: u32, r: Value, text: &str| {
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": r, "text": text}],
        }})
    };
    c.write(&[
        change(2, range(11, 12, 11, 16), "["),
        change(3, range(11, 12, 11, 13), "https"),
    ]);
    let d = c.diagnostics("apps/podinfo/route.yaml", |d| d.is_empty());
    assert!(d.is_empty());
    // The server answers in order: when this returns, every publication of the change is seen.
    // The route's sectionName now resolves to the listener as the editor has it.
    let hover = c.request("textDocument/hover", c.at("apps/podinfo/route.yaml", 9, 21));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("listener https · HTTPS :443"), "{text}");
    let definition = c.request(
        "textDocument/definition",
        c.at("apps/podinfo/route.yaml", 9, 21),
    );
    assert_eq!(
        definition,
        json!([{"uri": uri, "range": range(11, 12, 11, 17)}])
    );
    assert_eq!(
        c.publications("apps/podinfo/route.yaml").len(),
        2,
        "the first lint's, then the cleared one's, nothing between"
    );
    // The Gateway's own file never had a finding, not even the syntax error between the two
    // changes: nothing is published for it.
    assert!(c.publications(gateway).is_empty());
    c.shut_down();
}

#[test]
fn text_that_does_not_parse_gives_its_syntax_diagnostic() {
    let (mut c, _) = Client::start(json!({}));
    c.diagnostics("apps/podinfo/route.yaml", |d| !d.is_empty());
    let route = "apps/podinfo/route.yaml";
    c.open(route);
    let uri = c.uri(route);
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"text": "apiVersion: gateway.networking.k8s.io/v1\nkind: [HTTPRoute\n"}],
        }),
    );
    let d = c.diagnostics(route, |d| codes(d) == ["yaml-syntax"]);
    assert_eq!(d[0]["severity"], 1);
    c.shut_down();
}

#[test]
fn code_actions_offer_the_fix_and_the_suppression() {
    let (mut c, _) = Client::start(json!({}));
    let route = "apps/podinfo/route.yaml";
    c.diagnostics(route, |d| !d.is_empty());
    let actions = c.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": c.uri(route)},
            "range": range(9, 20, 9, 20),
            "context": {"diagnostics": []},
        }),
    );
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 2, "{actions:?}");
    let fix = &actions[0];
    assert!(
        fix["title"].as_str().unwrap().starts_with("(unsafe) "),
        "{fix}"
    );
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], false);
    assert_eq!(
        fix["edit"]["changes"][c.uri(route)],
        json!([{"range": range(9, 19, 9, 24), "newText": "htps"}])
    );
    assert_eq!(fix["diagnostics"][0]["code"], "route-listener-not-found");
    let suppress = &actions[1];
    assert_eq!(
        suppress["title"],
        "Suppress route-listener-not-found for this line"
    );
    assert_eq!(
        suppress["edit"]["changes"][c.uri(route)],
        json!([{
            "range": range(9, 0, 9, 0),
            "newText": "      # cilint-ignore route-listener-not-found\n",
        }])
    );
    // Nothing to act on elsewhere in the file.
    let none = c.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": c.uri(route)},
            "range": range(0, 0, 1, 0),
            "context": {"diagnostics": []},
        }),
    );
    assert_eq!(none, json!([]));
    c.shut_down();
}

fn action_at(c: &mut Client, rel: &str, line: u32) -> Vec<Value> {
    let uri = c.uri(rel);
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": range(line, 0, line, 0), "context": {"diagnostics": []}}),
    );
    actions.as_array().unwrap().clone()
}

#[test]
fn a_safe_fix_is_preferred_and_a_new_file_needs_a_client_that_creates_files() {
    let creates = json!({"workspace": {"workspaceEdit": {
        "documentChanges": true, "resourceOperations": ["create", "rename", "delete"],
    }}});
    let (mut c, _) = Client::start_repo(FIXES, &["server"], creates);
    c.diagnostics("shop/route.yaml", |d| !d.is_empty());
    // `lb: edge` under metadata.labels, line 7.
    let actions = action_at(&mut c, "shop/gateway.yaml", 6);
    let fix = &actions[0];
    assert_eq!(fix["isPreferred"], true, "{fix}");
    assert!(!fix["title"].as_str().unwrap().starts_with("(unsafe)"));
    let edits = &fix["edit"]["changes"][c.uri("shop/gateway.yaml")];
    assert!(
        edits[0]["newText"]
            .as_str()
            .unwrap()
            .contains("infrastructure:"),
        "{edits}"
    );
    // The backendRef's namespace, line 12: a new ReferenceGrant beside the Service.
    let actions = action_at(&mut c, "shop/route.yaml", 11);
    let fix = &actions[0];
    assert!(
        fix["title"].as_str().unwrap().starts_with("(unsafe) "),
        "{fix}"
    );
    let changes = fix["edit"]["documentChanges"].as_array().unwrap();
    let grant = c.uri("backend/referencegrant-shop-to-service-catalog.yaml");
    assert_eq!(changes[0]["kind"], "create");
    assert_eq!(changes[0]["uri"], grant);
    assert_eq!(changes[1]["textDocument"]["uri"], grant);
    assert!(
        changes[1]["edits"][0]["newText"]
            .as_str()
            .unwrap()
            .contains("kind: ReferenceGrant")
    );
    c.shut_down();
    // A client that cannot create files is not offered that fix, only the suppression.
    let (mut c, _) = Client::start_repo(FIXES, &["server"], json!({}));
    c.diagnostics("shop/route.yaml", |d| !d.is_empty());
    let actions = action_at(&mut c, "shop/route.yaml", 11);
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Suppress reference-not-permitted for this line"]);
    c.shut_down();
}

#[test]
fn markdown_findings_are_suppressed_inside_their_code_block_or_before_it() {
    let (mut c, _) = Client::start(json!({}));
    let runbook = "docs/runbook.md";
    let d = c.diagnostics(runbook, |d| d.len() == 2);
    assert_eq!(codes(&d), ["label-command-unknown-gateway"; 2]);
    // On the block's first line: the HTML comment before the fence, which covers the block.
    let actions = action_at(&mut c, runbook, 5);
    let suppress = actions.last().unwrap();
    assert_eq!(
        suppress["title"],
        "Suppress label-command-unknown-gateway for this code block"
    );
    let edit = &suppress["edit"]["changes"][c.uri(runbook)][0];
    assert_eq!(edit["range"], range(4, 0, 4, 0));
    assert_eq!(
        edit["newText"],
        "<!-- cilint-ignore label-command-unknown-gateway -->\n"
    );
    // Further down: a shell comment inside the block, on the line before.
    let actions = action_at(&mut c, runbook, 7);
    let suppress = actions.last().unwrap();
    assert_eq!(
        suppress["title"],
        "Suppress label-command-unknown-gateway for this line"
    );
    let edit = suppress["edit"]["changes"][c.uri(runbook)][0].clone();
    assert_eq!(edit["range"], range(7, 0, 7, 0));
    assert_eq!(
        edit["newText"],
        "# cilint-ignore label-command-unknown-gateway\n"
    );
    // Applied, it silences that finding and only that one.
    c.open(runbook);
    let uri = c.uri(runbook);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2},
               "contentChanges": [{"range": edit["range"], "text": edit["newText"]}]}),
    );
    let d = c.diagnostics(runbook, |d| d.len() == 1);
    assert_eq!(d[0]["range"]["start"]["line"], 5);
    c.shut_down();
}

#[test]
fn the_suppression_applied_silences_the_finding() {
    let (mut c, _) = Client::start(json!({}));
    let route = "apps/podinfo/route.yaml";
    c.diagnostics(route, |d| !d.is_empty());
    c.open(route);
    let uri = c.uri(route);
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"range": range(9, 0, 9, 0), "text": "      # cilint-ignore route-listener-not-found\n"}],
        }),
    );
    c.diagnostics(route, |d| d.is_empty());
    c.shut_down();
}

#[test]
fn hover_and_definition_resolve_references() {
    let (mut c, _) = Client::start(json!({}));
    let route = "apps/podinfo/route.yaml";
    c.diagnostics(route, |d| !d.is_empty());
    // The parentRef's name `web` (line 8).
    let hover = c.request("textDocument/hover", c.at(route, 7, 13));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert_eq!(hover["contents"]["kind"], "markdown");
    assert!(text.contains("Gateway ingress/web"), "{text}");
    assert!(
        text.contains("infrastructure/gateway/gateway.yaml:4:"),
        "{text}"
    );
    let definition = c.request("textDocument/definition", c.at(route, 7, 13));
    assert_eq!(
        definition,
        json!([{"uri": c.uri("infrastructure/gateway/gateway.yaml"), "range": range(3, 8, 3, 11)}])
    );
    // The sectionName `https` names no listener (the Gateway's is `htps`).
    let hover = c.request("textDocument/hover", c.at(route, 9, 21));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("Gateway/ingress/web/listener/https"),
        "{text}"
    );
    assert!(
        text.contains("nothing in the workspace has this name"),
        "{text}"
    );
    assert_eq!(
        c.request("textDocument/definition", c.at(route, 9, 21)),
        json!([])
    );
    // The backendRef's name `podinfo` (line 15) goes to the Service, its port to the port.
    let definition = c.request("textDocument/definition", c.at(route, 14, 18));
    assert_eq!(
        definition,
        json!([{"uri": c.uri("apps/podinfo/service.yaml"), "range": range(3, 8, 3, 15)}])
    );
    let definition = c.request("textDocument/definition", c.at(route, 15, 17));
    assert_eq!(definition[0]["range"]["start"]["line"], 9, "`- name: http`");
    let hover = c.request("textDocument/hover", c.at(route, 15, 17));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("port 9898: `- name: http`"), "{text}");
    // The certificateRef names the Secret and never shows its data.
    let gateway = "infrastructure/gateway/gateway.yaml";
    let hover = c.request("textDocument/hover", c.at(gateway, 21, 20));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("Secret ingress/web-tls"), "{text}");
    // Nothing in a Secret resolves: its values are never repeated.
    let secret = "infrastructure/gateway/web-tls.yaml";
    assert_eq!(
        c.request("textDocument/hover", c.at(secret, 7, 14)),
        Value::Null
    );
    assert_eq!(
        c.request("textDocument/definition", c.at(secret, 3, 9)),
        Value::Null
    );
    // The Service name in a `kubectl label` command: the generated Service, its Gateway, the
    // labels Cilium copies onto it and the pool that selects it.
    let script = "scripts/label-gateway.sh";
    let hover = c.request("textDocument/hover", c.at(script, 2, 40));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("cilium-gateway-web"), "{text}");
    assert!(
        text.contains("generated by **Gateway ingress/web**"),
        "{text}"
    );
    assert!(text.contains("`lb-pool: public`"), "{text}");
    assert!(text.contains("CiliumLoadBalancerIPPool public"), "{text}");
    let definition = c.request("textDocument/definition", c.at(script, 2, 40));
    assert_eq!(definition[0]["uri"], c.uri(gateway));
    // A selector: what the pool's serviceSelector selects.
    let hover = c.request(
        "textDocument/hover",
        c.at("infrastructure/cilium/pool.yaml", 9, 16),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("gets an IP from"), "{text}");
    assert!(text.contains("cilium-gateway-web"), "{text}");
    // Nothing to resolve on a plain key.
    assert_eq!(
        c.request("textDocument/hover", c.at(route, 1, 2)),
        Value::Null
    );
    let seen = c.shut_down();
    assert_no_secret_value(&seen);
}

/// A hover draws the graph around what it names and keeps it for the next request about the
/// same names, until the tree changes.
#[test]
fn a_hover_after_a_change_shows_the_changed_tree() {
    let (mut c, _) = Client::start(json!({}));
    let route = "apps/podinfo/route.yaml";
    c.diagnostics(route, |d| !d.is_empty());
    // The sectionName `https` names no listener (the Gateway's is `htps`), asked twice.
    for _ in 0..2 {
        let hover = c.request("textDocument/hover", c.at(route, 9, 21));
        let text = hover["contents"]["value"].as_str().unwrap();
        assert!(
            text.contains("nothing in the workspace has this name"),
            "{text}"
        );
    }
    let gateway = "infrastructure/gateway/gateway.yaml";
    c.open(gateway);
    let fixed = std::fs::read_to_string(c.path(gateway))
        .unwrap()
        .replace("name: htps", "name: https");
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": c.uri(gateway), "version": 2},
            "contentChanges": [{"text": fixed}],
        }),
    );
    c.diagnostics(route, |d| d.is_empty());
    let hover = c.request("textDocument/hover", c.at(route, 9, 21));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.starts_with("**listener https · HTTPS :443"), "{text}");
    assert!(
        text.contains("→ attaches: HTTPRoute apps/podinfo"),
        "{text}"
    );
    c.shut_down();
}

#[test]
fn a_file_changed_on_disk_is_linted_again_when_the_watcher_says_so() {
    let (mut c, _) = Client::start(json!({
        "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}},
    }));
    let route = "apps/podinfo/route.yaml";
    c.diagnostics(route, |d| !d.is_empty());
    let registration = c
        .seen
        .iter()
        .find(|m| m["method"] == "client/registerCapability")
        .expect("the watcher is registered")
        .clone();
    assert_eq!(
        registration["params"]["registrations"][0]["registerOptions"]["watchers"][0]["globPattern"],
        "**/*.{yaml,yml,json,sh,bash,md}"
    );
    // `git checkout` of the fixed Gateway.
    let gateway = c.path("infrastructure/gateway/gateway.yaml");
    let text = std::fs::read_to_string(&gateway).unwrap();
    std::fs::write(&gateway, text.replace("name: htps", "name: https")).unwrap();
    let uri = c.uri("infrastructure/gateway/gateway.yaml");
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri, "type": 2}]}),
    );
    c.diagnostics(route, |d| d.is_empty());
    c.shut_down();
}

#[test]
fn a_saved_configuration_changes_what_is_reported() {
    let (mut c, _) = Client::start(json!({}));
    let route = "apps/podinfo/route.yaml";
    c.diagnostics(route, |d| !d.is_empty());
    let config = c.path(".cilint.yaml");
    std::fs::write(&config, "rules:\n  route-listener-not-found: off\n").unwrap();
    let uri = c.uri(".cilint.yaml");
    c.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri}}),
    );
    c.diagnostics(route, |d| d.is_empty());
    c.shut_down();
}

#[test]
fn no_request_crashes_the_server() {
    let (mut c, _) = Client::start(json!({}));
    c.diagnostics("apps/podinfo/route.yaml", |d| !d.is_empty());
    let unknown = c.call("textDocument/formatting", json!({}));
    assert_eq!(unknown["error"]["code"], -32601);
    let malformed = c.call("textDocument/hover", json!({"textDocument": 3}));
    assert_eq!(malformed["error"]["code"], -32602);
    // Positions past the end, a file outside the workspace, a scheme that is not a file.
    assert_eq!(
        c.request(
            "textDocument/hover",
            c.at("apps/podinfo/route.yaml", 9999, 9999)
        ),
        Value::Null
    );
    let outside = json!({"textDocument": {"uri": "file:///nonexistent/x.yaml"}, "position": {"line": 0, "character": 0}});
    assert_eq!(c.request("textDocument/definition", outside), Value::Null);
    let untitled = json!({"textDocument": {"uri": "untitled:Untitled-1"}, "range": range(0, 0, 0, 0), "context": {"diagnostics": []}});
    assert_eq!(c.request("textDocument/codeAction", untitled), json!([]));
    // A change to a document never opened, and one whose range lies past its end.
    let route = "apps/podinfo/route.yaml";
    let uri = c.uri(route);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "x"}]}),
    );
    c.open(route);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"range": range(500, 3, 400, 0), "text": "#"}]}),
    );
    // Still answering.
    let hover = c.request("textDocument/hover", c.at(route, 7, 13));
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("Gateway ingress/web")
    );
    c.shut_down();
}

fn assert_no_secret_value(seen: &[Value]) {
    let all = serde_json::to_string(seen).unwrap();
    for v in SECRET_VALUES {
        assert!(!all.contains(v), "a Secret value in a message: {v}");
    }
}

#[test]
fn a_file_cilint_cannot_read_says_so_until_it_can() {
    // A generated dump over the configured size limit beside a manifest.
    let dump = format!(
        "# kubectl get all -o yaml, saved by hand\n{}",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dump\n---\n".repeat(40)
    );
    let repo = [
        (".cilint.yaml", "max-file-size: 1000\n"),
        ("apps/dump.yaml", dump.as_str()),
        (
            "apps/config.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: small\n",
        ),
    ];
    let (mut c, _) = Client::start_repo(
        &repo,
        &["server"],
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
    );
    let d = c.diagnostics("apps/dump.yaml", |d| !d.is_empty());
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["severity"], 1);
    assert_eq!(d[0]["range"], range(0, 0, 0, 0));
    let message = d[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("cilint cannot lint this file: the file is")
            && message.contains("over the 1000-byte limit"),
        "{message}"
    );
    // Trimmed on disk: linted again, and the diagnostic goes away.
    std::fs::write(c.path("apps/dump.yaml"), &dump[..300]).unwrap();
    let uri = c.uri("apps/dump.yaml");
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri, "type": 2}]}),
    );
    c.diagnostics("apps/dump.yaml", |d| d.is_empty());
    assert!(
        c.publications("apps/config.yaml").is_empty(),
        "the clean file is never published"
    );
    c.shut_down();
}

#[test]
fn without_a_cache_directory_the_rule_page_is_the_published_one() {
    // HOME is a file: no cache directory can be made under it.
    let cache = tempfile::tempdir().unwrap();
    let home = cache.path().join("not-a-directory");
    std::fs::write(&home, "").unwrap();
    let (mut c, _) = Client::start_in(REPO, &["server"], json!({}), cache, &[("HOME", &home)]);
    let d = c.diagnostics("apps/podinfo/route.yaml", |d| !d.is_empty());
    assert_eq!(
        d[0]["codeDescription"]["href"],
        format!(
            "https://docs.rs/crate/cilint/{}/source/rules/route-listener-not-found.md",
            env!("CARGO_PKG_VERSION")
        )
    );
    c.shut_down();
}

#[test]
fn workspace_folders_added_and_removed_are_linted_or_dropped() {
    let (mut c, init) = Client::start(json!({}));
    assert_eq!(
        init["capabilities"]["workspace"]["workspaceFolders"],
        json!({"supported": true, "changeNotifications": true})
    );
    let route = "apps/podinfo/route.yaml";
    let secret = "infrastructure/gateway/web-tls.yaml";
    let whole = c.diagnostics(route, |d| !d.is_empty());
    assert_eq!(codes(&whole), ["route-listener-not-found"]);
    c.diagnostics(secret, |d| !d.is_empty());
    // The repository folder closed, `apps` left open: linted alone, its route's Gateway is not
    // in it, and the Secret is in no folder any more.
    let repo = uri(&c.root);
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [], "removed": [{"uri": repo, "name": "repo"}]}}),
    );
    // Files that became clean are cleared after the others are published.
    c.diagnostics(secret, |d| d.is_empty());
    let alone = c.publications(route).last().cloned().unwrap();
    assert_eq!(codes(&alone), ["route-parent-not-found"]);
    // Opened again: the whole tree is the context again.
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [{"uri": repo, "name": "repo"}], "removed": []}}),
    );
    let again = c.diagnostics(route, |d| codes(d) == ["route-listener-not-found"]);
    assert_eq!(again, whole);
    c.diagnostics(secret, |d| !d.is_empty());
    c.shut_down();
}

/// As the protocol asks: after `shutdown` every request is refused, and the server exits with 0
/// after a shutdown, with 1 on an `exit` that came without one.
#[test]
fn requests_after_shutdown_are_refused_and_the_exit_status_says_whether_one_came() {
    let (mut c, _) = Client::start(json!({}));
    c.notify("exit", Value::Null);
    assert_eq!(c.exit_code(), Some(1));

    let (mut c, _) = Client::start(json!({}));
    assert_eq!(c.request("shutdown", Value::Null), Value::Null);
    let refused = c.call("textDocument/hover", c.at("apps/podinfo/route.yaml", 0, 0));
    assert_eq!(refused["error"]["code"], -32600, "{refused}");
    c.notify("exit", Value::Null);
    assert_eq!(c.exit_code(), Some(0));
}
