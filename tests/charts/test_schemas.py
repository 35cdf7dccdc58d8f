"""Every rendered object is valid: built-in kinds against the Kubernetes OpenAPI schemas
(kubernetes-validate, strict: unknown fields are errors), custom resources against the schemas of
the pinned charts' CRDs (ci/upstream_charts.py crd_schemas(): what Strimzi 1.x and the Prometheus
Operator accept)."""

from __future__ import annotations

import jsonschema
import kubernetes_validate
from chartlib import crd_schema

KUBERNETES_VERSION = "1.33"
CRD_GROUPS = {"kafka.strimzi.io", "monitoring.coreos.com", "gateway.networking.k8s.io"}


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
