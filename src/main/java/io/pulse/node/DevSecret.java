package io.pulse.node;

import com.hazelcast.core.HazelcastInstance;
import io.pulse.config.PulseConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * The secret that signs dev-mode tokens: one per cluster (the first node's random value, kept in
 * the map {@code pulse.auth}), so a token minted on any node is accepted on every node.
 */
final class DevSecret {

  private DevSecret() {
  }

  /** The cluster's dev secret; empty in jwt mode or when {@code auth.jwt.key} is set (then unused). */
  static Future<String> of(Vertx vertx, HazelcastInstance hz, PulseConfig cfg) {
    if (!"dev".equals(cfg.authMode()) || !cfg.jwtKey().isEmpty()) {
      return Future.succeededFuture("");
    }
    return vertx.executeBlocking(() -> {
      byte[] random = new byte[32];
      new java.security.SecureRandom().nextBytes(random);
      String mine = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(random);
      String existing = hz.<String, String>getMap("pulse.auth").putIfAbsent("dev-secret", mine);
      return existing != null ? existing : mine;
    }, false);
  }
}
