package io.pulse.config;

import io.pulse.hub.SlowPolicies;
import io.pulse.hub.SlowPolicy;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.regex.Pattern;

/** The checks of a configuration that span several keys; each failure names the key to fix. */
final class ConfigChecks {

  /** An event-bus address a page may use, or a prefix pattern {@code a.b.*}. */
  private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*(\\.\\*)?");

  private ConfigChecks() {
  }

  /** The checks that span several keys. */
  static void check(PulseConfig c) {
    if (!c.wsPath().startsWith("/") || c.wsPath().contains("?")) {
      throw new ConfigException("config key 'ws.path' must start with '/' and hold no query, got '" + c.wsPath() + "'");
    }
    if (c.clusterMembers().isEmpty()) {
      throw new ConfigException("config key 'cluster.members' must list at least one member");
    }
    if (c.clusterName().isBlank()) {
      throw new ConfigException("config key 'cluster.name' must not be empty");
    }
    if (c.inboundBurst() < c.inboundPerSecond()) {
      throw new ConfigException("config key 'limits.inboundBurst' must be at least limits.inboundPerSecond ("
          + c.inboundPerSecond() + "), got " + c.inboundBurst());
    }
    if (c.wsPingSeconds() >= c.wsIdleTimeoutSeconds()) {
      throw new ConfigException("config key 'ws.pingSeconds' must be below ws.idleTimeoutSeconds ("
          + c.wsIdleTimeoutSeconds() + "), got " + c.wsPingSeconds());
    }
    if (c.sseKeepAliveSeconds() >= c.httpIdleTimeoutSeconds()) {
      throw new ConfigException("config key 'http.idleTimeoutSeconds' must be above sse.keepAliveSeconds ("
          + c.sseKeepAliveSeconds() + "), got " + c.httpIdleTimeoutSeconds());
    }
    String key = c.jwtKey();
    boolean pem = key.contains("-----BEGIN");
    if ("jwt".equals(c.authMode()) && key.isBlank()) {
      throw new ConfigException("config key 'auth.jwt.key' is required when auth.mode is jwt (or set PULSE_AUTH_JWT_KEY)");
    }
    if (!key.isBlank() && "HS256".equals(c.jwtAlgorithm()) && pem) {
      throw new ConfigException("config key 'auth.jwt.key' looks like a PEM key but auth.jwt.algorithm is HS256"
          + " (set RS256 or ES256)");
    }
    if (!key.isBlank() && "HS256".equals(c.jwtAlgorithm()) && key.length() < 32) {
      throw new ConfigException("config key 'auth.jwt.key' must be at least 32 characters for HS256");
    }
    if ("jwt".equals(c.authMode()) && !"HS256".equals(c.jwtAlgorithm()) && !pem) {
      throw new ConfigException("config key 'auth.jwt.key' must be a PEM public key for " + c.jwtAlgorithm());
    }
    for (String key2 : List.of("bridge.inbound", "bridge.outbound")) {
      for (String a : c.l(key2)) {
        checkAddress(key2, a, true);
      }
    }
    if (!c.moderationAddress().isEmpty()) {
      checkAddress("chat.moderation.address", c.moderationAddress(), false);
    }
    if (!c.apiKey().isEmpty() && c.apiKey().length() < 16) {
      throw new ConfigException("config key 'auth.apiKey' must be at least 16 characters (or empty: no HTTP revocation)");
    }
  }

  /** Pulse's own addresses ({@code pulse.*}) stay off the bridge: they would bypass rights and limits. */
  private static void checkAddress(String key, String address, boolean patternAllowed) {
    if (!ADDRESS.matcher(address).matches() || (!patternAllowed && address.endsWith(".*"))) {
      throw new ConfigException("config key '" + key + "' has an invalid address '" + address
          + "' (dot-separated segments of [A-Za-z0-9_-]" + (patternAllowed ? ", optionally ending in .*)" : ")"));
    }
    if (address.equals("pulse") || address.startsWith("pulse.")) {
      throw new ConfigException("config key '" + key + "' must not name Pulse's own addresses (pulse.*), got '"
          + address + "'; channels are reached as pulse.ch.<channel> under the token's rights");
    }
  }

  /** The slow-consumer policies of {@code limits.slowConsumer}, {@code …Allowed} and {@code …Channels}. */
  static SlowPolicies slowPolicies(String defaultPolicy, List<String> allowed, JsonObject channels) {
    for (String p : allowed) {
      if (SlowPolicy.of(p) == null) {
        throw new ConfigException("config key 'limits.slowConsumerAllowed' must list only " + SlowPolicy.names()
            + ", got '" + p + "'");
      }
    }
    try {
      return SlowPolicies.parse(defaultPolicy, allowed, channels);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("config key 'limits.slowConsumerChannels' " + e.getMessage());
    }
  }
}
