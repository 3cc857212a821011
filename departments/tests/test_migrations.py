"""The departments app sits below the approval engine, in its migrations too."""

from django.apps import apps
from django.db.migrations.loader import MigrationLoader


def test_no_departments_migration_depends_on_the_engine():
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    above = {
        (app, name)
        for node in graph.leaf_nodes() if node[0] == "departments"
        for app, name in graph.forwards_plan(node) if app in ("approvals", "permits", "api", "dashboards")
    }
    assert above == set()


def test_the_engine_owns_notes_and_shares_under_their_old_tables():
    tables = {m.__name__: (m._meta.app_label, m._meta.db_table) for m in apps.get_app_config("approvals").get_models()}
    assert {name: tables[name] for name in ("InternalNote", "ApplicationShare", "ApplicationUserObjectPermission",
                                             "ApplicationGroupObjectPermission")} == {
        "InternalNote": ("approvals", "departments_internalnote"),
        "ApplicationShare": ("approvals", "departments_applicationshare"),
        "ApplicationUserObjectPermission": ("approvals", "departments_applicationuserobjectpermission"),
        "ApplicationGroupObjectPermission": ("approvals", "departments_applicationgroupobjectpermission"),
    }
