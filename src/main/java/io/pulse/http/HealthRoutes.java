package io.pulse.http;

import io.pulse.conn.NodeState;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * For load balancers and orchestrators (SPEC §5): {@code GET /health} 200 {@code {"status":"UP"}}
 * while the process runs; {@code GET /ready} 200 {@code {"status":"READY"}} once the node has
 * joined and deployed, 503 {@code STARTING} or {@code DRAINING} otherwise.
 */
final class HealthRoutes {

  private final NodeState node;

  HealthRoutes(NodeState node) {
    this.node = node;
  }

  void mount(Router router) {
    router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
    router.get("/ready").handler(this::ready);
  }

  private void ready(RoutingContext ctx) {
    boolean ready = node.ready();
    ctx.response().setStatusCode(ready ? 200 : 503);
    ctx.json(new JsonObject().put("status", ready ? "READY" : node.draining() ? "DRAINING" : "STARTING"));
  }
}
