#!/usr/bin/env python3
"""A small HTTP server for the web_fetch tests: prints its port, then serves
  /page          an HTML page           /json   a JSON body
  /redirect/N    302 -> /redirect/N-1, /redirect/0 -> /page
  /big/N         N bytes of 'x' (text/plain), streamed
  /slow          waits 5 s before answering
  /binary        a PNG header (image/png)
  /missing       404
Stdlib only; one thread per request; stops when stdin closes."""
import http.server, socketserver, sys, threading, time

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, code, ctype, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        p = self.path
        if p == "/page":
            self.send(200, "text/html; charset=utf-8",
                      b"<html><head><style>p{color:red}</style><script>var x=1;</script></head>"
                      b"<body><h1>Title</h1><p>Hello &amp; welcome</p></body></html>")
        elif p == "/json":
            self.send(200, "application/json", b'{"ok":true}')
        elif p.startswith("/redirect/"):
            n = int(p.rsplit("/", 1)[1])
            self.send_response(302)
            self.send_header("Location", "/page" if n == 0 else "/redirect/%d" % (n - 1))
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif p.startswith("/big/"):
            n = int(p.rsplit("/", 1)[1])
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            chunk = b"x" * 65536
            try:
                while n > 0:
                    k = min(n, len(chunk))
                    self.wfile.write(chunk[:k])
                    n -= k
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif p == "/slow":
            time.sleep(5)
            self.send(200, "text/plain", b"late")
        elif p == "/binary":
            self.send(200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
        else:
            self.send(404, "text/plain", b"not found")

    def log_message(self, *a):
        pass

class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

srv = S(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
threading.Thread(target=srv.serve_forever, daemon=True).start()
sys.stdin.read()
