package io.pulse.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one group of subscribers received. Every bench message carries {@code "seq"} (its number
 * in the measured run, or -1 for a warm-up message) and {@code "bt"} (publish time, epoch µs) in
 * its data. For each connection, the first copy of each seq counts as a delivery and yields one
 * latency sample; a second copy counts as a duplicate.
 *
 * <p>{@link #onMessage} may be called from several event loops at once, but for one connection
 * always from the same one (Vert.x pins a connection to its event loop), so the per-connection
 * bit sets need no lock.
 */
public final class Deliveries {

  static final long MISSING = Long.MIN_VALUE;
  private static final byte[] SEQ = "\"seq\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] BT = "\"bt\":".getBytes(StandardCharsets.US_ASCII);

  private final int messages;
  private final BitSet[] seen;
  private final AtomicIntegerArray warm;
  private final LongAdder warmConnections = new LongAdder();
  private final LongAdder duplicates = new LongAdder();
  private final LongAdder unrecognised = new LongAdder();
  // Striped: every client thread records every delivery, a single CAS target would bounce between cores.
  private final LongAccumulator lastReceipt = new LongAccumulator(Math::max, 0);
  private final Samples samples;
  private final AtomicLongArray firstLatency;

  /** A group of at most {@code connections} clients, each expecting seq 0 … messages-1. */
  public Deliveries(int connections, int messages) {
    this.messages = messages;
    this.seen = new BitSet[connections];
    this.warm = new AtomicIntegerArray(connections);
    if ((long) connections * messages > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("too many deliveries to keep: " + connections + " x " + messages);
    }
    this.samples = new Samples(connections * messages);
    this.firstLatency = new AtomicLongArray(messages);
    for (int i = 0; i < messages; i++) {
      firstLatency.set(i, Long.MAX_VALUE);
    }
  }

  /** One text message (WS frame or SSE {@code data:}) that connection {@code conn} received. */
  public void onMessage(int conn, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    onMessage(conn, bytes, 0, bytes.length);
  }

  /**
   * The same, for the UTF-8 bytes {@code from} … {@code to}-1 of {@code bytes}: the clients pass
   * raw bytes, so that no String is decoded per delivery (the bench shares the CPU with the server).
   */
  public void onMessage(int conn, byte[] bytes, int from, int to) {
    long now = EpochMicros.now();
    long seq = field(bytes, from, to, SEQ);
    long sentAt = field(bytes, from, to, BT);
    if (seq == MISSING || sentAt == MISSING) {
      unrecognised.increment();
      return;
    }
    if (seq < 0) {
      if (warm.compareAndSet(conn, 0, 1)) {
        warmConnections.increment();
      }
      return;
    }
    if (seq >= messages) {
      unrecognised.increment();
      return;
    }
    BitSet bits = seen[conn];
    if (bits == null) {
      bits = new BitSet(messages);
      seen[conn] = bits;
    }
    if (bits.get((int) seq)) {
      duplicates.increment();
      return;
    }
    bits.set((int) seq);
    long latency = now - sentAt;
    samples.set(conn * messages + (int) seq, latency);
    if (latency < firstLatency.get((int) seq)) { // a read first: all subscribers share this slot
      firstLatency.accumulateAndGet((int) seq, latency, Math::min);
    }
    lastReceipt.accumulate(now);
  }

  /** Distinct (connection, seq) deliveries so far. */
  public long received() {
    return samples.count();
  }

  /** Connections that have seen at least one warm-up message. */
  public long warmConnections() {
    return warmConnections.sum();
  }

  public long duplicates() {
    return duplicates.sum();
  }

  /** Text messages that were not bench messages (other than the subscribe reply). */
  public long unrecognised() {
    return unrecognised.sum();
  }

  /** Epoch µs of the latest delivery, 0 if none. */
  public long lastReceiptMicros() {
    return lastReceipt.get();
  }

  /**
   * Every latency sample in its slot, connection × messages + seq ({@link Samples#EMPTY} where
   * nothing arrived): for a process that hands its samples to another one.
   */
  long[] slots() {
    return samples.slots();
  }

  /** Latency summary; call once the run is over. */
  public Stats latency() {
    return samples.stats();
  }

  /**
   * Latency of each message's first delivery in this group (one sample per message that reached
   * anyone): the path from publisher to the nearest socket, without the time the server spends
   * writing the message to the rest of the group.
   */
  public Stats firstDeliveryLatency() {
    long[] firsts = new long[firstLatency.length()];
    int n = 0;
    for (int i = 0; i < firsts.length; i++) {
      long v = firstLatency.get(i);
      if (v != Long.MAX_VALUE) {
        firsts[n++] = v;
      }
    }
    return Stats.of(Arrays.copyOf(firsts, n));
  }

  /** The integer after {@code key} (e.g. {@code "\"seq\":"}) in a JSON text, or {@link #MISSING}. */
  static long field(String text, String key) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return field(bytes, 0, bytes.length, key.getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * The integer after the first occurrence of {@code key} in {@code bytes[from, to)}, or
   * {@link #MISSING}. A byte scan: cheaper than parsing the envelope, which matters at 100,000
   * deliveries a second.
   */
  static long field(byte[] bytes, int from, int to, byte[] key) {
    int i = Bytes.indexOf(bytes, from, to, key);
    if (i < 0) {
      return MISSING;
    }
    i += key.length;
    while (i < to && bytes[i] == ' ') {
      i++;
    }
    boolean negative = i < to && bytes[i] == '-';
    if (negative) {
      i++;
    }
    long value = 0;
    int digits = 0;
    for (; i < to && bytes[i] >= '0' && bytes[i] <= '9'; i++, digits++) {
      value = value * 10 + (bytes[i] - '0');
    }
    return digits == 0 ? MISSING : negative ? -value : value;
  }
}
