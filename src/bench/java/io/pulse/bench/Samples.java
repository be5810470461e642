package io.pulse.bench;

import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * Latency samples in microseconds, one preallocated slot per expected delivery (connection ×
 * message): no boxing, no histogram buckets, so percentiles are exact; and no shared index, so
 * client threads on different cores never write the same index. A slot is written by one thread
 * (the connection's) before it increments the count; a reader that saw the count sees the slot.
 */
public final class Samples {

  /** A slot with no sample. */
  static final long EMPTY = Long.MIN_VALUE;
  private final long[] values;
  private final LongAdder count = new LongAdder();

  public Samples(int slots) {
    values = new long[slots];
    Arrays.fill(values, EMPTY);
  }

  /** Records the sample of {@code slot}; each slot is recorded at most once. */
  public void set(int slot, long micros) {
    values[slot] = micros;
    count.increment();
  }

  /** Samples recorded so far. */
  public long count() {
    return count.sum();
  }

  /** A copy of every slot, {@link #EMPTY} where nothing was recorded. */
  long[] slots() {
    return values.clone();
  }

  /** Summary of the recorded slots; call once recording has stopped. */
  public Stats stats() {
    return Stats.of(Arrays.stream(values).filter(v -> v != EMPTY).toArray());
  }
}
