package io.pulse.bench;

import java.util.Arrays;

/**
 * Exact percentiles of a set of latency samples (microseconds), by the nearest-rank rule: the
 * p-th percentile of n sorted samples is the sample at rank ⌈p·n/100⌉ (1-based, p to 3
 * decimals). Every sample counts; nothing is bucketed or interpolated.
 */
public final class Stats {

  private static final Stats EMPTY = new Stats(new long[0]);
  private final long[] sorted;

  private Stats(long[] sorted) {
    this.sorted = sorted;
  }

  /** Sorts {@code samples} in place and wraps them. */
  public static Stats of(long[] samples) {
    if (samples.length == 0) {
      return EMPTY;
    }
    Arrays.sort(samples);
    return new Stats(samples);
  }

  public int count() {
    return sorted.length;
  }

  /** The nearest-rank percentile, {@code p} in (0, 100]; -1 when there are no samples. */
  public long percentile(double p) {
    if (p <= 0 || p > 100) {
      throw new IllegalArgumentException("percentile must be in (0, 100]: " + p);
    }
    if (sorted.length == 0) {
      return -1;
    }
    long thousandths = Math.round(p * 1000); // 99.9 -> 99900: integer arithmetic, no 999.0000001
    long rank = (thousandths * sorted.length + 99_999) / 100_000;
    return sorted[(int) Math.max(1, rank) - 1];
  }

  public long max() {
    return sorted.length == 0 ? -1 : sorted[sorted.length - 1];
  }

  public long min() {
    return sorted.length == 0 ? -1 : sorted[0];
  }

  /** Arithmetic mean; -1 when there are no samples. */
  public double mean() {
    if (sorted.length == 0) {
      return -1;
    }
    double sum = 0;
    for (long v : sorted) {
      sum += v;
    }
    return sum / sorted.length;
  }

  /** A percentile in milliseconds (3 decimals), or null when there are no samples. */
  public Double percentileMs(double p) {
    return sorted.length == 0 ? null : ms(percentile(p));
  }

  /** The maximum in milliseconds (3 decimals), or null when there are no samples. */
  public Double maxMs() {
    return sorted.length == 0 ? null : ms(max());
  }

  static double ms(long micros) {
    return micros / 1000.0;
  }
}
