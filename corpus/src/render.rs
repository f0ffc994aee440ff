//! YAML text of the objects the shapes share. Written by hand (no serializer) so that the output
//! carries what real repositories do: comments, anchors and aliases, block scalars, flow style.

use std::fmt::Write;

use crate::rng::Rng;

pub const CLUSTER_KEY: &str = "net.example.io/cluster";
pub const ANNOUNCE_KEY: &str = "net.example.io/announce";
pub const TENANT_KEY: &str = "net.example.io/tenant";

/// How a Service's traffic reaches the pods, and what a route gives as `port`.
#[derive(Clone, Copy, Debug)]
pub struct Ports {
    pub grpc: bool,
    /// `targetPort` by name (`http`/`grpc`) rather than number.
    pub named_target: bool,
}

impl Ports {
    pub fn name(self) -> &'static str {
        if self.grpc { "grpc" } else { "http" }
    }
    pub fn service(self) -> u16 {
        if self.grpc { 9090 } else { 80 }
    }
    pub fn container(self) -> u16 {
        if self.grpc { 50051 } else { 8080 }
    }
}

/// Joins documents into one multi-document file.
pub fn join_docs(header: &str, docs: &[String]) -> String {
    let mut s =
        String::with_capacity(header.len() + docs.iter().map(|d| d.len() + 4).sum::<usize>());
    s.push_str(header);
    for (i, d) in docs.iter().enumerate() {
        if i > 0 || !header.is_empty() {
            s.push_str("---\n");
        }
        s.push_str(d);
    }
    s
}

pub fn namespace(name: &str, labels: &[(&str, &str)]) -> String {
    let mut s = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n");
    if !labels.is_empty() {
        s.push_str("  labels:\n");
        for (k, v) in labels {
            let _ = writeln!(s, "    {k}: {v}");
        }
    }
    s
}

pub fn deployment(
    rng: &mut Rng,
    name: &str,
    ns: &str,
    part_of: &str,
    ports: Ports,
    config: bool,
    anchors: bool,
) -> String {
    let mut s = String::with_capacity(2600);
    // Hand-written manifests share the labels with an anchor; rendered ones repeat them.
    let (labels, selector, template) = if anchors {
        (" &labels", " *labels".to_string(), " *labels".to_string())
    } else {
        let block = |indent: &str| {
            format!(
                "\n{indent}app.kubernetes.io/name: {name}\n{indent}app.kubernetes.io/part-of: {part_of}"
            )
        };
        ("", block("      "), block("        "))
    };
    let replicas = *rng.pick(&[1, 2, 2, 3, 3, 3, 4, 6]);
    let version = format!(
        "v{}.{}.{}",
        rng.range(0, 4),
        rng.range(0, 30),
        rng.range(0, 12)
    );
    let cpu = *rng.pick(&["50m", "100m", "250m", "500m"]);
    let mem = *rng.pick(&["64Mi", "128Mi", "256Mi", "512Mi"]);
    let pname = ports.name();
    let cport = ports.container();
    let _ = write!(
        s,
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
  labels:{labels}
    app.kubernetes.io/name: {name}
    app.kubernetes.io/part-of: {part_of}
  annotations:
    description: >-
      {name} serves the {part_of} tenant. Rolled out by the platform pipeline;
      the runbook is in the tenant README.
spec:
  replicas: {replicas}
  revisionHistoryLimit: 5
  selector:
    matchLabels:{selector}
  strategy:
    type: RollingUpdate
    rollingUpdate: {{maxSurge: 25%, maxUnavailable: 0}}
  template:
    metadata:
      labels:{template}
      annotations:
        prometheus.io/scrape: \"true\"
        prometheus.io/port: \"9102\"
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        fsGroup: 10001
        seccompProfile: {{type: RuntimeDefault}}
      containers:
        - name: {name}
          image: registry.example.com/{part_of}/{name}:{version}
          imagePullPolicy: IfNotPresent
          args: [\"--listen=:{cport}\", \"--metrics=:9102\", \"--log-format=json\"]
          ports:
            - name: {pname}
              containerPort: {cport}
              protocol: TCP
            - name: metrics
              containerPort: 9102
          env:
            - name: LOG_LEVEL
              value: info
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef: {{fieldPath: metadata.namespace}}
"
    );
    if config {
        let _ = write!(
            s,
            "          envFrom:
            - configMapRef:
                name: {name}-config
"
        );
    }
    let probe = if ports.grpc {
        format!("grpc: {{port: {cport}}}")
    } else {
        format!("httpGet: {{path: /healthz, port: {pname}}}")
    };
    let _ = write!(
        s,
        "          readinessProbe:
            {probe}
            periodSeconds: 10
          livenessProbe:
            {probe}
            initialDelaySeconds: 10
            periodSeconds: 30
          resources:
            requests: {{cpu: {cpu}, memory: {mem}}}
            limits: {{memory: {mem}}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          volumeMounts:
            - {{name: tmp, mountPath: /tmp}}
      volumes:
        - name: tmp
          emptyDir: {{}}
"
    );
    s
}

/// A ClusterIP Service in front of the Deployment of the same name.
pub fn service(name: &str, ns: &str, ports: Ports) -> String {
    let pname = ports.name();
    let target = if ports.named_target {
        pname.to_string()
    } else {
        ports.container().to_string()
    };
    let sport = ports.service();
    format!(
        "apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
  labels:
    app.kubernetes.io/name: {name}
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: {name}
  ports:
    - name: {pname}
      port: {sport}
      targetPort: {target}
      protocol: TCP
    - name: metrics
      port: 9102
      targetPort: metrics
"
    )
}

/// A LoadBalancer Service with the given labels.
pub fn lb_service(
    name: &str,
    ns: &str,
    selector_app: &str,
    labels: &[(&str, &str)],
    class: Option<&str>,
    port: u16,
    target_port: Option<&str>,
) -> String {
    let target_port = target_port.map_or_else(|| port.to_string(), str::to_string);
    let mut s = format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels:\n"
    );
    for (k, v) in labels {
        let _ = writeln!(s, "    {k}: {v}");
    }
    s.push_str("spec:\n  type: LoadBalancer\n  externalTrafficPolicy: Local\n");
    if let Some(c) = class {
        let _ = writeln!(s, "  loadBalancerClass: {c}");
    }
    let _ = write!(
        s,
        "  selector:\n    app.kubernetes.io/name: {selector_app}\n  ports:\n    - name: tcp\n      port: {port}\n      targetPort: {target_port}\n"
    );
    s
}

pub fn config_map(rng: &mut Rng, name: &str, ns: &str) -> String {
    let pool = rng.range(5, 50);
    let timeout = rng.range(2, 30);
    let feature = *rng.pick(&["search-v2", "new-checkout", "dark-mode", "fast-path"]);
    format!(
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: {ns}
data:
  LOG_FORMAT: json
  FEATURE_FLAGS: \"{feature}\"
  app.yaml: |
    # rendered into /etc/app/app.yaml
    server:
      readTimeout: {timeout}s
      writeTimeout: {timeout}s
    database:
      pool: {pool}
      statementCacheSize: 256
    tracing:
      enabled: true
      sampler: parentbased_traceidratio
      ratio: 0.05
  motd.txt: >
    Managed by GitOps. Changes made with kubectl edit
    are reverted on the next sync.
"
    )
}

/// A TLS Secret encrypted with sops, as GitOps repositories commit them (placeholder data).
pub fn tls_secret(rng: &mut Rng, name: &str, ns: &str) -> String {
    let a = rng.next_u64();
    format!(
        "apiVersion: v1
kind: Secret
metadata:
  name: {name}
  namespace: {ns}
  annotations:
    note: placeholder, not key material
type: kubernetes.io/tls
data:
  tls.crt: ENC[AES256_GCM,data:UExBQ0VIT0xERVI{a:016x},iv:aXY=,tag:dGFn,type:str]
  tls.key: ENC[AES256_GCM,data:UExBQ0VIT0xERVI{a:016x},iv:aXY=,tag:dGFn,type:str]
sops:
  age:
    - recipient: age1placeholder
  encrypted_regex: ^(data|stringData)$
  version: 3.9.1
"
    )
}

/// A route's parentRef, as written.
pub struct Parent<'a> {
    pub name: &'a str,
    /// Written when the route lives in another namespace.
    pub namespace: Option<&'a str>,
    pub section: Option<&'a str>,
    pub port: Option<u16>,
}

/// An HTTPRoute or GRPCRoute with one parent, one hostname and one backend.
#[allow(clippy::too_many_arguments)]
pub fn route(
    grpc: bool,
    name: &str,
    ns: &str,
    parent: &Parent,
    hostname: &str,
    backend: &str,
    backend_ns: Option<&str>,
    port: u16,
    suppress_comment: bool,
) -> String {
    let kind = if grpc { "GRPCRoute" } else { "HTTPRoute" };
    let mut s = format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  parentRefs:\n    - name: {}\n",
        parent.name
    );
    if let Some(n) = parent.namespace {
        let _ = writeln!(s, "      namespace: {n}");
    }
    if let Some(sec) = parent.section {
        let _ = writeln!(s, "      sectionName: {sec}");
    }
    if let Some(p) = parent.port {
        let _ = writeln!(s, "      port: {p}");
    }
    let _ = writeln!(s, "  hostnames:\n    - \"{hostname}\"\n  rules:");
    if grpc {
        let _ = writeln!(
            s,
            "    - matches:\n        - method:\n            service: {}.v1.Api\n      backendRefs:",
            name.replace('-', "_")
        );
    } else {
        s.push_str(
            "    - matches:\n        - path: {type: PathPrefix, value: /}\n      filters:\n        - type: RequestHeaderModifier\n          requestHeaderModifier:\n            set:\n              - {name: X-Forwarded-Proto, value: https}\n      backendRefs:\n",
        );
    }
    if suppress_comment {
        s.push_str(
            "        # cilint-ignore backend-not-found -- the Service is created by the chart\n",
        );
    }
    let _ = writeln!(s, "        - name: {backend}");
    if let Some(n) = backend_ns {
        let _ = writeln!(s, "          namespace: {n}");
    }
    let _ = writeln!(s, "          port: {port}");
    s
}

pub fn reference_grant(ns: &str, from_ns: &str, kinds: &[&str]) -> String {
    let mut s = format!(
        "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata:\n  name: from-{from_ns}\n  namespace: {ns}\nspec:\n  from:\n"
    );
    for k in kinds {
        let _ = writeln!(
            s,
            "    - group: gateway.networking.k8s.io\n      kind: {k}\n      namespace: {from_ns}"
        );
    }
    s.push_str("  to:\n    - group: \"\"\n      kind: Service\n");
    s
}

pub fn ip_pool(name: &str, cidr: &str, match_labels: &[(&str, &str)]) -> String {
    let mut s = format!(
        "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: {name}\nspec:\n  blocks:\n    - cidr: {cidr}\n  serviceSelector:\n    matchLabels:\n"
    );
    for (k, v) in match_labels {
        let _ = writeln!(s, "      {k}: {v}");
    }
    s
}

/// A selector as `matchExpressions` of `In` terms.
pub fn match_expressions(indent: &str, terms: &[(&str, Vec<String>)]) -> String {
    let mut s = format!("{indent}matchExpressions:\n");
    for (k, values) in terms {
        let _ = writeln!(
            s,
            "{indent}  - key: {k}\n{indent}    operator: In\n{indent}    values: [{}]",
            values.join(", ")
        );
    }
    s
}

pub fn l2_policy(name: &str, match_labels: &[(&str, &str)]) -> String {
    let mut s = format!(
        "apiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\nmetadata:\n  name: {name}\nspec:\n  nodeSelector:\n    matchExpressions:\n      - key: node-role.kubernetes.io/control-plane\n        operator: DoesNotExist\n  serviceSelector:\n    matchLabels:\n"
    );
    for (k, v) in match_labels {
        let _ = writeln!(s, "      {k}: {v}");
    }
    s.push_str("  interfaces:\n    - ^eth[0-9]+\n  externalIPs: false\n  loadBalancerIPs: true\n");
    s
}

/// The BGP v2 chain: cluster config → peer config → advertisement (selected by `advertise`).
pub fn bgp_chain(prefix: &str, asn: u32, peer_ip: &str, selector: &str) -> [String; 3] {
    [
        format!(
            "apiVersion: cilium.io/v2
kind: CiliumBGPClusterConfig
metadata:
  name: {prefix}-bgp
spec:
  nodeSelector:
    matchLabels:
      net.example.io/bgp: enabled
  bgpInstances:
    - name: {prefix}-{asn}
      localASN: {asn}
      peers:
        - name: tor
          peerASN: 65000
          peerAddress: {peer_ip}
          peerConfigRef:
            name: {prefix}-peer
"
        ),
        format!(
            "apiVersion: cilium.io/v2
kind: CiliumBGPPeerConfig
metadata:
  name: {prefix}-peer
spec:
  timers:
    holdTimeSeconds: 9
    keepAliveTimeSeconds: 3
  gracefulRestart:
    enabled: true
    restartTimeSeconds: 15
  families:
    - afi: ipv4
      safi: unicast
      advertisements:
        matchLabels:
          advertise: {prefix}-services
"
        ),
        bgp_advertisement(&format!("{prefix}-services"), prefix, selector),
    ]
}

/// A Service advertisement of LoadBalancer IPs; `selector` is the indented selector body.
pub fn bgp_advertisement(name: &str, advertise: &str, selector: &str) -> String {
    format!(
        "apiVersion: cilium.io/v2
kind: CiliumBGPAdvertisement
metadata:
  name: {name}
  labels:
    advertise: {advertise}-services
spec:
  advertisements:
    - advertisementType: Service
      service:
        addresses:
          - LoadBalancerIP
      selector:
{selector}"
    )
}

/// A misspelling of `s`: one character dropped, doubled, swapped or replaced.
pub fn typo(rng: &mut Rng, s: &str) -> String {
    let b: Vec<char> = s.chars().collect();
    loop {
        let mut c = b.clone();
        let i = rng.below(c.len());
        match rng.below(4) {
            0 if c.len() > 2 => {
                c.remove(i);
            }
            1 => c.insert(i, c[i]),
            2 if i + 1 < c.len() => c.swap(i, i + 1),
            _ => c[i] = *rng.pick(&['a', 'e', 'i', 'o', 'r', 's', 't']),
        }
        let out: String = c.into_iter().collect();
        let dns = out.starts_with(|ch: char| ch.is_ascii_alphanumeric())
            && out.ends_with(|ch: char| ch.is_ascii_alphanumeric())
            && !out.contains("--");
        if out != s && dns {
            return out;
        }
    }
}
