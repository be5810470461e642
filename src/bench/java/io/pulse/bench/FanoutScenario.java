package io.pulse.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * {@code ws-fanout}, {@code sse-fanout}, {@code bridge-fanout} and {@code cross-node}: N subscribers on one channel, one
 * publisher at R messages a second for M messages, latency from the publish to each receipt.
 *
 * <p>Subscribers are spread over the subscriber nodes: all nodes for the fan-out scenarios; every
 * node but the first for {@code cross-node}, whose publisher posts to the first node. There, a
 * small comparison group (N/10, 1 to 100 WS clients, or {@code --local-subscribers}) subscribes on the publishing node too, so the
 * same messages give a same-node and a cross-node latency. The two groups differ in size, so their
 * plain percentiles include fan-out loops of different lengths; the cross-node cost is compared on
 * each message's first delivery in each group instead ({@link Deliveries#firstDeliveryLatency}).
 *
 * <p>Phases: memory reading, connect and subscribe, memory reading (a full GC in each node) and a
 * full GC here, warm-up (unmeasured messages until every subscriber got one, at least
 * {@code --warmup} s), CPU reading, measured publishing, drain (until all expected deliveries
 * arrived or 3 s pass without one), CPU reading.
 */
final class FanoutScenario implements Scenario {

  /** BRIDGE: the event-bus bridge's raw WebSocket endpoint (always the lean client). */
  enum Transport { WS, SSE, BRIDGE }

  /** Subscribers of one transport on some nodes, and what they received. */
  private record Group(String label, Clients clients, Deliveries deliveries, Clients.Opened opened) {
  }

  /** CPU and publishing figures of the measured phase. */
  private record Measured(Publisher.Outcome published, long expected, Long serverCpuMicros, Long clientCpuMicros,
      Map.Entry<String, Long> busiestThread, Map<String, Long> serverCpuByKind, long wallMicros, Double machineBusyPercent,
      ServerWrites.Histogram serverWrites, ServerFlushes.Reading flushes) {
  }

  /** {@code --slow-consumers}: how many, the fillers it took to fill their sockets, and conflation during the run. */
  private record Slow(int count, int fillMessages, long fillMillis, Double conflatedDuringRun) {
  }

  private static final long QUIET_MS = 3_000;
  /** {@code burst}: the warm-up's rate at most, so that it warms the node without queueing a burst of its own. */
  static final int BURST_WARMUP_RATE = 20;
  private static final int MAX_FILL_MESSAGES = 20_000;

  private final Transport transport;
  private final boolean crossNode;

  FanoutScenario(Transport transport, boolean crossNode) {
    this.transport = transport;
    this.crossNode = crossNode;
  }

  @Override
  public Report run(BenchContext ctx) throws Exception {
    BenchArgs a = ctx.args;
    Node publishTo = ctx.nodes.get(0);
    List<Node> subscriberNodes = crossNode ? ctx.nodes.subList(1, ctx.nodes.size()) : ctx.nodes;
    String channel = "bench." + ctx.runId;
    List<Group> groups = new ArrayList<>();
    SlowConsumers slow = null;
    ServerProbe.Memory before = ctx.probe.memory(subscriberNodes);
    try (Publisher publisher = new Publisher(ctx.vertx, publishTo, channel, ctx.args.payloadBytes)) {
      groups.add(connect(ctx, transport, subscriberNodes, a.subscribers, channel));
      if (crossNode) {
        int nearby = a.localSubscribers != null ? a.localSubscribers : Math.max(1, Math.min(100, a.subscribers / 10));
        groups.add(connect(ctx, Transport.WS, List.of(publishTo), nearby, channel));
      }
      ServerProbe.Memory after = ctx.probe.memory(subscriberNodes);
      int fillMessages = 0;
      long fillMillis = 0;
      if (a.slowConsumers > 0) {
        ctx.log("connecting %d slow %s subscribers (policy conflate, never reading) to %s", a.slowConsumers, transport,
            names(subscriberNodes));
        slow = SlowConsumers.open(transport == Transport.WS, subscriberNodes, a.slowConsumers, channel);
        long t0 = System.currentTimeMillis();
        fillMessages = slow.fill(publishTo, subscriberNodes, MAX_FILL_MESSAGES, ctx.deadline(120_000));
        fillMillis = System.currentTimeMillis() - t0;
        ctx.log("filled their sockets with %d messages of 32 kB in %d ms", fillMessages, fillMillis);
      }
      // The connections' objects are long-lived: promote them now, not in a young GC of this JVM
      // during the measured phase (that pause would be counted as server latency).
      System.gc();
      if (a.warmupSeconds > 0) {
        warmUp(ctx, publisher, groups);
      }
      double conflated0 = slow == null ? 0 : slow.conflated(subscriberNodes);
      Measured m = measure(ctx, publisher, groups, subscriberNodes);
      Slow s = slow == null ? null : new Slow(slow.count(), fillMessages, fillMillis,
          slow.conflated(subscriberNodes) - conflated0);
      return report(ctx, groups, before, after, m, s);
    } finally {
      groups.forEach(g -> g.clients().close());
      if (slow != null) {
        slow.close();
      }
    }
  }

  private Group connect(BenchContext ctx, Transport kind, List<Node> on, int count, String channel) throws Exception {
    Deliveries deliveries = new Deliveries(count, ctx.args.messages);
    Clients clients;
    if (kind == Transport.BRIDGE) {
      clients = LeanWsClients.bridge(deliveries);
    } else if (kind == Transport.SSE) {
      clients = ctx.args.leanClient ? new LeanSseClients(deliveries) : new SseClients(ctx.vertx, count, deliveries);
    } else {
      clients = ctx.args.leanClient ? LeanWsClients.compressing(deliveries, ctx.args.compression) : new WsClients(ctx.vertx, count, deliveries);
    }
    String label = names(on);
    try {
      ctx.log("connecting %d %s subscribers to %s", count, kind, label);
      Clients.Opened opened = clients.open(on, count, channel, ctx.args.concurrency, ctx.deadline(180_000));
      ctx.log("%d connected and subscribed in %d ms (%d failed%s)", opened.opened(), opened.millis(), opened.failed(),
          opened.firstError() == null ? "" : ": " + opened.firstError());
      if (opened.opened() == 0) {
        throw new IOException("no subscriber could connect to " + label + ": " + opened.firstError());
      }
      return new Group(label, clients, deliveries, opened);
    } catch (Exception e) {
      clients.close();
      throw e;
    }
  }

  /** Unmeasured messages at the run's rate until every subscriber has one and the warm-up time is over. */
  private static void warmUp(BenchContext ctx, Publisher publisher, List<Group> groups) throws InterruptedException {
    BenchArgs a = ctx.args;
    long connected = sum(groups, g -> g.opened().opened());
    long minEnd = System.currentTimeMillis() + a.warmupSeconds * 1000L;
    long hardEnd = ctx.deadline(a.warmupSeconds * 1000L + 20_000);
    int rate = a.scenario.equals("burst") ? Math.min(a.rate, BURST_WARMUP_RATE) : a.rate;
    ctx.log("warming up (%d s at %d/s)", a.warmupSeconds, rate);
    Publisher.Outcome w = publisher.run(Integer.MAX_VALUE / 2, rate, true, () -> {
      long now = System.currentTimeMillis();
      return now >= hardEnd || now >= minEnd && sum(groups, g -> g.deliveries().warmConnections()) >= connected;
    });
    BenchContext.sleep(500);
    ctx.log("warm-up: %d messages, %d of %d subscribers reached%s", w.sent(),
        sum(groups, g -> g.deliveries().warmConnections()), connected,
        w.firstError() == null ? "" : "; publish failure: " + w.firstError());
  }

  private Measured measure(BenchContext ctx, Publisher publisher, List<Group> groups, List<Node> subscriberNodes)
      throws InterruptedException {
    BenchArgs a = ctx.args;
    ServerWrites.Histogram writesBefore = ServerWrites.read(subscriberNodes);
    ServerFlushes.Reading flushesBefore = ServerFlushes.read(subscriberNodes, label());
    Long serverBefore = ctx.probe.cpuMicros(ctx.nodes);
    Long clientBefore = ctx.selfCpuMicros();
    Map<String, Long> threadsBefore = ctx.probe.threadCpuMicros(ctx.nodes);
    long[] machineBefore = ServerProbe.machineTicks();
    long start = System.nanoTime();
    groups.forEach(g -> {
      if (g.clients() instanceof LeanWsClients lean) {
        lean.resetCounts(); // count the measured phase's frames only
      }
    });
    ctx.log("publishing %d messages at %d/s to %s", a.messages, a.rate, ctx.nodes.get(0).name);
    long stopAt = ctx.deadline(Long.MAX_VALUE / 4) - 10_000; // leave the drain and the report some time
    Publisher.Outcome published = publisher.run(a.messages, a.rate, false, () -> System.currentTimeMillis() >= stopAt);
    if (published.sent() < a.messages) {
      ctx.log("stopped publishing after %d of %d messages: --timeout %d s is near", published.sent(), a.messages,
          a.timeoutSeconds);
    }
    long expected = sum(groups, g -> g.opened().opened()) * published.sent();
    drain(ctx, expected, groups);
    Long serverAfter = ctx.probe.cpuMicros(ctx.nodes);
    Long clientAfter = ctx.selfCpuMicros();
    Map<String, Long> threadsAfter = ctx.probe.threadCpuMicros(ctx.nodes);
    Map.Entry<String, Long> busiest = ServerProbe.busiestThread(threadsBefore, threadsAfter);
    Map<String, Long> byKind = threadsAfter.isEmpty() ? Map.of() : ServerProbe.cpuByKind(threadsBefore, threadsAfter);
    long wallMicros = (System.nanoTime() - start) / 1_000;
    Double machineBusy = ServerProbe.machineBusyPercent(machineBefore, ServerProbe.machineTicks());
    ServerWrites.Histogram writesAfter = ServerWrites.read(subscriberNodes);
    ServerFlushes.Reading flushes = flushesBefore.until(ServerFlushes.read(subscriberNodes, label()));
    return new Measured(published, expected, difference(serverBefore, serverAfter), difference(clientBefore, clientAfter),
        busiest, byKind, wallMicros, machineBusy,
        writesBefore == null || writesAfter == null ? null : writesAfter.since(writesBefore), flushes);
  }

  /** The transport's label in the nodes' metrics. */
  private String label() {
    return transport.name().toLowerCase();
  }

  /** Waits until every expected delivery arrived, or none arrived for {@link #QUIET_MS}. */
  private static void drain(BenchContext ctx, long expected, List<Group> groups) throws InterruptedException {
    long end = ctx.deadline(60_000);
    long last = -1;
    long lastChange = System.currentTimeMillis();
    while (System.currentTimeMillis() < end) {
      long got = sum(groups, g -> g.deliveries().received());
      if (got >= expected) {
        return;
      }
      if (got != last) {
        last = got;
        lastChange = System.currentTimeMillis();
      } else if (System.currentTimeMillis() - lastChange > QUIET_MS) {
        ctx.log("drain: %d of %d deliveries, nothing more for %d ms", got, expected, QUIET_MS);
        return;
      }
      BenchContext.sleep(20);
    }
  }

  private Report report(BenchContext ctx, List<Group> groups, ServerProbe.Memory before, ServerProbe.Memory after, Measured m,
      Slow slow) {
    Group main = groups.get(0);
    int subscribers = main.opened().opened();
    long received = sum(groups, g -> g.deliveries().received());
    long lastReceipt = groups.stream().mapToLong(g -> g.deliveries().lastReceiptMicros()).max().orElse(0);
    double seconds = (lastReceipt - m.published().firstSentMicros()) / 1e6;
    Stats latency = main.deliveries().latency();
    Report r = new Report()
        .put("scenario", ctx.args.scenario)
        .put("nodes", ctx.nodes.size())
        .put("subscribers", subscribers)
        .put("messages", m.published().sent())
        .put("rate", ctx.args.rate)
        .put("expected", m.expected())
        .put("received", received)
        .put("deliveries_per_s", received > 0 && seconds > 0 ? received / seconds : null)
        .put("loss", Report.ratio(m.expected() - received, m.expected()));
    putLatency(r, "latency", latency);
    r.put("connect_rate", main.opened().perSecond())
        .put("rss_per_connection_kb", perConnection(before.rssKb(), after.rssKb(), subscribers))
        .put("heap_per_connection_kb", perConnection(before.heapUsedKb(), after.heapUsedKb(), subscribers))
        .put("server_cpu_us_per_delivery", Report.ratio(m.serverCpuMicros(), received))
        .put("client_cpu_us_per_delivery", Report.ratio(m.clientCpuMicros(), received));
    for (String kind : ServerProbe.THREAD_KINDS) {
      Long used = m.serverCpuByKind().get(kind);
      r.put("server_" + kind + "_cpu_us_per_delivery", used == null ? null : Report.ratio(used, received));
    }
    r
        .put("server_busiest_thread_cpu_pct", m.busiestThread() == null ? null
            : 100.0 * m.busiestThread().getValue() / m.wallMicros())
        .put("machine_cpu_busy_pct", m.machineBusyPercent())
        .put("transport", transport.name().toLowerCase())
        .put("publish_failures", m.published().failed())
        .put("connect_failures", sum(groups, g -> g.opened().failed()))
        .put("dropped_connections", sum(groups, g -> g.clients().dropped()))
        .put("duplicates", sum(groups, g -> g.deliveries().duplicates()))
        .put("compression", ctx.args.compression)
        .put("payload_bytes", ctx.args.payloadBytes);
    if (main.clients() instanceof LeanWsClients lean) {
      // Text messages' payload bytes as sent (compressed or not), per message, and the share that
      // came compressed: over every text message of the phase (late warm-up messages included).
      r.put("ws_wire_bytes_per_message", Report.ratio(lean.wireBytes(), lean.textMessages()))
          .put("ws_compressed_share", Report.ratio(lean.compressedMessages(), lean.textMessages()));
    }
    Stats first = main.deliveries().firstDeliveryLatency();
    r.put("first_delivery_p50_ms", first.percentileMs(50));
    ServerWrites.Histogram writes = m.serverWrites();
    ServerFlushes.Reading f = m.flushes();
    r.put("server_flushes_per_delivery", f.flushes() == null || f.delivered() == null ? null : Report.ratio(f.flushes(), f.delivered()))
        .put("server_syscw_per_delivery", f.syscw() == null ? null : Report.ratio(f.syscw(), received));
    r.note("server_flushes_per_delivery", "pulse_delivery_flushes_total / pulse_messages_delivered_total{transport=\""
        + label() + "\"} over the measured phase (null: a node built before the flush counter);"
        + " server_syscw_per_delivery: write-type system calls of the node JVMs (/proc/<pid>/io syscw, all threads),"
        + " none for socket writes on io_uring");
    if (ctx.args.scenario.equals("burst")) {
      r.put("burst_last_delivery_ms", received == 0 ? null : (lastReceipt - m.published().firstSentMicros()) / 1000.0);
      r.note("burst", "burst_last_delivery_ms: from the first publish to the last delivery received");
    }
    r.put("server_writes", writes == null ? null : writes.count())
        .put("server_write_p50_ms", writes == null ? null : writes.quantileMs(0.50))
        .put("server_write_p99_ms", writes == null ? null : writes.quantileMs(0.99));
    if (crossNode) {
      Group near = groups.get(1);
      Stats nearFirst = near.deliveries().firstDeliveryLatency();
      r.put("local_subscribers", near.opened().opened());
      putLatency(r, "local_latency", near.deliveries().latency());
      r.put("local_first_delivery_p50_ms", nearFirst.percentileMs(50))
          .put("cross_node_added_p50_ms", first.count() == 0 || nearFirst.count() == 0 ? null
              : first.percentileMs(50) - nearFirst.percentileMs(50));
      r.note("groups", "latency_*: subscribers on " + main.label() + "; local_*: on " + near.label()
          + " (the publisher's node)");
      r.note("cross_node_added", "p50 of each message's first delivery on " + main.label() + " minus the same on "
          + near.label() + ": the hop, without the fan-out loop");
    }
    r.put("slow_consumers", slow == null ? 0 : slow.count());
    if (slow != null) {
      Double conflated = slow.conflatedDuringRun();
      r.put("slow_fill_messages", slow.fillMessages())
          .put("slow_conflated", conflated == null || conflated.isNaN() ? null : conflated);
      r.note("slow consumers", slow.count() + " more " + transport.name().toLowerCase() + " subscribers with policy conflate"
          + " that never read, filled with " + slow.fillMessages() + " messages of 32 kB in " + slow.fillMillis()
          + " ms; slow_conflated: messages replaced for them during the measured phase (pulse_conflated_total);"
          + " latency_*: the other subscribers only");
    }
    r.note("server_write", writes == null ? "n/a (" + main.label() + "'s /metrics could not be read)"
        : "publish -> write to the socket on " + main.label()
        + ", from its pulse_delivery_latency_seconds histogram (estimated within the buckets)");
    if (!m.serverCpuByKind().isEmpty()) {
      r.note("server CPU by thread", "server_{event_loop,jit,gc,other}_cpu_us_per_delivery: the Vert.x event loops,"
          + " the JVM's JIT compiler threads, the collector's threads (and the VM thread), the rest (Hazelcast and"
          + " others), from /proc/<pid>/task over the measured phase");
    }
    if (m.busiestThread() != null) {
      r.note("busiest server thread", m.busiestThread().getKey() + " (CPU share of the measured phase)");
    }
    r.note("publish", "HTTP POST /api/publish to " + ctx.nodes.get(0).name + ", open loop"
        + (m.published().firstError() == null ? "" : "; first failure: " + m.published().firstError()));
    groups.stream().filter(g -> !g.clients().dropReasons().isEmpty())
        .forEach(g -> r.note("dropped on " + g.label(), g.clients().dropReasons()));
    r.note("memory", before.heapUsedKb() == null ? "n/a (nodes not started by the bench)"
        : main.label() + " after GC: RSS " + before.rssKb() + " -> " + after.rssKb() + " kB, heap "
        + before.heapUsedKb() + " -> " + after.heapUsedKb() + " kB");
    return r;
  }

  static void putLatency(Report r, String prefix, Stats s) {
    r.put(prefix + "_p50_ms", s.percentileMs(50))
        .put(prefix + "_p99_ms", s.percentileMs(99))
        .put(prefix + "_p999_ms", s.percentileMs(99.9))
        .put(prefix + "_max_ms", s.maxMs());
  }

  static Double perConnection(Long beforeKb, Long afterKb, int connections) {
    return beforeKb == null || afterKb == null ? null : Report.ratio(afterKb - beforeKb, connections);
  }

  private static Long difference(Long before, Long after) {
    return before == null || after == null ? null : after - before;
  }

  private static long sum(List<Group> groups, ToLongFunction<Group> f) {
    return groups.stream().mapToLong(f).sum();
  }

  private static String names(List<Node> nodes) {
    return String.join(", ", nodes.stream().map(n -> n.name).toList());
  }
}
