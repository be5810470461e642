package io.pulse.http;

import io.pulse.auth.Auth;
import io.pulse.config.PulseConfig;
import io.pulse.messages.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Tokens over HTTP (SPEC §5, §8; bodies up to 4 kB):
 * <ul>
 *   <li>{@code POST /api/token} {@code {"name":"ann"}}: 200 {@code {"token"}}, a signed token to try
 *   the token flows; only in {@code auth.mode} {@code dev}, else 404.</li>
 *   <li>{@code POST /api/revoke} {@code {"sub"}}: revokes a subject's tokens cluster-wide
 *   (security.md, "Revoking tokens") by requesting {@link Addresses#REVOKE}, for backends that
 *   are not on the event bus. Needs the header {@code X-API-Key: <auth.apiKey>} (else 401);
 *   without a configured key the endpoint does not exist (404), except in dev mode, where anyone
 *   may call it.</li>
 * </ul>
 */
final class TokenApi {

  private static final int MAX_BODY_BYTES = 4096;

  private final Vertx vertx;
  private final PulseConfig cfg;
  private final Auth auth;
  private final ApiGuard guard;

  TokenApi(Vertx vertx, PulseConfig cfg, Auth auth, ApiGuard guard) {
    this.vertx = vertx;
    this.cfg = cfg;
    this.auth = auth;
    this.guard = guard;
  }

  void mount(Router router) {
    router.post("/api/token").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES)).handler(this::token);
    router.post("/api/revoke").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES)).handler(this::revoke);
  }

  private void token(RoutingContext ctx) {
    if (!auth.devMode()) {
      HttpErrors.send(ctx, 404, "tokens are minted only in auth.mode dev; in jwt mode they come from your identity provider");
      return;
    }
    JsonObject body = ApiGuard.jsonBody(ctx);
    Object name = body == null ? null : body.getValue("name");
    if (!(name instanceof String n) || n.isBlank() || n.length() > 64) {
      guard.badRequest(ctx, "body must be {\"name\": a string of 1-64 characters}");
      return;
    }
    ctx.json(new JsonObject().put("token", auth.mint(n.trim())));
  }

  private void revoke(RoutingContext ctx) {
    String apiKey = cfg.apiKey();
    if (apiKey.isEmpty() && !auth.devMode()) {
      HttpErrors.send(ctx, 404, "revocation over HTTP needs auth.apiKey (or use the event-bus address pulse.revoke)");
      return;
    }
    if (!apiKey.isEmpty() && !constantTimeEquals(apiKey, ctx.request().getHeader("X-API-Key"))) {
      guard.deny(ctx, 401, "the X-API-Key header must carry auth.apiKey");
      return;
    }
    JsonObject body = ApiGuard.jsonBody(ctx);
    if (body == null) {
      guard.badRequest(ctx, "body must be {\"sub\": <a token subject>}");
      return;
    }
    vertx.eventBus().<JsonObject>request(Addresses.REVOKE, new JsonObject().put("sub", body.getValue("sub")),
            Addresses.LOCAL)
        .onSuccess(reply -> ctx.json(reply.body()))
        .onFailure(err -> HttpErrors.send(ctx,
            err instanceof ReplyException re && re.failureCode() == 400 ? 400 : 503, err.getMessage()));
  }

  private static boolean constantTimeEquals(String expected, String given) {
    return given != null
        && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
  }
}
