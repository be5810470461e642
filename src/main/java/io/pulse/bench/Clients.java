package io.pulse.bench;

import java.util.List;

/**
 * A set of subscriber connections of one transport, all on one channel, feeding one
 * {@link Deliveries}. Connections are spread over the given nodes in turn.
 */
interface Clients extends AutoCloseable {

  /** How opening went. */
  record Opened(int opened, int failed, long millis, String firstError) {

    /** Connections (opened and subscribed) per second. */
    double perSecond() {
      return millis == 0 ? opened : opened * 1000.0 / millis;
    }
  }

  /**
   * Opens {@code count} connections, at most {@code concurrency} at a time, each subscribed to
   * {@code channel} before it counts as opened; gives up on what is not done by {@code deadline}
   * (epoch ms).
   */
  Opened open(List<Node> nodes, int count, String channel, int concurrency, long deadline) throws InterruptedException;

  /** Connections that the server closed or that failed after they were opened. */
  int dropped();

  /** A short account of why connections were dropped (close codes), empty if none. */
  String dropReasons();

  /** Closes every connection (bounded in time). */
  @Override
  void close();
}
