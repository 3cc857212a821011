"""The reference register service: version 1 of the portal's register interface (docs/registers.md,
docs/registers-openapi.yaml) over a database of its own, run as a process of its own:

    python -m register_service --port 8010 --database-url postgres://.../registers [--demo-data] [--data FILE]

It stands in for the registers the government keeps (companies, population, addresses) in the
demo and in the tests, and shows another register's keepers what to implement. It imports nothing
of the portal: the portal talks to it over HTTP only, as to any register.
"""
