package io.pulse.testing;

import com.hazelcast.core.HazelcastInstance;
import io.pulse.config.PulseConfig;
import io.pulse.node.PulseNode;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** Real clustered Pulse nodes on loopback, in this JVM, in a cluster of their own. */
public final class TestNodes implements AutoCloseable {

  public final String clusterName = "test-" + UUID.randomUUID();
  private final List<PulseNode> nodes = new ArrayList<>();
  private final List<Vertx> plain = new ArrayList<>();

  /** The configuration of a test node: ephemeral ports, no simulator unless {@code extra} says so. */
  public PulseConfig config(String name, JsonObject extra) {
    JsonObject json = new JsonObject()
        .put("cluster.name", clusterName)
        .put("node.name", name)
        .put("http.port", 0)
        .put("ws.port", 0)
        .put("sensors.enabled", false)
        .put("shutdown.graceSeconds", 2);
    extra.forEach(e -> json.put(e.getKey(), e.getValue()));
    return PulseConfig.of(json);
  }

  public PulseNode start(String name) {
    return start(name, new JsonObject());
  }

  public PulseNode start(String name, JsonObject extra) {
    PulseNode node = await(PulseNode.start(config(name, extra)));
    nodes.add(node);
    return node;
  }

  /** A clustered Vert.x that joins the same cluster but runs no Pulse verticle (a user's node). */
  public Vertx startPlain(String name) {
    return startPlain(name, new JsonObject());
  }

  /** {@link #startPlain(String)} with settings that reach the member's Hazelcast config (history.*). */
  public Vertx startPlain(String name, JsonObject extra) {
    Vertx v = await(PulseNode.clusteredVertx(config(name, extra), null));
    plain.add(v);
    return v;
  }

  public void stop(PulseNode node) {
    if (nodes.remove(node)) {
      await(node.close());
    }
  }

  /** The Hazelcast member under a clustered Vert.x (a node's: {@code node.vertx()}). */
  public static HazelcastInstance hazelcast(Vertx vertx) {
    return ((HazelcastClusterManager) ((VertxInternal) vertx).clusterManager()).getHazelcastInstance();
  }

  /** Waits up to 60 s for {@code f}, failing the test otherwise. */
  public static <T> T await(io.vertx.core.Future<T> f) {
    try {
      return f.await(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("timed out", e);
    }
  }

  @Override
  public void close() {
    for (Vertx v : plain) {
      await(v.close());
    }
    for (PulseNode n : List.copyOf(nodes)) {
      stop(n);
    }
  }
}
