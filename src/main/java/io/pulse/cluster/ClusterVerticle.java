package io.pulse.cluster;

import io.pulse.messages.Addresses;
import io.pulse.metrics.PulseMetrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is in the cluster and how many clients each node holds ({@code /api/cluster}, SPEC §5, §11).
 *
 * <p>Every second it publishes this node's info on {@link Addresses#NODE_STATS} (clustered) and on
 * the {@code cluster.stats} channel (through {@link Addresses#PUBLISH}); it keeps the latest info of
 * every node, dropping a node when it leaves the Hazelcast cluster, says goodbye, or has been silent
 * for {@link #STALE_MS}. It hears the local transports on {@link Addresses#NODE_CONNECTIONS} and
 * answers {@link Addresses#CLUSTER_VIEW} locally.
 */
public final class ClusterVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterVerticle.class);
  static final long STALE_MS = 5000;
  private static final long LAG_PROBE_MS = 100;

  private final Membership membership;
  private final PulseMetrics metrics;
  private final JsonObject self;
  private final Map<String, JsonObject> nodes = new LinkedHashMap<>();
  private final Map<String, Long> seen = new LinkedHashMap<>();
  /** Per transport, the last report of each of its verticle instances (part → counts). */
  private final Map<String, Map<Integer, JsonObject>> local = new LinkedHashMap<>();
  private Runnable stopListening = () -> { };

  /** {@code self}: id, name, httpPort, wsPort, startedAt of this node. */
  public ClusterVerticle(Membership membership, PulseMetrics metrics, JsonObject self) {
    this.membership = membership;
    this.metrics = metrics;
    this.self = self.copy();
  }

  @Override
  public Future<?> start() {
    local.put(PulseMetrics.WS, new HashMap<>());
    local.put(PulseMetrics.SSE, new HashMap<>());
    vertx.eventBus().<JsonObject>localConsumer(Addresses.NODE_CONNECTIONS, m -> {
      Map<Integer, JsonObject> parts = local.get(m.body().getString("transport"));
      if (parts != null) {
        parts.put(m.body().getInteger("part", 0), m.body());
        announce();
      }
    });
    vertx.eventBus().localConsumer(Addresses.CLUSTER_VIEW, m -> m.reply(view()));
    vertx.setPeriodic(1000, t -> tick());
    watchEventLoop();
    stopListening = membership.onChange(() -> context.runOnContext(v -> dropDeparted()));
    return vertx.eventBus().<JsonObject>consumer(Addresses.NODE_STATS, m -> onStats(m.body())).completion()
        .onSuccess(v -> announce());
  }

  @Override
  public Future<?> stop() {
    stopListening.run();
    vertx.eventBus().publish(Addresses.NODE_STATS, new JsonObject().put("id", self.getString("id")).put("left", true));
    return Future.succeededFuture();
  }

  /** Timer drift on this verticle's event loop: how late a 100 ms timer fires, max per second. */
  private void watchEventLoop() {
    long[] state = {System.nanoTime(), 0, System.nanoTime()}; // {expected fire, max lag, window start}
    vertx.setPeriodic(LAG_PROBE_MS, t -> {
      long now = System.nanoTime();
      state[1] = Math.max(state[1], Math.max(0, now - state[0] - LAG_PROBE_MS * 1_000_000L));
      state[0] = now;
      if (now - state[2] >= 1_000_000_000L) {
        metrics.eventLoopLag(state[1]);
        state[1] = 0;
        state[2] = now;
      }
    });
  }

  private void onStats(JsonObject info) {
    String id = info.getString("id");
    if (id == null || id.equals(self.getString("id"))) {
      return;
    }
    if (info.getBoolean("left", false)) {
      if (nodes.remove(id) != null) {
        LOG.info("node {} left the cluster", id);
      }
      seen.remove(id);
    } else if (membership.memberIds().contains(id)) {
      // Only members count: a node cut off from Hazelcast may still reach us over the event bus.
      if (nodes.put(id, info) == null) {
        LOG.info("node {} ({}) joined the cluster", info.getString("name"), id);
      }
      seen.put(id, System.currentTimeMillis());
    }
    metrics.clusterNodes(nodes.size() + 1);
  }

  private void tick() {
    long now = System.currentTimeMillis();
    Iterator<Map.Entry<String, Long>> it = seen.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Long> e = it.next();
      if (now - e.getValue() > STALE_MS) {
        it.remove();
        nodes.remove(e.getKey());
      }
    }
    announce();
    vertx.eventBus().send(Addresses.PUBLISH,
        new JsonObject().put("channel", "cluster.stats").put("event", "stats").put("data", selfInfo()), Addresses.LOCAL);
  }

  private void announce() {
    vertx.eventBus().publish(Addresses.NODE_STATS, selfInfo());
    metrics.clusterNodes(nodes.size() + 1);
  }

  private void dropDeparted() {
    Set<String> members = membership.memberIds();
    nodes.keySet().removeIf(id -> {
      boolean gone = !members.contains(id);
      if (gone) {
        LOG.info("node {} is no longer a cluster member", id);
        seen.remove(id);
      }
      return gone;
    });
    metrics.clusterNodes(nodes.size() + 1);
  }

  private JsonObject selfInfo() {
    return self.copy()
        .put("connections", new JsonObject()
            .put("ws", localSum(PulseMetrics.WS, "connections")).put("sse", localSum(PulseMetrics.SSE, "connections")))
        .put("subscriptions", localSum(PulseMetrics.WS, "subscriptions") + localSum(PulseMetrics.SSE, "subscriptions"))
        .put("stats", stats());
  }

  /** A count of one transport on this node: the sum over its verticle instances. */
  private int localSum(String transport, String count) {
    return local.get(transport).values().stream().mapToInt(r -> r.getInteger(count, 0)).sum();
  }

  /** Counters since start and current gauges of this node, for cluster.stats and /api/cluster. */
  private JsonObject stats() {
    Runtime rt = Runtime.getRuntime();
    return new JsonObject()
        .put("published", (long) metrics.total("pulse.messages.published"))
        .put("delivered", (long) metrics.total("pulse.messages.delivered"))
        .put("dropped", (long) metrics.total("pulse.messages.dropped"))
        .put("refused", (long) metrics.total("pulse.refused"))
        .put("eventLoopLagMs", metrics.eventLoopLagNanos() / 1_000_000.0)
        .put("heapUsedBytes", rt.totalMemory() - rt.freeMemory())
        .put("heapMaxBytes", rt.maxMemory());
  }

  private JsonObject view() {
    JsonArray list = new JsonArray().add(selfInfo());
    nodes.values().forEach(list::add);
    int ws = 0;
    int sse = 0;
    for (Object o : list) {
      JsonObject c = ((JsonObject) o).getJsonObject("connections", new JsonObject());
      ws += c.getInteger("ws", 0);
      sse += c.getInteger("sse", 0);
    }
    return new JsonObject().put("nodes", list).put("totals", new JsonObject()
        .put("nodes", list.size())
        .put("connections", new JsonObject().put("ws", ws).put("sse", sse)));
  }
}
