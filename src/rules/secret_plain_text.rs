//! secret-plain-text: a Secret committed with its values readable: `stringData` as written,
//! `data` base64-encoded (an encoding, not encryption). Anyone who can read the repository, or
//! any clone or fork of it, ever, has the credentials. sops-encrypted documents (their `sops:`
//! metadata, `ENC[…]` values), placeholders and files git-crypt or transcrypt encrypt in git are
//! not plain text. The finding names the keys, never a value.

use super::{Category, Facts, Rule, RuleMeta};
use crate::diagnostic::{Finding, Severity};
use crate::model::secret::PlainText;
use crate::model::{Object, Origin, Spec};

pub static META: RuleMeta = RuleMeta {
    id: "secret-plain-text",
    severity: Severity::Warning,
    category: Category::Kubernetes,
    summary: "a Secret is committed with its values in plain text (not sops-encrypted, not a \
              SealedSecret)",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// Key names listed in a message; the rest are counted.
const LISTED: usize = 5;

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for &id in catalog.of_kind("", "Secret") {
        let secret = catalog.object(id);
        if secret.origin != Origin::Manifest {
            continue;
        }
        if let Spec::Secret(s) = &secret.spec
            && let Some(plain) = &s.plain_text
            && let Some(location) = secret.at(plain.field_span)
        {
            out.push(finding(secret, plain, location));
        }
    }
}

fn finding(secret: &Object, plain: &PlainText, location: crate::source::Location) -> Finding {
    let n = plain.keys.len();
    let mut keys: Vec<String> = plain
        .keys
        .iter()
        .take(LISTED)
        .map(|k| format!("`{k}`"))
        .collect();
    if n > LISTED {
        keys.push(format!("{} more", n - LISTED));
    }
    let encoding = if plain.field == "data" {
        " (base64 is an encoding: anyone decodes it)"
    } else {
        ""
    };
    Finding::new(
        &META,
        location,
        format!(
            "Secret {} is committed in plain text: {} {}{encoding}",
            secret.qualified_name(),
            if n == 1 { "key" } else { "keys" },
            keys.join(", ")
        ),
    )
    .object(secret)
    .field(plain.field)
    .label("readable by anyone who can read the repository")
    .help(
        "encrypt it before committing it: `sops --encrypt --encrypted-regex \
         '^(data|stringData)$' --in-place <file>` (Flux decrypts it with `spec.decryption`, \
         Argo CD with KSOPS), or replace it with a SealedSecret (`kubeseal`) or an \
         ExternalSecret. Then rotate the values: they stay in the repository's history",
    )
}

#[cfg(test)]
mod tests {
    use crate::rules::findings_in;

    #[test]
    fn names_the_keys_never_the_values() {
        let found = findings_in(
            super::check,
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: apps}\n\
             data:\n  password: aHVudGVyMg==\nstringData:\n  user: app-user\n",
        );
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(
            f.message,
            "Secret apps/db is committed in plain text: keys `password`, `user` (base64 is an \
             encoding: anyone decodes it)"
        );
        assert_eq!(
            (f.location.span.start.line, f.location.span.start.col),
            (4, 1)
        );
        let all = format!("{f:?}");
        assert!(
            !all.contains("aHVudGVyMg") && !all.contains("app-user"),
            "{all}"
        );
    }

    #[test]
    fn many_keys_are_counted() {
        let keys: String = (0..8).map(|i| format!("  k{i}: v\n")).collect();
        let found = findings_in(
            super::check,
            &format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: env}}\nstringData:\n{keys}"),
        );
        assert!(
            found[0]
                .message
                .ends_with("keys `k0`, `k1`, `k2`, `k3`, `k4`, 3 more"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn encrypted_and_empty_secrets_pass() {
        for yaml in [
            "apiVersion: v1\nkind: Secret\nmetadata: {name: tls}\ntype: kubernetes.io/tls\n\
             data: {tls.crt: '', tls.key: ''}\n",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\n\
             stringData: {password: 'ENC[AES256_GCM,data:Zm9v,type:str]'}\nsops: {version: 3.9.0}\n",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: sa-token, annotations: \
             {kubernetes.io/service-account.name: app}}\ntype: kubernetes.io/service-account-token\n",
        ] {
            assert!(findings_in(super::check, yaml).is_empty(), "{yaml}");
        }
    }
}
