package io.pulse.http;

import io.pulse.conn.Connections;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * {@code POST /api/publish} {@code {"channel","event","data"}} (SPEC §5): 202 {@code {"id"}} once
 * the message is in the history and on the bus. A body over {@code limits.maxMessageBytes}: 413.
 * The connection core checks the token's publish right and sets {@code from} to its subject,
 * whatever the body says; its refusals are answered as they are (400, 401, 403, 503).
 */
final class PublishApi {

  private final Connections connections;
  private final ApiGuard guard;

  PublishApi(Connections connections, ApiGuard guard) {
    this.connections = connections;
    this.guard = guard;
  }

  void mount(Router router) {
    router.post("/api/publish")
        .handler(BodyHandler.create(false).setBodyLimit(connections.config().maxMessageBytes()))
        .handler(this::publish);
  }

  private void publish(RoutingContext ctx) {
    JsonObject body = ApiGuard.jsonBody(ctx);
    if (body == null) {
      guard.badRequest(ctx, "body must be a JSON object {channel, event, data}");
      return;
    }
    guard.authenticated(ctx, id -> connections.publish(id, body)
        .onSuccess(messageId -> ctx.response().setStatusCode(202)
            .putHeader("Content-Type", "application/json; charset=utf-8")
            .end(new JsonObject().put("id", messageId).encode()))
        .onFailure(err -> HttpErrors.send(ctx, err)));
  }
}
