"""The database router: reads of views marked replica-readable go to the replica (core.replica);
every write, every migration and everything else goes to the primary."""

from . import replica


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return replica.read_alias()

    def db_for_write(self, model, **hints):
        replica.note_write()
        return replica.PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # A row read from the replica is the same row as on the primary.
        if {obj1._state.db, obj2._state.db} <= {replica.PRIMARY, replica.REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica replays the primary's schema; it is never migrated itself.
        return False if db == replica.REPLICA else None
