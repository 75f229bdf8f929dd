#!/usr/bin/env python3
"""`clerk serve --tls-cert --tls-key` speaks HTTPS, and its session cookie is Secure.
A throwaway self-signed certificate is made with openssl for 127.0.0.1.

Usage: tls_test.py CLERK_BINARY
"""
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time

clerk = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp(prefix="clerk-tls-test-")
cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
               check=True, capture_output=True)
db = os.path.join(work, "clerk.db")
bot = os.path.join(work, "bot.yaml")
with open(bot, "w") as f:
    f.write('name: tls-check\nversion: "1"\nowner_team: post-room\nsteps:\n  - type: set\n    params:\n'
            '      values:\n        ok: "yes"\n')
with open(os.path.join(work, "password"), "w") as f:
    f.write("correct horse battery\n")
subprocess.run([clerk, "user", "add", "alice", "--team", "post-room", "--password-file",
                os.path.join(work, "password"), "--db", db], check=True, capture_output=True)
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
serve = subprocess.Popen([clerk, "serve", bot, "--db", db, "--workers", "1", "--listen", f"127.0.0.1:{port}",
                          "--tls-cert", cert, "--tls-key", key], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
failures = []
try:
    context = ssl.create_default_context(cafile=cert)
    answer = None
    for _ in range(100):
        try:
            connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
            connection.request("POST", "/api/v1/session", body=json.dumps({"name": "alice",
                                                                          "password": "correct horse battery"}),
                               headers={"Content-Type": "application/json"})
            answer = connection.getresponse()
            break
        except (OSError, ssl.SSLError):
            time.sleep(0.1)
    if answer is None or answer.status != 200:
        failures.append("sign-in over HTTPS did not answer 200")
    else:
        cookie = answer.getheader("Set-Cookie", "")
        if "Secure" not in cookie or "HttpOnly" not in cookie:
            failures.append("the session cookie under TLS lacks Secure: " + cookie)
    # A body too large is refused from its headers, over TLS too, before it is sent.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(b"POST /hooks/none HTTP/1.1\r\nHost: clerk\r\nContent-Length: 1000000000\r\n\r\n")
            refused = b""
            while b"\r\n\r\n" not in refused:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                refused += chunk
            if not refused.startswith(b"HTTP/1.1 413 "):
                failures.append("a declared 1 GB body over HTTPS is not refused with 413: " + repr(refused[:80]))
    healthy = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    healthy.request("GET", "/healthz")
    if healthy.getresponse().read() != b"ok\n":
        failures.append("/healthz over HTTPS after a refused body")
    plain = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        plain.request("GET", "/healthz")
        if plain.getresponse().status == 200:
            failures.append("plain HTTP was answered on the TLS port")
    except (OSError, http.client.HTTPException):
        pass
finally:
    serve.terminate()
    output = serve.communicate(timeout=30)[0].decode()
if failures:
    print(output[-3000:])
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print("TLS checks passed")
