//! `cilint server` in-process: the time from a `didChange` of one file of a generated 10k-object
//! GitOps tree to the `publishDiagnostics` of that file, the editor's wait for a finding to
//! appear or clear. Each change alternately breaks the file's YAML and restores it, so every
//! change changes the file's diagnostics and is published. The coalescing debounce (1 ms) is
//! part of what is measured, as an editor sees it.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cilint_corpus::Shape;
use criterion::Criterion;
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};

/// The first file (in name order) that holds an HTTPRoute: a route whose findings depend on
/// other files.
fn a_route_file(dir: &Path) -> PathBuf {
    let mut stack = vec![dir.to_path_buf()];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("kind: HTTPRoute")))
        .expect("the tree has routes")
}

fn uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

struct Client {
    conn: Connection,
    next: i32,
}

impl Client {
    fn notify(&self, method: &str, params: Value) {
        self.conn
            .sender
            .send(Notification::new(method.into(), params).into())
            .unwrap();
    }

    /// A request, and everything the server sent before its answer.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = RequestId::from(self.next);
        self.conn
            .sender
            .send(Request::new(id.clone(), method.into(), params).into())
            .unwrap();
        loop {
            match self
                .conn
                .receiver
                .recv_timeout(Duration::from_secs(600))
                .unwrap()
            {
                Message::Response(r) if r.id == id => return r.response_result.unwrap_or_default(),
                _ => {}
            }
        }
    }

    /// Waits for the diagnostics of `uri`.
    fn published(&self, uri: &str) {
        loop {
            let m = self
                .conn
                .receiver
                .recv_timeout(Duration::from_secs(600))
                .unwrap();
            if let Message::Notification(n) = m
                && n.method == "textDocument/publishDiagnostics"
                && n.params["uri"] == uri
            {
                return;
            }
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let dir = common::corpus(Shape::Gitops, 10_000)
        .canonicalize()
        .unwrap();
    let file = a_route_file(&dir);
    let text = std::fs::read_to_string(&file).unwrap();
    let broken = format!("{text}\nbroken: [\n");
    let (server, client) = Connection::memory();
    let thread = std::thread::spawn(move || cilint::server::serve(&server));
    let mut client = Client {
        conn: client,
        next: 0,
    };
    let root = uri(&dir);
    client.request(
        "initialize",
        json!({"processId": null, "capabilities": {}, "workspaceFolders": [{"uri": root, "name": "bench"}]}),
    );
    client.notify("initialized", json!({}));
    let file_uri = uri(&file);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": file_uri, "languageId": "yaml", "version": 1, "text": text}}),
    );
    // Answered after the first lint and the open's lint: their publications are all read.
    client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": file_uri}, "position": {"line": 0, "character": 0}}),
    );
    let mut version = 1;
    let mut group = c.benchmark_group("server-gitops-10000");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(30));
    group.bench_function("didChange-to-publishDiagnostics", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                version += 1;
                let now = if version % 2 == 0 { &broken } else { &text };
                let start = Instant::now();
                client.notify(
                    "textDocument/didChange",
                    json!({"textDocument": {"uri": file_uri, "version": version},
                           "contentChanges": [{"text": now}]}),
                );
                client.published(&file_uri);
                total += start.elapsed();
            }
            total
        })
    });
    group.finish();
    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    thread.join().unwrap().unwrap();
    c.final_summary();
}
