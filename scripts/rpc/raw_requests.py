#!/usr/bin/env python3
#   SPDX-License-Identifier: BSD-3-Clause
"""Raw JSON-RPC requests against a running rspdk_tgt (stdlib only): malformed
JSON, invalid requests, unknown methods, bad parameters, batches,
notifications, byte-by-byte requests, pipelining, a large response read
slowly, a 10 MB request, and several clients at once. Each case checks the
exact error code and that the server keeps serving. Usage: raw_requests.py SOCK"""
import json
import socket
import sys
import threading
import time

SOCK = sys.argv[1]
passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print(f"rpc-raw: ok: {what}")
    else:
        failed += 1
        print(f"rpc-raw: FAILED: {what}")


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(SOCK)
    return s


class Reader:
    def __init__(self, s):
        self.s = s
        self.buf = ""

    def next(self, bufsize=65536):
        dec = json.JSONDecoder()
        while True:
            b = self.buf.lstrip()
            if b:
                try:
                    obj, idx = dec.raw_decode(b)
                    self.buf = b[idx:]
                    return obj
                except ValueError:
                    pass
            data = self.s.recv(bufsize)
            if not data:
                return None
            self.buf += data.decode()


def req(method, params=None, id_=1):
    r = {"jsonrpc": "2.0", "method": method, "id": id_}
    if params is not None:
        r["params"] = params
    return json.dumps(r).encode()


def call(s, rd, method, params=None, id_=1):
    s.sendall(req(method, params, id_))
    return rd.next()


def code(resp):
    return resp.get("error", {}).get("code") if isinstance(resp, dict) else None


# A bystander connection, opened first, must keep working through everything.
by = connect()
byr = Reader(by)
check(call(by, byr, "spdk_get_version").get("result", {}).get("version", "").startswith("SPDK"), "bystander connection answers")

# Malformed JSON: parse error, then that connection is closed.
s = connect()
rd = Reader(s)
s.sendall(b'{"jsonrpc": "2.0", "method": oops}')
r = rd.next()
check(code(r) == -32700 and r.get("id") is None, f"malformed JSON gets -32700 ({r})")
check(rd.next() is None, "the connection that sent garbage is closed")
s.close()

s = connect()
rd = Reader(s)
r = call(s, rd, "no_such_method", id_=5)
check(code(r) == -32601 and r.get("id") == 5, "unknown method gets -32601 with its id")
s.sendall(json.dumps({"jsonrpc": "2.0", "id": 6}).encode())
r = rd.next()
check(code(r) == -32600 and r.get("id") == 6, "a request without a method gets -32600")
s.sendall(json.dumps({"jsonrpc": "1.0", "method": "spdk_get_version", "id": 7}).encode())
check(code(rd.next()) == -32600, "jsonrpc 1.0 gets -32600")
s.sendall(b"[]")
check(code(rd.next()) == -32600, "an empty batch gets -32600")
s.sendall(b"42")
check(code(rd.next()) == -32600, "a bare number gets -32600")
r = call(s, rd, "bdev_malloc_create", {"name": "Raw0", "num_blocks": "many", "block_size": 512})
check(code(r) == -32602 and "num_blocks" in r["error"]["message"], f"a wrong parameter type gets -32602 naming it ({r})")
r = call(s, rd, "bdev_malloc_create", {"name": "Raw0", "num_blocks": 64})
check(code(r) == -32602 and "block_size" in r["error"]["message"], "a missing parameter gets -32602 naming it")
r = call(s, rd, "bdev_malloc_create", {"name": "Raw0", "num_blocks": 64, "block_size": 512, "colour": "red"})
check(code(r) == -32602 and "colour" in r["error"]["message"], "an unknown parameter gets -32602 naming it")
r = call(s, rd, "bdev_malloc_create", {"name": "Raw0", "num_blocks": 64, "block_size": 513})
check(code(r) == -22 and "block_size 513" in r["error"]["message"], f"an invalid value gets -EINVAL saying why ({r})")
r = call(s, rd, "spdk_get_version", {"unexpected": 1})
check(code(r) == -32602, "params for a method that takes none get -32602")
r = call(s, rd, "log_set_level", {"level": "LOUD"})
check(code(r) == -32602 and "LOUD" in r["error"]["message"], "log_set_level with an unknown level gets -32602")
r = call(s, rd, "framework_start_init")
check(code(r) == -1 and "framework_start_init" in r["error"]["message"], "a startup-only method after init gets -1 (invalid state)")
r = call(s, rd, "bdev_malloc_create", {"name": "Raw0", "num_blocks": 64, "block_size": 512})
check(r.get("result") == "Raw0", "a good request after bad ones succeeds")
r = call(s, rd, "bdev_malloc_create", {"name": "Raw0", "num_blocks": 64, "block_size": 512})
check(code(r) == -17, "creating a bdev twice gets -EEXIST")

# Batches: answers in one array, notifications left out.
batch = [
    {"jsonrpc": "2.0", "method": "spdk_get_version", "id": "a"},
    {"jsonrpc": "2.0", "method": "no_such_method", "id": "b"},
    {"jsonrpc": "2.0", "method": "spdk_get_version"},
    {"jsonrpc": "2.0", "method": "bdev_get_bdevs", "params": {"name": "Raw0"}, "id": "c"},
    5,
]
s.sendall(json.dumps(batch).encode())
r = rd.next()
ids = sorted(str(x.get("id")) for x in r) if isinstance(r, list) else []
check(isinstance(r, list) and ids == ["None", "a", "b", "c"], f"a batch gets one array without the notification ({ids})")
if isinstance(r, list):
    by_id = {x.get("id"): x for x in r}
    check("result" in by_id.get("a", {}) and code(by_id.get("b", {})) == -32601 and by_id.get("c", {}).get("result", [{}])[0].get("name") == "Raw0"
          and code(by_id.get(None, {})) == -32600, "each batch member is answered on its own")

# A notification gets no answer: the next answer is the next request's.
s.sendall(json.dumps({"jsonrpc": "2.0", "method": "spdk_get_version"}).encode())
r = call(s, rd, "spdk_get_version", id_=99)
check(r.get("id") == 99, "a notification is not answered")

# Partial reads: a request one byte at a time.
data = req("bdev_get_bdevs", {"name": "Raw0"}, 11)
for i in range(len(data)):
    s.send(data[i:i + 1])
    if i % 16 == 0:
        time.sleep(0.001)
r = rd.next()
check(r.get("id") == 11 and r.get("result", [{}])[0].get("num_blocks") == 64, "a request sent byte by byte")

# Pipelining: 200 requests in one write, all answered.
s.sendall(b"\n".join(req("spdk_get_version", None, 1000 + i) for i in range(200)))
got = set()
for _ in range(200):
    r = rd.next()
    got.add(r.get("id"))
check(got == set(range(1000, 1200)), "200 pipelined requests all answered")

# A large response read slowly (partial writes on the server side).
made = 0
creates = [{"jsonrpc": "2.0", "method": "bdev_null_create", "params": {"name": f"RawN{i}", "num_blocks": 16, "block_size": 512}, "id": i} for i in range(300)]
s.sendall(json.dumps(creates).encode())
r = rd.next()
made = sum(1 for x in r if "result" in x) if isinstance(r, list) else 0
check(made == 300, f"a batch of 300 creates ({made} made)")
s.sendall(req("bdev_get_bdevs", None, 12))
time.sleep(0.3)
rd2 = Reader(s)
rd2.buf = rd.buf
r = rd2.next(bufsize=1024)
size = len(json.dumps(r))
check(isinstance(r.get("result"), list) and len(r["result"]) >= 301 and size > 100000, f"a {size}-byte response read 1 KiB at a time")
s.sendall(json.dumps([{"jsonrpc": "2.0", "method": "bdev_null_delete", "params": {"name": f"RawN{i}"}, "id": i} for i in range(300)]).encode())
r = rd2.next()
check(isinstance(r, list) and all("result" in x for x in r), "300 deletes in one batch")
s.close()

# A 10 MB request: refused with -32600, the same connection then answers the next request.
s = connect()
rd = Reader(s)
big = json.dumps({"jsonrpc": "2.0", "method": "bdev_get_bdevs", "id": 13, "params": {"name": "x" * (10 << 20)}}).encode()
t = threading.Thread(target=lambda: s.sendall(big + req("spdk_get_version", None, 14)))
t.start()
r1 = rd.next()
r2 = rd.next()
t.join()
check(code(r1) == -32600 and "exceed" in r1["error"]["message"], f"a 10 MB request gets -32600 ({str(r1)[:120]})")
check(r2 is not None and r2.get("id") == 14 and "result" in r2, "the same connection answers after the 10 MB request")
s.close()

# Several clients at once.
errors = []


def client(n):
    try:
        c = connect()
        cr = Reader(c)
        for i in range(50):
            r = call(c, cr, "bdev_get_bdevs", {"name": "Raw0"}, n * 1000 + i)
            if r.get("id") != n * 1000 + i or r["result"][0]["name"] != "Raw0":
                errors.append((n, i, r))
        c.close()
    except Exception as e:  # noqa: BLE001
        errors.append((n, repr(e)))


ts = [threading.Thread(target=client, args=(n,)) for n in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
check(not errors, f"8 clients x 50 requests at once ({errors[:2]})")

# A client that disconnects with a request in flight does not disturb the server.
c = connect()
c.sendall(req("bdev_get_bdevs", None, 1))
c.close()
check(call(by, byr, "spdk_get_version", id_=77).get("id") == 77, "the bystander connection still answers")
r = call(by, byr, "bdev_malloc_delete", {"name": "Raw0"}, 78)
check(r.get("result") is True, "clean up")
by.close()
print(f"rpc-raw: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
