package io.pulse.bench;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Latency samples in microseconds, recorded from any thread into one preallocated
 * {@code long[]}: no boxing, no histogram buckets, so percentiles are exact. Samples beyond the
 * capacity are counted but not kept (the capacity is the number of deliveries expected).
 */
public final class Samples {

  private final long[] values;
  private final AtomicInteger next = new AtomicInteger();

  public Samples(int capacity) {
    values = new long[capacity];
  }

  /** Records one sample. */
  public void add(long micros) {
    int i = next.getAndIncrement();
    if (i < values.length) {
      values[i] = micros;
    }
  }

  /** Samples recorded so far, including any beyond the capacity. */
  public int count() {
    return next.get();
  }

  /** Summary of what was kept; call once recording has stopped. */
  public Stats stats() {
    int n = Math.min(next.get(), values.length);
    return Stats.of(Arrays.copyOf(values, n));
  }
}
