"""shipping meets what every service shares: health, metrics, correlation ids, JSON logs and errors."""

from musiccorp_common.testing.shared_behaviour import SharedBehaviourTests


class TestSharedBehaviour(SharedBehaviourTests):
    pass
