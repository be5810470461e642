package io.pulse.conn;

/**
 * What the connection core asks of a transport (SSE, WebSocket, bridge) besides writing
 * deliveries, which goes through its {@link io.pulse.hub.Session} (write one, full?, drained):
 * to end the connection. A transport only parses and frames; what a connection may do, and when
 * it ends, is decided by its {@link Connection}.
 */
@FunctionalInterface
public interface Transport {

  /**
   * Ends the connection for {@code why}, in the transport's own way: a close frame with
   * {@link Disconnect#code()}, or the end of a stream. The core has already let go of the
   * connection (subscriptions, timers, its slot, the metrics).
   */
  void close(Disconnect why);
}
