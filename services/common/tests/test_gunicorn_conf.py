"""gunicorn accepts the shared configuration's forwarded_allow_ips (the trusted proxies)."""

import importlib

from gunicorn.config import Config


def test_forwarded_allow_ips_are_the_trusted_proxies(monkeypatch):
    monkeypatch.setenv("DJANGO_TRUSTED_PROXIES", "10.244.0.0/16,127.0.0.1/32")
    from musiccorp_common import gunicorn_conf

    conf = importlib.reload(gunicorn_conf)
    config = Config()
    config.set("forwarded_allow_ips", conf.forwarded_allow_ips)
    assert config.forwarded_allow_ips == ["10.244.0.0/16", "127.0.0.1/32"]
