#!/usr/bin/env python3
"""A small network of network namespaces for Pulse's multi-host tests (docs: testing.md).

This kernel has no netem, so delay, jitter, loss and cuts are made here, in user space: every
"host" is a network namespace whose only interface, eth0, is a TAP device held by this process,
and this process is the switch between them. Each Ethernet frame a host sends is read from its
TAP, held for its link's delay +/- jitter (FIFO per direction: frames of a link never overtake
each other), dropped with the link's loss probability, or dropped for as long as the link is
cut, and then written to the TAP of the host it is for (learned MAC addresses; broadcasts go to
every other host, each through its own link).

  netlab.py up --name N --host NAME=ADDR/PREFIX ... [--delay MS] [--jitter MS] [--loss P]
      Creates namespace N-NAME for each host, runs the switch, and reads commands on stdin, one
      per line, answering one line each ("ok ..." or "error ..."):
        link A B DELAY_MS JITTER_MS LOSS    both directions between hosts A and B
        cut A B / heal A B                  drop everything between A and B / forward again
        stats                               one JSON line: frames forwarded and dropped per link
        quit                                remove everything and exit
      Prints "ready" once every host is up. On quit, end of stdin (its parent died), SIGTERM,
      SIGINT or SIGHUP it kills what still runs in its namespaces and deletes them. If it is
      killed itself (SIGKILL), its TAP devices vanish with it; the namespaces are removed by
      `cleanup` (the Java harness runs it at start and from a shutdown hook).
  netlab.py relay --netns NS --to ADDR:PORT ...
      Listens on 127.0.0.1 (in the namespace it was started in, the machine's own), prints
      "ports P1 P2 ..." (one per --to), then moves into namespace NS and forwards every
      connection made to Pi to the i-th ADDR:PORT from there: the connection that crosses the
      simulated network starts on host NS. Exits at the end of stdin.
  netlab.py cleanup --prefix P [--stale]
      Kills every process in the namespaces whose names start with P and deletes them. With
      --stale, only those of runs whose owner (the number after P) is no longer alive.

Nothing here gives a namespace a route off the machine: each one has a loopback and one TAP,
with an address of the benchmarking range (198.18.0.0/15) and its connected route only.
"""

import argparse
import ctypes
import fcntl
import json
import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import deque

IP = "/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else "ip"
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000


def ip(*args, check=True):
    r = subprocess.run([IP, *args], capture_output=True, text=True, timeout=20)
    if check and r.returncode != 0:
        raise RuntimeError("ip " + " ".join(args) + ": " + (r.stderr or r.stdout).strip())
    return r.stdout


def namespaces():
    out = ip("netns", "list", check=False)
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def remove_namespace(ns):
    """Kills what runs in the namespace (processes this harness's user started in it), then deletes it."""
    for _ in range(3):
        pids = [int(p) for p in ip("netns", "pids", ns, check=False).split() if p.isdigit()]
        pids = [p for p in pids if p != os.getpid()]
        if not pids:
            break
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
    ip("netns", "del", ns, check=False)


def cleanup(prefix, stale_only):
    removed = []
    for ns in namespaces():
        if not ns.startswith(prefix):
            continue
        if stale_only:
            owner = ns[len(prefix):].split("-", 1)[0]
            if owner.isdigit() and os.path.exists("/proc/" + owner):
                continue
        remove_namespace(ns)
        removed.append(ns)
    return removed


class Link:
    """One direction between two hosts."""

    __slots__ = ("delay", "jitter", "loss", "cut", "queue", "last", "forwarded", "lost", "dropped")

    def __init__(self, delay, jitter, loss):
        self.delay, self.jitter, self.loss, self.cut = delay, jitter, loss, False
        self.queue = deque()  # (release time, frame), release times never decrease
        self.last = 0.0
        self.forwarded = self.lost = self.dropped = 0

    def offer(self, frame, now, rng):
        if self.cut:
            self.dropped += 1
            return
        if self.loss > 0 and rng.random() < self.loss:
            self.lost += 1
            return
        hold = self.delay + (rng.uniform(-self.jitter, self.jitter) if self.jitter > 0 else 0.0)
        release = max(now + max(hold, 0.0), self.last)
        self.last = release
        self.queue.append((release, frame))


class Switch:
    def __init__(self, name, hosts, delay_ms, jitter_ms, loss):
        self.name = name
        self.hosts = hosts  # [(host, addr/prefix)]
        self.fds = {}  # host -> tap fd
        self.by_fd = {}
        self.macs = {}  # mac -> host
        self.links = {}
        self.rng = random.Random()
        for a, _ in hosts:
            for b, _ in hosts:
                if a != b:
                    self.links[(a, b)] = Link(delay_ms / 1000.0, jitter_ms / 1000.0, loss)
        self.closed = False

    def ns(self, host):
        return self.name + "-" + host

    def create(self):
        for i, (host, addr) in enumerate(self.hosts):
            ns = self.ns(host)
            tap = "nl%d-%d" % (os.getpid() % 10 ** 8, i)  # at most 15 characters; renamed eth0 below
            ip("netns", "add", ns)
            fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
            # A TAP that is not persistent: it disappears when this process's descriptor closes.
            fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tap.encode(), IFF_TAP | IFF_NO_PI))
            self.fds[host] = fd
            self.by_fd[fd] = host
            ip("link", "set", tap, "netns", ns)
            ip("-n", ns, "link", "set", tap, "name", "eth0")
            # No IPv6 link-local address (no router or neighbour solicitations on the wire).
            ip("-n", ns, "link", "set", "eth0", "addrgenmode", "none")
            ip("-n", ns, "link", "set", "eth0", "address", "02:00:c6:12:%02x:%02x" % (i >> 8, i & 0xFF))
            ip("-n", ns, "addr", "add", addr, "dev", "eth0")
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "link", "set", "eth0", "up")

    def remove(self):
        if self.closed:
            return
        self.closed = True
        for fd in self.fds.values():
            try:
                os.close(fd)
            except OSError:
                pass
        for host, _ in self.hosts:
            if self.ns(host) in namespaces():
                remove_namespace(self.ns(host))

    def command(self, line):
        parts = line.split()
        if not parts:
            return "error empty command"
        op = parts[0]
        try:
            if op == "link" and len(parts) == 6:
                a, b = parts[1], parts[2]
                for key in ((a, b), (b, a)):
                    link = self.links[key]
                    link.delay, link.jitter, link.loss = float(parts[3]) / 1000, float(parts[4]) / 1000, float(parts[5])
                return "ok"
            if op in ("cut", "heal") and len(parts) == 3:
                for key in ((parts[1], parts[2]), (parts[2], parts[1])):
                    self.links[key].cut = op == "cut"
                return "ok"
            if op == "stats":
                return "ok " + json.dumps({"%s>%s" % k: {"forwarded": v.forwarded, "lost": v.lost, "dropped": v.dropped}
                                           for k, v in self.links.items()})
        except KeyError as e:
            return "error unknown host %s" % e
        except ValueError as e:
            return "error %s" % e
        return "error unknown command: " + line.strip()

    def frame(self, src, frame, now):
        if len(frame) < 14:
            return
        dst, smac = frame[0:6], frame[6:12]
        self.macs[smac] = src
        to = None if dst[0] & 1 else self.macs.get(dst)
        targets = [to] if to is not None else [h for h, _ in self.hosts if h != src]
        for t in targets:
            if t != src:
                self.links[(src, t)].offer(frame, now, self.rng)

    def run(self):
        stdin = sys.stdin.fileno()
        reads = list(self.fds.values()) + [stdin]
        buf = b""
        while True:
            now = time.monotonic()
            due = None
            for (a, b), link in self.links.items():
                q = link.queue
                while q and q[0][0] <= now:
                    _, f = q.popleft()
                    try:
                        os.write(self.fds[b], f)
                        link.forwarded += 1
                    except OSError:
                        link.dropped += 1
                if q and (due is None or q[0][0] < due):
                    due = q[0][0]
            timeout = None if due is None else max(0.0, due - time.monotonic())
            ready, _, _ = select.select(reads, [], [], timeout)
            now = time.monotonic()
            for fd in ready:
                if fd == stdin:
                    data = os.read(stdin, 4096)
                    if not data:
                        return
                    buf += data
                    while b"\n" in buf:
                        line, buf = buf.split(b"\n", 1)
                        if line.strip() == b"quit":
                            return
                        print(self.command(line.decode()), flush=True)
                    continue
                src = self.by_fd[fd]
                for _ in range(256):
                    try:
                        f = os.read(fd, 65536)
                    except BlockingIOError:
                        break
                    self.frame(src, f, now)


def up(args):
    hosts = []
    for h in args.host:
        name, _, addr = h.partition("=")
        hosts.append((name, addr))
    sw = Switch(args.name, hosts, args.delay, args.jitter, args.loss)

    def stop(signum, _frame):
        sw.remove()
        sys.exit(128 + signum)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, stop)
    try:
        sw.create()
        print("ready", flush=True)
        sw.run()
    except Exception as e:  # set-up or switch failure: say why, leave nothing behind
        print("error " + str(e), flush=True)
        print("netlab: " + str(e), file=sys.stderr, flush=True)
        sw.remove()
        return 1
    sw.remove()
    return 0


def relay(args):
    targets = []
    listeners = []
    for t in args.to:
        host, _, port = t.rpartition(":")
        targets.append((host, int(port)))
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(512)
        listeners.append(s)
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + args.netns, os.O_RDONLY)
    # Only this thread moves; the threads started below inherit its namespace, the listeners stay.
    if libc.setns(fd, CLONE_NEWNET) != 0:
        print("error setns: " + os.strerror(ctypes.get_errno()), flush=True)
        return 1
    os.close(fd)
    print("ports " + " ".join(str(s.getsockname()[1]) for s in listeners), flush=True)

    def pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                s.shutdown(how)
            except OSError:
                pass

    def pump_and_close(src, dst):
        pump(src, dst)
        src.close()
        dst.close()

    def serve(listener, target):
        while True:
            conn, _ = listener.accept()
            up_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            up_sock.settimeout(10)
            try:
                up_sock.connect(target)
            except OSError:
                conn.close()
                up_sock.close()
                continue
            up_sock.settimeout(None)
            for s in (conn, up_sock):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=pump, args=(conn, up_sock), daemon=True).start()
            threading.Thread(target=pump_and_close, args=(up_sock, conn), daemon=True).start()

    for listener, target in zip(listeners, targets):
        threading.Thread(target=serve, args=(listener, target), daemon=True).start()
    while sys.stdin.buffer.read(4096):
        pass
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("up")
    u.add_argument("--name", required=True)
    u.add_argument("--host", action="append", required=True, help="NAME=ADDR/PREFIX")
    u.add_argument("--delay", type=float, default=0.0, help="one-way delay of every link, ms")
    u.add_argument("--jitter", type=float, default=0.0, help="+/- ms, uniform")
    u.add_argument("--loss", type=float, default=0.0, help="probability of dropping a frame")
    r = sub.add_parser("relay")
    r.add_argument("--netns", required=True)
    r.add_argument("--to", action="append", required=True, help="ADDR:PORT")
    c = sub.add_parser("cleanup")
    c.add_argument("--prefix", required=True)
    c.add_argument("--stale", action="store_true")
    args = p.parse_args()
    if args.cmd == "up":
        return up(args)
    if args.cmd == "relay":
        return relay(args)
    for ns in cleanup(args.prefix, args.stale):
        print("removed " + ns, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
