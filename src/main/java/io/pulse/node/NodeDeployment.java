package io.pulse.node;

import com.hazelcast.core.HazelcastInstance;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pulse.auth.Auth;
import io.pulse.auth.RevokeVerticle;
import io.pulse.auth.Revocations;
import io.pulse.chat.Presence;
import io.pulse.cluster.ClusterVerticle;
import io.pulse.cluster.Membership;
import io.pulse.config.PulseConfig;
import io.pulse.conn.NodeState;
import io.pulse.history.History;
import io.pulse.history.HistoryJanitorVerticle;
import io.pulse.http.HttpSseVerticle;
import io.pulse.metrics.PulseMetrics;
import io.pulse.publish.PublishVerticle;
import io.pulse.sensor.SensorSimulatorVerticle;
import io.pulse.ws.WsVerticle;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deploys a node's verticles in order on its clustered Vert.x, then marks the node ready: the
 * shared Hazelcast objects (history, revocations, the dev secret), the publish API, revocation,
 * the history janitor, HTTP/SSE, WebSocket, the cluster view, and the sensor simulator. Keeps the
 * deployments that {@link NodeShutdown} undeploys first.
 */
final class NodeDeployment {

  /** PulseNode's logger: the node's lifecycle lines keep one logger name. */
  private static final Logger LOG = LoggerFactory.getLogger(PulseNode.class);

  private final PulseConfig cfg;
  private final Vertx vertx;
  private final String nodeId;
  private final PulseMetrics metrics;
  private final HazelcastInstance hz;
  private final Membership membership;
  private final PrometheusMeterRegistry registry;
  private final String transportName; // the socket transport in use, for the ready line
  private String wsDeployment;
  private String httpDeployment;
  private SensorSimulatorVerticle sensors;

  NodeDeployment(PulseConfig cfg, Vertx vertx, String nodeId, PulseMetrics metrics, HazelcastInstance hz,
      Membership membership, PrometheusMeterRegistry registry, String transportName) {
    this.transportName = transportName;
    this.cfg = cfg;
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.metrics = metrics;
    this.hz = hz;
    this.membership = membership;
    this.registry = registry;
  }

  /** Deploys everything in order; completes once the node is ready. */
  Future<Void> deploy() {
    NodeState state = NodeState.of(vertx);
    state.maxConnections(cfg.maxConnections());
    Presence presence = new Presence(vertx, hz, membership);
    long startedAt = System.currentTimeMillis();
    // The shared Hazelcast objects first (creating their proxies may block), then the verticles.
    return vertx.executeBlocking(() -> new History(vertx, hz, cfg.historySize(), cfg.historyRetireCheckSeconds()), false)
        .compose(history -> vertx.executeBlocking(() -> new Revocations(hz, cfg.revokeSeconds()), false)
            .compose(revocations -> DevSecret.of(vertx, hz, cfg)
                .map(secret -> Auth.create(vertx, cfg, secret, revocations))
                .compose(auth -> deployTransports(auth, history, revocations, presence))))
        .compose(id -> vertx.deployVerticle(new ClusterVerticle(membership, metrics, new JsonObject()
            .put("id", nodeId).put("name", cfg.nodeName())
            .put("httpPort", state.httpPort()).put("wsPort", state.wsPort()).put("startedAt", startedAt))))
        .compose(id -> {
          if (!cfg.sensorsEnabled()) {
            return Future.succeededFuture(id);
          }
          sensors = new SensorSimulatorVerticle(membership, cfg.sensorsSingleton(), cfg.sensorsCount(),
              cfg.sensorsIntervalMs(), cfg.nodeName());
          return vertx.deployVerticle(sensors);
        })
        .map(id -> {
          ready(state);
          return null;
        });
  }

  /** The WebSocket deployment, or null before it (or when deploying failed). */
  String wsDeployment() {
    return wsDeployment;
  }

  /** The HTTP/SSE deployment, or null before it (or when deploying failed). */
  String httpDeployment() {
    return httpDeployment;
  }

  /** True while this node runs the sensor simulator; a snapshot. */
  boolean runsSensors() {
    return sensors != null && sensors.running();
  }

  /** The publish API, revocation, the history janitor, then the transports. */
  private Future<String> deployTransports(Auth auth, History history, Revocations revocations, Presence presence) {
    Supplier<Deployable> http = HttpSseVerticle.instances(vertx, cfg, auth, history, presence, metrics, registry);
    Supplier<Deployable> ws = WsVerticle.instances(vertx, cfg, auth, history, presence, membership, metrics, nodeId);
    return vertx.deployVerticle(new PublishVerticle(history, metrics, cfg.maxMessageBytes()))
        .compose(id -> vertx.deployVerticle(new RevokeVerticle(revocations, metrics)))
        .compose(id -> vertx.deployVerticle(new HistoryJanitorVerticle(history, metrics, cfg.historyRetireCheckSeconds())))
        .compose(id -> vertx.deployVerticle(http, new DeploymentOptions().setInstances(cfg.httpInstances())))
        .onSuccess(id -> httpDeployment = id)
        .compose(id -> vertx.deployVerticle(ws, new DeploymentOptions().setInstances(cfg.wsInstances())))
        .onSuccess(id -> wsDeployment = id);
  }

  /** After the last deployment: the merge hook, readiness on, one log line. */
  private void ready(NodeState state) {
    membership.onMerged(() -> {
      LOG.warn("this node merged back into the cluster after a split brain (it was on the smaller side);"
          + " ending its client connections so that they resume against the merged history");
      vertx.eventBus().publish(io.pulse.messages.Addresses.REJOINED_LOCAL, null, io.pulse.messages.Addresses.LOCAL);
    });
    state.markReady();
    LOG.info("Pulse node '{}' ready: http {}:{} ({} instance(s)), ws {}:{}{} ({} instance(s)), cluster '{}' as {}"
        + " with {} member(s) {}, auth {}, transport {}",
        cfg.nodeName(), cfg.httpHost(), state.httpPort(), cfg.httpInstances(), cfg.wsHost(), state.wsPort(), cfg.wsPath(),
        cfg.wsInstances(), cfg.clusterName(), nodeId,
        membership.memberIds().size(), cfg.clusterMembers(), cfg.authMode(),
        transportName);
    if ("dev".equals(cfg.authMode())) {
      LOG.warn("auth.mode is 'dev': anyone may subscribe and publish to any channel. Use jwt in production.");
    }
  }
}
