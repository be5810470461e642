package io.pulse.history;

import java.security.SecureRandom;
import java.util.function.LongSupplier;

/**
 * Ids for messages that could not be written to the history because this node's side of a split
 * is below {@code cluster.quorum} (docs: partitions.md). They are delivered live on that side
 * only, and a resume with one of them is answered with a {@code reset}: no history holds them.
 *
 * <p>A detached id is {@link #BASE} + (epoch milliseconds × 256 + a per-node salt): far above any
 * id a history assigns, so a stream that carried history ids goes on forward, never repeating one;
 * increasing on each node; and two nodes of the same side give different ids unless their random
 * salts collide (1 in 256). Thread-safe.
 */
public final class DetachedIds {

  /** The smallest detached id: 10^18. A history would need 30 years at 10^9 messages a second to reach it. */
  public static final long BASE = 1_000_000_000_000_000_000L;

  private final int salt;
  private final LongSupplier clock;
  private long last;

  public DetachedIds() {
    this(new SecureRandom().nextInt(256), System::currentTimeMillis);
  }

  DetachedIds(int salt, LongSupplier clock) {
    this.salt = salt & 0xff;
    this.clock = clock;
  }

  /** The next detached id: greater than every one before it from this instance. */
  public synchronized long next() {
    long now = BASE + clock.getAsLong() * 256 + salt;
    last = Math.max(last + 256, now);
    return last;
  }

  /** True for a detached id. */
  public static boolean is(long seq) {
    return seq >= BASE;
  }
}
