//! The editor set-ups: the VS Code extension's manifest is checked without npm (parsed as JSON,
//! the fields VS Code requires present, its entry point there and launching `cilint server`), and
//! the README's snippets for the other editors start the same command.

use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/editors/vscode");

fn manifest() -> Value {
    let text = std::fs::read_to_string(format!("{DIR}/package.json")).unwrap();
    serde_json::from_str(&text).expect("package.json is JSON")
}

#[test]
fn the_vscode_manifest_has_what_vscode_requires() {
    let m = manifest();
    // VS Code refuses an extension without these (its extension manifest reference).
    for field in ["name", "publisher", "version", "engines", "main"] {
        assert!(m.get(field).is_some(), "package.json has no `{field}`");
    }
    let name = m["name"].as_str().unwrap();
    assert!(
        name.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
        "a name VS Code and npm accept: {name}"
    );
    assert!(m["engines"]["vscode"].as_str().unwrap().starts_with('^'));
    let events: Vec<&str> = m["activationEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    for language in ["yaml", "json", "shellscript", "markdown"] {
        assert!(events.contains(&format!("onLanguage:{language}").as_str()));
    }
    assert!(m["contributes"]["configuration"]["properties"]["cilint.path"].is_object());
    assert!(m["dependencies"]["vscode-languageclient"].is_string());
}

#[test]
fn the_vscode_extension_launches_cilint_server() {
    let m = manifest();
    let main = m["main"].as_str().unwrap();
    let js = std::fs::read_to_string(format!("{DIR}/{main}")).expect("the entry point exists");
    assert!(js.contains("require(\"vscode-languageclient/node\")"));
    assert!(js.contains("args: [\"server\"]"));
    assert!(js.contains("module.exports = { activate, deactivate }"));
    // Its configuration key is the one the manifest declares.
    assert!(js.contains("getConfiguration(\"cilint\").get(\"path\")"));
}

#[test]
fn the_readme_sets_up_every_editor() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("\n## In the editor: `cilint server`\n")
        .nth(1)
        .expect("the README has the editor section")
        .split("\n## ")
        .next()
        .unwrap();
    for editor in ["### VS Code", "### Neovim", "### Helix", "### Zed"] {
        assert!(section.contains(editor), "no {editor}");
    }
    assert!(section.contains("editors/vscode"));
    assert!(
        section.contains("cmd = { \"cilint\", \"server\" }"),
        "Neovim"
    );
    assert!(
        section.contains("[language-server.cilint]\ncommand = \"cilint\"\nargs = [\"server\"]"),
        "Helix"
    );
    assert!(
        section.contains("\"binary\": {\"path\": \"cilint\", \"arguments\": [\"server\"]}"),
        "Zed"
    );
}
