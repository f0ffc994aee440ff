//! Secret: its type and key names, and which keys hold a value in plain text. Never a value.

use super::{Text, text};
use crate::source::Span;
use crate::source::yaml::Node;

/// The label Argo CD's declarative repository, credential and cluster Secrets carry.
const ARGO_SECRET_TYPE_LABEL: &str = "argocd.argoproj.io/secret-type";

/// Keys of Argo CD's declarative Secrets that hold settings, not credentials: a repository
/// Secret holding only its `url` and `type` is public information, committed by design.
const ARGO_SETTINGS: &[&str] = &[
    "clusterResources",
    "enableLfs",
    "enableOCI",
    "forceHttpBasicAuth",
    "githubAppEnterpriseBaseUrl",
    "githubAppID",
    "githubAppInstallationID",
    "insecure",
    "insecureIgnoreHostKey",
    "name",
    "namespaces",
    "noProxy",
    "project",
    "proxy",
    "server",
    "type",
    "url",
    "username",
];

/// What cilint keeps of a Secret: never its values.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Secret {
    pub secret_type: Option<String>,
    pub keys: Box<[Text]>,
    /// The keys whose values are written in plain text, when some are.
    pub plain_text: Option<Box<PlainText>>,
}

/// The keys of a Secret whose values are readable by anyone who reads the file.
#[derive(Clone, Debug, PartialEq)]
pub struct PlainText {
    /// The span of the first `data` or `stringData` key holding such values.
    pub field_span: Span,
    /// `data` or `stringData`, the field at `field_span`.
    pub field: &'static str,
    /// The key names, in the order written (`data`'s first).
    pub keys: Box<[Text]>,
}

impl Secret {
    pub fn from_document(doc: Node<'_>) -> Secret {
        Secret {
            secret_type: doc.get("type").and_then(Node::as_str).map(str::to_string),
            keys: ["data", "stringData"]
                .iter()
                .filter_map(|k| doc.get(k))
                .flat_map(Node::as_map)
                .filter_map(|(k, _)| k.as_str().map(text))
                .collect(),
            plain_text: plain_text(doc).map(Box::new),
        }
    }
}

/// The plain-text keys of a Secret document. A document sops encrypted carries sops' `sops:`
/// metadata beside its fields, and each encrypted value reads `ENC[AES256_GCM,…]`; a value that
/// is a placeholder (Flux `${VAR}`, a template's `{{ }}`, argocd-vault-plugin's `<path:…>` or a
/// `<your-token>` to fill in) is not the secret itself.
fn plain_text(doc: Node<'_>) -> Option<PlainText> {
    if doc.get("sops").is_some() {
        return None;
    }
    let argo = doc
        .at(&["metadata", "labels", ARGO_SECRET_TYPE_LABEL])
        .is_some();
    let mut found: Option<PlainText> = None;
    for field in ["data", "stringData"] {
        let Some((key, values)) = doc.get_entry(field) else {
            continue;
        };
        let plain = values
            .as_map()
            .filter(|(_, v)| v.as_str().is_some_and(is_plain))
            .filter_map(|(k, _)| k.as_str())
            .filter(|k| !(argo && ARGO_SETTINGS.contains(k)));
        match &mut found {
            Some(f) => {
                let more: Vec<Text> = plain.map(text).collect();
                f.keys = f.keys.iter().cloned().chain(more).collect();
            }
            None => {
                let keys: Box<[Text]> = plain.map(text).collect();
                if !keys.is_empty() {
                    found = Some(PlainText {
                        field_span: key.span(),
                        field,
                        keys,
                    });
                }
            }
        }
    }
    found
}

/// Prefixes of references a tool resolves before the Secret is applied: 1Password's
/// `op inject` (`op://vault/item/field`, the bootstrap Secrets of many home-ops repositories),
/// vals and helmfile (`ref+vault://…`, `ref+sops://…`), and Bank-Vaults' webhook
/// (`vault:secret/data/…#key`).
const REFERENCES: &[&str] = &["op://", "ref+", "vault:"];

/// Whether a value is a secret written as it is: not empty, not encrypted, not a placeholder
/// or a reference another tool resolves.
fn is_plain(value: &str) -> bool {
    let v = value.trim();
    !(v.is_empty()
        || v.starts_with("ENC[")
        || v.contains("${")
        || v.contains("{{")
        || (v.starts_with('<') && v.ends_with('>'))
        || REFERENCES.iter().any(|r| v.starts_with(r)))
}

#[cfg(test)]
mod tests {
    use crate::model::{Spec, first_object};

    fn plain_keys(yaml: &str) -> Option<Vec<String>> {
        match first_object(yaml, "default").spec {
            Spec::Secret(s) => s
                .plain_text
                .map(|p| p.keys.iter().map(|k| k.to_string()).collect()),
            _ => panic!("not a Secret"),
        }
    }

    #[test]
    fn data_and_string_data_in_plain_text() {
        let yaml = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\n\
                    data: {password: aHVudGVyMg==, empty: ''}\nstringData: {user: app}\n";
        assert_eq!(
            plain_keys(yaml),
            Some(vec!["password".into(), "user".into()])
        );
    }

    #[test]
    fn sops_encrypted_documents_are_not_plain() {
        let yaml = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\n\
                    stringData: {password: 'ENC[AES256_GCM,data:Zm9v,iv:YmFy,tag:YmF6,type:str]'}\n\
                    sops:\n  age: []\n  version: 3.9.0\n";
        assert_eq!(plain_keys(yaml), None);
        // Encrypted with `encrypted_regex` but the metadata cut away: values still say so.
        let yaml = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\n\
                    stringData: {password: 'ENC[AES256_GCM,data:Zm9v,type:str]'}\n";
        assert_eq!(plain_keys(yaml), None);
    }

    #[test]
    fn placeholders_are_not_secrets() {
        let yaml = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\n\
                    stringData:\n  password: ${DB_PASSWORD}\n  \
                    url: postgres://app:${DB_PASSWORD}@db:5432/app\n  \
                    token: <path:kv/data/app#token>\n  key: <your-api-key>\n  \
                    op: 'op://kubernetes/1password/OP_CONNECT_TOKEN'\n  \
                    vals: ref+vault://secret/app#/token\n  bank: vault:secret/data/app#token\n";
        assert_eq!(plain_keys(yaml), None);
    }

    #[test]
    fn argo_cd_repository_settings_are_not_secrets() {
        let yaml = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: repo\n  labels:\n    \
                    argocd.argoproj.io/secret-type: repository\n\
                    stringData: {type: git, url: 'https://github.com/org/repo'}\n";
        assert_eq!(plain_keys(yaml), None);
        let with_password = yaml.replace("url: 'https://github.com/org/repo'", "password: hunter2");
        assert_eq!(plain_keys(&with_password), Some(vec!["password".into()]));
    }
}
