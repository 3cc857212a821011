"""The router without a replica configured: everything on the primary, the replica never migrated.
With a real streaming replica: tests/test_read_replica.py."""

from core import replica
from core.db_router import ReplicaRouter


def test_without_a_replica_marked_reads_stay_on_the_primary(settings):
    assert "replica" not in settings.DATABASES
    with replica.replica_reads() as alias:
        assert alias == "default"
        assert replica.read_alias() is None
        assert ReplicaRouter().db_for_read(None) is None
    assert replica.read_alias() is None


def test_every_write_goes_to_the_primary_and_only_the_primary_is_migrated():
    router = ReplicaRouter()
    assert router.db_for_write(None) == "default"
    assert router.allow_migrate("replica", "approvals") is False
    assert router.allow_migrate("default", "approvals") is None

