package io.pulse.auth;

import io.pulse.messages.Addresses;
import io.pulse.metrics.PulseMetrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Token revocation. Consumes {@link Addresses#REVOKE} requests {@code {"sub"}} from any verticle
 * in the cluster: records the revocation ({@link Revocations}), so the subject's tokens issued
 * until now are refused everywhere, and announces it on {@link Addresses#REVOKED}. On every node,
 * an announcement is written into the node's own copy of the revocations first (so that a client
 * reconnecting right away is refused there too), then handed to the transports
 * ({@link Addresses#REVOKED_LOCAL}), which close the subject's connections: WebSocket 1008
 * {@code token revoked}, SSE streams ended.
 */
public final class RevokeVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(RevokeVerticle.class);
  private static final int MAX_SUBJECT = 256;

  private final Revocations revocations;
  private final PulseMetrics metrics;

  public RevokeVerticle(Revocations revocations, PulseMetrics metrics) {
    this.revocations = revocations;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    return bus.consumer(Addresses.REVOKE, this::revoke).completion()
        .compose(v -> bus.<JsonObject>consumer(Addresses.REVOKED, this::announced).completion());
  }

  private void revoke(Message<Object> msg) {
    if (!(msg.body() instanceof JsonObject body) || !(body.getValue("sub") instanceof String sub)
        || sub.isBlank() || sub.length() > MAX_SUBJECT) {
      metrics.refused("bad_request");
      msg.fail(400, "body must be {\"sub\": <a token subject, at most " + MAX_SUBJECT + " characters>}");
      return;
    }
    long at = System.currentTimeMillis();
    store(sub, at).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("could not record a revocation: {}", ar.cause().toString());
        msg.fail(503, "revocation not recorded, try again");
        return;
      }
      JsonObject revoked = new JsonObject().put("sub", sub).put("revokedAt", at);
      vertx.eventBus().publish(Addresses.REVOKED, revoked);
      LOG.info("tokens revoked for a subject (issued until {})", at);
      msg.reply(revoked);
    });
  }

  private void announced(Message<JsonObject> msg) {
    String sub = msg.body().getString("sub");
    long at = msg.body().getLong("revokedAt");
    store(sub, at).onComplete(ar -> vertx.eventBus().publish(Addresses.REVOKED_LOCAL, msg.body(), Addresses.LOCAL));
  }

  private Future<Void> store(String sub, long at) {
    return vertx.executeBlocking(() -> {
      revocations.revoke(sub, at);
      return null;
    }, false);
  }
}
