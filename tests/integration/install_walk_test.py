#!/usr/bin/env python3
"""Proves docs/INSTALL.md works as written: its marked commands, run in order on the machines they name, set up a district, a street and a terminal from the package's installed files, and restore the terminal while its street keeps writing to it."""
# The package's files are installed with `cmake --install` under a scratch DESTDIR (the same
# install rules CPack packs into the .deb); each "machine" gets its own /etc/casesync,
# /var/lib/casesync and /root under the scratch folder, and absolute paths and host names in the
# doc's commands are mapped there and to loopback. The current folder of every command is one
# shared folder: the USB stick the doc carries requests and rosters on. `systemctl`, `chown` and
# `sudo` are stand-ins (no systemd or casesync user in a scratch root): systemctl starts
# casesyncd by hand and returns once it serves, as the Type=notify unit does; sudo -u USER runs
# the command as the walk's user. Nothing else is simulated.
#
# From the restore block until the health check after it, a clerk at the street keeps creating
# cases and forwarding them to the terminal being restored; afterwards both hold every one.
#
# Blocks: ```sh walk=M1,M2 [until=Ns]``` runs on each machine (until: again each second until it
# succeeds, bounded); ```toml walk=M write=FILE``` writes FILE; ```toml walk=M edit=FILE```
# replaces the tables it names in FILE. "HEX FROM node.pub" and "HEX PRINTED BY root init" are
# what the admin pastes: the machine's node.pub and the root's root.pub.
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("CASESYNC_BIN", SRC / "build")).resolve()
DOC = SRC / "docs" / "INSTALL.md"
API_PORTS = {"district": 8100, "s01": 8101, "s01-c01": 8102}  # one loopback, three "machines"
BLOCK = re.compile(r"^```(sh|toml) walk=(\S+)((?: \S+=\S+)*)\n(.*?)\n```$", re.M | re.S)

SYSTEMCTL = r'''#!PYTHON
"""systemctl for the walk: this machine's casesyncd, started by hand, ready once it serves."""
import os, signal, subprocess, sys, time, tomllib, urllib.request
args = [a for a in sys.argv[1:] if a != "--now"]
now = "--now" in sys.argv
if args[:1] == ["enable"]:
    if not now: sys.exit(0)
    args[0] = "start"
unit = args[1] if len(args) == 2 else ""
instance = unit[len("casesyncd@"):] if unit.startswith("casesyncd@") else None
if (unit != "casesyncd" and not instance) or args[0] not in ("start", "stop", "reload", "restart"):
    sys.exit(f"walk systemctl: unsupported: {sys.argv[1:]}")
machine, conf = os.environ["WALK_MACHINE_DIR"], os.environ["CASESYNC_CONFIG"]
if instance:  # casesyncd@.service: ExecStart=... --config /etc/casesync/%i.toml
    conf = os.path.join(os.path.dirname(conf), instance + ".toml")
pid_file = os.path.join(machine, unit + ".pid")
def pid():
    try:
        p = int(open(pid_file).read()); os.kill(p, 0); return p
    except (OSError, ValueError):
        return None
def stop():
    p = pid()
    if p is None: return
    os.kill(p, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while pid() is not None and time.monotonic() < deadline:
        try: os.waitpid(p, os.WNOHANG)
        except ChildProcessError: pass
        time.sleep(0.05)
    if pid() is not None: sys.exit("walk systemctl: casesyncd did not stop within 30s")
    os.unlink(pid_file)
def start():
    if pid() is not None: return
    log = open(os.path.join(machine, unit + ".log"), "ab")
    proc = subprocess.Popen(["casesyncd", "--config", conf], stdout=log, stderr=log,
                            start_new_session=True)
    open(pid_file, "w").write(str(proc.pid))
    listen = tomllib.load(open(conf, "rb"))["api"]["listen"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"walk systemctl: casesyncd exited {proc.returncode}; see {log.name}")
        try:
            urllib.request.urlopen(f"http://{listen}/healthz", timeout=2).read(); return
        except OSError:
            time.sleep(0.1)
    sys.exit("walk systemctl: casesyncd did not serve within 60s")
if args[0] == "stop": stop()
elif args[0] == "start": start()
elif args[0] == "restart": stop(); start()
else: os.kill(pid() or sys.exit("walk systemctl: not running"), signal.SIGHUP)
'''


class Walk:
    def __init__(self, top: Path):
        self.top = top
        self.pkg = top / "pkg"
        self.stick = top / "stick"
        self.bin = top / "bin"
        self.log = []
        self.restore_writes = []  # the cases the street wrote while the terminal was restored

    def machine(self, m: str) -> Path:
        return self.top / m

    def localize(self, text: str, m: str) -> str:
        """The doc's absolute paths and host names, as they are on machine `m` here."""
        where = {"/media/root-key": str(self.top / "media" / "root-key"),
                 "/etc/casesync": str(self.machine(m) / "etc" / "casesync"),
                 "/var/lib/casesync": str(self.machine(m) / "var" / "lib" / "casesync"),
                 "/usr/share/casesync": str(self.pkg / "usr" / "share" / "casesync"),
                 "/root/": str(self.machine(m) / "root") + "/"}
        pattern = r"/media/root-key|/etc/casesync|/var/lib/casesync|/usr/share/casesync|/root/|" \
                  r"district\.example|street[12]\.example|0\.0\.0\.0"
        return re.sub(pattern, lambda x: where.get(x.group(0), "127.0.0.1"), text)

    def env(self, m: str) -> dict:
        env = dict(os.environ)
        env.pop("CASESYNC_TOKEN", None)
        env["PATH"] = f"{self.bin}:{self.pkg}/usr/bin:{self.pkg}/usr/sbin:{env.get('PATH', '/usr/bin:/bin')}"
        env["CASESYNC_CONFIG"] = str(self.machine(m) / "etc" / "casesync" / "casesyncd.toml")
        env["WALK_MACHINE_DIR"] = str(self.machine(m))
        return env

    def install(self):
        """The package on every machine: its files under pkg/, and what postinst does per machine."""
        env = dict(os.environ, DESTDIR=str(self.pkg))
        subprocess.run(["cmake", "--install", str(BUILD), "--prefix", "/usr"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        self.bin.mkdir()
        (self.bin / "systemctl").write_text(SYSTEMCTL.replace("PYTHON", sys.executable))
        (self.bin / "chown").write_text("#!/bin/sh\n# no casesync user in a scratch root\nexit 0\n")
        (self.bin / "sudo").write_text('#!/bin/sh\n# no casesync user: run as this user\n'
                                       '[ "$1" = -u ] && shift 2\nexec "$@"\n')
        (self.bin / "install").write_text(
            '#!/bin/sh\n# no casesync group: install without -o/-g\nfor a; do shift\n'
            '  case "$a" in -o|-g) skip=1 ;; *) if [ -n "$skip" ]; then skip=; else set -- "$@" "$a"; fi ;; esac\n'
            'done\nexec /usr/bin/install "$@"\n')
        for tool in ("systemctl", "chown", "sudo", "install"):
            (self.bin / tool).chmod(0o755)
        self.stick.mkdir()
        for m, port in API_PORTS.items():
            etc = self.machine(m) / "etc" / "casesync"
            etc.mkdir(parents=True)
            (self.machine(m) / "root").mkdir()
            template = (self.pkg / "etc" / "casesync" / "casesyncd.toml").read_text()
            template = template.replace("127.0.0.1:8100", f"127.0.0.1:{port}")
            (etc / "casesyncd.toml").write_text(self.localize(template, m))
            self.run_sh(m, "casesyncctl admin-token new --out /etc/casesync/admin.token && "
                           "casesyncctl keygen --data-key /etc/casesync/data.key", "postinst")

    def run_sh(self, m: str, text: str, where: str, until_s: float = 0):
        script = self.localize(text, m)
        deadline = time.monotonic() + until_s
        while True:
            r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=self.stick,
                               env=self.env(m), capture_output=True, text=True, timeout=180)
            if r.returncode == 0 or time.monotonic() >= deadline:
                break
            time.sleep(1)
        self.log.append(f"[{m}] {where}\n{text}\n{r.stdout}{r.stderr}")
        if r.returncode != 0:
            raise AssertionError(f"{where} on {m} failed (exit {r.returncode}):\n{text}\n"
                                 f"--- stdout\n{r.stdout}--- stderr\n{r.stderr}")
        return r

    def paste(self, text: str, m: str) -> str:
        node_pub = (self.machine(m) / "etc" / "casesync" / "node.pub").read_text().strip()
        root_pub = (self.top / "media" / "root-key" / "root.pub").read_text().strip()
        return text.replace("HEX FROM node.pub", node_pub).replace("HEX PRINTED BY root init", root_pub)

    def run_toml(self, m: str, text: str, opts: dict, where: str):
        text = self.localize(self.paste(text, m), m)
        if "write" in opts:
            Path(self.localize(opts["write"], m)).write_text(text + "\n")
            return
        edit_tables(Path(self.localize(opts["edit"], m)), text)

    def stop_all(self):
        for m in API_PORTS:
            for pid_file in self.machine(m).glob("casesyncd*.pid"):  # casesyncd, casesyncd@NODE
                subprocess.run(["systemctl", "stop", pid_file.stem], env=self.env(m), check=False)


class StreetClerk:
    """Creates cases at the street and forwards them to the terminal, one after another, until
    stopped: the writes that go on while the terminal is restored."""

    def __init__(self, walk: Walk):
        self.walk = walk
        self.case_ids = []
        self.failures = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def cli(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run(["casesyncctl", *args], env=self.walk.env("s01"), capture_output=True,
                              text=True, timeout=60)

    def run(self):
        while not self.stopping.is_set():
            r = self.cli("case", "create", "--matter", "QY-001", "--applicant", "While restoring")
            if r.returncode != 0:
                self.failures.append(r.stderr)
            else:
                case_id = r.stdout.strip()
                f = self.cli("case", "forward", case_id, "--to", "s01-c01")
                if f.returncode == 0:
                    self.case_ids.append(case_id)
                else:
                    self.failures.append(f"forward {case_id}: {f.stderr}")
            self.stopping.wait(0.2)

    def stop(self):
        # At least three writes whatever the machine's load: the last ones may land just after the
        # terminal restarted, while it is still catching up, which is the point as well.
        deadline = time.monotonic() + 60
        while len(self.case_ids) < 3 and not self.failures and time.monotonic() < deadline:
            time.sleep(0.1)
        self.stopping.set()
        self.thread.join(timeout=120)
        assert not self.failures, f"the street's writes failed while the terminal was restored: " \
                                  f"{self.failures[:3]}"
        assert len(self.case_ids) >= 3, f"only {len(self.case_ids)} cases written during the restore"


def edit_tables(path: Path, snippet: str):
    """Replaces the keys of each table the snippet names (comments stay), as an admin edits."""
    tables, current = {}, None
    for line in snippet.splitlines():
        header = re.match(r"\s*\[(\w+)\]\s*$", line)
        if header:
            current = header.group(1)
            tables[current] = []
        elif line.strip():
            tables[current].append(line)
    out, current, seen = [], None, set()
    for line in path.read_text().splitlines():
        header = re.match(r"\[(\w+)\]", line)
        if header:
            current = header.group(1)
            out.append(line)
            if current in tables:
                seen.add(current)
                out.extend(tables[current])
        elif current not in tables or not re.match(r"\w+\s*=", line):
            out.append(line)
    assert seen == set(tables), f"{path}: no table {sorted(set(tables) - seen)} to edit"
    path.write_text("\n".join(out) + "\n")


def blocks():
    for kind, machines, opts, body in BLOCK.findall(DOC.read_text()):
        options = dict(o.split("=", 1) for o in opts.split())
        line = DOC.read_text()[: DOC.read_text().find(body)].count("\n") + 1
        yield kind, machines.split(","), options, body, f"docs/INSTALL.md:{line}"


def main():
    found = list(blocks())
    assert len(found) >= 20, f"only {len(found)} walk blocks in {DOC}: the markers changed?"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="install-walk-") as top:
        walk = Walk(Path(top))
        try:
            walk.install()
            clerk = None
            for kind, machines, opts, body, where in found:
                if " restore " in body:
                    clerk = StreetClerk(walk)
                    clerk.thread.start()
                if clerk is not None and "until" in opts and "casesyncctl health" in body:
                    clerk.stop()  # health must then come to in_step with every write delivered
                    walk.restore_writes = clerk.case_ids
                    clerk = None
                for m in machines:
                    assert m in API_PORTS, f"{where}: unknown machine {m}"
                    if kind == "toml":
                        walk.run_toml(m, body, opts, where)
                    else:
                        until = float(opts.get("until", "0s").rstrip("s"))
                        walk.run_sh(m, body, where, until)
            check_after(walk)
        except Exception:
            print("\n".join(walk.log[-6:]), file=sys.stderr)
            for m in API_PORTS:
                for log in walk.machine(m).glob("casesyncd*.log"):
                    print(f"--- {m} {log.name} (tail)\n" + "\n".join(log.read_text().splitlines()[-15:]),
                          file=sys.stderr)
            raise
        finally:
            walk.stop_all()
    print(f"install_walk_test: OK, {len(found)} blocks of docs/INSTALL.md in "
          f"{time.monotonic() - started:.1f}s; the street wrote {len(walk.restore_writes)} cases to "
          f"the terminal while it was restored")


def check_after(walk: Walk):
    """What the walk's commands leave behind, and the messages issue 23 was about."""
    root_dir = walk.top / "media" / "root-key"
    assert oct(root_dir.stat().st_mode & 0o777) == "0o700", "root init made its folder, owner only"
    backups = list((walk.machine("s01-c01") / "root" / "casesync-backups").iterdir())
    assert backups, "the purge section's copy holds the node's backups"
    # The roster `enroll approve --config` installed: pushing it again is no error.
    r = walk.run_sh("district", "casesyncctl --config /etc/casesync/casesyncd.toml roster push "
                                   "/etc/casesync/roster.toml", "roster push again")
    assert "already installed" in r.stdout, r.stdout
    # No alert to clear: the command is there, says so and records nothing.
    r = subprocess.run(["casesyncctl", "security-alert", "clear", "s01-c01", "--reason", "walk"],
                       env=walk.env("district"), capture_output=True, text=True)
    assert r.returncode == 1 and "no security_alert" in r.stderr, (r.returncode, r.stderr)
    assert not (walk.machine("district") / "var" / "lib" / "casesync" / "security_clears.jsonl").exists()
    # The first test's case left the terminal: the street signed for it, the district saw it.
    case_id = (walk.stick / "case.id").read_text().strip()
    deadline = time.monotonic() + 60
    while True:
        trace = json.loads(walk.run_sh("district", f"casesyncctl --json case trace {case_id}",
                                       "trace the first case").stdout)
        accepted = [h for h in trace.get("hops", []) if h.get("from") == "s01-c01"
                    and h.get("to") == "s01" and h.get("accepted_at")]
        if accepted or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert accepted, f"the district never saw the street sign for the first case: {trace}"
    # The second node on the district's machine (casesyncd@s02) syncs like any street.
    walk.run_sh("district", "casesyncctl health", "every node in step, s02 too", until_s=120)
    # The street's writes during the restore reached the restored terminal and the district.
    assert walk.restore_writes, "the restore section ran without writes going on"
    for m in ("s01-c01", "district"):
        for case_id in walk.restore_writes:
            walk.run_sh(m, f"casesyncctl case show {case_id} >/dev/null", f"case written during the restore at {m}")


if __name__ == "__main__":
    main()
