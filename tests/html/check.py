#!/usr/bin/env python3
"""Opens a shadowdesk HTML report in headless Chromium (over WebDriver, with Debian's
chromium and chromium-driver; standard library only) and checks it as a person would use it.

    check.py PAGE.html --expect EXPECT.json [--screenshot OUT.png] [--pdf OUT.pdf]
    check.py PAGE.html --measure [--hosts N]

EXPECT.json (written by the test from tshark's truth, not from our output):
    {"pairs": {"IP": {"VENDOR_ID": EVENTS, ...}, ...},     every host x vendor cell
     "unsanctioned": [["IP", "VENDOR_ID"], ...],            cells that must be marked so
     "texts": ["<script>...", ...]}                          names that must show as text

Checks: the page becomes ready (its script ran under its CSP) and made no request at all
(DevTools network log and the resource timing entries both empty, no CSP complaint); one
matrix row per host, one column per vendor, each cell's event count; unsanctioned cells
marked with a mark, not only a colour; filtering by a vendor leaves its hosts; Tab reaches a
cell and the arrow keys move between cells, Enter opens the details; one timeline mark per
host x vendor pair; hostile names appear as text and add no element; a screenshot that is
not blank; print to PDF. --measure prints the time to usable (navigation start to the
script's data-ready) and the page's size. Exit status 0 when every check passes.
"""
import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zlib

KEY = {"tab": "\ue004", "enter": "\ue007", "right": "\ue014", "down": "\ue015", "left": "\ue012"}
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


class Driver:
    """The few WebDriver (W3C) commands the checks need."""

    def __init__(self):
        exe = shutil.which("chromedriver") or "/usr/lib/chromium/chromedriver"
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.proc = subprocess.Popen([exe, "--port=%d" % self.port], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = "http://127.0.0.1:%d" % self.port
        for _ in range(100):
            try:
                self.call("GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        chrome = shutil.which("chromium") or shutil.which("chromium-browser")
        opts = {"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1400,1000", "--no-first-run", "--disable-extensions"]}
        if chrome:
            opts["binary"] = chrome
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": opts,
                                                 "goog:loggingPrefs": {"performance": "ALL", "browser": "ALL"}}}}
        self.sid = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as e:
            raise RuntimeError("%s %s: %s" % (method, path, e.read()[:500].decode(errors="replace")))

    def s(self, method, path, body=None):
        return self.call(method, "/session/%s%s" % (self.sid, path), body)

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def keys(self, *names):
        acts = []
        for n in names:
            k = KEY.get(n, n)
            acts += [{"type": "keyDown", "value": k}, {"type": "keyUp", "value": k}]
        self.s("POST", "/actions", {"actions": [{"type": "key", "id": "kb", "actions": acts}]})

    def log(self, kind):
        return self.s("POST", "/se/log", {"type": kind})

    def wait(self, script, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            v = self.js(script)
            if v:
                return v
            time.sleep(0.05)
        return None

    def quit(self):
        try:
            self.s("DELETE", "")
        finally:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def png_not_blank(png):
    """Share of pixels bytes that are not white in an 8-bit RGB(A) PNG (filters ignored)."""
    pos, idat = 8, b""
    while pos < len(png):
        n = int.from_bytes(png[pos:pos + 4], "big")
        kind = png[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8:pos + 8 + n]
        pos += 12 + n
    raw = zlib.decompress(idat)
    return sum(1 for b in raw[::7] if b not in (0, 255)) / max(1, len(raw[::7]))


def load(d, page):
    url = "file://" + os.path.abspath(page)
    t = time.time()
    d.s("POST", "/url", {"url": url})
    ok = d.wait("return document.body && document.body.getAttribute('data-ready')")
    wall = time.time() - t
    ready_ms = d.js("return +document.body.getAttribute('data-ready-ms')")
    return url, ok, wall, ready_ms


def requests_made(d, url):
    """URLs the page asked for besides itself: DevTools log and resource timing."""
    out = []
    for e in d.log("performance"):
        m = json.loads(e["message"])["message"]
        if m.get("method") == "Network.requestWillBeSent":
            u = m["params"]["request"]["url"]
            if u != url:
                out.append(u)
    out += d.js("return performance.getEntriesByType('resource').map(function(e){return e.name})")
    return out


def matrix(d):
    return d.js("""
      var rows = [].map.call(document.querySelectorAll('#mx-body tr[data-ip]'), function (tr) {
        return {ip: tr.dataset.ip, cells: [].map.call(tr.querySelectorAll('td[data-vendor]'), function (td) {
          return {vendor: td.dataset.vendor, events: +td.dataset.events, verdict: td.dataset.verdict,
                  text: td.textContent, label: td.getAttribute('aria-label')};
        })};
      });
      var cols = [].map.call(document.querySelectorAll('#mx-head th[data-vendor]'), function (th) { return th.dataset.vendor; });
      return {rows: rows, cols: cols, rowcount: +document.getElementById('grid').getAttribute('aria-rowcount')};
    """)


def full(d, page, exp, shot, pdf):
    url, ok, wall, ready_ms = load(d, page)
    check(bool(ok), "page ready (its script ran under the CSP) in %.0f ms" % (ready_ms or -1))
    d.wait("return document.body.getAttribute('data-timelines')")
    csp = [e["message"] for e in d.log("browser") if "Content Security Policy" in e["message"] or "Refused" in e["message"]]
    check(not csp, "no CSP complaint %s" % csp[:3])
    m = matrix(d)
    pairs = exp["pairs"]
    vendors = sorted({v for p in pairs.values() for v in p})
    got_hosts = sorted(r["ip"] for r in m["rows"])
    check(got_hosts == sorted(pairs), "one row per host: %s" % got_hosts)
    check(m["rowcount"] == len(pairs) + 1, "aria-rowcount %d = hosts + header" % m["rowcount"])
    check(sorted(m["cols"]) == vendors, "one column per vendor: %s" % m["cols"])
    got = {r["ip"]: {c["vendor"]: c["events"] for c in r["cells"]} for r in m["rows"]}
    check(got == pairs, "event counts per host x vendor equal the truth's: %s" % got)
    marks = {(r["ip"], c["vendor"]): c for r in m["rows"] for c in r["cells"]}
    for ip, v in exp.get("unsanctioned", []):
        c = marks.get((ip, v))
        check(bool(c) and c["verdict"] == "unsanctioned" and "\u2717" in c["text"] and "unsanctioned" in c["label"],
              "%s x %s marked unsanctioned (mark and label, not only colour): %s" % (ip, v, c))
    sanctioned = [(ip, v) for ip, p in pairs.items() for v in p if [ip, v] not in exp.get("unsanctioned", [])]
    for ip, v in sanctioned:
        c = marks.get((ip, v))
        check(bool(c) and c["verdict"] != "unsanctioned" and "\u2717" not in c["text"], "%s x %s not marked unsanctioned" % (ip, v))

    # Timelines: one mark per pair.
    n_marks = d.js("return document.querySelectorAll('#tl-list .mk').length")
    n_pairs = sum(len(p) for p in pairs.values())
    check(n_marks == n_pairs, "timeline marks %d = host x vendor pairs %d" % (n_marks, n_pairs))

    # Hostile names: shown as text, no element or script of theirs.
    body_text = d.js("return document.body.innerText + document.getElementById('tl-list').textContent + "
                     "[].map.call(document.querySelectorAll('#tl-list title'), function(t){return t.textContent}).join(' ')")
    for t in exp.get("texts", []):
        check(t in body_text or t in d.js("return document.getElementById('data').textContent"), "hostile name kept as text: %r" % t)
    extra = d.js("return {scripts: document.scripts.length, img: document.images.length, "
                 "handlers: document.querySelectorAll('[onmouseover],[onfocus],[onerror]').length, alerted: !!window.__alerted}")
    check(extra["scripts"] == 2 and extra["img"] == 0 and extra["handlers"] == 0, "no element from a name: %s" % extra)

    # Filter by each vendor: the rows left are its hosts.
    for v in vendors:
        d.js("var id=arguments[0], s=document.getElementById('f-vendor'); var D=JSON.parse(document.getElementById('data').textContent);"
             "s.value=String(D.vendors.findIndex(function(x){return x.id===id}));"
             "s.dispatchEvent(new Event('change'))", v)
        left = sorted(r["ip"] for r in matrix(d)["rows"])
        want = sorted(ip for ip, p in pairs.items() if v in p)
        check(left == want, "filter by %s leaves %s" % (v, left))
    d.js("var s=document.getElementById('f-vendor'); s.value=''; s.dispatchEvent(new Event('change'))")

    # CIDR filter: the IPv4 /16 of the first IPv4 host.
    v4 = [ip for ip in pairs if "." in ip]
    if v4:
        net = ".".join(v4[0].split(".")[:2]) + ".0.0/16"
        d.js("var c=document.getElementById('f-cidr'); c.value=arguments[0]; c.dispatchEvent(new Event('input'))", net)
        time.sleep(0.4)
        left = sorted(r["ip"] for r in matrix(d)["rows"])
        want = sorted(ip for ip in v4 if ip.split(".")[:2] == v4[0].split(".")[:2])
        check(left == want, "CIDR %s leaves %s" % (net, left))
        d.js("var c=document.getElementById('f-cidr'); c.value=''; c.dispatchEvent(new Event('input'))")
        time.sleep(0.4)

    # Keyboard: Tab from the top reaches a matrix cell; arrows move; Enter shows details.
    d.js("document.activeElement && document.activeElement.blur(); window.scrollTo(0,0)")
    reached = None
    for _ in range(200):
        d.keys("tab")
        a = d.js("var a=document.activeElement; return a && a.closest('#mx-body') ? "
                 "{r:a.dataset.r, c:a.dataset.c, role:a.getAttribute('role')} : null")
        if a:
            reached = a
            break
    check(bool(reached), "Tab reaches the matrix: %s" % reached)
    if reached:
        d.keys("right")
        a = d.js("var a=document.activeElement; return {r:a.dataset.r, c:a.dataset.c, label:a.getAttribute('aria-label')}")
        check(a["c"] == str(int(reached["c"]) + 1), "ArrowRight moves to the next cell: %s" % a)
        d.keys("down")
        b = d.js("var a=document.activeElement; return {r:a.dataset.r, c:a.dataset.c}")
        check(len(pairs) < 2 or b["r"] == str(int(a["r"]) + 1), "ArrowDown moves to the next row: %s" % b)
        d.keys("left", "enter")
        det = d.js("return document.getElementById('detail-body').textContent")
        check(any(ip in det for ip in pairs), "Enter opens details: %r" % det[:80])

    if shot:
        png = base64.b64decode(d.s("GET", "/screenshot"))
        open(shot, "wb").write(png)
        share = png_not_blank(png)
        check(png[:8] == b"\x89PNG\r\n\x1a\n" and share > 0.01, "screenshot not blank (%.1f%% non-white samples)" % (share * 100))
    doc = base64.b64decode(d.s("POST", "/print", {"background": True}))
    if pdf:
        open(pdf, "wb").write(doc)
    pages = doc.count(b"/Type /Page") - doc.count(b"/Type /Pages")
    check(doc[:5] == b"%PDF-" and pages >= 1, "print to PDF: %d bytes, %d pages" % (len(doc), pages))

    reqs = requests_made(d, url)
    check(not reqs, "no request left the page: %s" % reqs[:5])


def measure(d, page, hosts):
    size = os.path.getsize(page)
    url, ok, wall, ready_ms = load(d, page)
    check(bool(ok), "page ready")
    m = d.js("return +document.getElementById('grid').getAttribute('aria-rowcount') - 1")
    if hosts:
        check(m == hosts, "matrix has %d hosts" % m)
    d.keys("tab")
    t = time.time()
    d.js("var s=document.getElementById('f-vendor'); s.selectedIndex=1; s.dispatchEvent(new Event('change'))")
    filt = (time.time() - t) * 1000
    nav = d.js("var n=performance.getEntriesByType('navigation')[0]; return {response_end: Math.round(n.responseEnd), "
               "script_start: +document.body.getAttribute('data-script-ms'), row_h: document.querySelector('#mx-body tr[data-ip]').getBoundingClientRect().height, marks: performance.getEntriesByType('mark')"
               ".map(function(m){return m.name + '=' + Math.round(m.startTime)}).join(' ')}")
    reqs = requests_made(d, url)
    check(not reqs, "no request left the page")
    print(json.dumps({"bytes": size, "mib": round(size / 2**20, 2), "hosts": m, "ready_ms": ready_ms,
                      "script_start_ms": nav["script_start"], "marks": nav["marks"], "row_h": nav["row_h"], "wall_ms": round(wall * 1000), "filter_ms": round(filt)}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("--expect")
    ap.add_argument("--screenshot")
    ap.add_argument("--pdf")
    ap.add_argument("--measure", action="store_true")
    ap.add_argument("--hosts", type=int, default=0)
    a = ap.parse_args()
    d = Driver()
    try:
        if a.measure:
            measure(d, a.page, a.hosts)
        else:
            full(d, a.page, json.load(open(a.expect)), a.screenshot, a.pdf)
    finally:
        d.quit()
    print("html check: %d failure(s)" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
