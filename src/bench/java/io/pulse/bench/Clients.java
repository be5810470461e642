package io.pulse.bench;

import io.vertx.core.Future;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A set of subscriber connections of one transport, all on one channel, feeding one
 * {@link Deliveries}. Connections are spread over the given nodes in turn. This class keeps what
 * both transports share: the account of connections lost during the run, and closing.
 */
abstract class Clients implements AutoCloseable {

  /** How opening went. */
  record Opened(int opened, int failed, long millis, String firstError) {

    /** Connections (opened and subscribed) per second. */
    double perSecond() {
      return millis == 0 ? opened : opened * 1000.0 / millis;
    }
  }

  private final Drops drops = new Drops();
  private volatile boolean closing;

  /**
   * Opens {@code count} connections, at most {@code concurrency} at a time, each subscribed to
   * {@code channel} before it counts as opened; gives up on what is not done by {@code deadline}
   * (epoch ms).
   */
  abstract Opened open(List<Node> nodes, int count, String channel, int concurrency, long deadline)
      throws InterruptedException;

  /** Closes every connection opened; completes when they are closed. */
  protected abstract Future<?> closeConnections();

  /** Closes the underlying Vert.x client. */
  protected abstract Future<Void> closeClient();

  /** A connection was lost ({@code why}: a close code, say), unless the bench is closing them. */
  protected final void lost(String why) {
    if (!closing) {
      drops.record(why);
    }
  }

  /** Connections that the server closed or that failed after they were opened. */
  final int dropped() {
    return drops.count();
  }

  /** A short account of why connections were dropped (close codes), empty if none. */
  final String dropReasons() {
    return drops.summary();
  }

  /** Closes every connection (bounded in time), then the client. */
  @Override
  public final void close() {
    closing = true;
    try {
      closeConnections().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      // some did not close in time: the client close below drops them
    }
    try {
      closeClient().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // best effort
    }
  }
}
