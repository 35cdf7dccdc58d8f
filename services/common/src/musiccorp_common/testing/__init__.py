"""Test helpers shared by the services' suites (see ``plugin`` for the fixtures)."""
