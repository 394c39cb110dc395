"""Drives casesync-fault-proxy from integration tests: a userspace TCP fault proxy on loopback
(the test kernels have no netem) whose latency, rate cap, resets, black holes and partitions can
be changed while the test runs. See tests/fault_proxy/README.md for the semantics.

    with FaultProxy(0, street_port, latency_ms=150, jitter_ms=20, rate_bps=64000,
                    reset_every="20-40", seed=7) as link:
        ...connect the community to 127.0.0.1:link.listen_port...
        link.blackhole(30)            # swallow everything for 30 s
        link.set("up_rate_bps", 9600)
        assert link.stats()["connections_reset"] == 0
"""

import json
import os
import select
import socket
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
READY_PREFIX = "casesync-fault-proxy ready "


class FaultProxyError(RuntimeError):
    """The proxy refused a flag or a command; the message is its reason."""


def binary_path():
    """$CASESYNC_FAULT_PROXY, else $CASESYNC_BIN/tests/fault_proxy/casesync-fault-proxy."""
    explicit = os.environ.get("CASESYNC_FAULT_PROXY")
    if explicit:
        return explicit
    build = os.environ.get("CASESYNC_BIN", os.path.join(ROOT, "build"))
    path = os.path.join(build, "tests", "fault_proxy", "casesync-fault-proxy")
    if not os.path.exists(path):
        raise SystemExit(f"casesync-fault-proxy not found at {path}; run `make build` first")
    return path


def _text(value):
    """A setting as the proxy spells it: True/False -> on/off, (20, 40) -> 20-40."""
    if value is True:
        return "on"
    if value is False or value is None:
        return "off"
    if isinstance(value, (tuple, list)):
        return "-".join(str(v) for v in value)
    return str(value)


class FaultProxy:
    """One casesync-fault-proxy process: 127.0.0.1:listen_port -> 127.0.0.1:target_port.

    Port 0 for listen_port or control_port picks a free port; after start() the attributes
    listen_port and control_port hold the ports in use. **settings are the proxy's keys
    (latency_ms, jitter_ms, rate_bps, up_/down_ forms, reset_every, seed) given as flags at start.
    Its log (one line per injected fault) goes to log_path if given, else to this stderr."""

    def __init__(self, listen_port, target_port, control_port=0, log_path=None,
                 ready_timeout_s=10.0, **settings):
        self.listen_port = listen_port
        self.target_port = target_port
        self.control_port = control_port
        self.log_path = log_path
        self.ready_timeout_s = ready_timeout_s
        self.settings = settings
        self.proc = None
        self._control = None
        self._replies = None

    def start(self):
        args = [binary_path(), "--listen", f"127.0.0.1:{self.listen_port}",
                "--target", f"127.0.0.1:{self.target_port}",
                "--control", f"127.0.0.1:{self.control_port}"]
        for key, value in self.settings.items():
            args += ["--" + key.replace("_", "-"), _text(value)]
        log = open(self.log_path, "ab") if self.log_path else None
        try:
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True)
        finally:
            if log:
                log.close()
        ready, _, _ = select.select([self.proc.stdout], [], [], self.ready_timeout_s)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith(READY_PREFIX):
            self._kill()
            self.proc.stdout.close()
            self.proc = None
            where = f" (see {self.log_path})" if self.log_path else ""
            raise FaultProxyError(f"casesync-fault-proxy did not start: {' '.join(args[1:])}"
                                  f"{where}")
        fields = dict(f.split("=", 1) for f in line[len(READY_PREFIX):].split())
        self.listen_port = int(fields["listen"].rsplit(":", 1)[1])
        self.control_port = int(fields["control"].rsplit(":", 1)[1])
        self._control = socket.create_connection(("127.0.0.1", self.control_port), timeout=10)
        self._replies = self._control.makefile("r", encoding="utf-8")
        return self

    def command(self, line):
        """Sends one control line; returns the reply, raising FaultProxyError on `error: ...`."""
        if self._control is None:
            raise FaultProxyError("the proxy is not running")
        self._control.sendall((line + "\n").encode())
        reply = self._replies.readline().rstrip("\n")
        if not reply:
            raise FaultProxyError(f"no reply to {line!r}: the proxy closed its control channel")
        if reply.startswith("error:"):
            raise FaultProxyError(f"{line!r}: {reply[len('error:'):].strip()}")
        return reply

    def set(self, key, value):
        """set latency_ms 150, set up_rate_bps 9600, set reset_every 20-40 (or off), ..."""
        self.command(f"set {key} {_text(value)}")

    def blackhole(self, on=True):
        """True/False, or a number of seconds after which it ends by itself."""
        self.command(f"blackhole {_text(on)}")

    def partition(self, on=True):
        """True/False, or a number of seconds after which it ends by itself."""
        self.command(f"partition {_text(on)}")

    def reset(self):
        """Resets (RST) every open connection now."""
        self.command("reset")

    def stats(self):
        """bytes_up, bytes_down, bytes_dropped, bytes_buffered, connections_accepted,
        connections_refused, connections_reset, connect_failures, connections_open, blackhole,
        partition."""
        return json.loads(self.command("stats"))

    def current_settings(self):
        return json.loads(self.command("settings"))

    def stop(self):
        """Asks the proxy to quit; kills it if it does not within 5 s. Returns its exit code."""
        if self.proc is None:
            return None
        try:
            self.command("quit")
            self.proc.wait(timeout=5)
        except (OSError, FaultProxyError, subprocess.TimeoutExpired):
            self._kill()
        self._close_control()
        self.proc.stdout.close()
        code, self.proc = self.proc.returncode, None
        return code

    def _kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def _close_control(self):
        if self._control is not None:
            self._replies.close()
            self._control.close()
            self._control = self._replies = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
