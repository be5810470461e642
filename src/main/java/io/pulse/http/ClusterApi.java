package io.pulse.http;

import io.pulse.auth.Auth;
import io.pulse.chat.Presence;
import io.pulse.config.PulseConfig;
import io.pulse.conn.NodeState;
import io.pulse.messages.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * What the cluster looks like, for the page and for operators (SPEC §5):
 * <ul>
 *   <li>{@code GET /api/cluster}: the view kept by this node's cluster verticle (requests
 *   {@link Addresses#CLUSTER_VIEW}); 503 when it does not answer.</li>
 *   <li>{@code GET /api/config}: what the page needs to connect, {@code {"wsUrl","authMode","historySize"}}.</li>
 *   <li>{@code GET /api/rooms/{room}/presence}: who is in a chat room, cluster-wide,
 *   {@code {"room","members":[{"name","connections"}]}}; needs the chat right; 503 when presence
 *   cannot be read.</li>
 * </ul>
 */
final class ClusterApi {

  private final Vertx vertx;
  private final PulseConfig cfg;
  private final NodeState node;
  private final Presence presence;
  private final Auth auth;
  private final ApiGuard guard;

  ClusterApi(Vertx vertx, PulseConfig cfg, Presence presence, Auth auth, ApiGuard guard) {
    this.vertx = vertx;
    this.cfg = cfg;
    this.node = NodeState.of(vertx);
    this.presence = presence;
    this.auth = auth;
    this.guard = guard;
  }

  void mount(Router router) {
    router.get("/api/cluster").handler(this::cluster);
    router.get("/api/config").handler(this::config);
    router.get("/api/rooms/:room/presence").handler(this::presence);
  }

  private void cluster(RoutingContext ctx) {
    vertx.eventBus().<JsonObject>request(Addresses.CLUSTER_VIEW, null, Addresses.LOCAL)
        .onSuccess(reply -> ctx.json(reply.body()))
        .onFailure(err -> HttpErrors.send(ctx, 503, "cluster view unavailable"));
  }

  private void config(RoutingContext ctx) {
    String host = ctx.request().authority() != null ? ctx.request().authority().host() : "localhost";
    if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    ctx.json(new JsonObject()
        .put("wsUrl", "ws://" + host + ":" + (node.wsPort() > 0 ? node.wsPort() : cfg.wsPort()) + cfg.wsPath())
        .put("authMode", cfg.authMode())
        .put("historySize", cfg.historySize()));
  }

  private void presence(RoutingContext ctx) {
    String room = ctx.pathParam("room");
    if (room == null || !room.matches("[A-Za-z0-9_-]{1,64}")) {
      guard.badRequest(ctx, "room must be 1-64 characters [A-Za-z0-9_-]");
      return;
    }
    guard.authorized(ctx, auth::chatRight, () -> presence.members(room)
        .onSuccess(members -> ctx.json(new JsonObject().put("room", room).put("members", members)))
        .onFailure(err -> HttpErrors.send(ctx, 503, "presence unavailable")));
  }
}
