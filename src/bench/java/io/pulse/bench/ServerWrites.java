package io.pulse.bench;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The server's half of the latency: how long after the publish the nodes wrote each delivery to
 * its socket, read from their {@code pulse_delivery_latency_seconds} histograms before and after
 * the measured phase. Over loopback, a write puts the bytes in the client's receive queue, so the
 * end-to-end latency minus this is the client's wait to read them.
 *
 * <p>The histogram has buckets, not samples: a quantile is estimated the way Prometheus'
 * {@code histogram_quantile} does, linearly inside the bucket it falls in, so it is only as
 * fine as the buckets around it. The histogram counts every delivery of the node, so with
 * {@code --target} on a node that carries other traffic the figure includes that traffic.
 */
final class ServerWrites {

  private static final String BUCKET = "pulse_delivery_latency_seconds_bucket{";

  /** Cumulative counts by upper bound in seconds (+Inf as {@link Double#POSITIVE_INFINITY}). */
  record Histogram(TreeMap<Double, Long> buckets) {

    static final Histogram EMPTY = new Histogram(new TreeMap<>());

    long count() {
      return buckets.isEmpty() ? 0 : buckets.lastEntry().getValue();
    }

    /** This minus {@code earlier}, bucket by bucket (a bucket missing from {@code earlier} counts 0). */
    Histogram since(Histogram earlier) {
      TreeMap<Double, Long> d = new TreeMap<>();
      buckets.forEach((le, n) -> d.put(le, n - earlier.buckets.getOrDefault(le, 0L)));
      return new Histogram(d);
    }

    Histogram plus(Histogram other) {
      TreeMap<Double, Long> s = new TreeMap<>(buckets);
      other.buckets.forEach((le, n) -> s.merge(le, n, Long::sum));
      return new Histogram(s);
    }

    /**
     * The q-quantile (0 to 1) in milliseconds, interpolated within its bucket from the bucket's
     * lower bound (0 for the first); null without samples, or when it falls in the +Inf bucket.
     */
    Double quantileMs(double q) {
      long total = count();
      if (total <= 0) {
        return null;
      }
      double rank = q * total;
      double lower = 0;
      long below = 0;
      for (Map.Entry<Double, Long> e : buckets.entrySet()) {
        if (e.getValue() >= rank && e.getValue() > below) {
          if (e.getKey().isInfinite()) {
            return null;
          }
          double within = (rank - below) / (e.getValue() - below);
          return (lower + (e.getKey() - lower) * Math.max(0, within)) * 1000;
        }
        lower = e.getKey();
        below = e.getValue();
      }
      return null;
    }
  }

  private ServerWrites() {
  }

  /** The delivery-latency buckets in a Prometheus text exposition; empty if there are none. */
  static Histogram parse(String exposition) {
    TreeMap<Double, Long> buckets = new TreeMap<>();
    for (String line : exposition.split("\n")) {
      if (!line.startsWith(BUCKET)) {
        continue;
      }
      int le = line.indexOf("le=\"");
      int end = le < 0 ? -1 : line.indexOf('"', le + 4);
      int close = end < 0 ? -1 : line.indexOf('}', end);
      if (close < 0) {
        continue;
      }
      String bound = line.substring(le + 4, end);
      String value = line.substring(close + 1).trim().split(" ")[0]; // a timestamp may follow
      try {
        double upper = bound.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bound);
        buckets.merge(upper, (long) Double.parseDouble(value), Long::sum);
      } catch (NumberFormatException e) {
        // not a sample line we understand: skip it
      }
    }
    return new Histogram(buckets);
  }

  /** The nodes' histograms added up, or null if one of them could not be read. */
  static Histogram read(List<Node> nodes) {
    Histogram sum = Histogram.EMPTY;
    for (Node n : nodes) {
      String text = ControlHttp.text(n.httpBase() + "/metrics");
      if (text == null) {
        return null;
      }
      sum = sum.plus(parse(text));
    }
    return sum;
  }
}
