package io.pulse.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How the nodes sent the deliveries of the measured phase: flushes, from their
 * {@code pulse_delivery_flushes_total{transport}} and {@code pulse_messages_delivered_total{transport}}
 * counters (a node without the flush counter, built before it existed, gives null), and write
 * system calls, from {@code syscw} in {@code /proc/<pid>/io} of the nodes the bench started. syscw
 * counts write, writev, send and sendmsg calls of the whole JVM (Hazelcast and the HTTP answers to
 * the publisher included); on io_uring, socket writes are submitted without such calls and do
 * not appear in it.
 */
final class ServerFlushes {

  /** Counters summed over the nodes; a field is null when a node could not give it. */
  record Reading(Double flushes, Double delivered, Long syscw) {

    /** {@code after} minus this, field by field (null if either side is). */
    Reading until(Reading after) {
      return new Reading(after.flushes == null || flushes == null ? null : after.flushes - flushes,
          after.delivered == null || delivered == null ? null : after.delivered - delivered,
          after.syscw == null || syscw == null ? null : after.syscw - syscw);
    }
  }

  private ServerFlushes() {
  }

  /** The counters of {@code transport} ("ws", "sse", "bridge") on {@code nodes}. */
  static Reading read(List<Node> nodes, String transport) {
    Double flushes = 0.0;
    Double delivered = 0.0;
    Long syscw = 0L;
    for (Node n : nodes) {
      String text = ControlHttp.text(n.httpBase() + "/metrics");
      Double f = text == null ? null : sample(text, "pulse_delivery_flushes_total", transport);
      Double d = text == null ? null : sample(text, "pulse_messages_delivered_total", transport);
      flushes = flushes == null || f == null ? null : flushes + f;
      delivered = delivered == null || d == null ? null : delivered + d;
      Long w = n.local() ? syscw(n.pid()) : null;
      syscw = syscw == null || w == null ? null : syscw + w;
    }
    return new Reading(flushes, delivered, syscw);
  }

  /** The value of {@code name{transport="…"}} in a Prometheus exposition, or null. */
  static Double sample(String exposition, String name, String transport) {
    String label = "transport=\"" + transport + "\"";
    for (String line : exposition.split("\n")) {
      if (line.startsWith(name + "{") && line.contains(label)) {
        int close = line.indexOf('}');
        try {
          return Double.parseDouble(line.substring(close + 1).trim().split(" ")[0]);
        } catch (NumberFormatException e) {
          return null;
        }
      }
    }
    return null;
  }

  /** Write-type system calls of a process so far ({@code syscw} in {@code /proc/<pid>/io}), or null. */
  static Long syscw(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "io"))) {
        if (line.startsWith("syscw:")) {
          return Long.parseLong(line.substring(6).trim());
        }
      }
    } catch (Exception e) {
      // not Linux, or not ours to read
    }
    return null;
  }
}
