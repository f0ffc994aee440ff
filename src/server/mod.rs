//! `cilint server`: a Language Server Protocol server over standard input and output. It lints
//! the workspace folders as `cilint` would, publishes each file's findings as diagnostics with
//! their related locations in other files, lints again from the editor's text as it changes,
//! offers the fixes and a suppression as code actions, and resolves references on hover and
//! go-to-definition.
//!
//! The main loop is synchronous: a lint already runs on every core (rayon), and handling one
//! message at a time keeps the order of changes, lints and answers the order they came in.
//! Changes in quick succession are coalesced by draining the connection before linting.

mod actions;
mod convert;
mod diagnostics;
mod pages;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::{RecvTimeoutError, TryRecvError};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::Options;
use crate::workspace::Workspace;
use convert::{Encoding, path_of, uri_of};

/// How long to wait for more changes after one, while they keep coming, before linting. Short:
/// it only has to catch a burst an editor writes at once (a format or a multi-cursor edit,
/// several `didChange`s back to back, microseconds apart), and every keystroke waits for it;
/// changes typed while a lint runs queue up and are coalesced into the next one anyway.
const DEBOUNCE: Duration = Duration::from_millis(1);
/// The longest a stream of changes delays a lint.
const MAX_DEBOUNCE: Duration = Duration::from_millis(250);

/// The files the server lints, for the client's file watcher: the ones `discover` reads.
const WATCHED: &str = "**/*.{yaml,yml,json,sh,bash,md}";

/// How the client ended the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// It asked the server to shut down before it said `exit` (or went away).
    AfterShutdown,
    /// It said `exit`, or went away, without asking: the protocol has the server exit with 1.
    WithoutShutdown,
}

/// Serves the protocol over standard input and output until `exit`. `release` is called when the
/// server falls idle after a lint or a hover: the binary's allocator gives back the memory they
/// freed (the library does not know which allocator it runs on).
pub fn run(release: fn()) -> Result<Ended, String> {
    let (connection, io) = Connection::stdio();
    let ended = serve_with(&connection, release)?;
    drop(connection);
    io.join().map_err(|e| e.to_string())?;
    Ok(ended)
}

/// Serves the protocol over `connection` until `exit` (in-process for tests and benchmarks).
pub fn serve(connection: &Connection) -> Result<Ended, String> {
    serve_with(connection, || {})
}

/// [`serve`], calling `release` each time the server falls idle (see [`run`]).
pub fn serve_with(connection: &Connection, release: fn()) -> Result<Ended, String> {
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let client: lsp_types::InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let encoding = negotiate(&client);
    let capabilities = json!({
        "positionEncoding": encoding.name(),
        "textDocumentSync": {
            "openClose": true,
            "change": 2,
            "save": {"includeText": false},
        },
        "codeActionProvider": {"codeActionKinds": ["quickfix"]},
        "hoverProvider": true,
        "definitionProvider": true,
        "workspace": {"workspaceFolders": {"supported": true, "changeNotifications": true}},
    });
    connection
        .initialize_finish(
            id,
            json!({
                "capabilities": capabilities,
                "serverInfo": {"name": "cilint", "version": env!("CARGO_PKG_VERSION")},
            }),
        )
        .map_err(|e| e.to_string())?;
    pages::materialize();
    let mut server = Server::new(connection, &client, encoding, release);
    server.register_watcher(&client);
    server.publish();
    server.run()
}

/// UTF-8 when the client offers it (no conversion of columns), else the protocol's UTF-16.
fn negotiate(client: &lsp_types::InitializeParams) -> Encoding {
    let offered = client
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    match offered {
        Some(kinds) if kinds.contains(&lsp_types::PositionEncodingKind::UTF8) => Encoding::Utf8,
        _ => Encoding::Utf16,
    }
}

/// The folders the client opened: its workspace folders, else its root.
#[allow(deprecated)] // `rootUri` and `rootPath` are how older clients name the one folder.
fn folders(client: &lsp_types::InitializeParams) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = client
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| path_of(f.uri.as_str()))
        .collect();
    if out.is_empty() {
        out.extend(client.root_uri.as_ref().and_then(|u| path_of(u.as_str())));
    }
    if out.is_empty() {
        out.extend(client.root_path.as_ref().map(PathBuf::from));
    }
    out
}

/// One workspace folder and its lint.
struct Folder {
    root: PathBuf,
    workspace: Workspace,
}

struct Server<'c> {
    connection: &'c Connection,
    encoding: Encoding,
    support: actions::Support,
    /// Every folder the client has open, one inside another included.
    roots: std::collections::BTreeSet<PathBuf>,
    /// The outermost of them, each linted as one tree.
    folders: Vec<Folder>,
    /// The text of each open document, to apply incremental changes to.
    open: HashMap<PathBuf, String>,
    /// The digest of what was last published for each file.
    published: BTreeMap<PathBuf, u64>,
    /// What each file's diagnostics were last converted from.
    converted: HashMap<PathBuf, diagnostics::Converted>,
    /// Texts changed since the last lint.
    dirty: bool,
    next_request: i32,
    /// Gives freed memory back to the system, once the server is idle after some work.
    release: fn(),
    /// A lint or a graph ran since memory was last given back.
    freed: bool,
    /// The client asked to shut down: requests are refused from then on.
    shut_down: bool,
}

/// The outcome of one message.
enum Flow {
    Go,
    Exit,
}

impl<'c> Server<'c> {
    fn new(
        connection: &'c Connection,
        client: &lsp_types::InitializeParams,
        encoding: Encoding,
        release: fn(),
    ) -> Self {
        let create_files = client
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.workspace_edit.as_ref())
            .is_some_and(|e| {
                e.document_changes == Some(true)
                    && e.resource_operations
                        .as_ref()
                        .is_some_and(|ops| ops.contains(&lsp_types::ResourceOperationKind::Create))
            });
        let mut server = Server {
            connection,
            encoding,
            support: actions::Support { create_files },
            roots: folders(client).into_iter().collect(),
            folders: Vec::new(),
            open: HashMap::new(),
            published: BTreeMap::new(),
            converted: HashMap::new(),
            dirty: false,
            next_request: 0,
            release,
            freed: false,
            shut_down: false,
        };
        server.arrange();
        server
    }

    /// Lints the outermost of the open folders, each as one tree: a folder inside another is
    /// linted as part of it, so that a route in the inner folder still finds its Gateway in the
    /// outer one. A folder already linted is kept; one no longer outermost is dropped (its
    /// files' diagnostics are cleared at the next publication).
    fn arrange(&mut self) {
        let outermost: Vec<PathBuf> = self
            .roots
            .iter()
            .filter(|r| !self.roots.iter().any(|o| o != *r && r.starts_with(o)))
            .cloned()
            .collect();
        self.folders.retain(|f| outermost.contains(&f.root));
        for root in outermost {
            if self.folders.iter().any(|f| f.root == root) {
                continue;
            }
            let options = self.options(&root);
            let mut workspace = Workspace::open(&[root.to_string_lossy().into_owned()], options);
            for (path, text) in &self.open {
                if path.starts_with(&root) {
                    workspace.set_text(path, text.clone());
                }
            }
            self.folders.push(Folder { root, workspace });
        }
        self.folders.sort_by(|a, b| a.root.cmp(&b.root));
        self.dirty = true;
    }

    /// The options of a folder, with its `.cilint.yaml` as the command line would find it from
    /// there; a configuration that cannot be read is shown, and the defaults used.
    fn options(&self, root: &Path) -> Options {
        let config = match crate::config::find(root) {
            Some(path) => match crate::config::load(&path, &crate::rules::ids()) {
                Ok(c) => c,
                Err(e) => {
                    self.show_error(&format!("cilint: {e}; linting with the defaults"));
                    Default::default()
                }
            },
            None => Default::default(),
        };
        Options::from_config(config)
    }

    fn send(&self, message: impl Into<Message>) {
        // The client has gone: the loop ends when the receiver says so.
        let _ = self.connection.sender.send(message.into());
    }

    fn notify(&self, method: &str, params: Value) {
        self.send(Notification::new(method.to_string(), params));
    }

    fn show_error(&self, message: &str) {
        self.notify("window/showMessage", json!({"type": 1, "message": message}));
    }

    /// Asks the client to watch the files cilint reads, when it can be asked.
    fn register_watcher(&mut self, client: &lsp_types::InitializeParams) {
        let dynamic = client
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        if !dynamic {
            return;
        }
        self.next_request += 1;
        self.send(Request::new(
            RequestId::from(format!("cilint-watch-{}", self.next_request)),
            "client/registerCapability".to_string(),
            json!({"registrations": [{
                "id": "cilint-watched-files",
                "method": "workspace/didChangeWatchedFiles",
                "registerOptions": {"watchers": [{"globPattern": WATCHED}]},
            }]}),
        ));
    }

    /// The folder a file belongs to. A file outside every folder is not linted: its world
    /// (kustomization, Flux, clusters) is unknown.
    fn folder_of(&mut self, path: &Path) -> Option<&mut Folder> {
        self.folders.iter_mut().find(|f| path.starts_with(&f.root))
    }

    fn run(&mut self) -> Result<Ended, String> {
        loop {
            // Memory is given back only when nothing waits: never between a change and its lint.
            let message = match self.connection.receiver.try_recv() {
                Ok(message) => message,
                Err(TryRecvError::Empty) => {
                    if std::mem::take(&mut self.freed) {
                        (self.release)();
                    }
                    match self.connection.receiver.recv() {
                        Ok(message) => message,
                        Err(_) => break,
                    }
                }
                Err(TryRecvError::Disconnected) => break,
            };
            if let Flow::Exit = self.handle(message)? {
                break;
            }
            if self.dirty
                && let Flow::Exit = self.coalesce()?
            {
                break;
            }
        }
        Ok(if self.shut_down {
            Ended::AfterShutdown
        } else {
            Ended::WithoutShutdown
        })
    }

    /// Waits while changes keep coming, applying them, then lints and publishes. A request that
    /// arrives meanwhile is answered after the lint, from the texts it was sent after.
    fn coalesce(&mut self) -> Result<Flow, String> {
        let start = Instant::now();
        let mut pending = None;
        while start.elapsed() < MAX_DEBOUNCE {
            match self.connection.receiver.recv_timeout(DEBOUNCE) {
                Ok(Message::Notification(n)) if is_change(&n.method) => {
                    self.notification(n);
                }
                Ok(other) => {
                    pending = Some(other);
                    break;
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return Ok(Flow::Exit),
            }
        }
        self.publish();
        if let Some(message) = pending {
            if let Flow::Exit = self.handle(message)? {
                return Ok(Flow::Exit);
            }
            if self.dirty {
                return self.coalesce();
            }
        }
        Ok(Flow::Go)
    }

    fn handle(&mut self, message: Message) -> Result<Flow, String> {
        match message {
            Message::Request(r) => {
                if r.method == "shutdown" {
                    self.shut_down = true;
                    self.send(Response::new_ok(r.id, Value::Null));
                    return Ok(Flow::Go);
                }
                if self.shut_down {
                    let message = "the server is shutting down".to_string();
                    let code = ErrorCode::InvalidRequest as i32;
                    self.send(Response::new_err(r.id, code, message));
                    return Ok(Flow::Go);
                }
                let id = r.id.clone();
                let response =
                    catch_unwind(AssertUnwindSafe(|| self.request(r))).unwrap_or_else(|_| {
                        Response::new_err(
                            id,
                            ErrorCode::InternalError as i32,
                            "cilint failed on this request".into(),
                        )
                    });
                self.send(response);
            }
            Message::Notification(n) if n.method == "exit" => return Ok(Flow::Exit),
            Message::Notification(n) => {
                let method = n.method.clone();
                if catch_unwind(AssertUnwindSafe(|| self.notification(n))).is_err() {
                    eprintln!("cilint server: failed on {method}");
                }
            }
            // Answers to what the server asked (the watcher's registration): nothing to do.
            Message::Response(_) => {}
        }
        Ok(Flow::Go)
    }

    fn request(&mut self, r: Request) -> Response {
        match r.method.as_str() {
            "textDocument/codeAction" => respond(r, |p| self.code_action(p)),
            "textDocument/hover" => respond(r, |p| self.hover(p)),
            "textDocument/definition" => respond(r, |p| self.definition(p)),
            _ => Response::new_err(
                r.id,
                ErrorCode::MethodNotFound as i32,
                format!("cilint does not handle {}", r.method),
            ),
        }
    }

    fn notification(&mut self, n: Notification) {
        use lsp_types::{
            DidChangeTextDocumentParams as Change, DidChangeWatchedFilesParams as Watched,
            DidCloseTextDocumentParams as Close, DidOpenTextDocumentParams as Open,
        };
        match n.method.as_str() {
            "textDocument/didOpen" => {
                if let Some(p) = params::<Open>(n.params)
                    && let Some(path) = path_of(p.text_document.uri.as_str())
                {
                    self.set_text(&path, p.text_document.text);
                }
            }
            "textDocument/didChange" => {
                let Some(p) = params::<Change>(n.params) else {
                    return;
                };
                let Some(path) = path_of(p.text_document.uri.as_str()) else {
                    return;
                };
                let Some(mut text) = self.open.remove(&path) else {
                    return;
                };
                for change in p.content_changes {
                    convert::apply_change(&mut text, change.range, &change.text, self.encoding);
                }
                self.set_text(&path, text);
            }
            "textDocument/didClose" => {
                if let Some(p) = params::<Close>(n.params)
                    && let Some(path) = path_of(p.text_document.uri.as_str())
                {
                    self.open.remove(&path);
                    self.reload(&path);
                }
            }
            "workspace/didChangeWatchedFiles" => {
                if let Some(p) = params::<Watched>(n.params) {
                    for change in p.changes {
                        if let Some(path) = path_of(change.uri.as_str()) {
                            // An open document's text is the editor's, whatever the disk says.
                            if !self.open.contains_key(&path) {
                                self.reload(&path);
                            }
                            self.reconfigure(&path);
                        }
                    }
                }
            }
            "workspace/didChangeWorkspaceFolders" => {
                if let Some(p) = params::<lsp_types::DidChangeWorkspaceFoldersParams>(n.params) {
                    for f in &p.event.removed {
                        if let Some(path) = path_of(f.uri.as_str()) {
                            self.roots.remove(&path);
                        }
                    }
                    for f in &p.event.added {
                        self.roots.extend(path_of(f.uri.as_str()));
                    }
                    self.arrange();
                }
            }
            "textDocument/didSave" => {
                // The saved text is the one the editor already sent; a saved configuration
                // changes the options.
                if let Some(p) = params::<lsp_types::DidSaveTextDocumentParams>(n.params)
                    && let Some(path) = path_of(p.text_document.uri.as_str())
                {
                    self.reconfigure(&path);
                }
            }
            _ => {}
        }
    }

    /// A `.cilint.yaml` changed: the folders under it are linted again with their new options,
    /// from the objects already parsed where parsing does not depend on what changed.
    fn reconfigure(&mut self, path: &Path) {
        if path.file_name() != Some(std::ffi::OsStr::new(crate::config::FILE_NAME)) {
            return;
        }
        let Some(dir) = path.parent() else { return };
        for i in 0..self.folders.len() {
            let root = self.folders[i].root.clone();
            // The configuration of a folder is found in it or in a parent.
            if !(root.starts_with(dir) || dir.starts_with(&root)) {
                continue;
            }
            let options = self.options(&root);
            self.folders[i].workspace.set_options(options);
            self.dirty = true;
        }
    }

    fn set_text(&mut self, path: &Path, text: String) {
        self.open.insert(path.to_path_buf(), text.clone());
        if let Some(f) = self.folder_of(path) {
            f.workspace.set_text(path, text);
            self.dirty = true;
        }
    }

    fn reload(&mut self, path: &Path) {
        if let Some(f) = self.folder_of(path) {
            f.workspace.reload(path);
            self.dirty = true;
        }
    }

    /// Lints what changed and publishes the diagnostics that differ from the last published,
    /// an empty list for a file that became clean.
    fn publish(&mut self) {
        self.dirty = false;
        self.freed = true;
        let encoding = self.encoding;
        let mut now: HashSet<PathBuf> = HashSet::new();
        let linted = catch_unwind(AssertUnwindSafe(|| {
            let Server {
                connection,
                folders,
                published,
                converted,
                ..
            } = self;
            let sent = |p: &PathBuf, digest: u64| published.get(p) == Some(&digest);
            let mut changed: Vec<(PathBuf, u64)> = Vec::new();
            for f in folders.iter_mut() {
                f.workspace.lint();
                let mut each = |path: PathBuf, d: Option<diagnostics::Diagnostics>| {
                    now.insert(path.clone());
                    if let Some(d) = d
                        && !sent(&path, d.digest)
                    {
                        send_diagnostics(connection, &path, d.values);
                        changed.push((path, d.digest));
                    }
                };
                diagnostics::of_report(
                    f.workspace.report(),
                    &f.workspace,
                    encoding,
                    converted,
                    &sent,
                    &mut each,
                );
                diagnostics::of_input_errors(f.workspace.report(), &f.workspace, &mut each);
            }
            published.extend(changed);
            converted.retain(|path, _| now.contains(path));
        }));
        if linted.is_err() {
            // What was converted before the failure may not have been published.
            self.converted.clear();
            self.show_error("cilint failed to lint the workspace; the diagnostics are not updated");
            return;
        }
        let cleared: Vec<PathBuf> = self
            .published
            .keys()
            .filter(|p| !now.contains(*p))
            .cloned()
            .collect();
        for path in cleared {
            self.published.remove(&path);
            send_diagnostics(self.connection, &path, Vec::new());
        }
    }

    fn code_action(&mut self, p: lsp_types::CodeActionParams) -> Value {
        let Some(path) = path_of(p.text_document.uri.as_str()) else {
            return json!([]);
        };
        let (encoding, support) = (self.encoding, self.support);
        let lines = (p.range.start.line, p.range.end.line);
        let Some(f) = self.folder_of(&path) else {
            return json!([]);
        };
        f.workspace.lint();
        let report = f.workspace.report();
        Value::Array(actions::actions(
            report,
            &f.workspace,
            &path,
            lines,
            encoding,
            support,
        ))
    }

    /// The reference at a position, resolved; `None` when there is none.
    fn resolve(
        &mut self,
        p: &lsp_types::TextDocumentPositionParams,
    ) -> Option<(crate::workspace::Resolution, Encoding)> {
        let path = path_of(p.text_document.uri.as_str())?;
        let encoding = self.encoding;
        // Hover and go-to-definition build the graph after a change.
        self.freed = true;
        let f = self.folder_of(&path)?;
        f.workspace.lint();
        let text = f.workspace.text(&path)?;
        let line = convert::line_of(&text, p.position.line as usize);
        let col = convert::chars_of(line, p.position.character, encoding) as u32 + 1;
        let resolution = f.workspace.resolve_at(&path, p.position.line + 1, col)?;
        Some((resolution, encoding))
    }

    fn hover(&mut self, p: lsp_types::HoverParams) -> Value {
        match self.resolve(&p.text_document_position_params) {
            Some((r, _)) => json!({"contents": {"kind": "markdown", "value": r.summary}}),
            None => Value::Null,
        }
    }

    fn definition(&mut self, p: lsp_types::GotoDefinitionParams) -> Value {
        let Some((r, encoding)) = self.resolve(&p.text_document_position_params) else {
            return Value::Null;
        };
        let Some(path) = path_of(p.text_document_position_params.text_document.uri.as_str()) else {
            return Value::Null;
        };
        let Some(f) = self.folder_of(&path) else {
            return Value::Null;
        };
        let locations: Vec<Value> = r
            .targets
            .iter()
            .map(|t| {
                let target = f.workspace.absolute(&t.file);
                let text = f.workspace.text(&target).unwrap_or_default();
                json!({
                    "uri": uri_of(&target),
                    "range": convert::range(&text, (t.line, t.col), (t.end_line, t.end_col), encoding),
                })
            })
            .collect();
        Value::Array(locations)
    }
}

fn send_diagnostics(connection: &Connection, path: &Path, diagnostics: Vec<Value>) {
    let params = json!({"uri": uri_of(path), "diagnostics": diagnostics});
    // The client has gone: the loop ends when the receiver says so.
    let _ = connection
        .sender
        .send(Notification::new("textDocument/publishDiagnostics".into(), params).into());
}

/// Whether a notification changes what is linted (and may be coalesced with others).
fn is_change(method: &str) -> bool {
    matches!(
        method,
        "textDocument/didOpen"
            | "textDocument/didChange"
            | "textDocument/didClose"
            | "textDocument/didSave"
            | "workspace/didChangeWatchedFiles"
            | "workspace/didChangeWorkspaceFolders"
    )
}

fn params<P: DeserializeOwned>(value: Value) -> Option<P> {
    match serde_json::from_value(value) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!("cilint server: ignored a notification with malformed params: {e}");
            None
        }
    }
}

/// Answers a request with `handle`'s result, or InvalidParams when its params do not parse.
fn respond<P: DeserializeOwned>(r: Request, handle: impl FnOnce(P) -> Value) -> Response {
    match serde_json::from_value::<P>(r.params) {
        Ok(p) => Response::new_ok(r.id, handle(p)),
        Err(e) => Response::new_err(
            r.id,
            ErrorCode::InvalidParams as i32,
            format!("malformed params: {e}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static RELEASED: AtomicUsize = AtomicUsize::new(0);

    /// Waits, bounded, until `RELEASED` reaches `n`.
    fn released(n: usize) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if RELEASED.load(Ordering::SeqCst) >= n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        false
    }

    fn published(client: &Connection) -> Value {
        loop {
            match client.receiver.recv_timeout(Duration::from_secs(30)) {
                Ok(Message::Notification(n)) if n.method == "textDocument/publishDiagnostics" => {
                    return n.params;
                }
                Ok(_) => {}
                Err(e) => panic!("no diagnostics: {e}"),
            }
        }
    }

    /// The server gives freed memory back each time it falls idle after a lint: after the
    /// first, and after the lint of each change; not after a request that linted nothing.
    #[test]
    fn memory_is_released_each_time_the_server_falls_idle() {
        let dir = tempfile::tempdir().unwrap();
        let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web\nstringData:\n  \
                      password: not-a-real-one\n";
        let path = dir.path().canonicalize().unwrap().join("secret.yaml");
        std::fs::write(&path, secret).unwrap();
        let client_params: lsp_types::InitializeParams = serde_json::from_value(json!({
            "capabilities": {},
            "rootUri": uri_of(path.parent().unwrap()),
        }))
        .unwrap();
        let (server, client) = Connection::memory();
        let thread = std::thread::spawn(move || {
            let release = || {
                RELEASED.fetch_add(1, Ordering::SeqCst);
            };
            let mut s = Server::new(&server, &client_params, Encoding::Utf16, release);
            s.publish();
            s.run()
        });
        // The Secret is committed in plain text.
        assert!(
            !published(&client)["diagnostics"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        assert!(released(1), "released after the first lint");
        let fixed = secret
            .replace("Secret", "ConfigMap")
            .replace("stringData", "data");
        client
            .sender
            .send(
                Notification::new(
                    "textDocument/didOpen".into(),
                    json!({"textDocument": {"uri": uri_of(&path), "languageId": "yaml",
                        "version": 1, "text": fixed}}),
                )
                .into(),
            )
            .unwrap();
        assert_eq!(published(&client)["diagnostics"], json!([]));
        assert!(released(2), "released after the change's lint");
        // A request that lints nothing frees nothing: it is not followed by a release.
        let id = RequestId::from(7);
        let request = Request::new(id.clone(), "workspace/symbol".into(), json!({"query": ""}));
        client.sender.send(request.into()).unwrap();
        loop {
            match client.receiver.recv_timeout(Duration::from_secs(30)) {
                Ok(Message::Response(r)) if r.id == id => break,
                Ok(_) => {}
                Err(e) => panic!("no answer: {e}"),
            }
        }
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(RELEASED.load(Ordering::SeqCst), 2);
        drop(client);
        thread.join().unwrap().unwrap();
    }
}
