#!/usr/bin/env python3
"""Drives the real comfy-api-proxy (in front of the fake ComfyUI) through the Comfy API v2 and
checks what comes back: health and auth, asset upload with dedup, submit with an
Idempotency-Key, the SSE stream read to its end, polling, downloads with Range, cancel of a
running and of a queued job, an execution error, a rejected workflow, the job list.

Standard library only (the proxy's venv has blake3 for the hashes).

    v2_proxy_check.py BASE_URL TOKEN
"""
import http.client
import json
import sys
import time
import urllib.parse
import uuid

import blake3

BASE, TOKEN = sys.argv[1].rstrip("/"), sys.argv[2]
U = urllib.parse.urlparse(BASE)
passed, failed = 0, 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def request(method, path, body=None, headers=None, token=True, raw=False):
    conn = http.client.HTTPConnection(U.hostname, U.port, timeout=60)
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {TOKEN}"
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    conn.close()
    if raw:
        return r.status, hdrs, data
    try:
        return r.status, hdrs, json.loads(data) if data else None
    except ValueError:
        return r.status, hdrs, data.decode(errors="replace")


def multipart(fields, file_name, file_bytes):
    b = "----v2check" + uuid.uuid4().hex
    out = b""
    for k, v in fields.items():
        out += f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    out += (
        f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + file_bytes + f"\r\n--{b}--\r\n".encode()
    return out, {"Content-Type": f"multipart/form-data; boundary={b}"}


def events(job, limit_s=60):
    """The stream read to its end: [(event or ':comment', data)]."""
    conn = http.client.HTTPConnection(U.hostname, U.port, timeout=limit_s)
    conn.request("GET", f"/api/v2/jobs/{job}/events",
                 headers={"Authorization": f"Bearer {TOKEN}", "Accept": "text/event-stream"})
    r = conn.getresponse()
    ctype = r.getheader("Content-Type", "")
    body = r.read().decode()
    conn.close()
    frames = []
    for block in body.split("\n\n"):
        if not block:
            continue
        if block.startswith(":"):
            frames.append((block, None))
            continue
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        frames.append((lines["event"], json.loads(lines["data"])))
    return r.status, ctype, body, frames


def settle(job, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        _, _, j = request("GET", f"/api/v2/jobs/{job}")
        if j["status"] in ("succeeded", "failed", "canceled"):
            return j
        time.sleep(0.1)
    return j


def sample(steps, seed):
    return {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-random-sd15.safetensors"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a fox", "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "3": {"class_type": "KSampler", "inputs": {"seed": seed, "steps": steps, "cfg": 7.0, "sampler_name": "euler",
              "scheduler": "normal", "denoise": 1.0, "model": ["4", 0], "positive": ["6", 0],
              "negative": ["7", 0], "latent_image": ["5", 0]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "v2check/sample"}},
    }


def invert(image, prefix="v2check/inv"):
    return {
        "1": {"class_type": "LoadImage", "inputs": {"image": image}},
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": prefix}},
    }


# -- health and auth
s, _, h = request("GET", "/api/v2/health", token=False)
check("health answers without a token", s == 200 and h.get("status") == "healthy", h)
s, _, e = request("GET", "/api/v2/jobs", token=False)
check("401 unauthorized without a token", s == 401 and e["error"]["code"] == "unauthorized", e)

# -- assets: upload, dedup, by-hash, from-hash
png = open(sys.argv[3], "rb").read() if len(sys.argv) > 3 else b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes
digest = "blake3:" + blake3.blake3(png).hexdigest()
body, hdr = multipart({"content_type": "image/png", "file_path": "v2check-input.png",
                       "expected_hash": digest}, "v2check-input.png", png)
s, _, asset = request("POST", "/api/v2/assets", body, hdr)
check("upload 201 created_new", s == 201 and asset.get("created_new") is True and asset["hash"] == digest, (s, asset))
s, _, again = request("POST", "/api/v2/assets", body, hdr)
check("same bytes again: 200, the same asset", s == 200 and again["id"] == asset["id"] and again["created_new"] is False, again)
s, hd, data = request("HEAD", f"/api/v2/assets/by-hash/{digest}", raw=True)
check("HEAD by-hash 200", s == 200, s)
s, _, fh = request("POST", "/api/v2/assets/from-hash", {"hash": digest})
check("from-hash 200", s == 200 and fh["id"] == asset["id"], fh)
bad, bhdr = multipart({"content_type": "image/png", "file_path": "x.png", "expected_hash": "blake3:" + "f" * 64}, "x.png", png)
s, _, e = request("POST", "/api/v2/assets", bad, bhdr)
check("409 hash_mismatch", s == 409 and e["error"]["code"] == "hash_mismatch", e)

# -- a job with the asset: submit, stream to EOF, poll, download
ref = {"__type": "core/ASSET", "info": {"id": asset["id"], "hash": digest}}
key = str(uuid.uuid4())
s, _, job = request("POST", "/api/v2/jobs", {"workflow": invert(ref), "metadata": "v2check"}, {"Idempotency-Key": key})
check("submit 201 queued", s == 201 and job["status"] == "queued", job)
s, _, e = request("POST", "/api/v2/jobs", {"workflow": invert(ref)}, {"Idempotency-Key": key})
check("same key again: 422 idempotency_key_reuse", s == 422 and e["error"]["code"] == "idempotency_key_reuse", e)
s, ctype, raw, frames = events(job["id"])
check("events: 200 text/event-stream", s == 200 and ctype.startswith("text/event-stream"), (s, ctype))
check("events: first frame is status", frames and frames[0][0] == "status", frames[:2])
check("events: exact framing", all(f"event: {e}\ndata: {json.dumps(d, separators=(',', ':'))}\n\n" in raw
                                    for e, d in frames if d is not None), raw[:300])
final = settle(job["id"])
check("GET: succeeded with one output", final["status"] == "succeeded" and len(final["outputs"]) == 1, final)
out = final["outputs"][0]
check("output size_bytes 0, hash null (the proxy's outputs)", out["size_bytes"] == 0 and out["hash"] is None, out)
s, _, wf = request("GET", f"/api/v2/jobs/{job['id']}/workflow")
check("workflow: the asset reference resolved to a file name", s == 200 and isinstance(wf["workflow"]["1"]["inputs"]["image"], str), wf)
path = urllib.parse.urlparse(out["url"]).path
s, hd, whole = request("GET", path, raw=True)
check("download 200 PNG", s == 200 and whole.startswith(b"\x89PNG") and hd.get("accept-ranges") == "bytes", (s, hd))
s, hd, part = request("GET", path, headers={"Range": "bytes=0-9"}, raw=True)
check("Range 206", s == 206 and part == whole[:10] and hd.get("content-range") == f"bytes 0-9/{len(whole)}", (s, hd))
s, hd, tail = request("GET", path, headers={"Range": f"bytes={len(whole) - 5}-"}, raw=True)
check("open-ended Range 206", s == 206 and tail == whole[-5:], (s, hd))
s, _, e = request("GET", path, headers={"Range": f"bytes={len(whole) + 100}-{len(whole) + 200}"})
check("unsatisfiable Range: 502 upstream_error", s == 502 and e["error"]["code"] == "upstream_error", (s, e))

# -- cancel: a running job, and a queued one (reported expired)
s, _, a = request("POST", "/api/v2/jobs", {"workflow": sample(40, 101)})
s, _, b = request("POST", "/api/v2/jobs", {"workflow": sample(40, 202)})
time.sleep(0.5)
s, _, cb = request("POST", f"/api/v2/jobs/{b['id']}/cancel")
check("cancel of the queued job answers expired", s == 200 and cb["status"] == "expired", cb)
s, _, ca = request("POST", f"/api/v2/jobs/{a['id']}/cancel")
check("cancel of the running job: canceling or canceled", s == 200 and ca["status"] in ("canceling", "canceled"), ca)
end_a = settle(a["id"])
check("the running job ends canceled", end_a["status"] == "canceled", end_a["status"])

# -- an execution error
fail_wf = invert(ref, "v2check/err")
fail_wf["2"] = {"class_type": "ImageScaleBy", "inputs": {"image": ["1", 0], "upscale_method": "bilinear", "scale_by": 0.01}}
s, _, f = request("POST", "/api/v2/jobs", {"workflow": fail_wf})
end_f = settle(f["id"])
check("execution error: failed with node 2 ImageScaleBy", end_f["status"] == "failed"
      and end_f["error"]["node_id"] == "2" and end_f["error"]["class_type"] == "ImageScaleBy", end_f.get("error"))
s, _, _, fr = events(f["id"])
check("events after the end: status failed, closed", fr and fr[0] == ("status", {"status": "failed"}), fr)

# -- a rejected workflow
bad_wf = {"1": {"class_type": "ImageInvert", "inputs": {}}, "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}}}
s, _, e = request("POST", "/api/v2/jobs", {"workflow": bad_wf})
check("422 invalid_workflow with ComfyUI's node_errors", s == 422 and e["error"]["code"] == "invalid_workflow"
      and "1" in e["error"]["details"]["node_errors"], e)

# -- the list
s, _, lst = request("GET", "/api/v2/jobs?limit=10&status=failed,canceled,expired")
check("GET /jobs with a status filter", s == 200 and {j["id"] for j in lst["jobs"]} >= {a["id"], b["id"], f["id"]}, [j["status"] for j in lst["jobs"]])

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
