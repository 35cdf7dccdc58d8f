"""Bad values fail the render with a message naming the key, from values.schema.json or from the
library's `fail` checks."""

from __future__ import annotations

import pytest
from chartlib import template


@pytest.mark.parametrize(
    ("chart", "args", "message"),
    [
        ("catalog", ["--set", "replicaCount=two"], "at '/replicaCount': got string, want integer"),
        ("catalog", ["--set", "service.port=70000"], "/service/port"),
        ("catalog", ["--set", "consumer.enabled=maybe"], "/consumer/enabled"),
        ("catalog", ["--set", "django.logLevel=LOUD"], "/django/logLevel"),
        ("catalog", ["--set", "replicas=2"], "additional properties 'replicas' not allowed"),
        ("catalog", ["--set", "image.tag=latest"], 'image.tag is "latest"'),
        ("catalog", ["--set", "image.tag="], "/image/tag"),
        (
            "catalog",
            ["--set", "autoscaling.enabled=true", "--set", "autoscaling.minReplicas=5", "--set", "autoscaling.maxReplicas=2"],
            "autoscaling.maxReplicas (2) must be >= autoscaling.minReplicas (5)",
        ),
        ("umbrella", ["--set", "catalog.replicaCount=two"], "at '/replicaCount': got string, want integer"),
        ("umbrella", ["--set", "gateway.routes[0].service=catalogue"], "/gateway/routes/0/service"),
        ("umbrella", ["--set", "kafka.nodePool.storage.type=disk"], "value must be one of 'persistent-claim', 'ephemeral'"),
    ],
)
def test_bad_value_is_rejected_readably(chart: str, args: list[str], message: str) -> None:
    proc = template(chart, args, expect_ok=False)
    assert proc.returncode != 0, f"{args} rendered"
    assert message in proc.stderr, proc.stderr
