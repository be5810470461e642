package io.pulse.node;

import com.hazelcast.core.HazelcastInstance;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pulse.cluster.Membership;
import io.pulse.config.PulseConfig;
import io.pulse.conn.NodeState;
import io.pulse.metrics.PulseMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * The composition root of one Pulse node: a clustered Vert.x on Hazelcast ({@link ClusteredVertx}),
 * and its verticles (publish API, HTTP/SSE, WebSocket, cluster view, sensor simulator;
 * {@link NodeDeployment}); closed by {@link NodeShutdown}, watched by {@link MemberWatch}.
 * {@code Main} starts one; tests start several in one JVM.
 */
public final class PulseNode {

  private final PulseConfig cfg;
  private final Vertx vertx;
  private final String nodeId;
  private final PulseMetrics metrics;
  private final NodeDeployment deployment;
  private final NodeShutdown shutdown;
  private final MemberWatch watch;

  private PulseNode(PulseConfig cfg, Vertx vertx, HazelcastInstance hz, Membership membership,
      PrometheusMeterRegistry registry, String transportName) {
    this.cfg = cfg;
    this.vertx = vertx;
    this.nodeId = membership.localId();
    this.metrics = new PulseMetrics(registry);
    this.deployment = new NodeDeployment(cfg, vertx, nodeId, metrics, hz, membership, registry, transportName);
    this.shutdown = new NodeShutdown(cfg, vertx, deployment);
    this.watch = new MemberWatch(hz, membership, shutdown::started);
  }

  /**
   * A clustered Vert.x that joins the Pulse cluster of {@code cfg}, with nothing deployed: what
   * an application embedding its own verticles (publishers, say) needs.
   */
  public static Future<Vertx> clusteredVertx(PulseConfig cfg, PrometheusMeterRegistry metrics) {
    return ClusteredVertx.start(cfg, metrics, false);
  }

  /** The socket transport for {@code node.transport} (see {@link NodeTransport#of}). */
  public static Transport transport(String name) {
    return NodeTransport.of(name);
  }

  /** Joins the cluster, deploys every verticle, and completes once the node is ready. */
  public static Future<PulseNode> start(PulseConfig cfg) {
    PrometheusMeterRegistry registry = ClusteredVertx.newRegistry();
    boolean candidate = cfg.sensorsEnabled() && cfg.sensorsSingleton();
    HazelcastClusterManager manager = new HazelcastClusterManager(HazelcastConfigs.build(cfg, candidate));
    Transport transport = NodeTransport.of(cfg.nodeTransport());
    return ClusteredVertx.start(cfg, registry, manager, transport).compose(vertx -> {
      HazelcastInstance hz = manager.getHazelcastInstance(); // the member the cluster manager started
      PulseNode node = new PulseNode(cfg, vertx, hz, new Membership(hz), registry, NodeTransport.nameOf(vertx, transport));
      return node.deployment.deploy().map(node)
          .recover(err -> vertx.close().transform(v -> Future.failedFuture(err)));
    });
  }

  /** Drains (readiness off, streams ended), leaves the cluster and closes. */
  public Future<Void> close() {
    return shutdown.close();
  }

  /**
   * A guard that runs {@code onExpelled} when this process was frozen longer than the cluster's
   * heartbeat timeout ({@code hazelcast.max.no.heartbeat.seconds}) and the cluster dropped it.
   */
  public PauseGuard pauseGuard(Runnable onExpelled) {
    return watch.pauseGuard(onExpelled);
  }

  /**
   * Runs {@code onLost} once if this node's Hazelcast member stops other than through
   * {@link #close}: terminated by Hazelcast itself (its out-of-memory handler, a failed merge)
   * or by anything else in the process. The node is then out of the cluster for good: it can
   * neither assign ids nor reach the other nodes, so it should not go on serving as ready.
   * {@code onLost} runs on a thread of its own (not Hazelcast's, which is stopping the member).
   */
  public void onMemberLost(Runnable onLost) {
    watch.onMemberLost(onLost);
  }

  public Vertx vertx() {
    return vertx;
  }

  public String nodeId() {
    return nodeId;
  }

  public PulseConfig config() {
    return cfg;
  }

  public PulseMetrics metrics() {
    return metrics;
  }

  public int httpPort() {
    return NodeState.of(vertx).httpPort();
  }

  public int wsPort() {
    return NodeState.of(vertx).wsPort();
  }

  /** True while this node runs the sensor simulator. Read from tests; a snapshot. */
  public boolean runsSensors() {
    return deployment.runsSensors();
  }
}
