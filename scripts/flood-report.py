#!/usr/bin/env python3
"""The figures of one scripts/flood.sh run, and its tables.

    flood-report.py row CASE UNITS CAP WANT.json REPORT.json EVENTS TIME RC STDERR TIMEOUT MEM_MIB
        -> one JSON line on stdout; exit 1 when the run failed or lost well-formed traffic
    flood-report.py failed CASE UNITS      -> the JSON line of a case whose generator failed
    flood-report.py header                 -> the column heads of `print`
    flood-report.py print   < one JSON line -> the line for the terminal
    flood-report.py table   < JSON lines    -> the markdown table for the README
"""
import json
import os
import re
import sys

# The well-formed clients make-flood.py mixes in, and the flood's own decodable names.
PATTERNS = {
    "tls": re.compile(r"^t\d+\.zendesk\.com$"),
    "dns": re.compile(r"^w\d+\.intercom\.io$"),
    "quic": re.compile(r"^q\d+\.zendesk\.com$"),
    "flood": re.compile(r"^[a-z]\d+\.flood\.example$"),
}
HOSTNAME = re.compile(r'"hostname":"([^"]*)"')
MIB = 1 << 20


def found_names(events):
    found = {k: set() for k in PATTERNS}
    if not os.path.exists(events):
        return {k: 0 for k in PATTERNS}
    with open(events, errors="replace") as f:
        for line in f:
            m = HOSTNAME.search(line)
            if not m:
                continue
            h = m.group(1)
            for k, p in PATTERNS.items():
                if p.match(h):
                    found[k].add(h)
                    break
    return {k: len(v) for k, v in found.items()}


def row(case, units, cap, want, report, events, timef, rc, stderr, timeout_s, mem_mib):
    want = json.load(open(want))
    r = {"case": case, "units": int(units), "packets": want["packets"], "capture_mib": os.path.getsize(cap) / MIB}
    rc = int(rc)
    last = open(timef).read().strip().splitlines()[-1] if os.path.exists(timef) else ""
    try:
        wall, user, sys_, rss = last.split()
        r.update(wall_s=float(wall), cpu_s=float(user) + float(sys_), rss_mib=int(rss) / 1024)
    except ValueError:
        r.update(wall_s=None, cpu_s=None, rss_mib=None)
    err = open(stderr, errors="replace").read() if os.path.exists(stderr) else ""
    if rc == 0:
        r["status"] = "ok"
    elif rc in (124, 137) and (r["wall_s"] or 0) >= float(timeout_s) - 1:
        r["status"] = f"timeout {timeout_s} s"
    elif "memory allocation" in err or "out of memory" in err.lower() or rc == 134:
        r["status"] = f"over {mem_mib} MiB"
    else:
        r["status"] = f"exit {rc}"
    if rc != 0:
        r["stderr_tail"] = err.strip().splitlines()[-3:]
    s = {}
    if os.path.exists(report) and os.path.getsize(report) > 0:
        r["report_mib"] = os.path.getsize(report) / MIB
        try:
            s = json.load(open(report)).get("stats", {})
        except ValueError:
            r["status"] += ", report not JSON"
    else:
        r["report_mib"] = None
    frag = s.get("ip_fragments_dropped") or {}
    r["stats"] = {
        "flows": s.get("tcp_flows"),
        "evicted": (s.get("flows_evicted_idle") or 0) + (s.get("flows_evicted_cap") or 0) if s else None,
        "overflows": s.get("flow_buffer_overflows"),
        "ooo_dropped": s.get("out_of_order_dropped"),
        "frag_dropped": sum(v for v in frag.values() if isinstance(v, int)) if s else None,
        "events": s.get("events"),
    }
    # Whatever named drop counters the binary reports, printed as they are.
    r["dropped"] = s.get("dropped")
    got = found_names(events)
    r["found"] = {
        "tls": [got["tls"], want["wellformed_tls"]],
        "dns": [got["dns"], want["wellformed_dns"]],
        "quic": [got["quic"], want["wellformed_quic"]],
    }
    if want.get("flood_names"):
        r["flood_names"] = [got["flood"], want["flood_names"]]
    r["all_found"] = all(a == b for a, b in r["found"].values())
    print(json.dumps(r))
    return 0 if r["status"] == "ok" and r["all_found"] else 1


def num(v, fmt):
    return "-" if v is None else format(v, fmt)


def flat(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from flat(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v


def dropped_str(d):
    """Every counter of the report's `dropped` object, zeros too: which caps exist is news."""
    if d is None:
        return "-"
    if isinstance(d, dict):
        return " ".join(f"{k}={v}" for k, v in flat(d)) or "{}"
    return json.dumps(d)


def finished(r):
    return r["status"] == "ok" or r["status"].startswith("exit")


def found_str(r):
    f = r.get("found")
    if not f or not finished(r):
        return "-"
    s = " ".join(f"{k} {a}/{b}" for k, (a, b) in f.items())
    return s + ("" if r["all_found"] else " MISSED")


COLS = "%-18s %8s %9s %7s %8s %8s %8s %7s %8s %8s %8s %8s  %-26s %s"


def header():
    print(COLS % ("case", "units", "packets", "cap MiB", "wall s", "CPU s", "RSS MiB", "rep MiB",
                  "flows", "evicted", "overflow", "ooo drop", "well-formed found", "dropped / other"))


def line(r):
    if r["status"] == "generator-failed":
        return f'{r["case"]:<18} {r["units"]:>8}  GENERATOR FAILED'
    st = r["stats"]
    other = dropped_str(r.get("dropped"))
    if st.get("frag_dropped"):
        other += f' frag_dropped={st["frag_dropped"]}'
    if "flood_names" in r and finished(r):
        other += " flood names %d/%d" % tuple(r["flood_names"])
    if r["status"] != "ok":
        other += f'  [{r["status"]}]'
        if r["status"].startswith("exit") and r.get("stderr_tail"):
            other += " " + r["stderr_tail"][-1][:80]
    return COLS % (
        r["case"], r["units"], r["packets"], num(r["capture_mib"], ".0f"), num(r["wall_s"], ".2f"),
        num(r["cpu_s"], ".2f"), num(r["rss_mib"], ".0f"), num(r["report_mib"], ".1f"), num(st["flows"], "d"),
        num(st["evicted"], "d"), num(st["overflows"], "d"), num(st["ooo_dropped"], "d"), found_str(r), other,
    )


def table(rows):
    print("| case | units | packets | capture MiB | wall s | CPU s | peak RSS MiB | report MiB | flows | evicted | dropped | well-formed found (TLS, DNS, QUIC) | status |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |")
    for r in rows:
        if r["status"] == "generator-failed":
            print(f'| {r["case"]} | {r["units"]:,} | | | | | | | | | | | generator failed |')
            continue
        st = r["stats"]
        drop = dropped_str(r.get("dropped"))
        extra = []
        if st.get("overflows"):
            extra.append(f'buffer_overflows={st["overflows"]}')
        if st.get("ooo_dropped"):
            extra.append(f'out_of_order={st["ooo_dropped"]}')
        if st.get("frag_dropped"):
            extra.append(f'fragments={st["frag_dropped"]}')
        if extra:
            drop = " ".join(extra) if drop in ("-", "{}") else drop + " " + " ".join(extra)
        f = r["found"]
        found = ", ".join(f"{a}/{b}" for a, b in f.values()) if finished(r) else "-"
        if "flood_names" in r and finished(r):
            found += "; flood names %d/%d" % tuple(r["flood_names"])
        print(
            f'| {r["case"]} | {r["units"]:,} | {r["packets"]:,} | {num(r["capture_mib"], ".0f")} | {num(r["wall_s"], ".2f")} '
            f'| {num(r["cpu_s"], ".2f")} | {num(r["rss_mib"], ".0f")} | {num(r["report_mib"], ".1f")} | {num(st["flows"], ",")} '
            f'| {num(st["evicted"], ",")} | {drop.replace("|", "/")} | {found} | {r["status"]} |'
        )


def main():
    cmd = sys.argv[1]
    if cmd == "row":
        sys.exit(row(*sys.argv[2:]))
    elif cmd == "failed":
        print(json.dumps({"case": sys.argv[2], "units": int(sys.argv[3]), "status": "generator-failed"}))
    elif cmd == "header":
        header()
    elif cmd == "print":
        for l in sys.stdin:
            print(line(json.loads(l)), flush=True)
    elif cmd == "table":
        table([json.loads(l) for l in sys.stdin if l.strip()])
    else:
        sys.exit(f"flood-report.py: unknown command {cmd}")


if __name__ == "__main__":
    main()
