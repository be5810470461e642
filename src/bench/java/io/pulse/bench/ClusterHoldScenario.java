package io.pulse.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code cluster-hold}: N connections held across a cluster of K nodes (each its own JVM), the
 * clients split over P client processes ({@link HoldClients}, {@link HoldLayout}) so that no
 * process, node or client, needs more open files than it may have. All subscribe to one channel;
 * a share are SSE streams, and a few WebSockets per node and process join a chat room. It reports:
 * the connect rate; how long until every node's {@code /api/cluster} showed the exact totals and
 * its presence every member; M messages published {@code --spacing} s apart, each to be delivered
 * to every connection once, with the latency of all deliveries; memory and open files per node;
 * then it kills the last node with SIGKILL and times how long until every survivor's
 * {@code /api/cluster} and presence no longer show it or its connections.
 */
final class ClusterHoldScenario implements Scenario {

  /** WebSockets per client process and node that join the presence room. */
  static final int JOINS_PER_NODE = 2;
  private static final String CLIENT_HEAP = "768m";

  @Override
  public Report run(BenchContext ctx) throws Exception {
    BenchArgs a = ctx.args;
    List<Node> nodes = ctx.nodes;
    int k = nodes.size();
    List<HoldLayout.Part> parts = HoldLayout.split(a.subscribers, a.ssePercent, a.clientProcesses);
    int[][] perNode = HoldLayout.perNode(parts, k);
    int sseTotal = HoldLayout.sseOf(a.subscribers, a.ssePercent);
    int wsTotal = a.subscribers - sseTotal;
    String channel = "bench." + ctx.runId + ".hold";
    String room = "hold-" + ctx.runId;
    Set<String> members = members(parts, nodes);

    Long[] rssBefore = new Long[k];
    Long[] heapBefore = new Long[k];
    for (int i = 0; i < k; i++) {
      rssBefore[i] = ServerProbe.rssKb(nodes.get(i).pid()); // as it is: before the GC below
      heapBefore[i] = ServerProbe.heapUsedKb(nodes.get(i).pid());
    }
    Path dir = Files.createTempDirectory("pulse-bench-hold-");
    Path jar = a.jar != null ? a.jar : Nodes.runningJar();
    Report r = new Report().put("scenario", a.scenario).put("nodes", k).put("client_processes", parts.size());
    boolean done = false;
    try (HoldProcesses clients = new HoldProcesses(plans(ctx, parts, channel, room), jar, dir, CLIENT_HEAP);
        Publisher publisher = new Publisher(ctx.vertx, nodes.get(0), channel, 0)) {
      ctx.log("%d client processes (pids %s) opening %d WebSockets and %d SSE streams on %d nodes", parts.size(),
          clients.pids(), wsTotal, sseTotal, k);
      long start = System.nanoTime();
      List<JsonObject> opened = clients.ask("open", ctx.deadline(Math.max(120_000, a.subscribers * 5L)));
      long connectMs = (System.nanoTime() - start) / 1_000_000;
      long connectedAt = System.nanoTime();
      int ok = opened.stream().mapToInt(o -> o.getInteger("ws") + o.getInteger("sse")).sum();
      int failed = opened.stream().mapToInt(o -> o.getInteger("failed")).sum();
      ctx.log("%d connected and subscribed in %d ms (%d failed%s)", ok, connectMs, failed,
          opened.stream().map(o -> o.getString("error")).filter(e -> e != null).findFirst().map(e -> ": " + e).orElse(""));
      if (ok != a.subscribers) {
        throw new IOException(failed + " of " + a.subscribers + " connections failed to open: "
            + opened.stream().map(o -> o.getString("error")).filter(e -> e != null).findFirst().orElse("?"));
      }
      r.put("subscribers", ok).put("ws", wsTotal).put("sse", sseTotal)
          .put("connect_s", connectMs / 1000.0).put("connect_rate", ok * 1000.0 / Math.max(1, connectMs));

      long[] exact = ClusterWatch.await(nodes, new ClusterWatch.Totals(k, wsTotal, sseTotal), room, members, connectedAt,
          ctx.deadline(30_000));
      ctx.log("every node's /api/cluster exact %d ms and presence complete (%d members) %d ms after the last connection",
          exact[0], members.size(), exact[1]);
      r.put("cluster_exact_after_ms", exact[0]).put("presence_complete_after_ms", exact[1]).put("room_members", members.size());

      publish(ctx, clients, publisher, r, a.subscribers);

      List<JsonObject> status = clients.ask("status", ctx.deadline(30_000));
      r.put("client_process_max_fds", status.stream().mapToLong(s -> s.getLong("fds")).max().orElse(-1));
      nodeMemory(ctx, r, perNode, rssBefore, heapBefore);
      JsonObject stillExact = ClusterWatch.cluster(nodes.get(0));
      r.put("cluster_still_exact", stillExact != null && new ClusterWatch.Totals(k, wsTotal, sseTotal).shownBy(stillExact));

      kill(ctx, clients, r, perNode, wsTotal, sseTotal, room, members);
      ctx.log("closing");
      done = true;
    } finally {
      if (done) {
        try (var logs = Files.list(dir)) {
          for (Path log : logs.toList()) {
            Files.delete(log);
          }
        }
        Files.delete(dir);
      } else {
        ctx.log("client process logs in %s", dir);
      }
    }
    return r.note("method", "connect_rate: all client processes opening at once, --concurrency each;"
        + " latency: every delivery, bt (publish, epoch µs) to arrival on the same machine's clock;"
        + " rss_as_is: VmRSS without a forced GC; heap: used after jcmd GC.run; kill: SIGKILL to the last node's PID");
  }

  /** Warm-up (a message a second for --warmup s, and until every connection got one), then {@code --messages} spaced {@code --spacing} s; reads the samples. */
  private static void publish(BenchContext ctx, HoldProcesses clients, Publisher publisher, Report r, int total)
      throws Exception {
    BenchArgs a = ctx.args;
    long warmDeadline = ctx.deadline(60_000 + a.warmupSeconds * 1000L);
    long warmEnough = System.currentTimeMillis() + a.warmupSeconds * 1000L;
    long warm = 0;
    while ((warm < total || System.currentTimeMillis() < warmEnough) && System.currentTimeMillis() < warmDeadline) {
      publisher.publishNow(-1).await(10, TimeUnit.SECONDS);
      BenchContext.sleep(1_000);
      warm = clients.ask("status", ctx.deadline(10_000)).stream().mapToLong(s -> s.getLong("warm")).sum();
    }
    ctx.log("warm-up reached %d of %d connections", warm, total);
    r.put("warm_connections", warm);
    long start = System.nanoTime();
    int accepted = 0;
    for (int i = 0; i < a.messages; i++) {
      long due = start + TimeUnit.SECONDS.toNanos((long) i * a.spacingSeconds);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      Integer status = publisher.publishNow(i).await(10, TimeUnit.SECONDS);
      accepted += status == 202 ? 1 : 0;
    }
    long expected = (long) total * a.messages;
    long received = 0;
    long duplicates = 0;
    long waitUntil = ctx.deadline(30_000);
    while (System.currentTimeMillis() < waitUntil) {
      List<JsonObject> s = clients.ask("status", ctx.deadline(10_000));
      received = s.stream().mapToLong(x -> x.getLong("received")).sum();
      duplicates = s.stream().mapToLong(x -> x.getLong("duplicates")).sum();
      if (received >= expected) {
        break;
      }
      BenchContext.sleep(500);
    }
    ctx.log("%d messages accepted, %d of %d deliveries, %d duplicates", accepted, received, expected, duplicates);
    r.put("messages", a.messages).put("accepted", accepted).put("expected", expected).put("received", received)
        .put("duplicates", duplicates).put("loss", Report.ratio(expected - received, expected));

    List<String> commands = new ArrayList<>();
    Path dir = Files.createTempDirectory("pulse-bench-hold-samples-");
    for (int k = 0; k < clients.size(); k++) {
      commands.add("samples " + dir.resolve("samples-" + (k + 1) + ".bin"));
    }
    clients.ask(commands, ctx.deadline(60_000));
    HoldSamples all = new HoldSamples(a.messages);
    for (String c : commands) {
      Path file = Path.of(c.substring("samples ".length()));
      long[][] groups = HoldClients.readSlots(file);
      all.add(groups[0], true);
      all.add(groups[1], false);
      Files.delete(file);
    }
    Files.delete(dir);
    all.report(r);
  }

  /** RSS (as it is) and heap (after a GC) per connection, for each node. */
  private static void nodeMemory(BenchContext ctx, Report r, int[][] perNode, Long[] rssBefore, Long[] heapBefore) {
    List<Node> nodes = ctx.nodes;
    JsonArray rss = new JsonArray();
    JsonArray heap = new JsonArray();
    JsonArray fds = new JsonArray();
    JsonArray rssAfter = new JsonArray();
    for (int i = 0; i < nodes.size(); i++) {
      long pid = nodes.get(i).pid();
      int conns = perNode[i][0] + perNode[i][1];
      fds.add(HoldClients.openFiles(Long.toString(pid)));
      Long rssNow = ServerProbe.rssKb(pid); // as it is, before the GC that the heap reading forces
      Long heapNow = ServerProbe.heapUsedKb(pid);
      rssAfter.add(rssNow);
      rss.add(twoDecimals(FanoutScenario.perConnection(rssBefore[i], rssNow, conns)));
      heap.add(twoDecimals(FanoutScenario.perConnection(heapBefore[i], heapNow, conns)));
    }
    ctx.log("per node: open files %s, RSS %s kB, RSS per connection %s kB, heap per connection %s kB", fds, rssAfter, rss, heap);
    r.put("node_connections", new JsonArray(Arrays.stream(perNode).map(c -> (Object) (c[0] + c[1])).toList()))
        .put("node_fds", fds)
        .put("node_rss_kb", rssAfter)
        .put("rss_as_is_per_connection_kb", rss)
        .put("heap_per_connection_kb", heap);
  }

  private static Double twoDecimals(Double v) {
    return v == null ? null : Math.round(v * 100) / 100.0;
  }

  /** Kills the last node (SIGKILL) and times how long until the survivors show the cluster without it. */
  private static void kill(BenchContext ctx, HoldProcesses clients, Report r, int[][] perNode, int wsTotal, int sseTotal,
      String room, Set<String> members) throws Exception {
    List<Node> nodes = ctx.nodes;
    int last = nodes.size() - 1;
    Node victim = nodes.get(last);
    List<Node> survivors = nodes.subList(0, last);
    Set<String> left = new HashSet<>(members);
    left.removeIf(m -> m.startsWith(victim.name + "/"));
    ctx.log("kill -9 %s (pid %d), holding %d connections", victim.name, victim.pid(), perNode[last][0] + perNode[last][1]);
    long killedAt = System.nanoTime();
    victim.process.destroyForcibly(); // SIGKILL
    long[] gone = ClusterWatch.await(survivors, new ClusterWatch.Totals(last, wsTotal - perNode[last][0], sseTotal - perNode[last][1]),
        room, left, killedAt, ctx.deadline(30_000));
    BenchContext.sleep(1_000);
    long dropped = clients.ask("status", ctx.deadline(10_000)).stream().mapToLong(s -> s.getLong("dropped")).sum();
    ctx.log("after the kill: survivors' /api/cluster right after %d ms, presence after %d ms; clients saw %d connections end",
        gone[0], gone[1], dropped);
    r.put("killed_node_connections", perNode[last][0] + perNode[last][1]).put("kill_cluster_right_after_ms", gone[0])
        .put("kill_presence_right_after_ms", gone[1]).put("kill_room_members_left", left.size())
        .put("kill_client_connections_ended", dropped);
  }

  /** The names that join the room: {@link #JOINS_PER_NODE} per node and process, as the processes pick them. */
  static Set<String> members(List<HoldLayout.Part> parts, List<Node> nodes) {
    Set<String> names = new HashSet<>();
    for (int p = 0; p < parts.size(); p++) {
      HoldLayout.Part part = parts.get(p);
      for (int i = 0; i < part.ws(); i++) {
        String name = HoldLayout.memberName(p, i, JOINS_PER_NODE, nodes.size(),
            nodes.get(HoldLayout.nodeOf(part.wsOffset(), i, nodes.size())).name);
        if (name == null) {
          break;
        }
        names.add(name);
      }
    }
    return names;
  }

  private static List<JsonObject> plans(BenchContext ctx, List<HoldLayout.Part> parts, String channel, String room) {
    JsonArray nodes = new JsonArray();
    ctx.nodes.forEach(n -> nodes.add(HoldClients.describe(n)));
    List<JsonObject> plans = new ArrayList<>();
    for (int p = 0; p < parts.size(); p++) {
      HoldLayout.Part part = parts.get(p);
      plans.add(new JsonObject().put("process", p).put("nodes", nodes).put("ws", part.ws()).put("sse", part.sse())
          .put("wsOffset", part.wsOffset()).put("sseOffset", part.sseOffset()).put("source", part.sourceAddress())
          .put("channel", channel).put("room", room).put("joinsPerNode", JOINS_PER_NODE)
          .put("messages", ctx.args.messages).put("concurrency", ctx.args.concurrency)
          .put("connectSeconds", Math.max(120, ctx.args.subscribers / 200)).put("timeoutSeconds", ctx.args.timeoutSeconds));
    }
    return plans;
  }
}
