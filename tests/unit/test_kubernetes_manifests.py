"""deploy/kubernetes/ and the Containerfile agree with the Kubernetes API, with rada's settings
and with the jitsi-helm values.

Every manifest (the ones kustomization.yaml lists, and secrets.example.yaml) is validated against
the Kubernetes API's JSON schemas shipped by ``kubernetes-validate``, in strict mode (an unknown
field is an error). Its schemas know only Kubernetes' own kinds: the CloudNativePG ``Cluster``
(postgresql.cnpg.io/v1) is checked here by hand against the fields its CRD requires and the ones
rada relies on. kustomization.yaml (read by kubectl, not the API server) and jitsi-values.yaml
(Helm values, not a resource) are not resources and are checked by the other tests.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from orchestrator.kernel.settings import Settings
from orchestrator.kernel.settings.identity import JitsiSettings, SignInSettings, SmtpSettings
from orchestrator.kernel.settings.recording import RecordingSettings, parse_jibri_urls, parse_ports
from tests.unit.test_readme_settings import variables_read

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "kubernetes"
CONTAINERFILE = ROOT / "Containerfile"
# The oldest Kubernetes release the manifests are meant for (NetworkPolicy endPort, policy/v1
# PodDisruptionBudget and the rest are all older), and the newest the validator knows.
KUBERNETES_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
CNPG = "postgresql.cnpg.io/v1"
# Placeholders for values Kubernetes fills in at run time (Secrets, the downward API).
POD_IP = "10.244.1.7"
SECRET_VALUE = "s" * 48


def load(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def kustomization() -> dict[str, Any]:
    (doc,) = load(K8S / "kustomization.yaml")
    return doc


def resources() -> list[dict[str, Any]]:
    """What ``kubectl apply -k`` sends: each listed file, in the kustomization's namespace."""
    kust = kustomization()
    docs: list[dict[str, Any]] = []
    for name in kust["resources"]:
        for doc in load(K8S / name):
            if doc["kind"] != "Namespace":
                doc.setdefault("metadata", {})["namespace"] = kust["namespace"]
            docs.append(doc)
    return docs


def example_secrets() -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in load(K8S / "secrets.example.yaml")}


def one(kind: str, docs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    (found,) = [d for d in (resources() if docs is None else docs) if d["kind"] == kind]
    return found


def container() -> dict[str, Any]:
    (rada,) = one("Deployment")["spec"]["template"]["spec"]["containers"]
    return rada


def config() -> dict[str, str]:
    data: dict[str, str] = one("ConfigMap")["data"]
    return data


def jitsi_values() -> dict[str, Any]:
    (values,) = load(K8S / "jitsi-values.yaml")
    return values


def secret_refs() -> dict[str, tuple[str, str]]:
    """RADA_* variable → (Secret name, key) for each variable the Deployment takes from a Secret."""
    refs = {}
    for var in container()["env"]:
        ref = var.get("valueFrom", {}).get("secretKeyRef")
        if ref is not None:
            refs[var["name"]] = (ref["name"], ref["key"])
    return refs


def pod_environment() -> dict[str, str]:
    """The environment a rada pod starts with, as far as the manifests decide it."""
    env = dict(container_file_env())
    env.update(config())
    for var in container()["env"]:
        source = var.get("valueFrom", {})
        if "value" in var:
            env[var["name"]] = var["value"]
        elif source.get("fieldRef", {}).get("fieldPath") == "status.podIP":
            env[var["name"]] = POD_IP
        elif "secretKeyRef" in source:
            env[var["name"]] = SECRET_VALUE
        else:
            raise AssertionError(f"unexpected source for {var['name']}: {source}")
    return env


def container_file_env() -> dict[str, str]:
    """``ENV`` assignments of the Containerfile (``KEY=value``, continued lines joined)."""
    text = CONTAINERFILE.read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            for key, value in re.findall(r"(\w+)=(\S+)", line[4:]):
                env[key] = value
    return env


def service_url() -> str:
    """rada's Service inside the cluster, as Prosody and Jibri reach it."""
    name = one("Service")["metadata"]["name"]
    return f"http://{name}.{kustomization()['namespace']}.svc.cluster.local"


# --- the Kubernetes API ------------------------------------------------------------------------


def _validatable() -> list[Any]:
    docs = [
        pytest.param(doc, id=f"{doc['kind']}/{doc['metadata']['name']}")
        for doc in resources()
        if doc["apiVersion"] != CNPG
    ]
    for name, doc in example_secrets().items():
        docs.append(pytest.param(doc, id=f"secrets.example.yaml:{name}"))
    return docs


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("doc", _validatable())
def test_manifest_is_valid_for_the_kubernetes_api(doc: dict[str, Any], version: str) -> None:
    error = None
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        error = f"at {'/'.join(str(p) for p in exc.absolute_path)}: {exc.message}"
    assert error is None, f"not valid for Kubernetes {version} {error}"


def test_every_manifest_file_is_applied_or_named_as_an_example() -> None:
    """No YAML file in deploy/kubernetes/ escapes both kustomize and this test."""
    listed = set(kustomization()["resources"])
    others = {"kustomization.yaml", "secrets.example.yaml", "jitsi-values.yaml"}
    assert {p.name for p in K8S.glob("*.yaml")} == listed | others
    assert "secrets.example.yaml" not in listed  # placeholders are never applied


def test_only_the_cloudnativepg_cluster_is_outside_the_validators_schemas() -> None:
    """The skip above is exactly one resource; everything else went through the schemas."""
    skipped = [d["kind"] for d in resources() if d["apiVersion"] == CNPG]
    assert skipped == ["Cluster"]


def test_cloudnativepg_cluster_has_what_its_crd_requires_and_rada_needs() -> None:
    """The CRD (postgresql.cnpg.io/v1) requires metadata and spec.instances (an integer ≥ 1);
    rada's Deployment reads the URI from the Secret the operator names ``<cluster>-app``."""
    cluster = one("Cluster")
    assert set(cluster) == {"apiVersion", "kind", "metadata", "spec"}
    spec = cluster["spec"]
    assert isinstance(spec["instances"], int) and spec["instances"] >= 1
    assert re.fullmatch(r"\d+(Gi|Mi|Ti)", spec["storage"]["size"])
    initdb = spec["bootstrap"]["initdb"]
    assert initdb["database"] and initdb["owner"]
    assert set(spec) <= {"instances", "bootstrap", "storage", "imageName", "postgresql"}
    assert secret_refs()["RADA_DATABASE_URL"] == (cluster["metadata"]["name"] + "-app", "uri")


# --- rada's settings ---------------------------------------------------------------------------


def test_every_rada_variable_set_is_one_rada_reads() -> None:
    read = variables_read()
    configured = set(config()) | {v["name"] for v in container()["env"]}
    configured |= set(container_file_env())
    rada = {name for name in configured if name.startswith("RADA_")}
    assert rada, "no RADA_* variable found: the test reads the wrong files"
    assert sorted(rada - read) == []
    assert not {n for n in configured - rada if n.startswith("RADA")}, "a misspelt prefix"


def test_the_pod_environment_is_accepted_by_every_settings_reader() -> None:
    """rada would start with these settings (no SettingsError), and they mean what the
    manifests intend."""
    env = pod_environment()
    settings = Settings.from_env(env)
    JitsiSettings.from_env(env)
    SignInSettings.from_env(env)
    SmtpSettings.from_env(env)
    recording = RecordingSettings.from_env(env)
    assert settings.http.host == "0.0.0.0"  # noqa: S104 - reachable from the Service
    assert not settings.database.embedded
    assert str(settings.data_dir) == mount_of("data")
    assert recording.public_host == POD_IP
    assert recording.ingest == "rtmp"  # Jibri pushes RTMP only


def mount_of(volume: str) -> str:
    (path,) = [m["mountPath"] for m in container()["volumeMounts"] if m["name"] == volume]
    return str(path)


def test_the_data_folder_is_the_shared_readwritemany_claim() -> None:
    volumes = one("Deployment")["spec"]["template"]["spec"]["volumes"]
    (data,) = [v for v in volumes if v["name"] == "data"]
    claim = one("PersistentVolumeClaim")
    assert data["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]


def test_ingest_is_advertised_at_the_pods_own_address() -> None:
    """The supervisor gives Jibri rtmp://RADA_RECORDING_PUBLIC_HOST:port/…: the pod's IP, so the
    pod that holds the claim is the one Jibri reaches."""
    (public_host,) = [v for v in container()["env"] if v["name"] == "RADA_RECORDING_PUBLIC_HOST"]
    assert public_host["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    assert "RADA_RECORDING_PUBLIC_HOST" not in config()


def test_every_ingest_port_is_declared_allowed_and_exposed() -> None:
    pool = set(parse_ports(config()["RADA_RECORDING_PORTS"]))
    declared = {p["containerPort"] for p in container()["ports"] if p["name"].startswith("ingest")}
    assert declared == pool
    (jibri_rule,) = [r for r in one("NetworkPolicy")["spec"]["ingress"] if "from" in r]
    (ports,) = jibri_rule["ports"]
    assert set(range(ports["port"], ports["endPort"] + 1)) == pool
    exposed = re.search(r"^EXPOSE .*?(\d+)-(\d+)/tcp", CONTAINERFILE.read_text(), re.MULTILINE)
    assert exposed is not None
    assert set(range(int(exposed[1]), int(exposed[2]) + 1)) == pool


def test_probes_use_healthz_on_the_http_port() -> None:
    """Start-up and readiness ask /healthz; liveness only the port, so a database outage
    (/healthz 503) takes the pod out of the Service without restarting its recorders."""
    rada = container()
    http = {p["name"]: p["containerPort"] for p in rada["ports"]}["http"]
    assert http == int(config()["RADA_PORT"])
    for probe in ("startupProbe", "readinessProbe"):
        assert rada[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert rada["livenessProbe"] == {
        "tcpSocket": {"port": "http"},
        "periodSeconds": 10,
        "timeoutSeconds": 6,
        "failureThreshold": 12,
    }


def test_the_service_and_the_budget_select_the_deployments_pods() -> None:
    labels = one("Deployment")["spec"]["template"]["metadata"]["labels"]
    for selector in (
        one("Service")["spec"]["selector"],
        one("PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
        one("NetworkPolicy")["spec"]["podSelector"]["matchLabels"],
    ):
        assert selector.items() <= labels.items()
    assert one("Deployment")["spec"]["replicas"] > 1


def test_the_secrets_the_deployment_reads_are_in_the_example() -> None:
    secrets = example_secrets()
    for variable, (name, key) in secret_refs().items():
        if variable == "RADA_DATABASE_URL":
            continue  # written by the CloudNativePG operator (or by hand for an external one)
        assert key in secrets[name]["stringData"], f"{variable}: {name}/{key}"
    for volume in one("Deployment")["spec"]["template"]["spec"]["volumes"]:
        if "secret" in volume:
            for item in volume["secret"]["items"]:
                assert item["key"] in secrets[volume["secret"]["secretName"]]["stringData"]


# --- the Containerfile -------------------------------------------------------------------------


def test_containerfile_installs_the_lock_then_rada_and_runs_unprivileged() -> None:
    text = CONTAINERFILE.read_text()
    runs = [line for line in text.replace("\\\n", " ").splitlines() if line.startswith("RUN ")]
    lock = next(i for i, r in enumerate(runs) if "--require-hashes -r" in r)
    rada = next(i for i, r in enumerate(runs) if "--no-deps" in r)
    assert "requirements.lock" in runs[lock] and lock < rada
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    (user,) = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert user.split(":")[0] not in ("0", "root")
    assert 'ENTRYPOINT ["rada"]' in text and 'CMD ["serve"]' in text
    assert container()["args"] == ["serve"]  # the Deployment runs `rada serve` too
    (volume,) = re.findall(r'^VOLUME \["([^"]+)"\]', text, re.MULTILINE)
    assert volume == container_file_env()["RADA_DATA_DIR"] == config()["RADA_DATA_DIR"]
    exposed = re.search(r"^EXPOSE (\d+)/tcp", text, re.MULTILINE)
    assert exposed is not None and exposed[1] == container_file_env()["RADA_PORT"]
    # the Deployment runs the same user the image was built for
    pod = one("Deployment")["spec"]["template"]["spec"]["securityContext"]
    assert f"{pod['runAsUser']}:{pod['runAsGroup']}" == user


def test_containerfile_copies_what_the_wheel_needs() -> None:
    """The packages setuptools finds, and the files pyproject.toml names (README as readme)."""
    copied = set(re.findall(r"^COPY (.+) \S+$", CONTAINERFILE.read_text(), re.MULTILINE))
    sources = {s for line in copied for s in line.split()}
    assert {"requirements.lock", "pyproject.toml", "README.md"} <= sources
    assert {"orchestrator", "identity", "recording"} <= sources


# --- Jitsi (jitsi-helm values) -----------------------------------------------------------------


def jitsi_env_example() -> dict[str, str]:
    text = (ROOT / "deploy" / "jitsi.env.example").read_text()
    return dict(line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")


@pytest.mark.parametrize(
    ("rada", "jitsi"),
    [
        ("RADA_JITSI_APP_ID", "JWT_APP_ID"),
        ("RADA_JITSI_ACCEPTED_ISSUERS", "JWT_ACCEPTED_ISSUERS"),
        ("RADA_JITSI_ACCEPTED_AUDIENCES", "JWT_ACCEPTED_AUDIENCES"),
    ],
)
def test_jwt_settings_are_the_same_on_both_sides(rada: str, jitsi: str) -> None:
    assert config()[rada] == jitsi_values()["extraCommonEnvs"][jitsi]


def test_domains_agree() -> None:
    values = jitsi_values()
    assert values["publicURL"] == "https://" + config()["RADA_JITSI_DOMAIN"]
    assert values["xmpp"]["domain"] == config()["RADA_JITSI_XMPP_DOMAIN"]


def test_jitsi_is_locked_down_as_in_the_env_example() -> None:
    """The same lock-down as deploy/jitsi.env.example, in the chart's spelling."""
    values, example = jitsi_values(), jitsi_env_example()
    common = values["extraCommonEnvs"]
    assert values["enableAuth"] is (example["ENABLE_AUTH"] == "1") is True
    assert values["enableGuests"] is (example["ENABLE_GUESTS"] == "1") is False
    assert values["jibri"]["enabled"] and values["jibri"]["recording"]
    assert example["ENABLE_RECORDING"] == "1"
    for name in (
        "AUTH_TYPE",
        "JWT_ALLOW_EMPTY",
        "ENABLE_AUTO_OWNER",
        "WAIT_FOR_HOST_DISABLE_AUTO_OWNERS",
        "XMPP_MUC_MODULES",
    ):
        assert common[name] == example[name], name
    assert "token_affiliation" in common["XMPP_MUC_MODULES"].split(",")


def test_prosody_reads_the_jwt_secret_rada_reads() -> None:
    name, key = secret_refs()["RADA_JITSI_APP_SECRET"]
    assert key == "JWT_APP_SECRET"  # the variable Prosody's image reads from the Secret
    assert jitsi_values()["prosody"]["jwt"]["existingSecretName"] == name


def test_event_sync_posts_to_rada_with_radas_secret() -> None:
    """Prosody's event_sync component comes from the Secret rada reads its bearer from: the
    example is deploy/prosody/event_sync.cfg.lua.tpl rendered with the same values."""
    name, key = secret_refs()["RADA_JITSI_EVENT_SECRET"]
    prosody = jitsi_values()["prosody"]
    (volume,) = prosody["extraVolumes"]
    assert volume["secret"]["secretName"] == name
    (item,) = volume["secret"]["items"]
    (mount,) = prosody["extraVolumeMounts"]
    assert mount["name"] == volume["name"] and mount["subPath"] == item["path"]
    assert re.fullmatch(r"/config/conf\.d/[\w-]+\.cfg\.lua", mount["mountPath"])

    stored = example_secrets()[name]["stringData"]
    values = {
        "XMPP_DOMAIN": jitsi_values()["xmpp"]["domain"],
        "EVENT_SYNC_API_PREFIX": service_url() + config()["RADA_JITSI_EVENTS_PREFIX"],
        "EVENT_SYNC_SECRET": stored[key],
    }
    template = (ROOT / "deploy" / "prosody" / "event_sync.cfg.lua.tpl").read_text()
    rendered = re.sub(r"\$\{(\w+)\}", lambda m: values[m[1]], template)
    code = [line for line in rendered.splitlines() if not line.startswith("--")]
    assert stored[item["key"]].splitlines() == code


def test_jibri_is_the_one_rada_names_and_it_reports_to_rada() -> None:
    jibri = jitsi_values()["jibri"]
    urls, ids = parse_jibri_urls(config()["RADA_RECORDING_JIBRI_URLS"])
    service = f"http://{jitsi_values()['fullnameOverride']}-jibri.{kustomization()['namespace']}"
    assert urls == (f"{service}.svc.cluster.local:2222",)
    # one Jibri behind the chart's Service: stopService must reach the Jibri that started
    assert jibri["replicaCount"] == 1
    assert ids == ((jibri["extraEnvs"]["JIBRI_INSTANCE_ID"], urls[0]),)
    assert jibri["extraEnvs"]["JIBRI_WEBHOOK_SUBSCRIBERS"] == (
        service_url() + config()["RADA_RECORDING_JIBRI_WEBHOOK_PREFIX"]
    )


def test_jibri_signs_its_webhooks_with_the_key_rada_verifies() -> None:
    jibri = jitsi_values()["jibri"]
    (custom,) = jibri["extraFiles"]
    assert custom["path"] == "/config/custom-jibri.conf"
    conf = dict(re.findall(r'^\s*([\w-]+) = "([^"]*)"', custom["content"], re.MULTILINE))
    assert conf["kid"] == config()["RADA_RECORDING_JIBRI_WEBHOOK_KID"]
    assert conf["issuer"] == config()["RADA_RECORDING_JIBRI_WEBHOOK_ISSUER"]
    assert conf["audience"] == config()["RADA_RECORDING_JIBRI_WEBHOOK_AUDIENCE"]
    (volume,) = jibri["extraVolumes"]
    (mount,) = jibri["extraVolumeMounts"]
    (private,) = volume["secret"]["items"]
    assert conf["signing-key-path"] == f"{mount['mountPath']}/{private['path']}"
    # rada mounts the public half of the same Secret where RADA_..._PUBLIC_KEY points
    volumes = one("Deployment")["spec"]["template"]["spec"]["volumes"]
    (ours,) = [v for v in volumes if v["name"] == "jibri-webhook"]
    assert ours["secret"]["secretName"] == volume["secret"]["secretName"]
    (public,) = ours["secret"]["items"]
    assert private["key"] != public["key"]  # rada never gets the signing key
    expected = f"{mount_of('jibri-webhook')}/{public['path']}"
    assert config()["RADA_RECORDING_JIBRI_WEBHOOK_PUBLIC_KEY"] == expected


def test_jibri_logs_in_with_the_recorder_account_rada_sends() -> None:
    """callLoginParams: the recorder account from the Secret Prosody and Jibri read, in the
    hidden domain current docker-jitsi-meet images log the recorder into."""
    jibri = jitsi_values()["jibri"]
    assert jibri["recorder"]["user"] == config()["RADA_RECORDING_JIBRI_USERNAME"]
    assert secret_refs()["RADA_RECORDING_JIBRI_PASSWORD"] == (
        jibri["recorder"]["existingSecretName"],
        "JIBRI_RECORDER_PASSWORD",
    )
    xmpp = jitsi_values()["xmpp"]
    hidden = xmpp.get("hiddenDomain") or "hidden." + xmpp["domain"]
    assert config()["RADA_RECORDING_JIBRI_XMPP_DOMAIN"] == hidden


def test_the_network_policy_admits_the_charts_jibri_pods() -> None:
    """jitsi-helm labels Jibri's pods app.kubernetes.io/name=jitsi-meet, component=jibri."""
    (rule,) = [r for r in one("NetworkPolicy")["spec"]["ingress"] if "from" in r]
    (peer,) = rule["from"]
    assert peer["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "jitsi-meet",
        "app.kubernetes.io/component": "jibri",
    }
