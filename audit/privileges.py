"""What the application role may do on PostgreSQL (``manage.py db_roles``).

The portal connects as a role that owns nothing (DATABASE_URL). It reads and writes the business
tables, but on the audit log it may only add events, read them and seal them: UPDATE of the chain
columns alone, which the append-only trigger allows once per event. The notes of the checkpoints
(``AuditAnchor``) it may add and read, not change. Not owning the table, it can
neither truncate it, nor switch its triggers off, nor drop them; ``session_replication_role`` is a
superuser's. The owner of the tables (MIGRATE_DATABASE_URL) runs the migrations, then this grant.

Sealing stays in place rather than in a table of its own: the trigger already lets a row be sealed
once and never changed after, the column privileges keep every other column out of reach even of
a sealing UPDATE, and every reader of the log (the auditor's pages, the dashboards' cursor, the
webhooks) keeps reading one table.

The grant starts by revoking everything, so a privilege given by hand is taken back, and is safe to
run again (after every migration, so a new table is never left out)."""

import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.utils import InternalError, ProgrammingError

from .models import AuditAnchor, AuditEvent

SEAL_COLUMNS = ("seq", "prev_hash", "hash", "key_id")
# Tables the application reads but never writes.
READ_ONLY_TABLES = ("django_migrations",)


class RoleError(Exception):
    """The application role cannot be made safe as it stands; the message says what to do."""


@dataclass
class GrantResult:
    role: str
    created: bool
    tables: int


def _role(role: str) -> dict | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls, pg_has_role(rolname, current_user, 'MEMBER') "
                       "FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
    return None if row is None else {"superuser": row[0], "bypassrls": row[1], "member_of_owner": row[2]}


def _owned_tables(role: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') "
            "AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = %s) ORDER BY c.relname", [role])
        return [name for (name,) in cursor.fetchall()]


def _set_password(cursor, role: str, password: str, *, attempts: int = 5) -> None:
    """ALTER ROLE, again when another database's run changed the same role at the same moment
    (PostgreSQL then answers "tuple concurrently updated": roles belong to the whole server)."""
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                cursor.execute(f"ALTER ROLE {role} WITH LOGIN PASSWORD %s", [password])
            return
        except InternalError as error:
            if "concurrently" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def application_role_grant(*, role: str, password: str = "") -> GrantResult:
    """Create ``role`` if it is missing (LOGIN, no other attribute), set its password when one is
    given, and grant it exactly what the portal needs in the current database. Run as the owner
    of the tables; refuses a role that would make the grant meaningless."""
    if connection.vendor != "postgresql":
        raise RoleError("Database roles apply to PostgreSQL only.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database()")
        owner, database = cursor.fetchone()
    if not role or role == owner:
        raise RoleError(f"DATABASE_URL and MIGRATE_DATABASE_URL name the same role ({owner}): the portal would "
                        f"connect as the owner of its tables. Give DATABASE_URL a role of its own.")
    quote = connection.ops.quote_name
    with transaction.atomic():
        found = _role(role)
        created = found is None
        if created:
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f"CREATE ROLE {quote(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                                   f"NOREPLICATION NOBYPASSRLS")
            except ProgrammingError as error:
                created = False  # unless another run created it at the same moment, say why not
                if _role(role) is None:
                    raise RoleError(f"The role {role} does not exist and {owner} may not create it ({error}). "
                                    f"Create it (LOGIN, nothing else) or give {owner} CREATEROLE.") from error
            found = _role(role)
        if found["superuser"] or found["bypassrls"]:
            raise RoleError(f"The role {role} is a superuser or bypasses row security: no privilege would hold. "
                            f"Use a role without either (ALTER ROLE {role} NOSUPERUSER NOBYPASSRLS).")
        if found["member_of_owner"]:
            raise RoleError(f"The role {role} is a member of the owner {owner} and would act as it. "
                            f"Take it out (REVOKE {owner} FROM {role}).")
        if owned := _owned_tables(role):
            raise RoleError(f"The role {role} owns {len(owned)} tables here ({', '.join(owned[:3])}…): whoever owns "
                            f"a table may switch its triggers off. Hand them to the owner first "
                            f"(REASSIGN OWNED BY {role} TO {owner}, as a superuser).")
        audit_table = AuditEvent._meta.db_table
        with connection.cursor() as cursor:
            if password:
                _set_password(cursor, quote(role), password)
            statements = [
                f"GRANT CONNECT ON DATABASE {quote(database)} TO {{role}}",
                "GRANT USAGE ON SCHEMA public TO {role}",
                "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
                "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
                f"REVOKE ALL ON {quote(audit_table)} FROM {{role}}",
                f"GRANT SELECT, INSERT ON {quote(audit_table)} TO {{role}}",
                f"GRANT UPDATE ({', '.join(SEAL_COLUMNS)}) ON {quote(audit_table)} TO {{role}}",
                f"REVOKE UPDATE, DELETE ON {quote(AuditAnchor._meta.db_table)} FROM {{role}}",
                *(f"REVOKE INSERT, UPDATE, DELETE ON {quote(table)} FROM {{role}}" for table in READ_ONLY_TABLES),
            ]
            for statement in statements:
                cursor.execute(statement.format(role=quote(role)))
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            tables = cursor.fetchone()[0]
    return GrantResult(role=role, created=created, tables=tables)
