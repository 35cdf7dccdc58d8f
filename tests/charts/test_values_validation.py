"""Bad values fail the render with a message naming the key, from values.schema.json or from the
library's `fail` checks."""

from __future__ import annotations

import pytest
from chartlib import of_kind, parse, template


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
        ("umbrella", ["--set", "gateway.routes[1].methods[0]=FETCH"], "/gateway/routes/1/methods/0"),
        ("umbrella", ["--set", "gateway.routes[2].limits[0].rpm=0"], "/gateway/routes/2/limits/0/rpm"),
        ("umbrella", ["--set", "gateway.bodySizeLimit=huge"], "/gateway/bodySizeLimit"),
        ("umbrella", ["--set", "kafka.nodePool.storage.type=disk"], "value must be one of 'persistent-claim', 'ephemeral'"),
        ("umbrella", ["--set", "global.serviceDefaults.replicaCount=two"], "at '/global/serviceDefaults/replicaCount'"),
        ("umbrella", ["--set", "global.serviceDefaults.replicas=2"], "additional properties 'replicas' not allowed"),
        ("umbrella", ["--set", "order.peers.billing=5009"], "invalid propertyName 'billing'"),
        ("order", ["--set", "metrics.prometheusRule.deadLetterWindow=soon"], "/metrics/prometheusRule/deadLetterWindow"),
        ("umbrella", ["--set", "global.serviceDefaults.image.tag=latest"], 'image.tag is "latest"; pin the image'),
    ],
)
def test_bad_value_is_rejected_readably(chart: str, args: list[str], message: str) -> None:
    proc = template(chart, args, expect_ok=False)
    assert proc.returncode != 0, f"{args} rendered"
    assert message in proc.stderr, proc.stderr


def test_service_defaults_apply_to_every_service_and_a_section_still_wins() -> None:
    args = ["--set", "global.serviceDefaults.image.tag=abc1234", "--set", "order.image.tag=1.2.3"]
    docs = parse(template("umbrella", args).stdout)
    images = {d["metadata"]["name"]: d["spec"]["template"]["spec"]["containers"][0]["image"] for d in of_kind(docs, "Deployment")}
    assert images.pop("musiccorp-order") == images.pop("musiccorp-order-consumer") == "musiccorp/order:1.2.3"
    assert images
    assert all(image.endswith(":abc1234") for image in images.values()), images
