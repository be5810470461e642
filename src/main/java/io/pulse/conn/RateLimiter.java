package io.pulse.conn;

/**
 * A token bucket: {@code perSecond} tokens a second, at most {@code burst} saved. Also counts
 * consecutive refusals, so that persistent abuse can be told from a short burst.
 * Not thread-safe: one per connection, on its event loop.
 */
public final class RateLimiter {

  private final double perNano;
  private final double burst;
  private double tokens;
  private long last;
  private int refusedInARow;

  public RateLimiter(int perSecond, int burst, long nowNanos) {
    this.perNano = perSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.last = nowNanos;
  }

  /** Takes a token if there is one. */
  public boolean tryAcquire(long nowNanos) {
    tokens = Math.min(burst, tokens + (nowNanos - last) * perNano);
    last = nowNanos;
    if (tokens >= 1) {
      tokens -= 1;
      refusedInARow = 0;
      return true;
    }
    refusedInARow++;
    return false;
  }

  /** Refusals since the last accepted message. */
  public int refusedInARow() {
    return refusedInARow;
  }
}
