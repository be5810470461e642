package io.pulse.bench;

/**
 * {@code churn}: C cycles of WebSocket connect, subscribe, wait for {@code subscribed}, close — P
 * cycles at a time. Cycle i subscribes to channel i mod K ({@code --channels K}); by default every
 * cycle has a channel of its own, so the server's per-channel state (its event-bus registration)
 * is created and removed each time too, and a leak of it would show in the heap.
 * Reports cycles per second and the server's heap and RSS after a full GC before and after: what
 * stays behind once every connection has gone.
 */
final class ChurnScenario implements Scenario {

  @Override
  public Report run(BenchContext ctx) throws Exception {
    BenchArgs a = ctx.args;
    int channels = a.channels == null ? a.cycles : a.channels;
    ServerProbe.Memory before = ctx.probe.memory(ctx.nodes);
    Clients.Opened cycles;
    try (WsClients clients = new WsClients(ctx.vertx, a.concurrency, null)) {
      ctx.log("%d connect-subscribe-close cycles over %d channel(s), %d at a time", a.cycles, channels, a.concurrency);
      cycles = Opener.run(a.cycles, a.concurrency, ctx.deadline(240_000),
          i -> clients.cycle(i, ctx.nodes.get(i % ctx.nodes.size()), "bench." + ctx.runId + ".c" + (i % channels)));
      ctx.log("%d cycles done in %d ms (%d failed%s)", cycles.opened(), cycles.millis(), cycles.failed(),
          cycles.firstError() == null ? "" : ": " + cycles.firstError());
    }
    Integer left = awaitNoConnections(ctx);
    ServerProbe.Memory after = ctx.probe.memory(ctx.nodes);

    Report r = new Report()
        .put("scenario", a.scenario)
        .put("nodes", ctx.nodes.size())
        .put("subscribers", null)
        .put("messages", 0)
        .put("deliveries_per_s", null)
        .put("loss", null);
    FanoutScenario.putLatency(r, "latency", Stats.of(new long[0]));
    return r.put("connect_rate", cycles.perSecond())
        .put("rss_per_connection_kb", null)
        .put("heap_per_connection_kb", null)
        .put("server_cpu_us_per_delivery", null)
        .put("cycles", cycles.opened())
        .put("cycle_failures", cycles.failed())
        .put("concurrency", a.concurrency)
        .put("channels", channels)
        .put("server_connections_after", left)
        .put("heap_before_kb", before.heapUsedKb())
        .put("heap_after_kb", after.heapUsedKb())
        .put("heap_growth_per_cycle_b", before.heapUsedKb() == null || after.heapUsedKb() == null ? null
            : Report.ratio((after.heapUsedKb() - before.heapUsedKb()) * 1024, cycles.opened()))
        .put("rss_before_kb", before.rssKb())
        .put("rss_after_kb", after.rssKb())
        .note("connect_rate", "full cycles (connect, subscribe, subscribed, close) per second")
        .note("method", "after GC (jcmd GC.run): heap used from GC.heap_info, VmRSS from /proc");
  }

  /** Connections the cluster still counts, once they are 0 or after 10 s (its view lags up to 2 s). */
  private static Integer awaitNoConnections(BenchContext ctx) throws InterruptedException {
    long end = ctx.deadline(10_000);
    Integer n = ctx.serverConnections();
    while (n != null && n > 0 && System.currentTimeMillis() < end) {
      BenchContext.sleep(250);
      n = ctx.serverConnections();
    }
    return n;
  }
}
