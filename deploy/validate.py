#!/usr/bin/env python3
"""Checks deploy/ against the schemas and against the server's own sources, without a cluster.

Run by deploy/validate.sh (after promtool) with the project's .venv. It checks:

- every YAML file parses; the Kubernetes kinds validate against the strict JSON schemas of
  kubernetes-validate (offline), the KServe and Prometheus-operator kinds against the fields
  that matter here;
- every PromQL expression (alerts.yaml, the Prometheus adapter rules, dashboard.json's targets
  and variables) names only series that zenith exports, with their real label names and label
  values; the adapter and dashboard expressions also go through promtool's parser;
- the flags given to `zenith serve` (Containerfile ENTRYPOINT, Deployment and ServingRuntime
  args) are options of Sources/zenith/Serve.swift, and probe and scrape paths are GET routes of
  Sources/ZenithServer/Routing/Route.swift;
- ports, names, selectors and volumes agree between the Containerfile, the Deployment, the
  Services, the HPA and its adapter rules, the PodMonitor, the ServingRuntime and the
  InferenceService;
- the Containerfile installs what Package.swift and scripts/setup.sh say the build needs.

Exit status 1 with one line per problem, 0 with a summary.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import yaml
    import kubernetes_validate
except ImportError as error:  # pragma: no cover - the message is the point
    sys.exit(f"validate.py: {error.name} is missing: run scripts/setup.sh --python (it installs LoadTests/requirements.txt)")

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SOURCES = ROOT / "Sources"
# The oldest Kubernetes these manifests are meant for, and the newest schemas the package has.
KUBERNETES_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
# Labels Prometheus adds when it scrapes a pod (annotation job or PodMonitor), not zenith.
TARGET_LABELS = {"namespace", "pod", "instance", "job", "container", "endpoint", "service"}
PROMQL_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
    "offset", "inf", "nan", "atan2",
}
LOOPBACK = {"127.0.0.1", "::1", "localhost"}

problems: list[str] = []
checked: list[str] = []


def fail(where: str, message: str) -> None:
    problems.append(f"{where}: {message}")


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# ---------------------------------------------------------------------------------------------
# What the sources say


def call_span(text: str, open_paren: int) -> str:
    """The text of a call from its `(` to the matching `)`."""
    depth = 0
    for index in range(open_paren, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return text[open_paren : index + 1]
    return text[open_paren:]


def exported_metrics() -> dict[str, dict]:
    """Metric families registered through swift-metrics in Sources/: name -> kind and labels."""
    families: dict[str, dict] = {}
    for path in SOURCES.rglob("*.swift"):
        text = path.read_text()
        shared = re.search(r"let labels = \[(.*?)\]\n", text)
        shared_labels = re.findall(r'\("(\w+)",', shared.group(1)) if shared else []
        for match in re.finditer(r'\b(Counter|Timer|Recorder|Gauge)\(\s*label:\s*"(zenith_\w+)"', text):
            kind, name = match.groups()
            call = call_span(text, match.start() + len(kind))
            labels = set(re.findall(r'\("(\w+)",', call))
            if re.search(r"dimensions:\s*labels\b", call):
                labels |= set(shared_labels)
            literal_values = {label: {value} for label, value in re.findall(r'\("(\w+)",\s*"([^"]*)"\)', call)}
            if kind == "Timer" or (kind == "Recorder" and "aggregate: true" in call):
                kind = "histogram"
            family = families.setdefault(name, {"kind": kind.lower(), "labels": set(), "values": {}})
            family["labels"] |= labels
            for label, values in literal_values.items():
                family["values"].setdefault(label, set()).update(values)
    return families


def series_names(families: dict[str, dict]) -> dict[str, set[str]]:
    """The series names Prometheus stores for each family, with their label names."""
    series: dict[str, set[str]] = {}
    for name, family in families.items():
        if family["kind"] == "histogram":
            series[name + "_bucket"] = family["labels"] | {"le"}
            series[name + "_sum"] = set(family["labels"])
            series[name + "_count"] = set(family["labels"])
        else:
            series[name] = set(family["labels"])
    return series


def label_values(families: dict[str, dict], models: dict[str, dict]) -> dict[str, set[str]]:
    """Every value zenith can give the labels whose values are fixed by the code or the models."""
    metrics_source = (SOURCES / "ZenithServer/Metrics/ModelMetrics.swift").read_text()
    outcome = re.search(r"enum Outcome\b[^{]*\{\s*case ([^\n]+)", metrics_source)
    reasons = re.search(r"rejectReasons = \[(.*?)\]", metrics_source, re.S)
    values = {
        "outcome": {v.strip() for v in outcome.group(1).split(",")} if outcome else set(),
        "reason": set(re.findall(r'"(\w+)"', reasons.group(1))) if reasons else set(),
        "model": set(models),
        "plan": {plan for model in models.values() for plan in model["plans"]},
    }
    for family in families.values():
        for label, literal in family["values"].items():
            values.setdefault(label, set()).update(literal)
    return values


def serve_options() -> tuple[dict[str, str], dict[str, str]]:
    """`zenith serve`'s options: flag -> "Option" or "Flag", and flag -> default (as written)."""
    text = (SOURCES / "zenith/Serve.swift").read_text()
    kinds: dict[str, str] = {}
    defaults: dict[str, str] = {}
    for match in re.finditer(r"@(Option|Flag)\b", text):
        var = re.search(r"\bvar\s+(\w+)(?:\s*:\s*[\w?]+)?(?:\s*=\s*([^\n]+))?", text[match.end():])
        if not var:
            continue
        flag = "--" + re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", var.group(1)).lower()
        kinds[flag] = match.group(1)
        if var.group(2):
            defaults[flag] = var.group(2).strip().strip('"')
    return kinds, defaults


def get_routes() -> set[str]:
    """Paths of the data port's GET routes with fixed segments (Route.swift's route(for:))."""
    text = (SOURCES / "ZenithServer/Routing/Route.swift").read_text()
    routes = set()
    for match in re.finditer(r'case \(((?:"[^"]*",?\s*)+)\): return \(\.\w+(?:\([^)]*\))?, "GET"\)', text):
        routes.add("/" + "/".join(re.findall(r'"([^"]*)"', match.group(1))))
    for match in re.finditer(r'if segments\[0\] == "([^"]+)" \{ return \(\.\w+, "GET"\) \}', text):
        routes.add("/" + match.group(1))
    return routes


def repository_models() -> dict[str, dict]:
    """Models/<model>/config.json: plan names, and accuracy and cost per plan when known."""
    models = {}
    for config_path in sorted((ROOT / "Models").glob("*/config.json")):
        config = json.loads(config_path.read_text())
        name = config["name"]
        accuracy_path = config_path.parent / str(config.get("version", 1)) / "accuracy.json"
        plans = [plan["name"] for plan in config.get("plans", [])] or ["dense"]
        accuracy = {}
        if accuracy_path.exists():
            accuracy = {p["name"]: p for p in json.loads(accuracy_path.read_text())["plans"]}
        models[name] = {"plans": plans, "accuracy": accuracy}
    return models


def package_facts() -> tuple[set[str], set[str], list[str]]:
    """Package.swift's executable products, apt packages of its system libraries, custom paths."""
    text = (ROOT / "Package.swift").read_text()
    executables = set(re.findall(r'\.executable\(name:\s*"([^"]+)"', text))
    apt = {pkg for group in re.findall(r"\.apt\(\[([^\]]*)\]\)", text) for pkg in re.findall(r'"([^"]+)"', group)}
    paths = re.findall(r'path:\s*"([^"]+)"', text)
    return executables, apt, paths


def setup_packages() -> list[str]:
    text = (ROOT / "scripts/setup.sh").read_text()
    match = re.search(r"^packages=\(([^)]*)\)", text, re.M)
    return match.group(1).split() if match else []


FAMILIES = exported_metrics()
SERIES = series_names(FAMILIES)
MODELS = repository_models()
VALUES = label_values(FAMILIES, MODELS)
OPTIONS, DEFAULTS = serve_options()
ROUTES = get_routes()
EXECUTABLES, APT_PROVIDERS, CUSTOM_PATHS = package_facts()
SETUP_PACKAGES = setup_packages()

for what, found in [("zenith_* metrics", FAMILIES), ("serve options", OPTIONS), ("GET routes", ROUTES),
                    ("models", MODELS), ("executable products", EXECUTABLES), ("setup.sh packages", SETUP_PACKAGES)]:
    if not found:
        fail("validate.py", f"found no {what} in the sources: the parser is out of date with the code")


# ---------------------------------------------------------------------------------------------
# The files


def load_documents() -> list[tuple[Path, dict]]:
    documents = []
    for path in sorted(DEPLOY.rglob("*.yaml")):
        try:
            for document in yaml.safe_load_all(path.read_text()):
                if document is None:
                    continue
                if not isinstance(document, dict):
                    fail(rel(path), "a document is not a mapping")
                    continue
                documents.append((path, document))
        except yaml.YAMLError as error:
            fail(rel(path), f"not valid YAML: {error}")
    return documents


DOCUMENTS = load_documents()
RESOURCES = [(p, d) for p, d in DOCUMENTS if "kind" in d or "apiVersion" in d]


def resources(kind: str) -> list[tuple[Path, dict]]:
    return [(p, d) for p, d in RESOURCES if d.get("kind") == kind]


def one(kind: str, name: str | None = None) -> tuple[Path, dict] | tuple[None, None]:
    found = [(p, d) for p, d in resources(kind) if name is None or d.get("metadata", {}).get("name") == name]
    if len(found) != 1:
        fail("deploy/", f"expected one {kind}{' ' + name if name else ''}, found {len(found)}")
        return None, None
    return found[0]


def dig(document, *keys, default=None):
    for key in keys:
        if isinstance(document, dict) and key in document:
            document = document[key]
        elif isinstance(document, list) and isinstance(key, int) and -len(document) <= key < len(document):
            document = document[key]
        else:
            return default
    return document


# ---------------------------------------------------------------------------------------------
# Schemas

CUSTOM_KINDS = {"ServingRuntime", "InferenceService", "PodMonitor"}
for path, document in RESOURCES:
    where = f"{rel(path)} ({document.get('kind')} {dig(document, 'metadata', 'name')})"
    for field in ("apiVersion", "kind"):
        if not isinstance(document.get(field), str):
            fail(where, f"{field} is missing")
    if not dig(document, "metadata", "name"):
        fail(where, "metadata.name is missing")
    if document.get("kind") in CUSTOM_KINDS:
        continue
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            fail(where, f"no Kubernetes {version} schema for {document.get('apiVersion')} {document.get('kind')}")
            break
        except kubernetes_validate.ValidationError as error:
            at = ".".join(str(p) for p in error.path)
            fail(where, f"Kubernetes {version} schema: {at}: {error.message}")
            break
checked.append(f"{len(RESOURCES)} resources in {len({p for p, _ in RESOURCES})} YAML files "
               f"(Kubernetes schemas {', '.join(KUBERNETES_VERSIONS)}, strict)")


# ---------------------------------------------------------------------------------------------
# The Containerfile

CONTAINERFILE = DEPLOY / "Containerfile"
container_text = CONTAINERFILE.read_text()
# Join continuation lines, drop comments.
container_lines = [
    line.strip()
    for line in re.sub(r"\\\n", " ", "\n".join(l for l in container_text.splitlines() if not l.lstrip().startswith("#"))).splitlines()
    if line.strip()
]
stages: list[dict] = []
args_defaults = {}
for line in container_lines:
    instruction, _, rest = line.partition(" ")
    instruction = instruction.upper()
    if instruction == "ARG" and "=" in rest and not stages:
        key, _, value = rest.partition("=")
        args_defaults[key.strip()] = value.strip()
    elif instruction == "FROM":
        image = re.sub(r"\$\{(\w+)\}", lambda m: args_defaults.get(m.group(1), m.group(0)), rest.split()[0])
        stages.append({"image": image, "lines": []})
    elif stages:
        stages[-1]["lines"].append((instruction, rest))

ENTRYPOINT: list[str] = []
runtime_user = None
if len(stages) < 2:
    fail("deploy/Containerfile", "expected a build stage and a runtime stage")
else:
    build, runtime = stages[0], stages[-1]
    swift_image = re.match(r"(?:docker\.io/)?(?:library/)?swift:(\d+)\.(\d+)[\w.-]*-bookworm$", build["image"])
    if not swift_image:
        fail("deploy/Containerfile", f"build stage {build['image']}: expected an official swift:<version>-bookworm image")
    elif (int(swift_image.group(1)), int(swift_image.group(2))) < (6, 2):
        fail("deploy/Containerfile", f"build stage {build['image']}: Swift 6.2 or later is needed (Span); the project uses 6.3")
    if not re.match(r"(?:docker\.io/)?(?:library/)?debian:bookworm-slim$", runtime["image"]):
        fail("deploy/Containerfile", f"runtime stage {runtime['image']}: expected debian:bookworm-slim")

    def apt_packages(stage):
        packages = set()
        for instruction, rest in stage["lines"]:
            for install in re.findall(r"apt-get install ([^&;]*)", rest) if instruction == "RUN" else []:
                packages |= {w for w in install.split() if not w.startswith("-")}
        return packages

    build_packages, runtime_packages = apt_packages(build), apt_packages(runtime)
    needed = APT_PROVIDERS | {p for p in SETUP_PACKAGES if p.endswith("-dev")} | {"pkg-config"}
    for package in sorted(needed - build_packages):
        fail("deploy/Containerfile", f"the build stage does not install {package} (Package.swift / scripts/setup.sh need it)")
    runtime_of = {"libopenblas-dev": "libopenblas0", "libjson-c-dev": "libjson-c5", "libnghttp2-dev": "libnghttp2-14",
                  "zlib1g-dev": "zlib1g"}
    for dev in sorted(needed - {"pkg-config"}):
        if dev not in runtime_of:
            fail("deploy/Containerfile", f"no runtime package known for {dev}: add it to validate.py's runtime_of")
        elif runtime_of[dev] not in runtime_packages:
            fail("deploy/Containerfile", f"the runtime stage does not install {runtime_of[dev]} (for {dev})")
    for package in sorted(p for p in runtime_packages if p.endswith("-dev")):
        fail("deploy/Containerfile", f"the runtime stage installs a build package, {package}")

    build_runs = " ".join(rest for instruction, rest in build["lines"] if instruction == "RUN")
    if "swift build -c release" not in build_runs:
        fail("deploy/Containerfile", "no `swift build -c release` in the build stage")
    loop = re.search(r"for product in ([\w\s-]+);", build_runs)
    products = loop.group(1).split() if loop else re.findall(r"--product\s+([\w-]+)", build_runs)
    for product in products:
        if product not in EXECUTABLES:
            fail("deploy/Containerfile", f"builds product {product}, which Package.swift does not declare")
    for product in ("zenith", "sloctl"):
        if product not in products:
            fail("deploy/Containerfile", f"does not build {product}")
    static = "--static-swift-stdlib" in build_runs
    copies_runtime = any("/usr/lib/swift" in rest for instruction, rest in runtime["lines"] if instruction == "COPY")
    if static == copies_runtime:
        fail("deploy/Containerfile", "link the Swift runtime statically or copy /usr/lib/swift/linux into the runtime stage (one of the two)")
    copied = [rest.split()[:-1] for instruction, rest in build["lines"] if instruction == "COPY" and "--from" not in rest]
    copied = {source for sources in copied for source in sources}
    for needed_path in ["Package.swift", "Sources", "Tests", *CUSTOM_PATHS]:
        if not any(needed_path == c or needed_path.startswith(c.rstrip("/") + "/") for c in copied):
            fail("deploy/Containerfile", f"the build stage does not copy {needed_path} (SwiftPM needs every target's folder)")
    for source in copied:
        if not (ROOT / source).exists():
            fail("deploy/Containerfile", f"COPY {source}: no such path in the repository")

    for instruction, rest in runtime["lines"]:
        if instruction == "ENTRYPOINT":
            try:
                ENTRYPOINT = json.loads(rest)
            except json.JSONDecodeError:
                fail("deploy/Containerfile", "ENTRYPOINT must be a JSON array (exec form: zenith gets SIGTERM directly)")
        if instruction == "USER":
            runtime_user = rest.split(":")[0]
    if runtime_user is None or not runtime_user.isdigit() or runtime_user == "0":
        fail("deploy/Containerfile", f"USER must be a numeric non-root id (runAsNonRoot can only check a number), got {runtime_user}")
    exposed = {int(p.split("/")[0]) for instruction, rest in runtime["lines"] if instruction == "EXPOSE" for p in rest.split()}
checked.append("the Containerfile")


def parse_serve_args(where: str, arguments: list[str]) -> dict[str, str | bool]:
    """Flags of a `zenith serve` command line; reports unknown or repeated options."""
    if len(arguments) < 2 or not arguments[0].endswith("zenith") or arguments[1] != "serve":
        fail(where, f"the command is not `zenith serve`: {arguments[:2]}")
        return {}
    parsed: dict[str, str | bool] = {}
    index = 2
    while index < len(arguments):
        argument = str(arguments[index])
        index += 1
        if not argument.startswith("--"):
            fail(where, f"unexpected argument {argument!r}")
            continue
        flag, has_value, value = argument.partition("=")
        if flag not in OPTIONS:
            fail(where, f"{flag} is not an option of `zenith serve` (Sources/zenith/Serve.swift)")
            continue
        if flag in parsed:
            fail(where, f"{flag} is given twice (image ENTRYPOINT and args?)")
        if OPTIONS[flag] == "Flag":
            parsed[flag] = True
            continue
        if not has_value:
            if index >= len(arguments) or str(arguments[index]).startswith("--"):
                fail(where, f"{flag} needs a value")
                continue
            value = str(arguments[index])
            index += 1
        parsed[flag] = value
    for flag in ("--port", "--operator-port", "--health-port"):
        if flag in parsed and not str(parsed[flag]).isdigit():
            fail(where, f"{flag} {parsed[flag]} is not a port number")
    return parsed


def effective(flags: dict, flag: str) -> str:
    return str(flags.get(flag, DEFAULTS.get(flag, "")))


IMAGE_FLAGS = parse_serve_args("deploy/Containerfile ENTRYPOINT", ENTRYPOINT) if ENTRYPOINT else {}
if IMAGE_FLAGS:
    if effective(IMAGE_FLAGS, "--repository") != "/mnt/models":
        fail("deploy/Containerfile", "ENTRYPOINT: --repository must be /mnt/models (where KServe and the Deployment put the models)")
    if effective(IMAGE_FLAGS, "--host") not in {"0.0.0.0", "::"}:
        fail("deploy/Containerfile", "ENTRYPOINT: --host must be 0.0.0.0 (reachable from outside the container)")
    if len(stages) >= 2 and int(effective(IMAGE_FLAGS, "--port")) not in exposed:
        fail("deploy/Containerfile", f"--port {effective(IMAGE_FLAGS, '--port')} is not EXPOSEd")


def check_route(where: str, path: str | None) -> None:
    if path not in ROUTES:
        fail(where, f"path {path} is not a GET route of Sources/ZenithServer/Routing/Route.swift (known: {', '.join(sorted(ROUTES))})")


def container_flags(where: str, container: dict) -> dict:
    if container.get("command"):
        arguments = [*container["command"], *container.get("args", [])]
    else:
        arguments = [*ENTRYPOINT, *container.get("args", [])]
    return parse_serve_args(where, [str(a) for a in arguments])


def mount_for(container: dict, path: str) -> dict | None:
    """The volumeMount a path lies under (the deepest one)."""
    best = None
    for mount in container.get("volumeMounts", []):
        prefix = mount["mountPath"].rstrip("/") + "/"
        if (path + "/").startswith(prefix) and (best is None or len(prefix) > len(best["mountPath"])):
            best = mount
    return best


# ---------------------------------------------------------------------------------------------
# Plain Kubernetes

deployment_path, deployment = one("Deployment", "zenith")
pod_labels: dict = {}
container_ports: dict[str, int] = {}
data_port = operator_port = None
if deployment:
    where = rel(deployment_path)
    pod_labels = dig(deployment, "spec", "template", "metadata", "labels", default={})
    selector = dig(deployment, "spec", "selector", "matchLabels", default={})
    if not selector or any(pod_labels.get(k) != v for k, v in selector.items()):
        fail(where, "spec.selector.matchLabels does not match the pod template's labels")
    pod = dig(deployment, "spec", "template", "spec", default={})
    containers = [c for c in pod.get("containers", []) if c.get("name") == "zenith"]
    if len(containers) != 1:
        fail(where, "expected one container named zenith")
    else:
        container = containers[0]
        flags = container_flags(f"{where} container args", container)
        container_ports = {p.get("name"): p.get("containerPort") for p in container.get("ports", [])}
        data_port = int(effective(flags, "--port") or 0)
        if container_ports.get("http") != data_port:
            fail(where, f"container port `http` is {container_ports.get('http')}, but zenith listens on --port {data_port}")
        if effective(flags, "--host") not in {"0.0.0.0", "::"}:
            fail(where, f"--host {effective(flags, '--host')}: the Service could not reach it")
        if not flags.get("--no-operator"):
            operator_port = int(effective(flags, "--operator-port"))
            if effective(flags, "--operator-host") not in LOOPBACK:
                if container_ports.get("operator") != operator_port:
                    fail(where, f"container port `operator` is {container_ports.get('operator')}, but --operator-port is {operator_port}")
                token_file = flags.get("--operator-token-file")
                if not token_file:
                    fail(where, "the operator API listens beyond loopback without --operator-token-file: anyone reaching the pod could change targets")
                else:
                    mount = mount_for(container, str(token_file))
                    volume = next((v for v in pod.get("volumes", []) if mount and v.get("name") == mount["name"]), None)
                    secret = dig(volume, "secret")
                    if not secret:
                        fail(where, f"--operator-token-file {token_file} is not on a Secret volume")
                    else:
                        name_in_volume = str(token_file)[len(mount["mountPath"].rstrip("/")) + 1:]
                        items = [i.get("path") for i in secret.get("items", [])]
                        if items and name_in_volume not in items:
                            fail(where, f"--operator-token-file {token_file}: the Secret volume has no item at {name_in_volume}")
                        readme = (DEPLOY / "README.md").read_text() if (DEPLOY / "README.md").exists() else ""
                        if f"create secret generic {secret.get('secretName')}" not in readme:
                            fail(where, f"Secret {secret.get('secretName')} is not created here: deploy/README.md must say how (kubectl create secret generic ...)")
        # Probes: on the health port when there is one (its own thread answers them however busy
        # the data port is), else on the data port; on real routes.
        probe_port_wanted = data_port
        if flags.get("--health-port") is not None:
            health_port = str(effective(flags, "--health-port"))
            if not health_port.isdigit() or int(health_port) == 0:
                fail(where, f"--health-port {health_port}: probes need a fixed port")
            else:
                probe_port_wanted = int(health_port)
                if container_ports.get("health") != probe_port_wanted:
                    fail(where, f"container port `health` is {container_ports.get('health')}, but --health-port is {health_port}")
        for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
            probe = container.get(probe_name)
            if not probe:
                if probe_name != "startupProbe":
                    fail(where, f"{probe_name} is missing")
                continue
            get = probe.get("httpGet", {})
            check_route(f"{where} {probe_name}", get.get("path"))
            port = get.get("port")
            if (container_ports.get(port) if isinstance(port, str) else port) != probe_port_wanted:
                fail(where, f"{probe_name} port {port} is not the {'health' if probe_port_wanted != data_port else 'data'} port {probe_port_wanted}")
            if probe_port_wanted != data_port and get.get("path") not in ("/v2/health/live", "/v2/health/ready"):
                fail(where, f"{probe_name} path {get.get('path')}: the health port answers only /v2/health/live and /v2/health/ready (and /metrics)")
            if not probe.get("timeoutSeconds") or not probe.get("periodSeconds"):
                fail(where, f"{probe_name} needs an explicit timeoutSeconds and periodSeconds")
        if dig(container, "readinessProbe", "httpGet", "path") != "/v2/health/ready":
            fail(where, "readinessProbe must use /v2/health/ready")
        if dig(container, "livenessProbe", "httpGet", "path") != "/v2/health/live":
            fail(where, "livenessProbe must use /v2/health/live")
        # Shutdown: preStop sleep, then SIGTERM, which the server must still handle.
        application = (SOURCES / "ZenithServer/Application/ZenithApplication.swift").read_text()
        if ".sigterm" not in application or "gracefulShutdownSignals" not in application:
            fail(where, "the drain relies on zenith handling SIGTERM (ZenithApplication's ServiceGroup), which the sources no longer show")
        pre_stop = dig(container, "lifecycle", "preStop", "exec", "command", default=[])
        sleep = int(pre_stop[-1]) if len(pre_stop) >= 2 and pre_stop[0].endswith("sleep") and str(pre_stop[-1]).isdigit() else None
        grace = pod.get("terminationGracePeriodSeconds", 30)
        if sleep is None:
            fail(where, "lifecycle.preStop must sleep (exec [/bin/sleep, N]) so the endpoints drop the pod before SIGTERM")
        elif sleep + 5 > grace:
            fail(where, f"terminationGracePeriodSeconds {grace} leaves under 5 s after the {sleep} s preStop sleep to drain")
        # Resources and identity.
        for section in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if not dig(container, "resources", section, resource):
                    fail(where, f"resources.{section}.{resource} is missing")
        run_as = dig(pod, "securityContext", "runAsUser") or dig(container, "securityContext", "runAsUser")
        if runtime_user and str(run_as) != runtime_user:
            fail(where, f"runAsUser {run_as} is not the image's USER {runtime_user}")
        # Volumes: every mount has a volume; the repository is mounted; writable paths are writable.
        volumes = {v.get("name"): v for v in pod.get("volumes", [])}
        for mount in container.get("volumeMounts", []):
            if mount.get("name") not in volumes:
                fail(where, f"volumeMount {mount.get('name')} has no volume")
        repository = effective(flags, "--repository")
        if not mount_for(container, repository):
            fail(where, f"--repository {repository} is not on a volume")
        read_only_root = dig(container, "securityContext", "readOnlyRootFilesystem", default=False)
        for flag in ("--profiles", "--state-dir"):
            if flag in flags or flag in IMAGE_FLAGS:
                mount = mount_for(container, effective(flags, flag))
                if (mount is None and read_only_root) or (mount is not None and mount.get("readOnly")):
                    fail(where, f"{flag} {effective(flags, flag)} is not writable (read-only root, no writable volume)")
        for volume in volumes.values():
            claim = dig(volume, "persistentVolumeClaim", "claimName")
            if claim and not any(d.get("metadata", {}).get("name") == claim for _, d in resources("PersistentVolumeClaim")):
                fail(where, f"volume {volume.get('name')}: no PersistentVolumeClaim {claim} in deploy/")
        # Scraping.
        annotations = dig(deployment, "spec", "template", "metadata", "annotations", default={})
        if annotations.get("prometheus.io/scrape") == "true":
            if str(annotations.get("prometheus.io/port")) != str(data_port):
                fail(where, f"prometheus.io/port {annotations.get('prometheus.io/port')} is not the data port {data_port}")
            check_route(f"{where} prometheus.io/path", annotations.get("prometheus.io/path"))


def selects(selector: dict, where: str, what: str) -> None:
    if not selector or any(pod_labels.get(k) != v for k, v in selector.items()):
        fail(where, f"{what} {selector} does not select the zenith pods {pod_labels}")


def resolve_port(where: str, port) -> int | None:
    value = container_ports.get(port) if isinstance(port, str) else port
    if value is None or value not in container_ports.values():
        fail(where, f"targetPort {port} is not a port of the zenith container {container_ports}")
    return value


for path, service in resources("Service"):
    where = f"{rel(path)} ({service['metadata']['name']})"
    selects(dig(service, "spec", "selector", default={}), where, "spec.selector")
    for port in dig(service, "spec", "ports", default=[]):
        target = resolve_port(where, port.get("targetPort", port.get("port")))
        if target == operator_port and dig(service, "spec", "clusterIP") != "None":
            fail(where, "the operator port belongs on a headless Service (sloctl must reach every replica)")
exposed_ports = {container_ports.get(p.get("targetPort"), p.get("targetPort")) for _, s in resources("Service") for p in s["spec"]["ports"]}
if deployment and data_port not in exposed_ports:
    fail("deploy/kubernetes", "no Service exposes the data port")

for path, budget in resources("PodDisruptionBudget"):
    selects(dig(budget, "spec", "selector", "matchLabels", default={}), rel(path), "spec.selector")

# The HPA, the adapter rules behind its metrics.
adapter_rules: list[dict] = []
for path, config_map in resources("ConfigMap"):
    for key, value in (config_map.get("data") or {}).items():
        try:
            content = yaml.safe_load(value)
        except yaml.YAMLError as error:
            fail(f"{rel(path)} data.{key}", f"not valid YAML: {error}")
            continue
        if isinstance(content, dict) and "rules" in content:
            for rule in content["rules"]:
                adapter_rules.append({**rule, "_where": f"{rel(path)} data.{key}"})
adapter_metrics = {}
for rule in adapter_rules:
    where = rule["_where"]
    series = re.match(r"\s*([a-zA-Z_:][\w:]*)", rule.get("seriesQuery", ""))
    overrides = dig(rule, "resources", "overrides", default={})
    if not series:
        fail(where, f"seriesQuery {rule.get('seriesQuery')!r} names no series")
        continue
    name = series.group(1)
    if {dig(overrides, "namespace", "resource"), dig(overrides, "pod", "resource")} != {"namespace", "pod"}:
        fail(where, f"{name}: resources.overrides must map the namespace and pod labels (a Pods metric)")
    matches = dig(rule, "name", "matches", default=name)
    if not re.search(matches, name):
        fail(where, f"name.matches {matches!r} does not match {name}")
    adapter_metrics[dig(rule, "name", "as", default=name)] = rule

for path, hpa in resources("HorizontalPodAutoscaler"):
    where = rel(path)
    target = dig(hpa, "spec", "scaleTargetRef", default={})
    if deployment and (target.get("kind"), target.get("name")) != ("Deployment", deployment["metadata"]["name"]):
        fail(where, f"scaleTargetRef {target} is not the zenith Deployment")
    minimum, maximum = dig(hpa, "spec", "minReplicas", default=1), dig(hpa, "spec", "maxReplicas", default=0)
    if not 1 <= minimum <= maximum:
        fail(where, f"minReplicas {minimum} / maxReplicas {maximum}")
    if deployment and not minimum <= dig(deployment, "spec", "replicas", default=1) <= maximum:
        fail(where, "the Deployment's replicas lie outside the HPA's range")
    pods_metrics = [m for m in dig(hpa, "spec", "metrics", default=[]) if m.get("type") == "Pods"]
    if not pods_metrics:
        fail(where, "no Pods metric (the custom metric from the Prometheus adapter)")
    for metric in pods_metrics:
        name = dig(metric, "pods", "metric", "name")
        if name not in adapter_metrics:
            fail(where, f"metric {name} is produced by no Prometheus-adapter rule (known: {sorted(adapter_metrics)})")

for path, monitor in resources("PodMonitor"):
    where = rel(path)
    if monitor.get("apiVersion") != "monitoring.coreos.com/v1":
        fail(where, f"apiVersion {monitor.get('apiVersion')}")
    selects(dig(monitor, "spec", "selector", "matchLabels", default={}), where, "spec.selector.matchLabels")
    endpoints = dig(monitor, "spec", "podMetricsEndpoints", default=[])
    if not endpoints:
        fail(where, "spec.podMetricsEndpoints is empty")
    for endpoint in endpoints:
        if container_ports.get(endpoint.get("port")) != data_port:
            fail(where, f"port {endpoint.get('port')} is not the zenith container's data port")
        check_route(where, endpoint.get("path", "/metrics"))
checked.append("the Deployment, Services, PodDisruptionBudget, HPA, adapter rules and PodMonitor against each other")


# ---------------------------------------------------------------------------------------------
# KServe

runtime_path, serving_runtime = one("ServingRuntime")
if serving_runtime:
    where = rel(runtime_path)
    if serving_runtime.get("apiVersion") != "serving.kserve.io/v1alpha1":
        fail(where, f"apiVersion {serving_runtime.get('apiVersion')}: expected serving.kserve.io/v1alpha1")
    spec = serving_runtime.get("spec", {})
    formats = [f.get("name") for f in spec.get("supportedModelFormats", [])]
    if not formats or not all(formats):
        fail(where, "spec.supportedModelFormats needs named formats")
    protocols = spec.get("protocolVersions", [])
    if "v2" not in protocols:
        fail(where, "spec.protocolVersions must include v2 (the Open Inference Protocol)")
    grpc_in_sources = any("grpc" in p.read_text().lower() for p in SOURCES.rglob("*.swift"))
    if "grpc-v2" in protocols and not grpc_in_sources:
        fail(where, "declares grpc-v2, but zenith serves no gRPC")
    containers = spec.get("containers", [])
    if len(containers) != 1 or containers[0].get("name") != "kserve-container":
        fail(where, "expected one container named kserve-container")
    else:
        container = containers[0]
        flags = container_flags(f"{where} container args", container)
        ports = container.get("ports", [])
        port = int(effective(flags, "--port") or 0)
        if len(ports) != 1:
            fail(where, f"Knative routes one port: declare exactly one, got {len(ports)}")
        elif ports[0].get("containerPort") != port or port != 8080:
            fail(where, f"the container port {ports[0].get('containerPort')} and --port {port} must both be 8080 (KServe's REST port)")
        elif ports[0].get("name") not in {"http1", "h2c"}:
            fail(where, f"port name {ports[0].get('name')}: Knative understands http1 or h2c")
        if not container.get("image"):
            fail(where, "the container has no image")
        if effective(flags, "--repository") != "/mnt/models":
            fail(where, "--repository must be /mnt/models, where KServe's storage initializer puts the model")
        if effective(flags, "--operator-host") not in LOOPBACK and not flags.get("--operator-token-file") and not flags.get("--no-operator"):
            fail(where, "the operator API listens beyond loopback without a token")
        for probe_name in ("readinessProbe", "livenessProbe"):
            if probe_name in container:
                check_route(f"{where} {probe_name}", dig(container, probe_name, "httpGet", "path"))
                probe_port = dig(container, probe_name, "httpGet", "port")
                if probe_port not in (None, port):
                    fail(where, f"{probe_name} port {probe_port}: Knative allows only the container port")
        scrape_port = dig(spec, "annotations", "prometheus.kserve.io/port")
        if scrape_port is not None and str(scrape_port) != str(port):
            fail(where, f"prometheus.kserve.io/port {scrape_port} is not the container port {port}")
        if dig(spec, "annotations", "prometheus.kserve.io/path") not in (None, *ROUTES):
            check_route(where, dig(spec, "annotations", "prometheus.kserve.io/path"))
        if runtime_user and str(dig(container, "securityContext", "runAsUser", default=runtime_user)) != runtime_user:
            fail(where, f"runAsUser is not the image's USER {runtime_user}")

for path, service in resources("InferenceService"):
    where = rel(path)
    if service.get("apiVersion") != "serving.kserve.io/v1beta1":
        fail(where, f"apiVersion {service.get('apiVersion')}: expected serving.kserve.io/v1beta1")
    model = dig(service, "spec", "predictor", "model", default={})
    if not model:
        fail(where, "spec.predictor.model is missing")
        continue
    if serving_runtime:
        if model.get("runtime") != serving_runtime["metadata"]["name"]:
            fail(where, f"runtime {model.get('runtime')} is not the ServingRuntime {serving_runtime['metadata']['name']}")
        if dig(model, "modelFormat", "name") not in formats:
            fail(where, f"modelFormat.name {dig(model, 'modelFormat', 'name')} is not one the runtime supports {formats}")
        if model.get("protocolVersion") not in protocols:
            fail(where, f"protocolVersion {model.get('protocolVersion')} is not one the runtime declares {protocols}")
    uri = model.get("storageUri", "")
    scheme = re.match(r"([a-z0-9]+)://", uri)
    if not scheme or scheme.group(1) not in {"pvc", "s3", "gs", "https", "http", "hdfs", "webhdfs", "oci", "hf"}:
        fail(where, f"storageUri {uri!r}: no scheme KServe's storage initializer knows")
    elif scheme.group(1) == "pvc":
        claim = uri[len("pvc://"):].split("/")[0]
        if not any(d["metadata"]["name"] == claim for _, d in resources("PersistentVolumeClaim")):
            fail(where, f"storageUri names claim {claim}, which deploy/ does not define")
checked.append("the ServingRuntime and InferenceService")


# ---------------------------------------------------------------------------------------------
# PromQL


def promql_facts(expression: str) -> tuple[set[str], list[tuple[str | None, list[tuple[str, str, str]]]], set[str]]:
    """Metric names, selectors (name, [(label, op, value)]) and grouping labels of an expression."""
    selectors = []
    for match in re.finditer(r'([a-zA-Z_:][\w:]*)?\s*\{((?:[^{}"]|"(?:\\.|[^"\\])*")*)\}', expression):
        matchers = re.findall(r'(\w+)\s*(=~|!~|!=|=)\s*"((?:\\.|[^"\\])*)"', match.group(2))
        selectors.append((match.group(1), matchers))
    stripped = re.sub(r'"(?:\\.|[^"\\])*"', '""', expression)
    stripped = re.sub(r"\{[^{}]*\}", " ", stripped)
    grouping = set()
    for clause in re.finditer(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", stripped):
        grouping |= {label.strip() for label in clause.group(2).split(",") if label.strip()}
    stripped = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", stripped)
    stripped = re.sub(r"\[[^\]]*\]", " ", stripped)
    stripped = re.sub(r"\b\d+(\.\d+)?(e-?\d+)?\b", " ", stripped)
    names = set()
    for match in re.finditer(r"(?<![\w:.$])([a-zA-Z_:][\w:]*)(\s*\()?", stripped):
        word, call = match.groups()
        if call or word in PROMQL_KEYWORDS:
            continue
        names.add(word)
    return names, selectors, grouping


def check_promql(where: str, expression: str, extra_series: dict[str, set[str]] | None = None) -> None:
    known = {**SERIES, **(extra_series or {})}
    names, selectors, grouping = promql_facts(expression)
    if not names:
        fail(where, f"names no series: {expression!r}")
    allowed_labels = set(TARGET_LABELS)
    for name in names:
        if name not in known:
            fail(where, f"series {name} is not exported by zenith (known: {', '.join(sorted(known))})")
        else:
            allowed_labels |= known[name]
    for name, matchers in selectors:
        if name is None:
            fail(where, "a selector without a metric name")
            continue
        labels = known.get(name, set()) | TARGET_LABELS
        for label, op, value in matchers:
            if label not in labels:
                fail(where, f"{name} has no label {label} (its labels: {', '.join(sorted(known.get(name, set())))})")
            elif label in VALUES and "$" not in value and op in ("=", "=~") and VALUES[label]:
                wanted = value.split("|") if op == "=~" else [value]
                if op == "=~" and not re.fullmatch(r"[\w.|-]+", value):
                    continue
                for one_value in wanted:
                    if one_value not in VALUES[label]:
                        fail(where, f'{name}{{{label}{op}"{value}"}}: zenith never sets {label}="{one_value}"')
    for label in grouping - allowed_labels:
        fail(where, f"groups by {label}, which no series of the expression has")


EXPRESSIONS_FOR_PROMTOOL: list[tuple[str, str]] = []

# alerts.yaml (its syntax is promtool's job in validate.sh; names, labels and structure here).
alerts_path = DEPLOY / "monitoring/alerts.yaml"
alerts = yaml.safe_load(alerts_path.read_text())
alert_rules = [rule for group in alerts.get("groups", []) for rule in group.get("rules", [])]
recorded = {rule["record"]: set() for rule in alert_rules if "record" in rule}
for rule in alert_rules:
    name = rule.get("alert") or rule.get("record")
    where = f"{rel(alerts_path)} {name}"
    check_promql(where, rule.get("expr", ""), recorded)
    if "alert" in rule:
        if rule.get("labels", {}).get("severity") not in {"warning", "critical"}:
            fail(where, "labels.severity must be warning or critical")
        if not rule.get("annotations", {}).get("summary"):
            fail(where, "annotations.summary is missing")
        if "for" not in rule:
            fail(where, "no `for:`: one bad scrape would page")
alert_series = {n for rule in alert_rules for n in promql_facts(rule.get("expr", ""))[0]}
for needed in ("zenith_slo_requests_total", "zenith_rejects_total", "zenith_plan_samples_total", "zenith_queued_samples"):
    if needed not in alert_series:
        fail(rel(alerts_path), f"no alert on {needed}")

# The cheapest-plan alert must name each model's cheapest plan (fewest multiply-adds), for the
# models where that plan is not also the most accurate one (those run it at any load).
cheapest_rule = next((r for r in alert_rules if r.get("alert") == "ZenithCheapestPlanSustained"), None)
if cheapest_rule is None:
    fail(rel(alerts_path), "no ZenithCheapestPlanSustained alert")
else:
    named = {}
    for name, matchers in promql_facts(cheapest_rule["expr"])[1]:
        pairs = {label: value for label, op, value in matchers if op == "="}
        if "model" in pairs and "plan" in pairs:
            named[pairs["model"]] = pairs["plan"]
    for model, facts in MODELS.items():
        plans = facts["accuracy"]
        if not plans:
            continue
        cheapest = min(plans.values(), key=lambda p: p.get("flops_fraction", 1.0))
        best = max(p["accuracy"] for p in plans.values())
        where = f"{rel(alerts_path)} ZenithCheapestPlanSustained"
        if cheapest["accuracy"] < best:
            if named.get(model) != cheapest["name"]:
                fail(where, f"model {model}: its cheapest plan is {cheapest['name']} (Models/{model}), the alert says {named.get(model)}")
        elif model in named:
            fail(where, f"model {model}: its cheapest plan {cheapest['name']} is also its most accurate; it runs at any load, leave it out")
    for model in set(named) - set(MODELS):
        fail(f"{rel(alerts_path)} ZenithCheapestPlanSustained", f"model {model} is not in Models/")

# The adapter rules: their templates filled in as the adapter would for a Pods metric.
for rule in adapter_rules:
    series = re.match(r"\s*([a-zA-Z_:][\w:]*)", rule.get("seriesQuery", ""))
    if not series:
        continue
    query = (rule.get("metricsQuery", "")
             .replace("<<.Series>>", series.group(1))
             .replace("<<.LabelMatchers>>", 'namespace="default",pod=~"zenith-.*"')
             .replace("<<.GroupBy>>", "pod"))
    where = f"{rule['_where']} rule {dig(rule, 'name', 'as')}"
    check_promql(where, query)
    check_promql(where + " seriesQuery", rule["seriesQuery"])
    EXPRESSIONS_FOR_PROMTOOL.append((where, query))

# The dashboard.
dashboard_path = DEPLOY / "monitoring/dashboard.json"
try:
    dashboard = json.loads(dashboard_path.read_text())
except json.JSONDecodeError as error:
    fail(rel(dashboard_path), f"not valid JSON: {error}")
    dashboard = {}
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h", "$namespace": "default", "$model": ".*"}


def grafana(expression: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expression = expression.replace(variable, value)
    return re.sub(r"\$\{(\w+)\}", lambda m: GRAFANA_VARIABLES.get("$" + m.group(1), m.group(0)), expression)


for field in ("uid", "title", "panels", "schemaVersion"):
    if field not in dashboard:
        fail(rel(dashboard_path), f"{field} is missing")
panel_ids = [panel.get("id") for panel in dashboard.get("panels", [])]
if len(set(panel_ids)) != len(panel_ids):
    fail(rel(dashboard_path), "panel ids are not unique")
dashboard_series = set()
for panel in dashboard.get("panels", []):
    where = f"{rel(dashboard_path)} panel {panel.get('title')!r}"
    for field in ("type", "title", "gridPos", "targets"):
        if field not in panel:
            fail(where, f"{field} is missing")
    for target in panel.get("targets", []):
        expression = grafana(target.get("expr", ""))
        if not target.get("refId"):
            fail(where, "a target without refId")
        check_promql(where, expression)
        dashboard_series |= promql_facts(expression)[0]
        EXPRESSIONS_FOR_PROMTOOL.append((where, expression))
for variable in dashboard.get("templating", {}).get("list", []):
    if variable.get("type") != "query":
        continue
    query = variable.get("query")
    query = query.get("query") if isinstance(query, dict) else query
    match = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", query or "")
    where = f"{rel(dashboard_path)} variable {variable.get('name')}"
    if not match:
        fail(where, f"expected label_values(<series>, <label>), got {query!r}")
        continue
    selector, label = grafana(match.group(1)), match.group(2)
    check_promql(where, selector)
    if label not in TARGET_LABELS | set().union(*(SERIES.get(n, set()) for n in promql_facts(selector)[0])):
        fail(where, f"label {label} is on none of {selector}")
for family, panel_topic in [("zenith_slo_requests_total", "attainment"), ("zenith_requests_total", "requests/s by outcome"),
                            ("zenith_request_duration_seconds_bucket", "p50/p99 latency"), ("zenith_plan_samples_total", "plan mix"),
                            ("zenith_queued_samples", "queue depth"), ("zenith_rejects_total", "rejects"),
                            ("zenith_exits_total", "exits")]:
    if family not in dashboard_series:
        fail(rel(dashboard_path), f"no panel shows {panel_topic} ({family})")

# promtool parses the adapter's and the dashboard's expressions as recording rules.
promtool = shutil.which("promtool")
if promtool is None:
    fail("validate.py", "promtool not found (apt-get install prometheus)")
elif EXPRESSIONS_FOR_PROMTOOL:
    groups = {"groups": [{"name": "deploy-expressions", "rules": [
        {"record": f"zenith_validate:expression_{i}", "expr": expression}
        for i, (_, expression) in enumerate(EXPRESSIONS_FOR_PROMTOOL)]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump(groups, handle, sort_keys=False)
    result = subprocess.run([promtool, "check", "rules", handle.name], capture_output=True, text=True)
    Path(handle.name).unlink()
    if result.returncode != 0:
        output = result.stdout + result.stderr
        for index, (where, _) in enumerate(EXPRESSIONS_FOR_PROMTOOL):
            output = output.replace(f"zenith_validate:expression_{index}", where)
        fail("promtool", output.strip())
checked.append(f"{len(alert_rules)} alert rules, {len(adapter_rules)} adapter rules and "
               f"{sum(len(p.get('targets', [])) for p in dashboard.get('panels', []))} dashboard queries against the "
               f"{len(FAMILIES)} metric families in Sources/ ({len(EXPRESSIONS_FOR_PROMTOOL)} parsed by promtool)")


# ---------------------------------------------------------------------------------------------

if problems:
    for problem in problems:
        print(f"deploy/validate.py: {problem}", file=sys.stderr)
    print(f"deploy/validate.py: {len(problems)} problem(s)", file=sys.stderr)
    sys.exit(1)
for line in checked:
    print(f"  ok: {line}")
print(f"deploy/validate.py: deploy/ agrees with the sources ({len(ROUTES)} GET routes, {len(OPTIONS)} serve options, "
      f"{len(MODELS)} models)")
