"""bench/benchlib.py — what the Python benches share: JSON over HTTP to a fake's control
API and starting sc_fake_llm. Standard library only."""
import json
import os
import subprocess
import urllib.request


def http(port, method, path, body=None):
    """One JSON request to 127.0.0.1:port; the decoded answer (None for an empty body)."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def start_fake_llm(build):
    """sc_fake_llm from BUILD/tests on a free port: (process, port)."""
    proc = subprocess.Popen([os.path.join(build, "tests", "sc_fake_llm"), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    line = proc.stdout.readline().decode()
    while line and not line.startswith("port "):
        line = proc.stdout.readline().decode()
    if not line:
        proc.kill()
        raise SystemExit("sc_fake_llm did not start (is %s built?)" % build)
    return proc, int(line.split()[1])
