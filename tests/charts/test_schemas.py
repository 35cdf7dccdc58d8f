"""Every rendered object is valid: built-in kinds against the Kubernetes OpenAPI schemas
(kubernetes-validate, strict: unknown fields are errors), custom resources against the CRD
schemas in ../shared/schemas/crds (what Strimzi 1.x and the Prometheus Operator accept)."""

from __future__ import annotations

import json

import jsonschema
import kubernetes_validate
import pytest
from chartlib import SHARED

KUBERNETES_VERSION = "1.33"
CRD_GROUPS = {"kafka.strimzi.io", "monitoring.coreos.com", "gateway.networking.k8s.io"}


def crd_schema(api_version: str, kind: str) -> dict:
    group, version = api_version.split("/")
    path = SHARED / "schemas" / "crds" / group / f"{kind.lower()}_{version}.json"
    if not path.exists():
        pytest.fail(f"no CRD schema for {kind} {api_version} at {path}", pytrace=False)
    return json.loads(path.read_text())


def test_builtin_objects_match_kubernetes_schemas(rendered: tuple[dict, ...]) -> None:
    errors = []
    for doc in rendered:
        if doc["apiVersion"].split("/")[0] in CRD_GROUPS:
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message} at {list(exc.path)}")
    assert not errors, "\n".join(errors)


def test_custom_resources_match_crd_schemas(rendered: tuple[dict, ...]) -> None:
    errors = []
    for doc in rendered:
        if doc["apiVersion"].split("/")[0] not in CRD_GROUPS:
            continue
        schema = crd_schema(doc["apiVersion"], doc["kind"])
        validator = jsonschema.validators.validator_for(schema)(schema)
        errors += [f"{doc['kind']}/{doc['metadata']['name']}: {e.message} at {list(e.path)}" for e in validator.iter_errors(doc)]
    assert not errors, "\n".join(errors)


def test_every_object_is_namespaced_to_the_release(rendered: tuple[dict, ...]) -> None:
    assert all(doc["metadata"].get("namespace") == "musiccorp" for doc in rendered)
