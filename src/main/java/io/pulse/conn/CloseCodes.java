package io.pulse.conn;

/** WebSocket close codes Pulse uses (SPEC §4). */
public final class CloseCodes {
  public static final short NORMAL = 1000;
  public static final short GOING_AWAY = 1001; // node shutting down
  public static final short UNSUPPORTED_DATA = 1003; // binary frame
  public static final short INVALID_PAYLOAD = 1007; // invalid UTF-8
  public static final short POLICY = 1008; // repeated abuse, token revoked
  public static final short TOO_BIG = 1009; // over limits.maxMessageBytes
  public static final short INTERNAL = 1011;
  public static final short REJOINED = 1012; // service restart: the node merged back after a split, reconnect

  public static final short SLOW_CONSUMER = 4001;
  public static final short TOKEN_EXPIRED = 4002;

  private CloseCodes() {
  }
}
