"""python -m register_service --port N --database-url URL [--host H] [--demo-data] [--data FILE] [--verbose]

Creates and migrates its database, loads the demo records (``--demo-data``) and records from a
JSON file (``--data``: {"companies": [...], "persons": [...], "addresses": [...]}), then serves
until SIGTERM or Ctrl-C. Its first line on standard output says where it listens (with ``--port 0``
a free port is taken)."""

import argparse
import logging
import os
import signal
import sys
import threading

from .demo import DEMO_RECORDS
from .server import VERSION, RegisterServer
from .store import Store, read_records


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m register_service", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--database-url", default=os.environ.get("REGISTER_SERVICE_DATABASE_URL", ""),
                        help="postgres://... (created if missing) or sqlite:///path")
    parser.add_argument("--demo-data", action="store_true", help="load the demo's records")
    parser.add_argument("--data", action="append", default=[], help="a JSON file of records to load")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    if not args.database_url:
        parser.error("--database-url (or REGISTER_SERVICE_DATABASE_URL) is required")

    store = Store(args.database_url)
    store.create_database()
    store.migrate()
    if args.demo_data:
        store.load(DEMO_RECORDS)
    for path in args.data:
        store.load(read_records(path))

    server = RegisterServer((args.host, args.port), store, verbose=args.verbose)
    stopping = threading.Event()

    def stop(*_):
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    print(f"register service {VERSION} on http://{host}:{port}/{VERSION}/", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
