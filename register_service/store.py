"""The service's own records, in PostgreSQL (``postgres://``; the database is created when it does
not exist yet) or, for a demo that needs no database server, SQLite (``sqlite:///path``). Tables
are created by the program itself (``Store.migrate``), records loaded with ``Store.load``."""

import json
import sqlite3
from contextlib import closing, contextmanager
from urllib.parse import urlsplit

# resource → (table, key column, attribute columns), the interface's v1 resources.
TABLES = {
    "companies": ("companies", "unified_social_credit_code",
                  ("registered_name", "registered_address", "legal_representative", "status")),
    "persons": ("persons", "identity_number", ("name", "registered_residence")),
    "addresses": ("addresses", "address_code", ("address", "land_use_class")),
}
SCHEMA_VERSION = 1


class Store:
    def __init__(self, url: str):
        self.url = url
        scheme = urlsplit(url).scheme
        if scheme in ("postgres", "postgresql"):
            self.kind = "postgres"
        elif scheme == "sqlite":
            # sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy and django-environ read them
            self.kind, self.path = "sqlite", url.split(":///", 1)[1] if ":///" in url else ":memory:"
        else:
            raise ValueError(f"unsupported database URL {url!r}: use postgres://... or sqlite:///path")

    @contextmanager
    def connection(self):
        if self.kind == "sqlite":
            with closing(sqlite3.connect(self.path, timeout=10)) as connection:
                with connection:
                    yield _Sqlite(connection)
        else:
            import psycopg

            with psycopg.connect(self.url, connect_timeout=5) as connection:
                yield connection

    def create_database(self) -> None:
        """PostgreSQL: create the database the URL names unless it exists."""
        if self.kind != "postgres":
            return
        import psycopg
        from psycopg import sql

        try:
            psycopg.connect(self.url, connect_timeout=5).close()
            return
        except psycopg.OperationalError as exc:
            if "does not exist" not in str(exc):
                raise
        name = psycopg.conninfo.conninfo_to_dict(self.url)["dbname"]
        with psycopg.connect(self.url, dbname="postgres", autocommit=True, connect_timeout=5) as connection:
            try:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except psycopg.errors.DuplicateDatabase:
                pass  # another process made it meanwhile

    def migrate(self) -> None:
        with self.connection() as connection:
            connection.execute("CREATE TABLE IF NOT EXISTS register_schema (version integer NOT NULL)")
            for table, key, columns in TABLES.values():
                connection.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} ({key} text PRIMARY KEY, "  # noqa: S608 -- fixed names
                    + ", ".join(f"{c} text NOT NULL" for c in columns) + ")")
            rows = connection.execute("SELECT version FROM register_schema").fetchall()
            if not rows:
                connection.execute("INSERT INTO register_schema (version) VALUES (%s)", (SCHEMA_VERSION,))

    def load(self, records: dict) -> int:
        """Insert or replace records: {"companies": [{...}], "persons": [...], "addresses": [...]}."""
        count = 0
        with self.connection() as connection:
            for resource, rows in records.items():
                table, key, columns = TABLES[resource]
                names = (key, *columns)
                for row in rows:
                    connection.execute(
                        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "  # noqa: S608
                        f"ON CONFLICT ({key}) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in columns),
                        tuple(str(row[n]) for n in names))
                    count += 1
        return count

    def find(self, resource: str, key: str) -> dict | None:
        table, key_column, columns = TABLES[resource]
        with self.connection() as connection:
            row = connection.execute(
                f"SELECT {', '.join(columns)} FROM {table} WHERE {key_column} = %s", (key,)  # noqa: S608
            ).fetchone()
        return None if row is None else {key_column: key, **dict(zip(columns, row, strict=True))}


class _Sqlite:
    """sqlite3 with psycopg's %s placeholders, so that one set of statements serves both."""

    def __init__(self, connection):
        self.connection = connection

    def execute(self, statement: str, params=()):
        return self.connection.execute(statement.replace("%s", "?"), params)


def read_records(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
