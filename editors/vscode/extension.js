// Starts `cilint server` for the files cilint reads and hands its diagnostics, code actions,
// hover and go-to-definition to VS Code.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("cilint").get("path") || "cilint";
  const run = { command, args: ["server"], transport: TransportKind.stdio };
  client = new LanguageClient(
    "cilint",
    "cilint",
    { run, debug: run },
    {
      documentSelector: [
        { scheme: "file", language: "yaml" },
        { scheme: "file", language: "json" },
        { scheme: "file", language: "shellscript" },
        { scheme: "file", language: "markdown" },
      ],
    }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
