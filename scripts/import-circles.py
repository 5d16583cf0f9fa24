#!/usr/bin/env python3
"""Import circles among the .c files of each binary's folder and lib/, and arrows from lib/ up.

Usage: scripts/import-circles.py [BUILD_DIR]   (default: build, after `make`)

From `nm` of BUILD_DIR/*/*.o (unit tests left out): an arrow a.o -> b.o when a.o uses (U) a
symbol that b.o defines (T, D, B, R...), both in one folder or either in lib/. A circle is a
strongly connected set of two or more files; each is printed with the arrows inside it. Exit
status: 0 when there is neither a circle nor an arrow from lib/ up, 1 otherwise.
"""
import collections
import glob
import os
import subprocess
import sys


def symbols(obj):
    defined, used = set(), set()
    out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        p = line.split()
        if len(p) == 2 and p[0] == "U":
            used.add(p[1])
        elif len(p) == 3 and p[1] in "TDBRVWGS":
            defined.add(p[2])
    return defined, used


def circles(edges, nodes):
    """Tarjan's strongly connected components, iterative; those of two or more nodes."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(edges.get(root, {})))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(edges.get(w, {}))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        found.append(sorted(comp))
    return sorted(found)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    objs = sorted(o for o in glob.glob(os.path.join(build, "*", "*.o"))
                  if os.path.basename(os.path.dirname(o)) != "unit")
    syms = {o: symbols(o) for o in objs}
    where = collections.defaultdict(list)
    for o, (defined, _) in syms.items():
        for s in defined:
            where[s].append(o)

    def folder(o):
        return os.path.basename(os.path.dirname(o))

    edges = collections.defaultdict(dict)
    for o, (_, used) in syms.items():
        for s in used:
            for t in where.get(s, []):
                if t != o and (folder(t) == folder(o) or "lib" in (folder(t), folder(o))):
                    edges[o].setdefault(t, []).append(s)
    bad = 0
    for o in objs:
        if folder(o) != "lib":
            continue
        for t, s in sorted(edges[o].items()):
            if folder(t) != "lib":
                print(f"up: {os.path.relpath(o, build)} -> {os.path.relpath(t, build)}: "
                      f"{', '.join(sorted(s))}")
                bad += 1
    found = circles(edges, objs)
    for comp in found:
        print("circle:", " ".join(os.path.relpath(x, build) for x in comp))
        for a in comp:
            for b, s in sorted(edges[a].items()):
                if b in comp:
                    print(f"    {os.path.relpath(a, build)} -> {os.path.relpath(b, build)}: "
                          f"{', '.join(sorted(s))}")
    print(f"{len(found)} circle(s), {bad} arrow(s) from lib/ up")
    return 1 if found or bad else 0


if __name__ == "__main__":
    sys.exit(main())
