package io.pulse.bench;

import io.vertx.core.json.JsonArray;
import java.util.Arrays;

/**
 * The latency samples of {@code cluster-hold}'s client processes, put together: each process hands
 * over its slots (connection × messages + seq, {@link Samples#EMPTY} where nothing arrived), and
 * this keeps every sample by message and by transport, for exact percentiles over all of them.
 */
final class HoldSamples {

  private final int messages;
  private final long[][] byMessage;
  private final int[] counts;
  private long[] ws = new long[1024];
  private int wsCount;
  private long[] sse = new long[1024];
  private int sseCount;

  HoldSamples(int messages) {
    this.messages = messages;
    this.byMessage = new long[messages][1024];
    this.counts = new int[messages];
  }

  /** One process's slots of one transport. */
  void add(long[] slots, boolean webSocket) {
    for (int slot = 0; slot < slots.length; slot++) {
      long v = slots[slot];
      if (v == Samples.EMPTY) {
        continue;
      }
      int seq = slot % messages;
      if (counts[seq] == byMessage[seq].length) {
        byMessage[seq] = Arrays.copyOf(byMessage[seq], counts[seq] * 2);
      }
      byMessage[seq][counts[seq]++] = v;
      if (webSocket) {
        if (wsCount == ws.length) {
          ws = Arrays.copyOf(ws, wsCount * 2);
        }
        ws[wsCount++] = v;
      } else {
        if (sseCount == sse.length) {
          sse = Arrays.copyOf(sse, sseCount * 2);
        }
        sse[sseCount++] = v;
      }
    }
  }

  /** Deliveries of message {@code seq}. */
  int count(int seq) {
    return counts[seq];
  }

  /** Every sample of both transports. */
  Stats all() {
    long[] both = Arrays.copyOf(ws, wsCount + sseCount);
    System.arraycopy(sse, 0, both, wsCount, sseCount);
    return Stats.of(both);
  }

  /** Latency over all deliveries, by transport, and per message: its deliveries, p50, p99 and last. */
  void report(Report r) {
    Stats all = all();
    Stats w = Stats.of(Arrays.copyOf(ws, wsCount));
    Stats s = Stats.of(Arrays.copyOf(sse, sseCount));
    JsonArray delivered = new JsonArray();
    JsonArray p50 = new JsonArray();
    JsonArray p99 = new JsonArray();
    JsonArray last = new JsonArray();
    for (int seq = 0; seq < messages; seq++) {
      Stats m = Stats.of(Arrays.copyOf(byMessage[seq], counts[seq]));
      delivered.add(counts[seq]);
      p50.add(m.percentileMs(50));
      p99.add(m.percentileMs(99));
      last.add(m.maxMs());
    }
    r.put("latency_p50_ms", all.percentileMs(50)).put("latency_p99_ms", all.percentileMs(99))
        .put("latency_p999_ms", all.percentileMs(99.9)).put("latency_max_ms", all.maxMs())
        .put("ws_latency_p50_ms", w.percentileMs(50)).put("ws_latency_p99_ms", w.percentileMs(99))
        .put("sse_latency_p50_ms", s.percentileMs(50)).put("sse_latency_p99_ms", s.percentileMs(99))
        .put("deliveries_per_message", delivered)
        .put("message_p50_ms", p50).put("message_p99_ms", p99).put("message_last_ms", last);
  }
}
