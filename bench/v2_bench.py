#!/usr/bin/env python3
"""Per-job cost over the Comfy API v2 (issue 21), driven by bench/v2.sh; run with the bench venv's
python (comfy-sdk 0.5.0 and blake3 installed).

    v2_bench.py N FAKE_URL PROXY_URL TOKEN INPUT_PNG WORKDIR COMFYCTL|-

Every job is the invert workflow (LoadImage of an input uploaded once beforehand -> ImageInvert ->
SaveImage) and every column downloads the job's output, so each measures submit + follow +
download. The columns run interleaved (job i of every column, then job i + 1) after one warm-up
job each, so drift on the machine hits them alike. Every job has its own SaveImage prefix, so
LoadImage and ImageInvert come from ComfyUI's cache and SaveImage runs, in every column alike
(with one graph for all, a column's cost would depend on which column ran before it):

  a  native floor: POST /prompt, poll /history/{id}, GET /view; one process, keep-alive
  b  raw v2: POST /api/v2/jobs (Idempotency-Key), poll GET /api/v2/jobs/{id} until terminal
     (an `expired` is asked again), GET the output's url; one process, keep-alive
  c  comfy-sdk 0.5.0 in this process: submit + result() (what run() does), to_file()
  d  comfy-sdk as a fresh `python -c` process per job
  e  comfyctl run WF --api v2 (a whole process per job), when comfyctl has --api
  f  e with --no-validate (no /system_stats + /object_info probe)
  g  e with --image FILE instead of the asset reference in WF (hash, HEAD by-hash, from-hash)

Polls in a and b are back to back with POLL_MS (default 2) between them. comfy-sdk polls on its
own schedule (0.5 s, 0.75 s, ... once the first poll misses). When comfy-sdk raises on an
`expired` job (its TERMINAL set includes expired), the column asks the job again until it
settles and downloads the output, so every column does the same work; the raise is counted and
its recovery is in the time.
"""
import http.client
import json
import math
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid

import blake3

N = int(sys.argv[1])
FAKE, PROXY, TOKEN, INPUT, WORK, COMFYCTL = sys.argv[2:8]
POLL = float(os.environ.get("POLL_MS", "2")) / 1000
JOB_TIMEOUT = 60.0
# How long a raw-v2 client keeps asking a job that answers `expired` before it believes it.
EXPIRED_GRACE = 5.0
TERMINAL = {"succeeded", "failed", "canceled", "expired"}


class Conn:
    """One keep-alive HTTP/1.1 connection; reconnects once if the server closed it."""

    def __init__(self, base, token=None):
        u = urllib.parse.urlparse(base)
        self.host, self.port, self.token = u.hostname, u.port, token
        self.c = None

    def req(self, method, path, body=None, headers=None):
        assert method != "HEAD"  # HEAD .../content sends a body and poisons the connection
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        for attempt in (0, 1):
            if self.c is None:
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.c.request(method, path, body=body, headers=h)
                r = self.c.getresponse()
                data = r.read()
            except (http.client.HTTPException, ConnectionError, OSError):
                self.c.close()
                self.c = None
                if attempt:
                    raise
                continue
            if r.getheader("Connection", "").lower() == "close":
                self.c.close()
                self.c = None
            return r.status, data

    def json(self, method, path, body=None, headers=None, ok=(200,)):
        s, data = self.req(method, path, body, headers)
        if s not in ok:
            raise RuntimeError(f"{method} {path}: {s} {data[:300]!r}")
        return json.loads(data) if data else None


def multipart(fields, file_field, file_name, file_bytes):
    b = "----v2bench" + uuid.uuid4().hex
    out = b""
    for k, v in fields.items():
        out += f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    out += (f'--{b}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{file_name}"\r\n'
            "Content-Type: image/png\r\n\r\n").encode() + file_bytes + f"\r\n--{b}--\r\n".encode()
    return out, {"Content-Type": f"multipart/form-data; boundary={b}"}


def invert(image, prefix):
    return {
        "1": {"class_type": "LoadImage", "inputs": {"image": image}},
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": prefix}},
    }


png = open(INPUT, "rb").read()
fake = Conn(FAKE)
v2 = Conn(PROXY, TOKEN)

# -- the input, uploaded once as a v2 asset (the second upload shows the dedup), then referenced
digest = "blake3:" + blake3.blake3(png).hexdigest()
body, hdr = multipart({"content_type": "image/png", "file_path": "v2bench-input.png",
                       "expected_hash": digest}, "file", "v2bench-input.png", png)
asset = v2.json("POST", "/api/v2/assets", body, hdr, ok=(200, 201))
again = v2.json("POST", "/api/v2/assets", body, hdr, ok=(200, 201))
assert again["id"] == asset["id"] and again["created_new"] is False, again
REF = {"__type": "core/ASSET", "info": {"id": asset["id"], "hash": digest}}
# The native column loads the same file: the name the proxy resolved the reference to.
probe = v2.json("POST", "/api/v2/jobs", {"workflow": invert(REF, "v2bench/probe")}, ok=(201,))
native_name = v2.json("GET", f"/api/v2/jobs/{probe['id']}/workflow")["workflow"]["1"]["inputs"]["image"]


def workflow(col, i, native=False):
    """The invert job, the same graph in every column except SaveImage's prefix, which is new for
    every job: LoadImage and ImageInvert come from ComfyUI's cache in every column alike, and
    SaveImage runs and writes a new file every time, whichever column ran before (ComfyUI's
    cache keeps only the last prompt's nodes, so a prompt identical to the previous column's
    would be all cached and a column's cost would depend on its place in the order)."""
    return invert(native_name if native else REF, f"v2bench/{col}{i:03d}")


def workflow_file(col, i, image=False):
    path = os.path.join(WORK, "wf", f"{col}{i:03d}.json")
    wf = workflow(col, i)
    if image:  # comfyctl --image puts its upload into the first image loader
        wf["1"]["inputs"]["image"] = "replaced-by-image.png"
    with open(path, "w") as f:
        json.dump(wf, f, indent=1)
    return path


os.makedirs(os.path.join(WORK, "wf"))
for col in "abcdefg":
    os.makedirs(os.path.join(WORK, "out", col), exist_ok=True)

counts = {"b_expired_polls": 0, "b_expired_then_succeeded": 0, "b_expired_final": 0,
          "c_raised": 0, "c_raised_then_succeeded": 0, "d_raised": 0, "d_raised_then_succeeded": 0,
          "polls_a": 0, "polls_b": 0, "e_fail": 0}
e_errors = []


def job_a(i, wf):
    pid = str(uuid.uuid4())
    fake.json("POST", "/prompt", {"prompt": wf, "client_id": "v2bench", "prompt_id": pid})
    deadline = time.monotonic() + JOB_TIMEOUT
    while True:
        counts["polls_a"] += 1
        h = fake.json("GET", f"/history/{pid}")
        if pid in h and h[pid].get("status", {}).get("completed") is not None \
                and h[pid]["status"].get("status_str") in ("success", "error"):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"a: {pid} not done")
        time.sleep(POLL)
    entry = h[pid]
    if entry["status"]["status_str"] != "success":
        raise RuntimeError(f"a: {pid} {entry['status']}")
    img = entry["outputs"]["3"]["images"][0]
    q = urllib.parse.urlencode({"filename": img["filename"], "subfolder": img["subfolder"], "type": img["type"]})
    s, data = fake.req("GET", f"/view?{q}")
    if s != 200 or not data.startswith(b"\x89PNG"):
        raise RuntimeError(f"a: /view {s}")
    with open(os.path.join(WORK, "out", "a", "out.png"), "wb") as f:
        f.write(data)


def job_b(i, wf):
    job = v2.json("POST", "/api/v2/jobs", {"workflow": wf},
                  {"Idempotency-Key": str(uuid.uuid4())}, ok=(201,))
    jid = job["id"]
    deadline = time.monotonic() + JOB_TIMEOUT
    expired_since = None
    saw_expired = False
    while True:
        counts["polls_b"] += 1
        job = v2.json("GET", f"/api/v2/jobs/{jid}")
        st = job["status"]
        if st == "expired":
            counts["b_expired_polls"] += 1
            saw_expired = True
            expired_since = expired_since or time.monotonic()
            if time.monotonic() - expired_since > EXPIRED_GRACE:
                counts["b_expired_final"] += 1
                raise RuntimeError(f"b: {jid} still expired after {EXPIRED_GRACE} s")
        elif st in TERMINAL:
            break
        else:
            expired_since = None
        if time.monotonic() > deadline:
            raise RuntimeError(f"b: {jid} not done")
        time.sleep(POLL)
    if st != "succeeded":
        raise RuntimeError(f"b: {jid} {st} {job.get('error')}")
    if saw_expired:
        counts["b_expired_then_succeeded"] += 1
    url = urllib.parse.urlparse(job["outputs"][0]["url"])
    s, data = v2.req("GET", url.path + (f"?{url.query}" if url.query else ""))
    if s != 200 or not data.startswith(b"\x89PNG"):
        raise RuntimeError(f"b: download {s}")
    with open(os.path.join(WORK, "out", "b", "out.png"), "wb") as f:
        f.write(data)


# comfy-sdk, in this process and as a child process. The child's code is the same function.
SDK_JOB = r'''
def sdk_job(client, graph, dest):
    """submit + result() (= client.run()), then to_file(). Returns (raised, raised_then_ok)."""
    import time
    from comfy_sdk import ComfyError
    job = client.submit(client.workflows.from_json(graph))
    raised = False
    try:
        job.result()
    except ComfyError:
        # Its TERMINAL set includes `expired`, which the proxy can answer for a job that then
        # succeeds: ask again until it settles, as a careful caller would.
        raised = True
        deadline = time.monotonic() + 5
        while job.status == "expired" and time.monotonic() < deadline:
            time.sleep(0.002)
            job.refresh()
        if job.status != "succeeded":
            raise
    job.outputs[0].to_file(dest)
    return raised, raised and job.status == "succeeded"
'''
exec(SDK_JOB)
CHILD = SDK_JOB + r'''
import json, sys
from comfy_sdk import Comfy
graph = json.load(open(sys.argv[1]))
print(json.dumps(sdk_job(Comfy(), graph, sys.argv[2])))
'''

from comfy_sdk import Comfy  # noqa: E402  (imported before any timing)

client = Comfy()  # COMFY_BASE_URL and COMFY_API_KEY from the environment


def job_c(i, wf):
    raised, ok = sdk_job(client, wf, os.path.join(WORK, "out", "c", "out.png"))
    counts["c_raised"] += raised
    counts["c_raised_then_succeeded"] += ok


def job_d(i, wf_path):
    r = subprocess.run([sys.executable, "-c", CHILD, wf_path, os.path.join(WORK, "out", "d", "out.png")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"d: exit {r.returncode}: {r.stderr[-500:]}")
    raised, ok = json.loads(r.stdout.strip().splitlines()[-1])
    counts["d_raised"] += raised
    counts["d_raised_then_succeeded"] += ok


def job_e(i, wf_path, extra=(), col="e"):
    cmd = [COMFYCTL, "run", wf_path, "--api", "v2", "--url", PROXY, "-o", os.path.join(WORK, "out", col),
           "--overwrite", "--json", *extra]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        counts["e_fail"] += 1
        e_errors.append(f"exit {r.returncode}: {r.stderr.strip()[-400:]}")
        raise RuntimeError(f"{col}: exit {r.returncode}: {r.stderr.strip()[-400:]}")
    if json.loads(r.stdout)["status"] != "success":
        raise RuntimeError(f"{col}: {r.stdout[:400]}")


def job_f(i, wf_path):
    job_e(i, wf_path, ["--no-validate"], "f")


def job_g(i, wf_path):
    job_e(i, wf_path, ["--image", INPUT], "g")


columns = {
    "a": ("native floor: /prompt, poll /history, /view", job_a),
    "b": ("raw v2 over HTTP, one process, keep-alive", job_b),
    "c": ("comfy-sdk run() in one process", job_c),
    "d": ("comfy-sdk, a fresh python process per job", job_d),
}
if COMFYCTL != "-":
    columns["e"] = ("comfyctl run --api v2, a process per job", job_e)
    # Two more ways of running it, for comparison: without the node-definition probe (with
    # --api v2 and no --object-info, comfyctl still asks /system_stats and /object_info, which the
    # proxy answers 404), and the input given as a file (hash it, HEAD by-hash, from-hash).
    columns["f"] = ("  e with --no-validate", job_f)
    columns["g"] = ("  e with --image FILE (dedup probe per job)", job_g)
ONLY = os.environ.get("COLUMNS_ONLY")  # e.g. COLUMNS_ONLY=ab, to look at some columns alone
if ONLY:
    columns = {c: v for c, v in columns.items() if c in ONLY}

times = {c: [] for c in columns}
dropped = {}  # comfyctl columns whose warm-up job failed: label
failures = {c: 0 for c in columns}
first_error = {}
for i in range(N + 1):  # job 0 is a warm-up, not timed
    for c, (_, fn) in columns.items():
        # The job's workflow is made before the clock starts: a dict in-process, a file for d and e.
        wf = workflow(c, i, native=c == "a") if c in "abc" else workflow_file(c, i, image=c == "g")
        t = time.perf_counter()
        try:
            fn(i, wf)
        except Exception as e:  # a failed job is counted, not timed
            failures[c] += 1
            first_error.setdefault(c, str(e))
            continue
        if i:
            times[c].append(time.perf_counter() - t)
    for c in "efg":
        if c in columns and i == 0 and failures[c]:
            dropped[c] = columns.pop(c)[0]


def p90(ts):
    s = sorted(ts)
    return s[math.ceil(0.9 * len(s)) - 1]


res = {c: (statistics.median(ts) * 1000, p90(ts) * 1000) for c, ts in times.items() if ts}
bm, b9 = res.get("b", (float("nan"), float("nan")))
print(f"per-job cost, invert job, {N} jobs per column (+1 warm-up), download included; times in ms")
print(f"{'':4}{'column':46}{'median':>8}{'p90':>8}{'med/b':>8}{'p90/b':>8}{'failed':>8}")
for c, (label, _) in columns.items():
    if c in res:
        m, p = res[c]
        print(f"{c:4}{label:46}{m:8.1f}{p:8.1f}{m / bm:8.2f}{p / b9:8.2f}{failures[c]:8d}")
    else:
        print(f"{c:4}{label:46}{'-':>8}{'-':>8}{'-':>8}{'-':>8}{failures[c]:8d}")
if COMFYCTL == "-":
    print(f"{'e':4}{'comfyctl run --api v2, a process per job':46}  comfyctl lacks --api v2")
for c, label in dropped.items():
    print(f"{c:4}{label:46}  failed its warm-up job, not measured (below)")
jobs = N + 1
print(f"polls per job: a {counts['polls_a'] / jobs:.1f}, b {counts['polls_b'] / jobs:.1f} "
      f"(every {POLL * 1000:g} ms)")
print(f"proxy answered `expired` for a job that then succeeded (b, raw): "
      f"{counts['b_expired_then_succeeded']} of {jobs} jobs ({counts['b_expired_polls']} expired polls, "
      f"{counts['b_expired_final']} jobs still expired after {EXPIRED_GRACE:g} s)")
print(f"comfy-sdk raised (c, one process): {counts['c_raised']} of {jobs} jobs "
      f"({counts['c_raised_then_succeeded']} of them had succeeded)")
print(f"comfy-sdk raised (d, process per job): {counts['d_raised']} of {jobs} jobs "
      f"({counts['d_raised_then_succeeded']} of them had succeeded)")


def startup(cmd, runs=20):
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1000


line = f"a process that does nothing else (median of 20): python -c 'import comfy_sdk' " \
       f"{startup([sys.executable, '-c', 'import comfy_sdk']):.1f} ms"
if COMFYCTL != "-":
    line += f", comfyctl --version {startup([COMFYCTL, '--version']):.1f} ms"
print(line)
print(f"load average after the run: {' '.join(open('/proc/loadavg').read().split()[:3])}")
for c, e in first_error.items():
    print(f"first failure in {c}: {e}")
sys.exit(1 if any(failures[c] for c in columns if c not in "efg") else 0)
