"""A second engine on a SQLite file must not take the first one's locks away.

POSIX record locks belong to the process and the file: closing *any* descriptor of the file drops
all of them, SQLite's included. Opening the database file to make it owner-only did that to
every connection the process already had (a CLI command run in process, a test next to a live
server). Another process closing its last connection then saw no reader, checkpointed and deleted
the WAL, and the two processes went on with two copies of the data.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from tenantlab.storage.database import create_db_engine

CLOSE_IN_ANOTHER_PROCESS = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], timeout=5)
connection.execute("SELECT count(*) FROM t").fetchone()
connection.close()  # the last connection of a WAL database deletes the WAL if nobody else reads
"""


def test_a_second_engine_keeps_the_first_ones_locks(tmp_path: Path) -> None:
    path = tmp_path / "tenantlab.db"
    wal = path.with_name(path.name + "-wal")
    first = create_db_engine(f"sqlite:///{path}")
    with first.connect() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
        connection.commit()
        assert wal.exists()  # this connection keeps the WAL open: it is in WAL mode

        second = create_db_engine(f"sqlite:///{path}")  # what a second Database in process does
        second.dispose()
        subprocess.run(
            [sys.executable, "-c", CLOSE_IN_ANOTHER_PROCESS, str(path)], check=True, timeout=60
        )

        # Still locked by this process, so the other one left the WAL alone.
        assert wal.exists()
        connection.execute(text("INSERT INTO t VALUES (2)"))
        connection.commit()
    first.dispose()
    # And what this process wrote is what another process reads.
    reader = sqlite3.connect(path)
    assert reader.execute("SELECT count(*) FROM t").fetchone() == (2,)
    reader.close()
