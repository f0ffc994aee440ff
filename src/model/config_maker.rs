//! Custom resources of secret managers and copiers whose controllers make Secrets and
//! ConfigMaps with names their spec says: what a pod's configuration reference may name.
//! Each entry cites the operator's API documentation.

use super::{Text, text};
use crate::source::yaml::Node;

/// One Secret or ConfigMap a resource makes.
#[derive(Clone, Debug, PartialEq)]
pub struct Made {
    /// `Secret` or `ConfigMap`.
    pub kind: &'static str,
    pub name: Text,
    /// Another namespace than the resource's, when the spec names one.
    pub namespace: Option<Text>,
}

/// What a secret manager's resource makes.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigMaker {
    pub made: Box<[Made]>,
    /// It copies what it makes into namespaces a selector or a policy picks (a
    /// ClusterExternalSecret, a Kyverno generate rule, a trust-manager Bundle): which ones
    /// cilint does not evaluate, so a reference of that name anywhere is unverifiable.
    pub everywhere: bool,
    /// A custom resource of a kind cilint does not model, naming Secrets or ConfigMaps in its
    /// spec (`passwordSecretKeyRef: {name: …, generate: true}`): its operator may make them or
    /// only read them, so a reference of that name in its namespace is unverifiable, with the
    /// field that names it.
    pub maybe: Option<Text>,
}

/// Keys of a custom resource's spec that name a Secret or ConfigMap: as far down as operators
/// write them (`spec.auth.passwordSecretKeyRef.name`, `spec.users[].secretName`).
const NAMES_DEPTH: usize = 5;

/// The Secrets and ConfigMaps a custom resource of a kind cilint does not model names in its
/// spec, with the first field that names one; `None` when it names none.
pub fn named_in_spec(doc: Node<'_>) -> Option<ConfigMaker> {
    let mut made = Vec::new();
    let mut field: Option<Text> = None;
    walk(doc.get("spec")?, 0, &mut made, &mut field);
    (!made.is_empty()).then(|| ConfigMaker {
        made: made.into(),
        everywhere: false,
        maybe: field,
    })
}

fn walk(node: Node<'_>, depth: usize, made: &mut Vec<Made>, field: &mut Option<Text>) {
    if depth >= NAMES_DEPTH {
        return;
    }
    for item in node.as_seq() {
        walk(item, depth + 1, made, field);
    }
    for (k, v) in node.as_map() {
        let Some(key) = k.as_str() else { continue };
        let kind = if contains_ignore_case(key, "secret") {
            "Secret"
        } else if contains_ignore_case(key, "configmap") {
            "ConfigMap"
        } else {
            walk(v, depth + 1, made, field);
            continue;
        };
        // `secretName: x`, or `passwordSecretKeyRef: {name: x}` / `secretRef: {name: x}`.
        let name = v.as_str().or_else(|| v.get("name").and_then(Node::as_str));
        match name.filter(|n| !n.is_empty()) {
            Some(n) => {
                made.push(Made {
                    kind,
                    name: text(n),
                    namespace: None,
                });
                field.get_or_insert_with(|| text(key));
            }
            None => walk(v, depth + 1, made, field),
        }
    }
}

/// Whether resources of this kind make Secrets or ConfigMaps cilint models.
pub fn is_maker(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        ("onepassword.com", "OnePasswordItem")
            | ("k8s.bitwarden.com", "BitwardenSecret")
            | ("secrets.doppler.com", "DopplerSecret")
            | (
                "secrets.hashicorp.com",
                "VaultStaticSecret"
                    | "VaultDynamicSecret"
                    | "VaultPKISecret"
                    | "HCPVaultSecretsApp"
            )
            | ("secrets.infisical.com", "InfisicalSecret")
            | ("isindir.github.com", "SopsSecret")
            | ("secrets-store.csi.x-k8s.io", "SecretProviderClass")
            | ("external-secrets.io", "ClusterExternalSecret")
            | ("kyverno.io", "ClusterPolicy" | "Policy")
            | ("trust.cert-manager.io", "Bundle" | "ClusterBundle")
    )
}

fn str_at<'a>(node: Option<Node<'a>>, path: &[&str]) -> Option<&'a str> {
    node?.at(path)?.as_str().filter(|s| !s.is_empty())
}

fn secret(name: &str, namespace: Option<&str>) -> Made {
    Made {
        kind: "Secret",
        name: text(name),
        namespace: namespace.map(text),
    }
}

/// What a resource of a maker kind makes; `name` is its `metadata.name`.
pub fn from_document(group: &str, kind: &str, name: &str, doc: Node<'_>) -> ConfigMaker {
    let spec = doc.get("spec");
    let mut made = Vec::new();
    let mut everywhere = false;
    let items = |path: &[&str]| {
        spec.and_then(|s| s.at(path))
            .map(Node::as_seq)
            .into_iter()
            .flatten()
    };
    match (group, kind) {
        // https://github.com/1Password/onepassword-operator: "the operator creates a Kubernetes
        // Secret with the same name as the OnePasswordItem".
        ("onepassword.com", _) => made.push(secret(name, None)),
        // https://bitwarden.com/help/secrets-manager-kubernetes-operator/: `spec.secretName`.
        ("k8s.bitwarden.com", _) => {
            made.extend(str_at(spec, &["secretName"]).map(|n| secret(n, None)))
        }
        // https://docs.doppler.com/docs/kubernetes-operator: `spec.managedSecret.name` in
        // `spec.managedSecret.namespace`.
        ("secrets.doppler.com", _) => made.extend(
            str_at(spec, &["managedSecret", "name"])
                .map(|n| secret(n, str_at(spec, &["managedSecret", "namespace"]))),
        ),
        // https://developer.hashicorp.com/vault/docs/platform/k8s/vso/api-reference
        // (`Destination.name`).
        ("secrets.hashicorp.com", _) => {
            made.extend(str_at(spec, &["destination", "name"]).map(|n| secret(n, None)))
        }
        // https://infisical.com/docs/integrations/platforms/kubernetes/infisical-secret-crd:
        // `managedSecretReference` (one) or `managedKubeSecretReferences` (several).
        ("secrets.infisical.com", _) => {
            let single = spec.and_then(|s| s.get("managedSecretReference"));
            for r in single
                .into_iter()
                .chain(items(&["managedKubeSecretReferences"]))
            {
                if let Some(n) = str_at(Some(r), &["secretName"]) {
                    made.push(secret(n, str_at(Some(r), &["secretNamespace"])));
                }
            }
        }
        // https://github.com/isindir/sops-secrets-operator: one Secret per
        // `spec.secretTemplates[].name`.
        ("isindir.github.com", _) => {
            for t in items(&["secretTemplates"]) {
                made.extend(str_at(Some(t), &["name"]).map(|n| secret(n, None)));
            }
        }
        // https://secrets-store-csi-driver.sigs.k8s.io/topics/sync-as-kubernetes-secret:
        // `spec.secretObjects[].secretName`, synced once a pod mounts the volume.
        ("secrets-store.csi.x-k8s.io", _) => {
            for o in items(&["secretObjects"]) {
                made.extend(str_at(Some(o), &["secretName"]).map(|n| secret(n, None)));
            }
        }
        // https://external-secrets.io/latest/api/clusterexternalsecret/: an ExternalSecret
        // (`spec.externalSecretName`, else the resource's name) in each selected namespace,
        // making `externalSecretSpec.target.name`, else the ExternalSecret's name.
        ("external-secrets.io", _) => {
            everywhere = true;
            let es = str_at(spec, &["externalSecretName"]).unwrap_or(name);
            let target = str_at(spec, &["externalSecretSpec", "target", "name"]).unwrap_or(es);
            made.push(secret(target, None));
        }
        // https://kyverno.io/docs/writing-policies/generate/: `generate.kind` and `.name` of
        // each rule, in the namespaces its match and `generate.namespace` decide.
        ("kyverno.io", _) => {
            everywhere = true;
            for rule in items(&["rules"]) {
                let generate = rule.get("generate");
                let kind = match str_at(generate, &["kind"]) {
                    Some("Secret") => "Secret",
                    Some("ConfigMap") => "ConfigMap",
                    _ => continue,
                };
                if let Some(n) = str_at(generate, &["name"]) {
                    made.push(Made {
                        kind,
                        name: text(n),
                        namespace: None,
                    });
                }
            }
        }
        // https://cert-manager.io/docs/trust/trust-manager/: a ConfigMap (`spec.target.
        // configMap`) and/or Secret (`spec.target.secret`) named as the Bundle in every
        // namespace `spec.target.namespaceSelector` picks.
        ("trust.cert-manager.io", _) => {
            everywhere = true;
            let target = spec.and_then(|s| s.get("target"));
            if target.and_then(|t| t.get("configMap")).is_some() {
                made.push(Made {
                    kind: "ConfigMap",
                    name: text(name),
                    namespace: None,
                });
            }
            if target.and_then(|t| t.get("secret")).is_some() {
                made.push(secret(name, None));
            }
        }
        _ => {}
    }
    ConfigMaker {
        made: made.into(),
        everywhere,
        maybe: None,
    }
}

/// Whether `haystack` holds `needle` (lower-case ASCII) in any case, without allocating.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}
