//! The `home-ops` shape: one Flux cluster in the style of onedr0p/home-ops, where almost every
//! app is a bjw-s `app-template` HelmRelease whose Services and HTTPRoutes exist only in
//! `spec.values`, so linting it measures the cost of rendering them.
//!
//! Layout (as in the cluster-template): `kubernetes/flux/cluster/ks.yaml` applies
//! `kubernetes/apps`; each `kubernetes/apps/<ns>/kustomization.yaml` sets `namespace: <ns>`,
//! includes the component `kubernetes/components/common` (the Namespace, the OCIRepository
//! `app-template` at 4.6.2, the ConfigMap `cluster-settings`) and lists one Flux Kustomization
//! `<app>/ks.yaml` per app, which applies `<app>/app/` with `targetNamespace`. The `network`
//! namespace holds the Gateways `external`/`internal`, `kube-system` the Cilium setup.
//!
//! `objects` counts the YAML documents written, `kustomization.yaml` files included (cilint
//! counts them too); it is exact when it is at least [`FIXED_OBJECTS`].
//! About one rendered Service or route in 50 carries a planted defect.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::io;

use crate::rng::Rng;
use crate::{Defect, Out};

/// One defect per this many rendered objects (Services and routes): 2%.
const DEFECT_EVERY: usize = 50;
/// Documents outside the apps' namespaces: flux (1), the component (6), kube-system (10),
/// network (7), cert-manager (6).
pub(crate) const FIXED_OBJECTS: usize = 30;
/// ks.yaml, kustomization.yaml, helmrelease.yaml.
const APP_TEMPLATE_OBJECTS: usize = 3;
/// ks.yaml, kustomization.yaml, ocirepository.yaml, helmrelease.yaml.
const OTHER_CHART_OBJECTS: usize = 4;
/// The most documents left over when no app fits; they become ConfigMaps in `network`.
const NETWORK_SETTINGS: &[&str] = &[
    "gateway-settings",
    "external-dns-settings",
    "cloudflared-settings",
];
/// Every this-many-th namespace runs other charts (operators, databases, monitoring), so that
/// about 80% of the HelmReleases are app-template.
const CHART_NAMESPACE_EVERY: usize = 5;

const SCHEMA_KS: &str = "# yaml-language-server: $schema=https://k8s-schemas.home-operations.com/kustomize.toolkit.fluxcd.io/kustomization_v1.json
";
const SCHEMA_HR: &str = "# yaml-language-server: $schema=https://raw.githubusercontent.com/bjw-s-labs/helm-charts/main/charts/other/app-template/schemas/helmrelease-helm-v2.schema.json
";
const SCHEMA_KUSTOMIZE: &str =
    "# yaml-language-server: $schema=https://json.schemastore.org/kustomization\n";

const APP_NAMESPACES: &[&str] = &[
    "default",
    "media",
    "home-automation",
    "downloads",
    "selfhosted",
    "games",
    "ai",
    "tools",
    "backup",
    "office",
];
const CHART_NAMESPACES: &[&str] = &["observability", "database", "storage", "security"];
const APP_WORDS: &[&str] = &[
    "radarr",
    "sonarr",
    "lidarr",
    "readarr",
    "prowlarr",
    "bazarr",
    "overseerr",
    "jellyseerr",
    "tautulli",
    "plex",
    "jellyfin",
    "qbittorrent",
    "sabnzbd",
    "autobrr",
    "recyclarr",
    "home-assistant",
    "zigbee2mqtt",
    "zwave-js-ui",
    "esphome",
    "node-red",
    "mosquitto",
    "frigate",
    "paperless",
    "miniflux",
    "searxng",
    "homepage",
    "gatus",
    "echo",
    "actual",
    "mealie",
    "immich",
    "vaultwarden",
    "linkding",
    "karakeep",
    "atuin",
    "open-webui",
    "ollama",
    "minecraft",
    "valheim",
    "syncthing",
    "kopia",
    "filebrowser",
    "it-tools",
    "stirling-pdf",
    "excalidraw",
    "calibre-web",
    "audiobookshelf",
    "navidrome",
    "pinchflat",
    "thelounge",
];
/// Other charts, with the OCI repository each comes from.
const OTHER_CHARTS: &[(&str, &str, &str)] = &[
    (
        "grafana",
        "oci://ghcr.io/grafana/helm-charts/grafana",
        "10.1.4",
    ),
    (
        "kube-prometheus-stack",
        "oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack",
        "79.5.0",
    ),
    (
        "cloudnative-pg",
        "oci://ghcr.io/cloudnative-pg/charts/cloudnative-pg",
        "0.26.1",
    ),
    (
        "dragonfly-operator",
        "oci://ghcr.io/dragonflydb/dragonfly-operator/helm/dragonfly-operator",
        "1.3.0",
    ),
    (
        "victoria-logs-single",
        "oci://ghcr.io/victoriametrics/helm-charts/victoria-logs-single",
        "0.11.17",
    ),
    (
        "external-dns",
        "oci://ghcr.io/home-operations/charts-mirror/external-dns",
        "1.19.0",
    ),
    ("rook-ceph", "oci://ghcr.io/rook/rook-ceph", "v1.18.6"),
    (
        "volsync",
        "oci://ghcr.io/home-operations/charts-mirror/volsync",
        "0.13.1",
    ),
];
const PORTS: &[u16] = &[
    80, 3000, 3001, 5000, 5055, 6767, 7878, 8000, 8080, 8096, 8181, 8989, 9000, 9117,
];
const ROUTE_DEFECTS: [Defect; 5] = [
    Defect::RouteParentNotFound,
    Defect::RouteListenerNotFound,
    Defect::BackendNotFound,
    Defect::BackendPortMismatch,
    Defect::ChartRenderFailed,
];

/// How a route's backends are written, in the proportions of real repositories (spec §17).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Backends {
    /// No `rules`: the chart fills in the release's one Service.
    Absent,
    /// `identifier: app` with the port.
    Identifier,
    /// `name: <release>` (the rendered Service name) with the port.
    Name,
    /// `backendRefs: [{}]`: filled in with the release's one Service.
    Empty,
}

struct Route {
    id: &'static str,
    gateway: &'static str,
    host_suffix: &'static str,
    backends: Backends,
}

struct App {
    name: String,
    port: u16,
    two_services: bool,
    /// The address of its LoadBalancer Service, if it has one.
    lb_ip: Option<String>,
    routes: Vec<Route>,
    defect: Option<Defect>,
}

impl App {
    fn rendered(&self) -> usize {
        1 + usize::from(self.two_services) + self.routes.len()
    }
}

/// Global state of one tree: unique app names, the next LoadBalancer IP, the defect schedule.
struct Plan {
    used: BTreeMap<&'static str, usize>,
    lb_ips: usize,
    rendered: usize,
    defects: usize,
}

impl Plan {
    fn app_name(&mut self, rng: &mut Rng, words: &[&'static str]) -> String {
        let word = *rng.pick(words);
        let n = self.used.entry(word).or_default();
        *n += 1;
        if *n == 1 {
            word.to_string()
        } else {
            format!("{word}-{n}")
        }
    }

    fn next_lb_ip(&mut self) -> String {
        // 10.45.1.1 upwards inside the pool 10.45.0.0/16; the Gateways use 10.45.0.x.
        let i = self.lb_ips;
        self.lb_ips += 1;
        format!("10.45.{}.{}", 1 + i / 250, 1 + i % 250)
    }
}

pub fn generate(w: &mut Out, rng: &mut Rng, budget: usize) -> io::Result<()> {
    let target = w.stats.objects + budget;
    let mut plan = Plan {
        used: BTreeMap::new(),
        lb_ips: 0,
        rendered: 0,
        defects: 0,
    };
    let mut ns_no = 0usize;
    'namespaces: loop {
        // The namespace's kustomization.yaml and at least one app.
        let left = target.saturating_sub(w.stats.objects + FIXED_OBJECTS);
        if left < 1 + APP_TEMPLATE_OBJECTS {
            break;
        }
        let charts = ns_no % CHART_NAMESPACE_EVERY == CHART_NAMESPACE_EVERY - 1;
        let ns = namespace_name(ns_no, charts);
        ns_no += 1;
        let mut nrng = rng.fork();
        let size = nrng.range(20, 60);
        let mut apps = Vec::new();
        for _ in 0..size {
            let left = target.saturating_sub(w.stats.objects + FIXED_OBJECTS + 1);
            if left < APP_TEMPLATE_OBJECTS {
                break;
            }
            // Never leave one document over, which no app can fill: an other-chart app is not
            // started with 5 left, and an app-template app with 4 left carries a ConfigMap.
            let other_chart =
                charts && left >= OTHER_CHART_OBJECTS && left != OTHER_CHART_OBJECTS + 1;
            let with_config = !other_chart && left == APP_TEMPLATE_OBJECTS + 1;
            let mut arng = nrng.fork();
            let dir = format!("kubernetes/apps/{ns}");
            let name = if other_chart {
                let (chart, url, version) = *arng.pick(OTHER_CHARTS);
                let name = plan.app_name(&mut arng, &[chart]);
                write_other_chart(w, &dir, &ns, &name, chart, url, version)?;
                name
            } else {
                let app = plan_app(&mut arng, &mut plan);
                write_app_template(w, &mut arng, &dir, &ns, &app, with_config)?;
                app.name
            };
            apps.push(name);
        }
        write_namespace_kustomization(w, &ns, &apps, &[])?;
        if apps.len() < size {
            break 'namespaces;
        }
    }
    // At most 3 (the room for a namespace with one app), written as ConfigMaps in `network`.
    let leftover = target.saturating_sub(w.stats.objects + FIXED_OBJECTS);
    fixed(w, leftover.min(NETWORK_SETTINGS.len()))?;
    Ok(())
}

fn namespace_name(no: usize, charts: bool) -> String {
    let (words, i) = if charts {
        (CHART_NAMESPACES, no / CHART_NAMESPACE_EVERY)
    } else {
        (APP_NAMESPACES, no - no / CHART_NAMESPACE_EVERY)
    };
    let word = words[i % words.len()];
    match i / words.len() {
        0 => word.to_string(),
        n => format!("{word}-{}", n + 1),
    }
}

fn plan_app(rng: &mut Rng, plan: &mut Plan) -> App {
    let name = plan.app_name(rng, APP_WORDS);
    let port = *rng.pick(PORTS);
    let due = ROUTE_DEFECTS[plan.defects % ROUTE_DEFECTS.len()];
    let defect = if plan.rendered >= DEFECT_EVERY * (plan.defects + 1) {
        plan.defects += 1;
        Some(due)
    } else {
        None
    };
    let mut app = App {
        name,
        port,
        two_services: false,
        lb_ip: None,
        routes: Vec::new(),
        defect,
    };
    if defect.is_some() {
        // One Service and one route, so the defect draws exactly one finding.
        app.routes.push(Route {
            id: "app",
            gateway: if rng.chance(50) {
                "internal"
            } else {
                "external"
            },
            host_suffix: "",
            backends: Backends::Identifier,
        });
    } else {
        app.two_services = rng.chance(5);
        if !app.two_services && rng.chance(5) {
            app.lb_ip = Some(plan.next_lb_ip());
        }
        if !rng.chance(10) {
            let two_routes = rng.chance(5);
            let first = if rng.chance(60) {
                "internal"
            } else {
                "external"
            };
            app.routes.push(Route {
                id: "app",
                gateway: first,
                host_suffix: "",
                backends: backends(rng, app.two_services),
            });
            if two_routes {
                app.routes.push(Route {
                    id: "external",
                    gateway: if first == "internal" {
                        "external"
                    } else {
                        "internal"
                    },
                    host_suffix: "-ext",
                    backends: backends(rng, app.two_services),
                });
            }
        }
    }
    plan.rendered += app.rendered();
    app
}

fn backends(rng: &mut Rng, two_services: bool) -> Backends {
    if two_services {
        // Automatic detection needs exactly one Service: real releases with two name theirs.
        return Backends::Identifier;
    }
    match rng.below(100) {
        0..50 => Backends::Absent,
        50..80 => Backends::Identifier,
        80..95 => Backends::Name,
        _ => Backends::Empty,
    }
}

fn ks_yaml(app: &str, ns: &str, path: &str, depends_on: Option<&str>) -> String {
    let mut s = format!(
        "---
{SCHEMA_KS}apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: &app {app}
spec:
  commonMetadata:
    labels:
      app.kubernetes.io/name: *app
"
    );
    if let Some(d) = depends_on {
        let _ = write!(s, "  dependsOn:\n    - name: {d}\n");
    }
    let _ = write!(
        s,
        "  interval: 1h
  path: ./{path}
  postBuild:
    substitute:
      APP: *app
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
  prune: true
  retryInterval: 2m
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
  targetNamespace: {ns}
  timeout: 5m
  wait: false
"
    );
    s
}

fn kustomization(resources: &[&str]) -> String {
    let mut s = format!(
        "---
{SCHEMA_KUSTOMIZE}apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
"
    );
    for r in resources {
        let _ = writeln!(s, "  - ./{r}");
    }
    s
}

fn write_namespace_kustomization(
    w: &mut Out,
    ns: &str,
    apps: &[String],
    extra: &[&str],
) -> io::Result<()> {
    let mut s = format!(
        "---
{SCHEMA_KUSTOMIZE}apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {ns}
components:
  - ../../components/common
resources:
"
    );
    for a in apps.iter().map(String::as_str).chain(extra.iter().copied()) {
        let _ = writeln!(s, "  - ./{a}/ks.yaml");
    }
    w.write(&format!("kubernetes/apps/{ns}/kustomization.yaml"), &s, 1)
}

fn ocirepository(name: &str, url: &str, tag: &str) -> String {
    format!(
        "---
# yaml-language-server: $schema=https://k8s-schemas.home-operations.com/source.toolkit.fluxcd.io/ocirepository_v1.json
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: {name}
spec:
  interval: 15m
  layerSelector:
    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
    operation: copy
  ref:
    tag: {tag}
  url: {url}
"
    )
}

fn write_other_chart(
    w: &mut Out,
    dir: &str,
    ns: &str,
    name: &str,
    chart: &str,
    url: &str,
    version: &str,
) -> io::Result<()> {
    let app_dir = format!("{dir}/{name}/app");
    w.write(
        &format!("{dir}/{name}/ks.yaml"),
        &ks_yaml(name, ns, &app_dir, None),
        1,
    )?;
    w.write(
        &format!("{app_dir}/kustomization.yaml"),
        &kustomization(&["helmrelease.yaml", "ocirepository.yaml"]),
        1,
    )?;
    w.write(
        &format!("{app_dir}/ocirepository.yaml"),
        &ocirepository(name, url, version),
        1,
    )?;
    let hr = format!(
        "---
# yaml-language-server: $schema=https://k8s-schemas.home-operations.com/helm.toolkit.fluxcd.io/helmrelease_v2.json
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
spec:
  chartRef:
    kind: OCIRepository
    name: {name}
  interval: 1h
  install:
    remediation:
      retries: -1
  upgrade:
    cleanupOnFail: true
    remediation:
      retries: 3
  values:
    fullnameOverride: {name}
    # {chart} keeps its defaults here; the dashboards and alerts live in git beside it.
    resources:
      requests:
        cpu: 50m
      limits:
        memory: 512Mi
"
    );
    w.write(&format!("{app_dir}/helmrelease.yaml"), &hr, 1)
}

fn write_app_template(
    w: &mut Out,
    rng: &mut Rng,
    dir: &str,
    ns: &str,
    app: &App,
    with_config: bool,
) -> io::Result<()> {
    let name = &app.name;
    let app_dir = format!("{dir}/{name}/app");
    w.write(
        &format!("{dir}/{name}/ks.yaml"),
        &ks_yaml(name, ns, &app_dir, None),
        1,
    )?;
    let resources: &[&str] = if with_config {
        w.write(
            &format!("{app_dir}/configmap.yaml"),
            "---
apiVersion: v1
kind: ConfigMap
metadata:
  name: \"${APP}-config\"
data:
  LOG_LEVEL: info
",
            1,
        )?;
        &["configmap.yaml", "helmrelease.yaml"]
    } else {
        &["helmrelease.yaml"]
    };
    w.write(
        &format!("{app_dir}/kustomization.yaml"),
        &kustomization(resources),
        1,
    )?;
    let text = helmrelease(rng, app);
    w.write(&format!("{app_dir}/helmrelease.yaml"), &text, 1)?;
    if let Some(d) = app.defect {
        w.defect(d);
    }
    Ok(())
}

fn helmrelease(rng: &mut Rng, app: &App) -> String {
    let name = &app.name;
    let env_key = name.to_uppercase().replace('-', "_");
    let tag = format!("{}.{}.{}", rng.range(1, 12), rng.below(30), rng.below(20));
    let mut s = format!(
        "---
{SCHEMA_HR}apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: &app {name}
spec:
  chartRef:
    kind: OCIRepository
    name: app-template
  interval: 1h
  values:
    controllers:
      {name}:
"
    );
    if rng.chance(40) {
        s.push_str("        annotations:\n          reloader.stakater.com/auto: \"true\"\n");
    }
    let _ = write!(
        s,
        "        containers:
          app:
            image:
              repository: ghcr.io/home-operations/{name}
              tag: {tag}
            env:
              TZ: ${{TIMEZONE}}
              {env_key}__PORT: &port {port}
",
        port = app.port
    );
    if rng.chance(30) {
        s.push_str(
            "            envFrom:
              - secretRef:
                  name: \"{{ .Release.Name }}-secret\"
",
        );
    }
    let path = *rng.pick(&["/ping", "/health", "/healthz", "/api/health", "/"]);
    let _ = write!(
        s,
        "            probes:
              liveness: &probes
                enabled: true
                custom: true
                spec:
                  httpGet:
                    path: {path}
                    port: *port
                  initialDelaySeconds: 0
                  periodSeconds: 10
                  timeoutSeconds: 1
                  failureThreshold: 3
              readiness: *probes
"
    );
    if app.two_services {
        s.push_str(
            "          metrics:
            image:
              repository: ghcr.io/home-operations/exportarr
              tag: 2.3.0
            args: [\"{{ .Release.Name }}\"]
            env:
              PORT: &metricsPort 9707
",
        );
    }
    let mem = *rng.pick(&["256Mi", "512Mi", "1Gi", "2Gi"]);
    let _ = write!(
        s,
        "            securityContext:
              allowPrivilegeEscalation: false
              readOnlyRootFilesystem: true
              capabilities: {{ drop: [\"ALL\"] }}
            resources:
              requests:
                cpu: 10m
              limits:
                memory: {mem}
    defaultPodOptions:
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        runAsGroup: 1000
        fsGroup: 1000
        fsGroupChangePolicy: OnRootMismatch
"
    );
    s.push_str("    service:\n      app:\n");
    if let Some(ip) = &app.lb_ip {
        // Reachable on the LAN without the Gateway (DLNA, game ports, direct play).
        let _ = write!(
            s,
            "        type: LoadBalancer
        annotations:
          lbipam.cilium.io/ips: {ip}
        labels:
          announce: l2
"
        );
    }
    s.push_str("        ports:\n          http:\n            port: *port\n");
    if app.two_services {
        s.push_str(
            "      metrics:\n        ports:\n          metrics:\n            port: *metricsPort\n",
        );
    }
    if !app.routes.is_empty() {
        s.push_str("    route:\n");
    }
    for r in &app.routes {
        route(&mut s, app, r);
    }
    let _ = write!(
        s,
        "    persistence:
      config:
        existingClaim: *app
      tmp:
        type: emptyDir
"
    );
    s
}

fn route(s: &mut String, app: &App, r: &Route) {
    let port = app.port;
    let (gateway, section, namespace) = match app.defect {
        Some(Defect::RouteParentNotFound) => (typo(r.gateway), "https", true),
        Some(Defect::RouteListenerNotFound) => (r.gateway.to_string(), "htps", true),
        Some(Defect::ChartRenderFailed) => (r.gateway.to_string(), "https", false),
        _ => (r.gateway.to_string(), "https", true),
    };
    let _ = write!(
        s,
        "      {id}:
        hostnames:
          - \"{{{{ .Release.Name }}}}{suffix}.${{SECRET_DOMAIN}}\"
        parentRefs:
          - name: {gateway}
",
        id = r.id,
        suffix = r.host_suffix
    );
    if namespace {
        s.push_str("            namespace: network\n");
    }
    let _ = writeln!(s, "            sectionName: {section}");
    match app.defect {
        Some(Defect::BackendNotFound) => {
            // Carried over from 3.x, where `name` looked up the Service id.
            s.push_str(
                "        rules:
          - backendRefs:
              - name: app
                port: *port
",
            );
            return;
        }
        Some(Defect::BackendPortMismatch) => {
            let _ = write!(
                s,
                "        rules:
          - backendRefs:
              - identifier: app
                port: {}
",
                port + 1
            );
            return;
        }
        _ => {}
    }
    match r.backends {
        Backends::Absent => {}
        Backends::Identifier => s.push_str(
            "        rules:
          - backendRefs:
              - identifier: app
                port: *port
",
        ),
        Backends::Name => s.push_str(
            "        rules:
          - backendRefs:
              - name: *app
                port: *port
",
        ),
        Backends::Empty => s.push_str("        rules:\n          - backendRefs: [{}]\n"),
    }
}

fn typo(gateway: &str) -> String {
    match gateway {
        "internal" => "internl".to_string(),
        _ => "externel".to_string(),
    }
}

/// Everything outside the apps' namespaces, with `extra` settings ConfigMaps in `network`.
fn fixed(w: &mut Out, extra: usize) -> io::Result<()> {
    w.write(
        "kubernetes/flux/cluster/ks.yaml",
        &format!(
            "---
{SCHEMA_KS}apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
  wait: false
"
        ),
        1,
    )?;
    component(w)?;
    kube_system(w)?;
    network(w, extra)?;
    cert_manager(w)
}

fn component(w: &mut Out) -> io::Result<()> {
    let c = "kubernetes/components/common";
    w.write(
        &format!("{c}/kustomization.yaml"),
        &format!(
            "---
{SCHEMA_KUSTOMIZE}apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - ./namespace.yaml
  - ./repos/app-template
  - ./vars
"
        ),
        1,
    )?;
    w.write(
        &format!("{c}/namespace.yaml"),
        "---
# Renamed to the namespace of the kustomization that includes this component.
apiVersion: v1
kind: Namespace
metadata:
  name: _
  annotations:
    kustomize.toolkit.fluxcd.io/prune: disabled
",
        1,
    )?;
    w.write(
        &format!("{c}/repos/app-template/kustomization.yaml"),
        &kustomization(&["ocirepository.yaml"]),
        1,
    )?;
    w.write(
        &format!("{c}/repos/app-template/ocirepository.yaml"),
        &ocirepository(
            "app-template",
            "oci://ghcr.io/bjw-s-labs/helm/app-template",
            "4.6.2",
        ),
        1,
    )?;
    w.write(
        &format!("{c}/vars/kustomization.yaml"),
        &kustomization(&["cluster-settings.yaml"]),
        1,
    )?;
    w.write(
        &format!("{c}/vars/cluster-settings.yaml"),
        "---
# Non-secret values for postBuild.substituteFrom; the domain kept its SECRET_ name.
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
data:
  SECRET_DOMAIN: example.com
  TIMEZONE: Europe/Amsterdam
  LB_POOL_CIDR: 10.45.0.0/16
  GATEWAY_EXTERNAL_IP: 10.45.0.20
  GATEWAY_INTERNAL_IP: 10.45.0.21
",
        1,
    )
}

fn kube_system(w: &mut Out) -> io::Result<()> {
    let d = "kubernetes/apps/kube-system";
    write_namespace_kustomization(w, "kube-system", &[], &["cilium"])?;
    let ks = format!(
        "{}{}",
        ks_yaml("cilium", "kube-system", &format!("{d}/cilium/app"), None),
        ks_yaml(
            "cilium-config",
            "kube-system",
            &format!("{d}/cilium/config"),
            Some("cilium")
        )
    );
    w.write(&format!("{d}/cilium/ks.yaml"), &ks, 2)?;
    w.write(
        &format!("{d}/cilium/app/kustomization.yaml"),
        &kustomization(&["helmrelease.yaml", "ocirepository.yaml"]),
        1,
    )?;
    w.write(
        &format!("{d}/cilium/app/ocirepository.yaml"),
        &ocirepository(
            "cilium",
            "oci://ghcr.io/home-operations/charts-mirror/cilium",
            "1.18.4",
        ),
        1,
    )?;
    w.write(
        &format!("{d}/cilium/app/helmrelease.yaml"),
        "---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cilium
spec:
  chartRef:
    kind: OCIRepository
    name: cilium
  interval: 1h
  values:
    autoDirectNodeRoutes: true
    bpf:
      masquerade: true
    cgroup:
      automount:
        enabled: false
      hostRoot: /sys/fs/cgroup
    gatewayAPI:
      enabled: true
      enableAlpn: true
      xffNumTrustedHops: 1
    ipam:
      mode: kubernetes
    k8sServiceHost: 127.0.0.1
    k8sServicePort: 7445
    kubeProxyReplacement: true
    l2announcements:
      enabled: true
    loadBalancer:
      algorithm: maglev
      mode: dsr
    operator:
      replicas: 1
    routingMode: native
",
        1,
    )?;
    w.write(
        &format!("{d}/cilium/config/kustomization.yaml"),
        &kustomization(&["gatewayclass.yaml", "l2.yaml", "pool.yaml"]),
        1,
    )?;
    w.write(
        &format!("{d}/cilium/config/gatewayclass.yaml"),
        "---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: cilium
spec:
  controllerName: io.cilium/gateway-controller
",
        1,
    )?;
    w.write(
        &format!("{d}/cilium/config/l2.yaml"),
        "---
# Answer ARP for the LoadBalancer Services that ask for it with the label `announce: l2`.
apiVersion: cilium.io/v2alpha1
kind: CiliumL2AnnouncementPolicy
metadata:
  name: l2-policy
spec:
  loadBalancerIPs: true
  interfaces:
    - ^enp.*
  nodeSelector:
    matchLabels:
      kubernetes.io/os: linux
  serviceSelector:
    matchLabels:
      announce: l2
",
        1,
    )?;
    w.write(
        &format!("{d}/cilium/config/pool.yaml"),
        "---
# One pool, no serviceSelector: every LoadBalancer Service draws from it.
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata:
  name: pool
spec:
  allowFirstLastIPs: \"No\"
  blocks:
    - cidr: ${LB_POOL_CIDR}
",
        1,
    )
}

fn gateway(name: &str, address: &str) -> String {
    format!(
        "---
# yaml-language-server: $schema=https://k8s-schemas.home-operations.com/gateway.networking.k8s.io/gateway_v1.json
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: {name}
  annotations:
    external-dns.alpha.kubernetes.io/target: {name}.${{SECRET_DOMAIN}}
spec:
  gatewayClassName: cilium
  infrastructure:
    # Cilium copies these to its Service cilium-gateway-{name}.
    labels:
      announce: l2
    annotations:
      lbipam.cilium.io/ips: {address}
  listeners:
    - name: http
      protocol: HTTP
      port: 80
      hostname: \"*.${{SECRET_DOMAIN}}\"
      allowedRoutes:
        namespaces:
          from: Same
    - name: https
      protocol: HTTPS
      port: 443
      hostname: \"*.${{SECRET_DOMAIN}}\"
      allowedRoutes:
        namespaces:
          from: All
      tls:
        certificateRefs:
          - kind: Secret
            name: wildcard-production-tls
"
    )
}

fn network(w: &mut Out, extra: usize) -> io::Result<()> {
    let d = "kubernetes/apps/network";
    write_namespace_kustomization(w, "network", &[], &["gateway"])?;
    w.write(
        &format!("{d}/gateway/ks.yaml"),
        &ks_yaml("gateway", "network", &format!("{d}/gateway/app"), None),
        1,
    )?;
    let mut files = vec![
        "certificate.yaml",
        "external.yaml",
        "internal.yaml",
        "redirect.yaml",
    ];
    if extra > 0 {
        files.push("settings.yaml");
        let docs: String = NETWORK_SETTINGS[..extra]
            .iter()
            .map(|name| {
                format!(
                    "---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
data:
  LOG_LEVEL: info
"
                )
            })
            .collect();
        w.write(&format!("{d}/gateway/app/settings.yaml"), &docs, extra)?;
    }
    w.write(
        &format!("{d}/gateway/app/kustomization.yaml"),
        &kustomization(&files),
        1,
    )?;
    w.write(
        &format!("{d}/gateway/app/certificate.yaml"),
        "---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: wildcard-production
spec:
  secretName: wildcard-production-tls
  issuerRef:
    name: letsencrypt-production
    kind: ClusterIssuer
  commonName: ${SECRET_DOMAIN}
  dnsNames:
    - ${SECRET_DOMAIN}
    - \"*.${SECRET_DOMAIN}\"
",
        1,
    )?;
    w.write(
        &format!("{d}/gateway/app/external.yaml"),
        &gateway("external", "${GATEWAY_EXTERNAL_IP}"),
        1,
    )?;
    w.write(
        &format!("{d}/gateway/app/internal.yaml"),
        &gateway("internal", "${GATEWAY_INTERNAL_IP}"),
        1,
    )?;
    w.write(
        &format!("{d}/gateway/app/redirect.yaml"),
        "---
# Plain HTTP on either Gateway only ever answers with a redirect to HTTPS.
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: https-redirect
  annotations:
    external-dns.alpha.kubernetes.io/controller: none
spec:
  parentRefs:
    - name: external
      namespace: network
      sectionName: http
    - name: internal
      namespace: network
      sectionName: http
  rules:
    - filters:
        - type: RequestRedirect
          requestRedirect:
            scheme: https
            statusCode: 301
",
        1,
    )
}

fn cert_manager(w: &mut Out) -> io::Result<()> {
    let d = "kubernetes/apps/cert-manager";
    write_namespace_kustomization(w, "cert-manager", &[], &["cert-manager"])?;
    w.write(
        &format!("{d}/cert-manager/ks.yaml"),
        &ks_yaml(
            "cert-manager",
            "cert-manager",
            &format!("{d}/cert-manager/app"),
            None,
        ),
        1,
    )?;
    w.write(
        &format!("{d}/cert-manager/app/kustomization.yaml"),
        &kustomization(&[
            "clusterissuer.yaml",
            "helmrelease.yaml",
            "ocirepository.yaml",
        ]),
        1,
    )?;
    w.write(
        &format!("{d}/cert-manager/app/ocirepository.yaml"),
        &ocirepository(
            "cert-manager",
            "oci://quay.io/jetstack/charts/cert-manager",
            "v1.19.1",
        ),
        1,
    )?;
    w.write(
        &format!("{d}/cert-manager/app/helmrelease.yaml"),
        "---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cert-manager
spec:
  chartRef:
    kind: OCIRepository
    name: cert-manager
  interval: 1h
  values:
    crds:
      enabled: true
    dns01RecursiveNameservers: https://1.1.1.1:443/dns-query,https://1.0.0.1:443/dns-query
    dns01RecursiveNameserversOnly: true
",
        1,
    )?;
    w.write(
        &format!("{d}/cert-manager/app/clusterissuer.yaml"),
        "---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: letsencrypt-production
spec:
  acme:
    email: admin@${SECRET_DOMAIN}
    privateKeySecretRef:
      name: letsencrypt-production
    server: https://acme-v02.api.letsencrypt.org/directory
    solvers:
      - dns01:
          cloudflare:
            apiTokenSecretRef:
              name: cert-manager-secret
              key: api-token
        selector:
          dnsZones: [\"${SECRET_DOMAIN}\"]
",
        1,
    )
}
