"""The templates and the app agree: every variable the deployment sets is a RootMail setting, together they pass
RootMail's own start-up checks as production (Cosmos DB, Graph, the bot as the managed identity), ports and probe
paths are the app's, the Cosmos containers are what storage/cosmos expects, and the image holds what the app imports."""
from __future__ import annotations

import ast
import base64
import json
import re

import yaml

from app import create_app
from settings import SPEC, load_settings
from storage.cosmos.docs import ADDRESSES, MAILS, META, PARTITION_KEY_PATH, POOL, indexing_policy
from tests.paths import ROOT

RESOURCES = (ROOT / "infra" / "modules" / "resources.bicep").read_text()
APP_ENV = RESOURCES[RESOURCES.index("var settings = ["):RESOURCES.index("resource app ")]  # the container's env
DOCKERFILE = (ROOT / "Dockerfile").read_text()
SETTING = re.compile(r"\{ name: '([A-Za-z_]+)', (value|secretRef): (.+?) \}$", re.M)
# what the Bicep expressions become in Azure, as plausible values of the right shape
AZURE = {"identity.properties.clientId": "0f0f0f0f-0000-4000-8000-000000000001",
         "tenant().tenantId": "72f988bf-0000-4000-8000-000000000001",
         "cosmos.properties.documentEndpoint": "https://cosmos-rootmail-x.documents.azure.com:443/",
         "database.name": "rootmail", "publicUrl": "https://ca-rootmail-x.example.azurecontainerapps.io",
         "string(port)": "8080", "poolFile": "config/pool.demo.json",
         "string(max(1, 50 / maxReplicas))": str(max(1, 50 // 3))}


def bicep_settings() -> dict[str, str]:
    values = {}
    for name, kind, expression in SETTING.findall(APP_ENV):
        if kind == "secretRef":  # the sealing key from Key Vault: 32 random bytes, base64
            values[name] = base64.b64encode(bytes(range(32))).decode()
        elif expression.startswith("'"):
            values[name] = expression.strip("'")
        elif expression in AZURE:
            values[name] = AZURE[expression]
        elif expression.startswith("empty(allowedTenants)"):
            values[name] = AZURE["tenant().tenantId"]
        else:
            values[name] = ""  # an optional parameter left empty, or a value computed from one
    return values


def dockerfile_settings() -> dict[str, str]:
    block = re.search(r"^ENV ROOTMAIL_HOST=.*?(?=\n\S)", DOCKERFILE, re.M | re.S)[0]
    return dict(re.findall(r"(\w+)=(\S+)", block))


def test_every_variable_the_deployment_sets_is_a_rootmail_setting():
    known = {name for name, *_ in SPEC}
    assert set(bicep_settings()) - known == set()
    assert set(dockerfile_settings()) - known == set()
    assert len(bicep_settings()) == APP_ENV.count("{ name: '") > 20
    assert "env: settings" in RESOURCES


def test_the_deployed_settings_pass_rootmails_own_checks_as_production():
    settings = load_settings(bicep_settings())  # raises SettingsError naming whatever production lacks

    assert settings.app_type == "UserAssignedMSI" and settings.app_id == settings.managed_identity_client_id
    assert settings.store_url == "cosmos" and settings.cosmos_key == ""  # Entra ID only
    assert settings.mail_source == "graph" and settings.graph_public_url.startswith("https://")
    assert settings.graph_client_secret == "" and settings.graph_certificate is None  # the managed identity
    assert settings.secret_key and settings.authserv_ids == ("exchange-online",)
    assert settings.allowed_tenants == (AZURE["tenant().tenantId"],) and settings.host == "0.0.0.0"


def test_ports_and_probe_paths_are_the_apps():
    port = int(re.search(r"^var port = (\d+)", RESOURCES, re.M)[1])
    assert port == int(dockerfile_settings()["ROOTMAIL_PORT"]) == int(re.search(r"^EXPOSE (\d+)", DOCKERFILE, re.M)[1])
    assert "targetPort: port" in RESOURCES and RESOURCES.count("port: port }") == 3
    probes = dict(re.findall(r"type: '(\w+)', httpGet: \{ path: '([^']+)'", RESOURCES))
    assert probes == {"Liveness": "/healthz", "Readiness": "/readyz", "Startup": "/healthz"}
    routes = {r.resource.canonical for r in create_app(load_settings({})).router.routes() if r.method == "GET"}
    assert set(probes.values()) <= routes
    assert 'CMD ["python", "-m", "scripts.healthcheck"]' in DOCKERFILE
    assert "/healthz" in (ROOT / "scripts" / "healthcheck.py").read_text()
    assert "${publicUrl}/api/messages" in RESOURCES  # the bot's messaging endpoint is the app's URL


def test_the_cosmos_containers_are_what_the_store_expects():
    declared = json.loads((ROOT / "infra" / "cosmos-containers.json").read_text())
    assert declared == [{"name": name, "partitionKey": {"paths": [PARTITION_KEY_PATH], "kind": "Hash"},
                         "indexingPolicy": indexing_policy(name)} for name in (ADDRESSES, POOL, MAILS, META)]
    assert "loadJsonContent('../cosmos-containers.json')" in RESOURCES
    assert "disableLocalAuth: true" in RESOURCES and "sqlRoleDefinitions/${cosmosDataContributor}" in RESOURCES
    assert "var cosmosDataContributor = '00000000-0000-0000-0000-000000000002'" in RESOURCES


def test_azd_deploys_the_image_to_the_container_app():
    project = yaml.safe_load((ROOT / "azure.yaml").read_text())
    [(name, service)] = project["services"].items()
    assert service["host"] == "containerapp" and service["docker"]["path"] == "Dockerfile"
    assert f"'azd-service-name': '{name}'" in RESOURCES
    parameters = json.loads((ROOT / "infra" / "main.parameters.json").read_text())["parameters"]
    main = (ROOT / "infra" / "main.bicep").read_text()
    assert set(parameters) == set(re.findall(r"^param (\w+) ", main, re.M))


def _first_party_imports(module_file, seen: set[str]) -> None:
    for node in ast.walk(ast.parse(module_file.read_text())):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
        for name in names:
            top = name.split(".")[0]
            path = ROOT / top
            candidates = [ROOT / f"{top}.py"] + sorted(path.rglob("*.py")) if path.is_dir() else [ROOT / f"{top}.py"]
            if top not in seen and any(c.exists() for c in candidates):
                seen.add(top)
                for candidate in candidates:
                    if candidate.exists():
                        _first_party_imports(candidate, seen)


def test_the_image_holds_what_the_app_imports_and_nothing_for_tests():
    needed: set[str] = set()
    _first_party_imports(ROOT / "app.py", needed)
    allowed = {line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.startswith("!")}
    missing = {top for top in needed if top not in allowed and f"{top}.py" not in allowed}
    assert missing == set() and {"core", "storage", "wiring", "aws"} <= needed
    assert not {"tests", "bench", "docs", ".venv", "node_modules", "var"} & allowed
    assert (ROOT / ".dockerignore").read_text().splitlines()[2] == "*"  # everything else stays out
