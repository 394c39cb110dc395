#!/usr/bin/env python3
"""Proves that no two integration tests can bind the same loopback port when ctest runs them at
once: each test's default base port claims [base, base+100) for sync ports, proxies and extra
testbeds, and [base+1000, base+1100) for the testbed's API ports (harness.Testbed)."""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = re.compile(r'environ\.get\("([A-Z_]*BASE_PORT)", (\d+)\)')
WIDTH, API_OFFSET = 100, 1000


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
    return out


def main():
    ranges = sorted(claims())
    clashes = []
    for i, (lo, hi, name, var) in enumerate(ranges):
        for lo2, hi2, name2, var2 in ranges[i + 1:]:
            if lo2 >= hi:
                break
            if name2 != name:
                clashes.append(f"{name} {var} ports {lo}..{hi - 1} overlap {name2} {var2} "
                               f"ports {lo2}..{hi2 - 1}")
    if clashes:
        print("integration tests share ports (pick a free base for one of each pair):")
        print("\n".join("  " + c for c in clashes))
        return 1
    print(f"ok: {len(ranges)} port ranges of {len({r[2] for r in ranges})} tests are disjoint")
    return 0


if __name__ == "__main__":
    sys.exit(main())
