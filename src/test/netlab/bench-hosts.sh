#!/usr/bin/env bash
# pulse bench --scenario cross-node with its nodes on simulated hosts (docs: performance.md,
# "Several hosts"). Builds a network of three hosts with netlab.py (a = publisher's node,
# b = subscribers' node, client = the bench), starts one node in each of a and b as deploying.md
# says, and runs the bench inside the client host against them, once per one-way link delay.
#
#   src/test/netlab/bench-hosts.sh [--delays "0 1 2"] [--jitter MS] [-- bench options…]
#   e.g. src/test/netlab/bench-hosts.sh --delays "0 1" -- --subscribers 200 --messages 200 --rate 20
#
# Needs root (network namespaces, TAP devices), python3 and target/pulse.jar with pulse-bench.jar
# beside it (mvn -q -DskipTests package). Prints the bench's last line (JSON) per delay, prefixed
# with the delay. Everything it made is removed on exit, Ctrl-C or failure; after a SIGKILL, run
# python3 src/test/netlab/netlab.py cleanup --prefix pulsenet- --stale
set -euo pipefail
cd "$(dirname "$0")/../../.."

delays="0 1"
jitter=0
while [ $# -gt 0 ]; do
  case "$1" in
    --delays) delays="$2"; shift 2 ;;
    --jitter) jitter="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown option $1 (bench options go after --)" >&2; exit 2 ;;
  esac
done

IP="$(command -v ip || echo /usr/sbin/ip)"
NETLAB=src/test/netlab/netlab.py
JAR="$(pwd)/target/pulse.jar"
[ -f "$JAR" ] || { echo "no $JAR: mvn -q -DskipTests package first" >&2; exit 2; }
NAME="pulsenet-$$-1"
work="$(mktemp -d /tmp/pulse-bench-hosts.XXXXXX)"
python3 "$NETLAB" cleanup --prefix pulsenet- --stale >/dev/null

mkfifo "$work/control"
python3 "$NETLAB" up --name "$NAME" --host a=198.18.0.1/24 --host b=198.18.0.2/24 \
  --host client=198.18.0.100/24 <"$work/control" >"$work/switch.out" 2>"$work/switch.err" &
switch=$!
exec 3>"$work/control"   # the switch's stdin: closing it makes the switch remove everything

cleanup() {
  # The nodes and namespaces first (by name), then the switch: closing its stdin makes it exit.
  python3 "$NETLAB" cleanup --prefix "$NAME-" >/dev/null || true
  exec 3>&- || true
  for _ in $(seq 50); do kill -0 "$switch" 2>/dev/null || break; sleep 0.1; done
  kill "$switch" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for _ in $(seq 100); do grep -q ready "$work/switch.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$work/switch.out" || { cat "$work/switch.err" >&2; exit 1; }

cluster="bench-hosts-$$"
members="198.18.0.1:5701,198.18.0.2:5701"
for h in a b; do
  addr=198.18.0.1; [ "$h" = b ] && addr=198.18.0.2
  # exec 3>&- : neither a node nor the shell waiting for it may hold the switch's stdin open.
  (exec 3>&-; cd "$work"; PULSE_NODE_NAME="node-$h" PULSE_CLUSTER_HOST="$addr" PULSE_CLUSTER_MEMBERS="$members" \
    PULSE_CLUSTER_NAME="$cluster" PULSE_SENSORS_ENABLED=false \
    exec "$IP" netns exec "$NAME-$h" java -Xmx1g -jar "$JAR" >"$work/node-$h.log" 2>&1) &
  disown  # stopped by the cleanup, without a job notice
done
in_client() { "$IP" netns exec "$NAME-client" "$@" 3>&-; }
for _ in $(seq 120); do
  n=$(in_client curl -s -m 2 http://198.18.0.2:8080/api/cluster 2>/dev/null \
    | python3 -c 'import sys,json; print(json.load(sys.stdin)["totals"]["nodes"])' 2>/dev/null || true)
  [ "$n" = 2 ] && break
  sleep 1
done
[ "$n" = 2 ] || { echo "the two nodes did not form a cluster; logs in $work" >&2; tail -5 "$work"/node-*.log >&2; exit 1; }

for d in $delays; do
  for pair in "a b" "a client" "b client"; do echo "link $pair $d $jitter 0" >&3; done
  echo "one-way delay $d ms ± $jitter ms on every link (round trip $(awk "BEGIN{print 2*$d}") ms)" >&2
  in_client java -jar "$JAR" bench --scenario cross-node \
    --target http://198.18.0.1:8080 --target http://198.18.0.2:8080 "$@" >"$work/bench-$d.out" 2>&1 \
    || { tail -20 "$work/bench-$d.out" >&2; exit 1; }
  last="$(tail -1 "$work/bench-$d.out")"
  case "$last" in
    "{"*) echo "delay_ms=$d $last" ;;
    *) echo "delay_ms=$d the bench printed no report:" >&2; tail -15 "$work/bench-$d.out" >&2 ;;
  esac
  # What one publish waits for before its id is known (the history append and its backup): 100
  # POSTs one after another from host a to node a, on 8 channels (their ring buffers live on
  # either node), p50 per channel in ms. The links from and to the client do not count here.
  printf 'delay_ms=%s publish_ack_p50_ms_per_channel=' "$d"
  "$IP" netns exec "$NAME-a" python3 - 3>&- <<'PY'
import http.client, json, time
c = http.client.HTTPConnection("198.18.0.1", 8080)
out = []
for ch in range(8):
    rt = []
    for i in range(100):
        t = time.perf_counter()
        c.request("POST", "/api/publish", body=json.dumps({"channel": "probe.c%d" % ch, "event": "p", "data": i}),
                  headers={"Content-Type": "application/json"})
        c.getresponse().read()
        rt.append((time.perf_counter() - t) * 1000)
    rt.sort()
    out.append("%.2f" % rt[50])
print(",".join(out))
PY
done
