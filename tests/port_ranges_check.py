#!/usr/bin/env python3
"""Proves that no two integration tests can bind the same loopback port when ctest runs them at
once: each test's default base port claims [base, base+100) for sync ports, proxies and extra
testbeds, and [base+1000, base+1100) for the testbed's API ports (harness.Testbed).

Every range must also end below the kernel's ephemeral port range (Linux default 32768..60999):
a port in there can be taken at any moment as the local end of some outgoing connection, and the
node that wanted to listen on it then fails with "cannot bind" (CI lost four tests that way when
bases 32100..32900 put the API ports at 33100..33900)."""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = re.compile(r'environ\.get\("([A-Z_]*BASE_PORT)", (\d+)\)')
WIDTH, API_OFFSET = 100, 1000
EPHEMERAL_FLOOR = 32768  # the Linux default; a machine may start it lower, checked below


def ephemeral_floor():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
            return min(EPHEMERAL_FLOOR, int(f.read().split()[0]))
    except (OSError, ValueError, IndexError):
        return EPHEMERAL_FLOOR


def claims():
    out = []
    for name in sorted(os.listdir(os.path.join(HERE, "integration"))):
        if not name.endswith("_test.py"):
            continue
        with open(os.path.join(HERE, "integration", name), encoding="utf-8") as f:
            for var, base in BASE.findall(f.read()):
                b = int(base)
                for lo in (b, b + API_OFFSET):
                    out.append((lo, lo + WIDTH, name, var))
    # Tests started straight from CMake (demo_once) name their base on the command line.
    with open(os.path.join(HERE, "CMakeLists.txt"), encoding="utf-8") as f:
        for m in re.finditer(r"add_test\(NAME (\w+)[^)]*?--base-port (\d+)", f.read()):
            b = int(m.group(2))
            for lo in (b, b + API_OFFSET):
                out.append((lo, lo + WIDTH, m.group(1), "--base-port"))
    return out


def main():
    ranges = sorted(claims())
    clashes = []
    floor = ephemeral_floor()
    for lo, hi, name, var in ranges:
        if hi > floor:
            clashes.append(f"{name} {var} ports {lo}..{hi - 1} reach into the ephemeral range "
                           f"(from {floor}): pick a base whose ranges end below {floor}")
    for i, (lo, hi, name, var) in enumerate(ranges):
        for lo2, hi2, name2, var2 in ranges[i + 1:]:
            if lo2 >= hi:
                break
            if name2 != name:
                clashes.append(f"{name} {var} ports {lo}..{hi - 1} overlap {name2} {var2} "
                               f"ports {lo2}..{hi2 - 1}")
    if clashes:
        print("integration tests share ports or use ephemeral ones (pick a free base for each):")
        print("\n".join("  " + c for c in clashes))
        return 1
    print(f"ok: {len(ranges)} port ranges of {len({r[2] for r in ranges})} tests are disjoint")
    return 0


if __name__ == "__main__":
    sys.exit(main())
