package io.pulse.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One client process of {@code cluster-hold} ({@link ClusterHoldScenario} starts several, so that
 * no process holds more connections than it may open files): its part of the connections
 * ({@link HoldLayout.Part}) as bench lean clients, WebSocket and SSE, on one channel, from its own
 * source address. It takes one JSON argument (its plan) and then one command a line on stdin,
 * answering each with one line {@code hold {…}} on stdout:
 * {@code open}, {@code status}, {@code samples <file>} (its latency slots, see {@link #writeSlots}),
 * {@code close} (closes its connections and exits). It exits when stdin ends (the bench is gone)
 * and, whatever happens, after the plan's {@code timeoutSeconds}.
 */
public final class HoldClients {

  static final String PREFIX = "hold ";

  private final JsonObject plan;
  private final Deliveries ws;
  private final Deliveries sse;
  private final LeanWsClients wsClients;
  private final LeanSseClients sseClients;
  private final PrintStream out;

  private HoldClients(JsonObject plan, PrintStream out) {
    this.plan = plan;
    this.out = out;
    int messages = plan.getInteger("messages");
    ws = new Deliveries(plan.getInteger("ws"), messages);
    sse = new Deliveries(plan.getInteger("sse"), messages);
    List<String> from = List.of(plan.getString("source"));
    List<Node> wsNodes = rotated(nodes(plan.getJsonArray("nodes")), plan.getInteger("wsOffset"));
    int process = plan.getInteger("process");
    int joins = plan.getInteger("joinsPerNode");
    wsClients = LeanWsClients.joining(ws, from, plan.getString("room"),
        i -> HoldLayout.memberName(process, i, joins, wsNodes.size(), wsNodes.get(i % wsNodes.size()).name));
    sseClients = new LeanSseClients(sse, from);
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("java.net.preferIPv4Stack", "true");
    JsonObject plan = new JsonObject(args[0]);
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(plan.getInteger("timeoutSeconds") * 1000L);
        System.err.println("hold clients: timed out, exiting");
      } catch (InterruptedException e) {
        return;
      }
      Runtime.getRuntime().halt(1);
    }, "hold-clients-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    HoldClients clients = new HoldClients(plan, System.out);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      if (!clients.command(line.trim())) {
        break;
      }
    }
    clients.wsClients.close();
    clients.sseClients.close();
    clients.answer(new JsonObject().put("event", "closed"));
    Runtime.getRuntime().halt(0);
  }

  /** Runs one command; false once the process should close and end. */
  private boolean command(String line) throws Exception {
    if (line.equals("open")) {
      List<Node> all = nodes(plan.getJsonArray("nodes"));
      long deadline = System.currentTimeMillis() + plan.getInteger("connectSeconds") * 1000L;
      String channel = plan.getString("channel");
      int concurrency = plan.getInteger("concurrency");
      Clients.Opened w = wsClients.open(rotated(all, plan.getInteger("wsOffset")), plan.getInteger("ws"), channel,
          concurrency, deadline);
      Clients.Opened s = sseClients.open(rotated(all, plan.getInteger("sseOffset")), plan.getInteger("sse"), channel,
          concurrency, deadline);
      answer(new JsonObject().put("event", "opened").put("ws", w.opened()).put("sse", s.opened())
          .put("failed", w.failed() + s.failed()).put("error", w.firstError() != null ? w.firstError() : s.firstError()));
    } else if (line.equals("status")) {
      answer(new JsonObject().put("event", "status")
          .put("warm", ws.warmConnections() + sse.warmConnections())
          .put("received", ws.received() + sse.received())
          .put("duplicates", ws.duplicates() + sse.duplicates())
          .put("dropped", wsClients.dropped() + sseClients.dropped())
          .put("dropReasons", (wsClients.dropReasons() + " " + sseClients.dropReasons()).trim())
          .put("fds", openFiles()));
    } else if (line.startsWith("samples ")) {
      writeSlots(Path.of(line.substring("samples ".length())), ws.slots(), sse.slots());
      answer(new JsonObject().put("event", "samples"));
    } else if (line.equals("close")) {
      return false;
    } else {
      answer(new JsonObject().put("event", "error").put("error", "unknown command " + line));
    }
    return true;
  }

  private void answer(JsonObject o) {
    out.println(PREFIX + o.encode());
    out.flush();
  }

  /** The nodes of a plan: {@code [{"name","http","ws"}]}. */
  static List<Node> nodes(JsonArray list) {
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonObject n = list.getJsonObject(i);
      nodes.add(new Node(n.getString("name"), URI.create(n.getString("http")), URI.create(n.getString("ws")), null, null));
    }
    return nodes;
  }

  /** A node as a plan lists it. */
  static JsonObject describe(Node n) {
    return new JsonObject().put("name", n.name).put("http", n.httpBase())
        .put("ws", "ws://" + n.wsHost + ":" + n.wsPort + n.wsPath);
  }

  /** {@code nodes} starting at {@code offset}: element i is {@code nodes[(offset + i) % size]}. */
  static <T> List<T> rotated(List<T> nodes, int offset) {
    List<T> r = new ArrayList<>(nodes);
    Collections.rotate(r, -(offset % nodes.size()));
    return r;
  }

  /** Open file descriptors of this process, from {@code /proc/self/fd}; -1 if unreadable. */
  static long openFiles() {
    return openFiles("self");
  }

  /** Open file descriptors of process {@code pid} ("self" for this one); -1 if unreadable. */
  static long openFiles(String pid) {
    try (var fds = Files.list(Path.of("/proc", pid, "fd"))) {
      return fds.count();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Writes groups of latency slots to {@code file}: per group its length, then its values. */
  static void writeSlots(Path file, long[]... groups) throws IOException {
    try (DataOutputStream o = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(file)))) {
      o.writeInt(groups.length);
      for (long[] g : groups) {
        o.writeInt(g.length);
        for (long v : g) {
          o.writeLong(v);
        }
      }
    }
  }

  /** What {@link #writeSlots} wrote. */
  static long[][] readSlots(Path file) throws IOException {
    try (DataInputStream i = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
      long[][] groups = new long[i.readInt()][];
      for (int g = 0; g < groups.length; g++) {
        groups[g] = new long[i.readInt()];
        for (int k = 0; k < groups[g].length; k++) {
          groups[g][k] = i.readLong();
        }
      }
      return groups;
    }
  }
}
