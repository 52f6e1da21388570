#!/usr/bin/env python3
"""A scripted IRC server for the IRC channel tests: the cases ngircd cannot play.

Usage: irc_fake_server.py MODE LOGFILE [SASL_USER SASL_PASSWORD]

Listens on 127.0.0.1 port 0, prints the port on stdout, and serves each connection in a
thread: CAP LS/REQ/END, NICK/USER -> 001, JOIN echo, PING -> PONG, each line received
appended to LOGFILE (so the test can check what the client sent). MODE:
  silent   after 001 it sends one PING and then answers nothing, ever (a stalled link).
  sasl     offers the sasl capability and checks AUTHENTICATE PLAIN against
           "\\0SASL_USER\\0SASL_PASSWORD": 900+903 then 001 on a match, 904 otherwise.
  garbage  after 001 sends malformed and overlong lines, invalid UTF-8 and formatting
           codes, then a normal channel PRIVMSG "bot: after the garbage".
"""
import base64
import socket
import sys
import threading

MODE = sys.argv[1]
LOG = sys.argv[2]
SASL_USER = sys.argv[3] if len(sys.argv) > 3 else ""
SASL_PASSWORD = sys.argv[4] if len(sys.argv) > 4 else ""
log_lock = threading.Lock()


def log(line):
    with log_lock:
        with open(LOG, "ab") as f:
            f.write(line + b"\n")


def serve(conn):
    def send(s):
        if isinstance(s, str):
            s = s.encode()
        conn.sendall(s if s.endswith(b"\n") else s + b"\r\n")

    nick = None
    user = False
    cap_open = False
    welcomed = False
    silent = False
    authed = False
    buf = b""
    try:
        while True:
            data = conn.recv(4096)
            if not data:
                return
            buf += data
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                raw = raw.rstrip(b"\r")
                log(raw)
                if silent:
                    continue
                line = raw.decode("utf-8", "replace")
                parts = line.split(" ")
                cmd = parts[0].upper()
                if cmd == "CAP" and len(parts) > 1:
                    sub = parts[1].upper()
                    if sub == "LS":
                        cap_open = True
                        caps = "sasl=PLAIN multi-prefix" if MODE == "sasl" else "multi-prefix"
                        send(":fake CAP * LS :" + caps)
                    elif sub == "REQ":
                        want = line.split(":", 1)[1] if ":" in line else parts[2]
                        send(":fake CAP * ACK :" + want)
                    elif sub == "END":
                        cap_open = False
                elif cmd == "NICK":
                    nick = parts[1].lstrip(":")
                elif cmd == "USER":
                    user = True
                elif cmd == "AUTHENTICATE":
                    arg = parts[1]
                    if arg == "PLAIN":
                        send("AUTHENTICATE +")
                    else:
                        want = b"\0" + SASL_USER.encode() + b"\0" + SASL_PASSWORD.encode()
                        try:
                            got = base64.b64decode(arg)
                        except Exception:
                            got = b""
                        if got == want:
                            authed = True
                            send(":fake 900 %s %s!u@h %s :You are now logged in" % (nick, nick, SASL_USER))
                            send(":fake 903 %s :SASL authentication successful" % nick)
                        else:
                            send(":fake 904 %s :SASL authentication failed" % nick)
                elif cmd == "PING":
                    send(":fake PONG fake :" + line.split(" ", 1)[1].lstrip(":"))
                elif cmd == "JOIN":
                    send(":%s!u@fake.host JOIN %s" % (nick, parts[1]))
                elif cmd == "QUIT":
                    return
                if nick and user and not cap_open and not welcomed:
                    if MODE == "sasl" and not authed:
                        continue
                    welcomed = True
                    send(":fake 001 %s :Welcome %s" % (nick, nick))
                    if MODE == "silent":
                        send("PING :fakeping")
                        silent = True
                    elif MODE == "garbage":
                        send_garbage(send, nick)
    except OSError:
        pass
    finally:
        conn.close()


def send_garbage(send, nick):
    send(b"\x00\x01\x02\xff\xfe")
    send(b":")
    send(b"@")
    send(b"@a=b")
    send(b":only.prefix")
    send(b"12 34")
    send(b"!!! ???")
    send(b"PRIVMSG")
    send(b":x!y@z PRIVMSG")
    send(b":x!y@z 1234 toolong numeric")
    send(b"@" + b"t=" + b"v" * 9000 + b" :x!y@z PRIVMSG #c :tags too long")
    send(b":x!y@z PRIVMSG #c :" + b"A" * 20000)  # overlong: dropped whole
    send(b":x!y@z PRIVMSG #c :" + b"B" * 600)    # over 512 without tags: dropped
    # Invalid UTF-8 and mIRC formatting: delivered, cleaned.
    send(b":x!y@z PRIVMSG #c :" + nick.encode() + b": caf\xe9 \x02bold\x02 \x0304,12red\x03 ok")
    send(b":x!y@z PRIVMSG #c :" + nick.encode() + b": after the garbage")


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    print(srv.getsockname()[1], flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
