"""No abort at exit: `zonewarden flows` on Zeek logs ends with its own exit status, 200 runs in a row.

A run that hands a Python object to Arrow's threads (an invalid-row handler, a Python file, a buffer that
Python owns) can abort at exit with "terminate called without an active exception" (exit 134) when a
native worker drops it while the interpreter shuts down. The runs are forked from one process that has
imported everything (a fresh interpreter per run would cost a second of imports each), each run then
reads, prints (a table or JSON lines) and leaves the interpreter exactly as the command does; three run
at a time on the two cores, so that workers lose the CPU at awkward moments. About 30 s of CPU.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap

from .test_zeek import CONN_FIELDS, CONN_TYPES, CONNS, jsonl, tsv

RUNS = 200
AT_ONCE = 3

FORKER = textwrap.dedent("""
    import gc, json, os, sys
    import pyarrow, pyarrow.compute, pyarrow.csv, pyarrow.json  # imported once, before any thread starts
    import rich.progress, typer.main, zonewarden.render.flows, zonewarden.traffic.sources
    from zonewarden.cli import app

    command = typer.main.get_command(app)  # what `zonewarden` builds at each start
    gc.freeze()  # the children share the parent's objects instead of copying them for each collection

    inputs, runs, at_once, logs = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    running, done = {}, []
    for i in range(runs + at_once):
        if len(running) >= at_once or (i >= runs and running):
            pid, status = os.wait()
            done.append([running.pop(pid), os.waitstatus_to_exitcode(status)])
        if i >= runs:
            continue
        pid = os.fork()
        if pid == 0:
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            os.dup2(os.open(f"{logs}/{i}.err", os.O_WRONLY | os.O_CREAT), 2)
            fmt = "table" if i % 8 < 4 else "json"
            command.main(["flows", "-f", fmt, inputs[i % len(inputs)]], prog_name="zonewarden")  # its SystemExit
            # leaves this child's interpreter as the command leaves its own
        running[pid] = i
    print(json.dumps(sorted(done)))
""")


def test_flows_never_aborts_at_exit(tmp_path):
    rows = [[f"{1700000000 + i}.25", f"C{i:05d}", f"10.0.{i % 200}.{1 + i % 250}", str(40000 + i), "10.0.9.9", port,
             proto, service, "1.5", "10", "20", "SF", "T", "T", "0", "ShADadFf", "3", "200", "2", "180", "-"]
            for i, (port, proto, service) in enumerate([("502", "tcp", "modbus"), ("53", "udp", "dns"),
                                                        ("443", "tcp", "ssl"), ("102", "tcp", "-")] * 100)]
    plain = tsv(tmp_path / "conn.log", "conn", CONN_FIELDS, CONN_TYPES, rows)
    packed = tmp_path / "packed.log.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    lines = jsonl(tmp_path / "conn.json.log", CONN_FIELDS, CONNS)
    bad = tsv(tmp_path / "bad.log", "conn", CONN_FIELDS, CONN_TYPES, [*rows[:50], ["zzz", *rows[50][1:]]])
    inputs = [str(plain), str(packed), str(lines), str(bad)]
    expected = [0, 0, 0, 2]
    logs = tmp_path / "stderr"
    logs.mkdir()
    done = subprocess.run([sys.executable, "-c", FORKER, json.dumps(inputs), str(RUNS), str(AT_ONCE), str(logs)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    statuses = json.loads(done.stdout)
    assert len(statuses) == RUNS
    wrong = [(i, code, (logs / f"{i}.err").read_text()[-300:]) for i, code in statuses if code != expected[i % 4]]
    assert not wrong, wrong
    for i in range(RUNS):
        err = (logs / f"{i}.err").read_text()
        assert "terminate called" not in err and "Traceback" not in err, err
        assert (err.count("error:") == 1) if expected[i % 4] else not err.strip(), err
