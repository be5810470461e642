package io.pulse.conn;

/**
 * Why the server ends a connection, the same on every transport: the close code a WebSocket or
 * bridge client sees ({@link CloseCodes}), a short text for it, and the {@code reason} label of
 * {@code pulse_disconnects_total}. An SSE stream has no close code: it ends (or, for a slow
 * consumer, is reset) and the browser reconnects with its last id.
 */
public record Disconnect(short code, String message, String reason) {

  public static final Disconnect SHUTDOWN = new Disconnect(CloseCodes.GOING_AWAY, "node shutting down", "shutdown");
  public static final Disconnect REVOKED = new Disconnect(CloseCodes.POLICY, "token revoked", "revoked");
  public static final Disconnect ABUSE = new Disconnect(CloseCodes.POLICY, "rate limit exceeded repeatedly", "policy");
  public static final Disconnect SLOW_CONSUMER = new Disconnect(CloseCodes.SLOW_CONSUMER, "slow consumer", "slow_consumer");
  public static final Disconnect TOKEN_EXPIRED = new Disconnect(CloseCodes.TOKEN_EXPIRED, "token expired", "token_expired");
  public static final Disconnect REJOINED = new Disconnect(CloseCodes.REJOINED, "node rejoined the cluster, reconnect",
      "rejoined");
  public static final Disconnect IDLE = new Disconnect(CloseCodes.NORMAL, "idle timeout", "idle");
  public static final Disconnect INTERNAL = new Disconnect(CloseCodes.INTERNAL, "internal error", "internal");
}
