package io.pulse.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code pulse_*} meters of SPEC §10, one set per node. Labels are low-cardinality only:
 * transport, reason — never a channel or a connection.
 */
public final class PulseMetrics {

  public static final String SSE = "sse";
  public static final String WS = "ws";
  /** The SockJS event-bus bridge on the HTTP port ({@code /eventbus}). */
  public static final String BRIDGE = "bridge";

  /**
   * Upper bounds of the delivery-latency histogram, in ms: fine between 10 and 100 ms, where
   * fan-out latency targets usually sit, so that a p99 read from the buckets means something.
   */
  static final List<Long> LATENCY_BUCKETS_MS =
      List.of(1L, 2L, 5L, 10L, 15L, 20L, 25L, 30L, 40L, 50L, 75L, 100L, 150L, 250L, 500L, 1000L, 5000L);

  private final MeterRegistry registry;
  private final Map<String, AtomicInteger> connections = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> subscriptions = new ConcurrentHashMap<>();
  private final AtomicInteger clusterNodes = new AtomicInteger();
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PulseMetrics.class);
  private final Map<String, long[]> logState = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong eventLoopLagNanos = new java.util.concurrent.atomic.AtomicLong();
  private final Counter published;
  private final Counter historyRetired;
  private final Counter detached;
  private final Map<String, Counter> delivered = new ConcurrentHashMap<>();
  private final Map<String, Counter> conflated = new ConcurrentHashMap<>();
  private final Map<String, Counter> flushes = new ConcurrentHashMap<>();
  private final Map<String, java.util.concurrent.atomic.AtomicLong[]> conflationHeld = new ConcurrentHashMap<>();
  private final Timer latency;
  private final Map<String, Counter> wsUpgrades = new ConcurrentHashMap<>();
  private final Counter sseDirect;
  private final Counter sseThroughVertx;

  /**
   * The values of {@code pulse_ws_upgrades_total{compression}}: permessage-deflate negotiated;
   * offered but declined (no offer had parameters Pulse can honour, e.g. {@code server_max_window_bits});
   * offered with {@code ws.compression} off; not offered.
   */
  public static final List<String> WS_COMPRESSION = List.of("deflate", "declined", "off", "none");

  public PulseMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (String t : new String[] {SSE, WS, BRIDGE}) {
      delivered.put(t, Counter.builder("pulse.messages.delivered").description("Messages written to client sockets")
          .tag("transport", t).register(registry));
      AtomicInteger c = new AtomicInteger();
      AtomicInteger s = new AtomicInteger();
      connections.put(t, c);
      subscriptions.put(t, s);
      Gauge.builder("pulse.connections", c, AtomicInteger::get).tag("transport", t)
          .description("Open client connections").register(registry);
      Gauge.builder("pulse.subscriptions", s, AtomicInteger::get).tag("transport", t)
          .description("Channel and pattern subscriptions held by open connections").register(registry);
      flushes.put(t, Counter.builder("pulse.delivery.flushes")
          .description("Flushes of delivered messages to client sockets: one per message written alone, one per"
              + " connection for the messages of one event-loop turn written together")
          .tag("transport", t).register(registry));
      conflated.put(t, Counter.builder("pulse.conflated")
          .description("Messages skipped for a slow client because a newer one of their channel replaced them (policy conflate)")
          .tag("transport", t).register(registry));
      java.util.concurrent.atomic.AtomicLong[] held = {new java.util.concurrent.atomic.AtomicLong(),
          new java.util.concurrent.atomic.AtomicLong()};
      conflationHeld.put(t, held);
      Gauge.builder("pulse.conflation.pending", held[0], java.util.concurrent.atomic.AtomicLong::get).tag("transport", t)
          .description("Messages waiting for slow clients under policy conflate (at most one per client and channel)")
          .register(registry);
      Gauge.builder("pulse.conflation.pending.bytes", held[1], java.util.concurrent.atomic.AtomicLong::get).tag("transport", t)
          .baseUnit("bytes").description("Envelope bytes waiting for slow clients under policy conflate")
          .register(registry);
    }
    Gauge.builder("pulse.cluster.nodes", clusterNodes, AtomicInteger::get)
        .description("Pulse nodes this node sees in the cluster").register(registry);
    Gauge.builder("pulse.event.loop.lag", eventLoopLagNanos, n -> n.get() / 1e9).baseUnit("seconds")
        .description("Largest event-loop delay in the last second (timer drift)").register(registry);
    published = Counter.builder("pulse.messages.published").description("Messages accepted for publishing")
        .register(registry);
    historyRetired = Counter.builder("pulse.history.retired")
        .description("Channels whose replay window this node retired (every message expired)").register(registry);
    detached = Counter.builder("pulse.messages.detached")
        .description("Messages published live only, with a detached id, because this side of a split was below"
            + " cluster.quorum").register(registry);
    for (String c : WS_COMPRESSION) {
      wsUpgrades.put(c, Counter.builder("pulse.ws.upgrades")
          .description("WebSocket upgrades accepted, by the compression they got (permessage-deflate)")
          .tag("compression", c).register(registry));
    }
    sseDirect = sseStreams(registry, "direct");
    sseThroughVertx = sseStreams(registry, "vertx");
    latency = Timer.builder("pulse.delivery.latency")
        .description("From publish to the write to a client socket")
        .serviceLevelObjectives(LATENCY_BUCKETS_MS.stream().map(Duration::ofMillis).toArray(Duration[]::new))
        .register(registry);
  }

  private static Counter sseStreams(MeterRegistry registry, String writes) {
    return Counter.builder("pulse.sse.streams")
        .description("SSE streams opened, by how their events are written: straight to Netty (direct),"
            + " or through Vert.x's response (vertx) when Vert.x's internals no longer give the connection's context")
        .tag("writes", writes).register(registry);
  }

  /** Meters that go nowhere, for unit tests. */
  public static PulseMetrics noop() {
    return new PulseMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() {
    return registry;
  }

  public AtomicInteger connections(String transport) {
    return connections.get(transport);
  }

  public AtomicInteger subscriptions(String transport) {
    return subscriptions.get(transport);
  }

  public void clusterNodes(int n) {
    clusterNodes.set(n);
  }

  public void published() {
    published.increment();
  }

  /** A message went out without a history id (this side of a split is below cluster.quorum). */
  public void detached() {
    detached.increment();
  }

  public void historyRetired(int channels) {
    historyRetired.increment(channels);
  }

  public void delivered(String transport, long publishTs) {
    delivered.get(transport).increment();
    long ms = System.currentTimeMillis() - publishTs;
    latency.record(Math.max(0, ms), TimeUnit.MILLISECONDS);
  }

  /** Messages that waited for a slow client under policy conflate, and their bytes, now. */
  public long[] conflationPending(String transport) {
    java.util.concurrent.atomic.AtomicLong[] held = conflationHeld.get(transport);
    return new long[] {held[0].get(), held[1].get()};
  }

  /** What one transport's connections deliver, drop and conflate, counted with its label. */
  public final class Deliveries {
    private final String transport;
    private final Counter delivered;
    private final Counter conflated;
    private final Counter flushes;
    private final java.util.concurrent.atomic.AtomicLong[] held;

    private Deliveries(String transport) {
      this.transport = transport;
      this.delivered = PulseMetrics.this.delivered.get(transport); // looked up once: used for every delivery
      this.conflated = PulseMetrics.this.conflated.get(transport);
      this.flushes = PulseMetrics.this.flushes.get(transport);
      this.held = conflationHeld.get(transport);
    }

    /** A message published at {@code publishTs} (epoch ms) was written to a client. */
    public void delivered(long publishTs) {
      delivered.increment();
      latency.record(Math.max(0, System.currentTimeMillis() - publishTs), TimeUnit.MILLISECONDS);
    }

    /** Written deliveries were flushed to a client socket (one, or a turn's several together). */
    public void flushed() {
      flushes.increment();
    }

    /** A message waiting for a slow client was replaced by a newer one of its channel. */
    public void conflated() {
      conflated.increment();
    }

    /** What is held for slow clients changed by {@code channels} entries and {@code bytes}. */
    public void held(int channels, long bytes) {
      held[0].addAndGet(channels);
      held[1].addAndGet(bytes);
    }

    public void dropped(String reason) {
      PulseMetrics.this.dropped(transport, reason);
    }
  }

  /** The delivery counters of {@code transport}. */
  public Deliveries deliveries(String transport) {
    return new Deliveries(transport);
  }

  /** A WebSocket upgrade was accepted; {@code compression} is one of {@link #WS_COMPRESSION}. */
  public void wsUpgraded(String compression) {
    wsUpgrades.get(compression).increment();
  }

  /** An SSE stream was opened; {@code direct}: its events are written straight to Netty. */
  public void sseStreamOpened(boolean direct) {
    (direct ? sseDirect : sseThroughVertx).increment();
  }

  public void dropped(String transport, String reason) {
    Counter.builder("pulse.messages.dropped").description("Messages not delivered to a client, by reason")
        .tags("transport", transport, "reason", reason).register(registry).increment();
  }

  public void disconnected(String transport, String reason) {
    Counter.builder("pulse.disconnects").description("Client connections closed, by reason")
        .tags("transport", transport, "reason", reason).register(registry).increment();
    if ("slow_consumer".equals(reason)) {
      throttledLog(transport + " client disconnected: slow consumer (limits.sendQueueBytes)", "slow:" + transport);
    }
  }

  /** Counts a refusal and logs it (at most one line per reason per second, with the count). */
  public void refused(String reason) {
    Counter.builder("pulse.refused").description("Requests and connections refused, by reason")
        .tag("reason", reason).register(registry).increment();
    throttledLog("refused a request: " + reason, "refused:" + reason);
  }

  /** The largest event-loop delay seen in the last second (see ClusterVerticle). */
  public void eventLoopLag(long nanos) {
    eventLoopLagNanos.set(nanos);
  }

  public long eventLoopLagNanos() {
    return eventLoopLagNanos.get();
  }

  private void throttledLog(String line, String key) {
    long now = System.currentTimeMillis();
    long[] state = logState.computeIfAbsent(key, k -> new long[2]); // {last logged, suppressed}
    synchronized (state) {
      if (now - state[0] >= 1000) {
        LOG.info(state[1] > 0 ? "{} (+{} more in the last second)" : "{}", line, state[1]);
        state[0] = now;
        state[1] = 0;
      } else {
        state[1]++;
      }
    }
  }

  /** The sum of a counter over all its label values. */
  public double total(String name) {
    return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
  }

  /** A counter's current value, for tests and the stats stream. */
  public double count(String name, String... tags) {
    Counter c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }
}
