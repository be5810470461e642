package io.pulse.bench;

import java.io.IOException;
import java.util.List;

/**
 * {@code idle}: opens N WebSocket connections, each subscribed to one quiet channel, holds them
 * for {@code --hold} s, and reports the server memory they take: RSS as a user's monitoring sees it
 * (no collection forced), then RSS and heap after a full GC, each read before and after; then
 * closes them and reads the heap once more.
 */
final class IdleScenario implements Scenario {

  @Override
  public Report run(BenchContext ctx) throws Exception {
    BenchArgs a = ctx.args;
    Long outsideBefore = ctx.probe.rssAsIs(ctx.nodes); // before any collection the bench forces
    ServerProbe.Memory before = ctx.probe.memory(ctx.nodes);
    Long outsideAfter;
    ServerProbe.Memory after;
    Clients.Opened opened;
    Integer serverSaw;
    List<String> from = SourceAddresses.forConnections(a.subscribers, a.sourceAddresses,
        ctx.nodes.stream().map(n -> n.wsHost).toList());
    // Vert.x 5.1.6's WebSocketClient ignores setLocalAddress, so several source addresses take
    // the bare-Netty clients (the same protocol); one address keeps Vert.x's, as before.
    try (Clients clients = from.isEmpty() ? new WsClients(ctx.vertx, a.subscribers, null) : new LeanWsClients(null, from)) {
      ctx.log("opening %d idle WebSocket connections%s", a.subscribers, from.isEmpty() ? "" : " from " + from.size() + " source addresses");
      opened = clients.open(ctx.nodes, a.subscribers, "bench." + ctx.runId + ".idle", a.concurrency,
          ctx.deadline(Math.max(180_000, a.subscribers * 10L))); // at least 100 connections/s, within --timeout
      ctx.log("%d connected and subscribed in %d ms (%d failed%s)", opened.opened(), opened.millis(), opened.failed(),
          opened.firstError() == null ? "" : ": " + opened.firstError());
      if (opened.opened() == 0) {
        throw new IOException("no connection could be opened: " + opened.firstError());
      }
      BenchContext.sleep(a.holdSeconds * 1000L);
      serverSaw = ctx.serverConnections();
      outsideAfter = ctx.probe.rssAsIs(ctx.nodes); // as a user's monitoring sees it: no GC forced
      after = ctx.probe.memory(ctx.nodes);
      ctx.log("closing");
    }
    BenchContext.sleep(2_000);
    ServerProbe.Memory closed = ctx.probe.memory(ctx.nodes);

    Report r = new Report()
        .put("scenario", a.scenario)
        .put("nodes", ctx.nodes.size())
        .put("subscribers", opened.opened())
        .put("messages", 0)
        .put("deliveries_per_s", null)
        .put("loss", null);
    FanoutScenario.putLatency(r, "latency", Stats.of(new long[0]));
    return r.put("connect_rate", opened.perSecond())
        .put("rss_per_connection_kb", FanoutScenario.perConnection(before.rssKb(), after.rssKb(), opened.opened()))
        .put("rss_outside_per_connection_kb", FanoutScenario.perConnection(outsideBefore, outsideAfter, opened.opened()))
        .put("heap_per_connection_kb", FanoutScenario.perConnection(before.heapUsedKb(), after.heapUsedKb(), opened.opened()))
        .put("server_cpu_us_per_delivery", null)
        .put("connect_failures", opened.failed())
        .put("server_connections", serverSaw)
        .put("rss_outside_before_kb", outsideBefore)
        .put("rss_outside_after_kb", outsideAfter)
        .put("rss_before_kb", before.rssKb())
        .put("rss_after_kb", after.rssKb())
        .put("heap_before_kb", before.heapUsedKb())
        .put("heap_after_kb", after.heapUsedKb())
        .put("heap_after_close_kb", closed.heapUsedKb())
        .put("rss_after_close_kb", closed.rssKb())
        .put("source_addresses", Math.max(1, from.size()))
        .put("client", from.isEmpty() ? "vertx" : "lean")
        .note("method", "rss_outside_*: VmRSS from /proc as it is, before the bench forces a GC (what a user sees);"
            + " rss_per_connection_kb and heap_*: after GC (jcmd GC.run), heap used from GC.heap_info; held "
            + a.holdSeconds + " s");
  }
}
