package io.pulse.node;

import io.pulse.config.PulseConfig;
import io.pulse.conn.NodeState;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Drains a node (readiness off, streams ended), leaves the cluster and closes its Vert.x. */
final class NodeShutdown {

  /** PulseNode's logger: the node's lifecycle lines keep one logger name. */
  private static final Logger LOG = LoggerFactory.getLogger(PulseNode.class);

  private final PulseConfig cfg;
  private final Vertx vertx;
  private final NodeDeployment deployment;
  private volatile boolean started;

  NodeShutdown(PulseConfig cfg, Vertx vertx, NodeDeployment deployment) {
    this.cfg = cfg;
    this.vertx = vertx;
    this.deployment = deployment;
  }

  /** True once {@link #close} was called: the node is leaving on purpose. */
  boolean started() {
    return started;
  }

  Future<Void> close() {
    started = true;
    NodeState.of(vertx).markDraining();
    LOG.info("Pulse node '{}' shutting down", cfg.nodeName());
    // Transports first, while the publish API still runs: WebSocket clients get 1001 and their
    // rooms a leave, SSE streams end cleanly. Then the rest, and the cluster.
    Future<?> transports = undeploy(deployment.wsDeployment()).transform(ar -> undeploy(deployment.httpDeployment()));
    // Not chained with compose: a future bound to an event loop never completes once Vert.x has
    // closed its event loops; this promise belongs to no context.
    Promise<Void> closed = Promise.promise();
    transports.onComplete(ar -> vertx.close().onComplete(closed));
    return closed.future();
  }

  private Future<Void> undeploy(String deploymentId) {
    return deploymentId == null ? Future.succeededFuture() : vertx.undeploy(deploymentId);
  }
}
