"""The PostgreSQL the cluster runs is the one the postgres chart is made for: its pods carry
`app.kubernetes.io/version: <the chart's appVersion>` (not configurable), so the image must be that
major.minor: the chart's own pinned image, not an override of another major. The database
bootstrap Job's psql is the same image. (The local stack runs Debian's postgresql-15: docs/charts.md.)"""

from __future__ import annotations

import re
import tarfile

import yaml
from chartlib import DEFAULT_VALUES, PRODUCTION_VALUES, ROOT, of_kind, render_case, upstream

LOCK = ROOT / "Chartfile.lock"


def chart_app_version() -> str:
    """The postgres chart's appVersion: from the vendored package when there is one (the label's
    source), else as Chartfile.lock records it (ci/vendor-charts checks the two agree)."""
    pin = next(c for c in yaml.safe_load(LOCK.read_text())["charts"] if c["name"] == "postgres")
    package = ROOT / "charts" / "umbrella" / "charts" / f"postgres-{pin['version']}.tgz"
    if package.exists():
        with tarfile.open(package) as tar:
            return str(yaml.safe_load(tar.extractfile("postgres/Chart.yaml").read())["appVersion"])
    assert pin.get("appVersion"), "Chartfile.lock: record the postgres chart's appVersion"
    return str(pin["appVersion"])


def server_image(values: dict) -> dict:
    """The postgres image the chart renders: its own defaults under what the umbrella sets."""
    image = dict(upstream().values("postgres")["image"])
    image.update((values.get("postgres") or {}).get("image") or {})
    return image


def major_minor(version: str) -> tuple[int, int]:
    major, minor = re.match(r"(\d+)\.(\d+)", version).groups()
    return int(major), int(minor)


def test_server_image_is_the_version_the_pods_are_labelled_with() -> None:
    for path in (DEFAULT_VALUES, PRODUCTION_VALUES):
        image = server_image(yaml.safe_load(path.read_text()))
        assert major_minor(image["tag"]) == major_minor(chart_app_version()), (path.name, image["tag"], chart_app_version())


def test_bootstrap_job_runs_the_server_image() -> None:
    image = server_image(yaml.safe_load(DEFAULT_VALUES.read_text()))
    [job] = [j for j in of_kind(render_case("umbrella-default"), "Job") if "db-bootstrap" in j["metadata"]["name"]]
    [container] = job["spec"]["template"]["spec"]["containers"]
    repository = container["image"].rsplit(":", 1)[0] if "@" not in container["image"] else container["image"].split(":", 1)[0]
    assert repository.removeprefix("docker.io/").removeprefix("library/") == image["repository"]
    assert container["image"].endswith(f":{image['tag']}")
