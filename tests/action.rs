//! `action.yml`, the GitHub Action: valid against the action metadata schema
//! (`tests/action-metadata-schema.json`, written from GitHub's metadata syntax reference), every
//! input it uses declared and every declared input used, no `${{ }}` pasted into a script, and
//! the step that runs cilint run as GitHub runs it: `bash --noprofile --norc -eo pipefail`, with
//! its `env:` filled from the inputs.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

use regex::Regex;
use serde_json::{Value, json};

fn action() -> Value {
    let text = std::fs::read_to_string("action.yml").unwrap();
    serde_saphyr::from_str(&text).expect("action.yml parses")
}

fn schema_errors(action: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string("tests/action-metadata-schema.json").unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft7::new(&schema).expect("the schema compiles");
    validator
        .iter_errors(action)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn steps(action: &Value) -> &Vec<Value> {
    action["runs"]["steps"].as_array().unwrap()
}

/// Every string in the document, with the `${{ … }}` expressions it holds.
fn expressions(value: &Value, out: &mut Vec<String>) {
    let expression = Regex::new(r"\$\{\{(.*?)\}\}").unwrap();
    match value {
        Value::String(s) => out.extend(expression.captures_iter(s).map(|c| c[1].trim().into())),
        Value::Array(items) => items.iter().for_each(|v| expressions(v, out)),
        Value::Object(map) => map.values().for_each(|v| expressions(v, out)),
        _ => {}
    }
}

#[test]
fn action_yml_is_valid_action_metadata() {
    let errors = schema_errors(&action());
    assert!(errors.is_empty(), "action.yml:\n{}", errors.join("\n"));
}

/// The step that runs cilint.
fn run_step_of(action: &mut Value) -> &mut Value {
    let steps = action["runs"]["steps"].as_array_mut().unwrap();
    steps.iter_mut().find(|s| s["id"] == "run").unwrap()
}

/// A typo made in a copy of action.yml.
type Mutation = fn(&mut Value);

/// The schema has teeth: each of these typos is refused.
#[test]
fn the_schema_refuses_typos() {
    let mutations: [(&str, Mutation); 7] = [
        ("a run step without shell", |a| {
            run_step_of(a).as_object_mut().unwrap().remove("shell");
        }),
        ("`defualt` in an input", |a| {
            a["inputs"]["paths"]["defualt"] = json!(".");
        }),
        ("an input without description", |a| {
            a["inputs"]["paths"]
                .as_object_mut()
                .unwrap()
                .remove("description");
        }),
        ("`input:` at the top", |a| a["input"] = json!({})),
        ("`using: composit`", |a| {
            a["runs"]["using"] = json!("composit");
        }),
        ("a step with both run and uses", |a| {
            run_step_of(a)["uses"] = json!("actions/cache@v4");
        }),
        ("an output without value", |a| {
            a["outputs"]["exit-code"]
                .as_object_mut()
                .unwrap()
                .remove("value");
        }),
    ];
    for (what, mutate) in mutations {
        let mut a = action();
        mutate(&mut a);
        assert!(!schema_errors(&a).is_empty(), "{what} passes the schema");
    }
}

#[test]
fn every_input_used_is_declared_and_every_declared_input_is_used() {
    let action = action();
    let declared: BTreeSet<String> = action["inputs"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let mut all = Vec::new();
    expressions(&action["runs"], &mut all);
    let input = Regex::new(r"\binputs\.([A-Za-z0-9_-]+)").unwrap();
    let used: BTreeSet<String> = all
        .iter()
        .flat_map(|e| input.captures_iter(e).map(|c| c[1].to_string()))
        .collect();
    assert_eq!(used, declared);
    for name in ["paths", "args", "format", "sarif-file", "fail-on"] {
        assert!(declared.contains(name), "input {name}");
    }
    assert_eq!(action["inputs"]["paths"]["default"], ".");
    // cilint's annotations format.
    assert_eq!(action["inputs"]["format"]["default"], "github");
}

#[test]
fn step_outputs_are_read_from_earlier_steps() {
    let action = action();
    let output = Regex::new(r"\bsteps\.([A-Za-z0-9_-]+)\.outputs\.").unwrap();
    let mut seen = BTreeSet::new();
    for step in steps(&action) {
        let mut used = Vec::new();
        expressions(step, &mut used);
        for e in &used {
            for c in output.captures_iter(e) {
                assert!(
                    seen.contains(&c[1]),
                    "step {} is read before it runs",
                    &c[1]
                );
            }
        }
        if let Some(id) = step["id"].as_str() {
            seen.insert(id.to_string());
        }
    }
    let mut used = Vec::new();
    expressions(&action["outputs"], &mut used);
    for e in &used {
        for c in output.captures_iter(e) {
            assert!(seen.contains(&c[1]), "output reads unknown step {}", &c[1]);
        }
    }
}

/// An expression in a script is pasted in before the shell reads it: an input holding `$(…)`
/// would run. Values go through `env:`.
#[test]
fn no_expression_is_pasted_into_a_script() {
    for step in steps(&action()) {
        if let Some(run) = step["run"].as_str() {
            assert!(!run.contains("${{"), "step {}: {run}", step["name"]);
        }
    }
}

#[test]
fn cilint_is_installed_from_the_action_at_its_ref_and_cached() {
    let action = action();
    let steps = steps(&action);
    let cache = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/cache@"))
        })
        .expect("an actions/cache step");
    let key = cache["with"]["key"].as_str().unwrap();
    let mut keyed = Vec::new();
    expressions(&json!(key), &mut keyed);
    let key_step = steps
        .iter()
        .find(|s| {
            keyed
                .iter()
                .any(|e| e.starts_with(&format!("steps.{}.", s["id"].as_str().unwrap_or(""))))
        })
        .expect("the key comes from a step");
    let key_script = key_step["run"].as_str().unwrap();
    assert!(key_script.contains("RUNNER_OS"), "{key_script}");
    assert_eq!(key_step["env"]["ACTION_REF"], "${{ github.action_ref }}");
    assert!(
        cache["with"]["path"]
            .as_str()
            .unwrap()
            .contains("~/.cargo/bin/cilint")
    );

    let install = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("cargo install"))
        })
        .expect("an install step");
    assert!(
        install["run"]
            .as_str()
            .unwrap()
            .contains("cargo install --locked --path \"$ACTION_PATH\""),
    );
    assert_eq!(install["env"]["ACTION_PATH"], "${{ github.action_path }}");
    let id = cache["id"].as_str().unwrap();
    assert_eq!(
        install["if"],
        format!("steps.{id}.outputs.cache-hit != 'true'")
    );
}

/// A repository with an error (a route's backend Service is in `prod`, the route lands in
/// `default` unless `--namespace prod`) and a warning (an L2 policy that selects nothing).
fn repository() -> tempfile::TempDir {
    common::repo(&[
        (
            "apps/shop/route.yaml",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: shop\nspec:\n  \
             parentRefs:\n    - name: public\n      namespace: infra\n  rules:\n    - backendRefs:\n        \
             - name: shop\n          port: 80\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: shop\n  \
             namespace: prod\nspec:\n  ports:\n    - port: 80\n",
        ),
        (
            "infra/gateway.yaml",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: public\n  \
             namespace: infra\nspec:\n  gatewayClassName: cilium\n  infrastructure:\n    labels: {announce: l2}\n  \
             listeners:\n    - name: http\n      protocol: HTTP\n      port: 80\n      allowedRoutes:\n        \
             namespaces: {from: All}\n---\napiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\n\
             metadata:\n  name: gateways\nspec:\n  serviceSelector:\n    matchLabels: {announce: l2}\n  \
             loadBalancerIPs: true\n---\n\
             apiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\nmetadata:\n  name: dns\nspec:\n  \
             serviceSelector:\n    matchLabels: {app: blocky}\n  loadBalancerIPs: true\n",
        ),
    ])
}

struct StepRun {
    out: Output,
    /// What the step wrote to `$GITHUB_OUTPUT`.
    outputs: String,
}

impl StepRun {
    fn stdout(&self) -> String {
        String::from_utf8(self.out.stdout.clone()).unwrap()
    }
    fn code(&self) -> Option<i32> {
        self.out.status.code()
    }
}

/// Runs the step that runs cilint, in `dir`, as GitHub would with these `with:` values: its
/// `env:` filled from the inputs (their defaults otherwise), the binary under test installed in
/// `$HOME/.cargo/bin`.
#[cfg(unix)]
fn run_step(dir: &Path, with: &[(&str, &str)]) -> StepRun {
    let action = action();
    let step = steps(&action)
        .iter()
        .find(|s| s["id"] == "run")
        .expect("the run step");
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".cargo/bin")).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_cilint"),
        home.path().join(".cargo/bin/cilint"),
    )
    .unwrap();
    let script = home.path().join("step.sh");
    std::fs::write(&script, step["run"].as_str().unwrap()).unwrap();
    let github_output = home.path().join("output");
    std::fs::write(&github_output, "").unwrap();

    let with: BTreeMap<&str, &str> = with.iter().copied().collect();
    let input = Regex::new(r"^\$\{\{ inputs\.([A-Za-z0-9_-]+) \}\}$").unwrap();
    let mut cmd = Command::new("bash");
    cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script)
        .current_dir(dir)
        .env("HOME", home.path())
        .env("GITHUB_OUTPUT", &github_output)
        .env("GITHUB_ACTIONS", "true")
        .env("NO_COLOR", "1");
    for (name, value) in step["env"].as_object().unwrap() {
        let value = value.as_str().unwrap();
        let id = &input.captures(value).expect("env values are inputs")[1];
        let filled = match with.get(id) {
            Some(v) => v.to_string(),
            None => action["inputs"][id]["default"]
                .as_str()
                .unwrap()
                .to_string(),
        };
        cmd.env(name, filled);
    }
    let out = cmd.output().expect("bash runs");
    StepRun {
        out,
        outputs: std::fs::read_to_string(&github_output).unwrap(),
    }
}

#[cfg(unix)]
#[test]
fn by_default_the_step_annotates_and_fails_on_findings() {
    let repo = repository();
    let run = run_step(repo.path(), &[]);
    let stdout = run.stdout();
    assert!(
        stdout.contains("::error file=apps/shop/route.yaml,line=11,"),
        "{stdout}"
    );
    assert!(
        stdout.contains("::warning file=infra/gateway.yaml,"),
        "{stdout}"
    );
    assert_eq!(run.code(), Some(1));
    assert_eq!(run.outputs, "exit-code=1\n");
}

#[cfg(unix)]
#[test]
fn fail_on_and_args_reach_cilint() {
    let repo = repository();
    let run = run_step(repo.path(), &[("fail-on", "never")]);
    assert_eq!(run.code(), Some(0));
    assert_eq!(run.outputs, "exit-code=0\n");

    // In prod the backend resolves; the warning is below --fail-on error.
    let run = run_step(
        repo.path(),
        &[("args", "--namespace prod\n--strict"), ("fail-on", "error")],
    );
    assert!(!run.stdout().contains("::error"), "{}", run.stdout());
    assert!(run.stdout().contains("::warning"), "{}", run.stdout());
    assert_eq!(run.code(), Some(0));
}

#[cfg(unix)]
#[test]
fn paths_and_format_reach_cilint() {
    let repo = repository();
    let run = run_step(repo.path(), &[("paths", "apps"), ("format", "json")]);
    let json: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(json["summary"]["files"], 1);
    assert_eq!(json["findings"][0]["rule"], "route-parent-not-found");

    let run = run_step(repo.path(), &[("paths", "apps\n infra/gateway.yaml")]);
    assert!(run.stdout().contains("::error file=apps/shop/route.yaml,"));
    assert!(run.stdout().contains("::warning file=infra/gateway.yaml,"));
}

#[cfg(unix)]
#[test]
fn sarif_file_is_written_besides_the_annotations() {
    let repo = repository();
    let run = run_step(repo.path(), &[("sarif-file", "cilint.sarif")]);
    assert!(run.stdout().contains("::error file=apps/shop/route.yaml,"));
    assert_eq!(
        run.code(),
        Some(1),
        "the annotations run sets the exit code"
    );
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.path().join("cilint.sarif")).unwrap())
            .unwrap();
    let rules: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["backend-not-found", "selector-matches-nothing"]);

    // A SARIF file that cannot be written fails the step even when nothing is found.
    let run = run_step(
        repo.path(),
        &[
            ("sarif-file", "no/such/dir/cilint.sarif"),
            ("fail-on", "never"),
        ],
    );
    assert_eq!(run.code(), Some(2));
    assert_eq!(run.outputs, "exit-code=2\n");
}

#[cfg(unix)]
#[test]
fn inputs_are_data_not_shell_code() {
    let repo = repository();
    let run = run_step(
        repo.path(),
        &[
            ("args", "$(touch pwned-args) `touch pwned-ticks`"),
            ("paths", "apps; touch pwned-paths *"),
            ("sarif-file", "x.sarif; touch pwned-sarif"),
        ],
    );
    for name in ["pwned-args", "pwned-ticks", "pwned-paths", "pwned-sarif"] {
        assert!(!repo.path().join(name).exists(), "{name} was created");
    }
    // The words reach cilint as they are: paths that do not exist.
    assert_eq!(run.code(), Some(2));
}

/// The README's YAML code blocks.
fn readme_yaml_blocks() -> Vec<String> {
    let readme = std::fs::read_to_string("README.md").unwrap();
    readme
        .split("```yaml\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap().to_string())
        .collect()
}

/// The README's workflows give the action only inputs it declares, and its table of inputs
/// lists them all with their defaults.
#[test]
fn the_readme_uses_the_action_as_declared() {
    let action = action();
    let inputs = action["inputs"].as_object().unwrap();
    let mut uses = 0;
    for block in readme_yaml_blocks() {
        if !block.contains("uses: OWNER/cilint@") {
            continue;
        }
        let workflow: Value = serde_saphyr::from_str(&block).expect("the workflow parses");
        for job in workflow["jobs"].as_object().unwrap().values() {
            for step in job["steps"].as_array().unwrap() {
                if !step["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("OWNER/cilint@"))
                {
                    continue;
                }
                uses += 1;
                for key in step["with"].as_object().into_iter().flat_map(|w| w.keys()) {
                    assert!(
                        inputs.contains_key(key),
                        "README gives undeclared input {key}"
                    );
                }
            }
        }
    }
    assert_eq!(
        uses, 2,
        "the README shows the action with and without code scanning"
    );

    let readme = std::fs::read_to_string("README.md").unwrap();
    let rows: BTreeMap<String, String> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| {
            let (name, rest) = l.split_once("` | ")?;
            let default = rest.split(" | ").next()?;
            inputs
                .contains_key(name)
                .then(|| (name.to_string(), default.to_string()))
        })
        .collect();
    for (name, input) in inputs {
        let default = input["default"].as_str().unwrap_or("");
        let row = rows
            .get(name)
            .unwrap_or_else(|| panic!("README's table lacks input {name}"));
        assert!(
            (default.is_empty() && !row.starts_with('`')) || row == &format!("`{default}`"),
            "README's default for {name}: {row}, action.yml: {default:?}"
        );
    }
}
