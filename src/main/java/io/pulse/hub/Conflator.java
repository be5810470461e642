package io.pulse.hub;

import io.pulse.messages.Delivery;
import io.pulse.messages.Envelope;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The latest message per channel of one slow client, for the {@code conflate} policy.
 *
 * <p>While the client's socket is full, each new message of a channel replaces the one waiting
 * for that channel, in place, and is counted as skipped; when the socket drains, the waiting
 * messages are taken in the order their channels first waited, each marked with how many were
 * skipped before it ({@code "conflated": n} in its envelope). So what is held is one message per
 * channel, whatever the message rate, and at most {@code maxBytes} of envelopes in all: a message
 * that would go over that is refused ({@link #offer} answers {@link #OVERFLOW}).
 *
 * <p>Not thread-safe: one per session, on its event loop.
 */
public final class Conflator {

  /** {@link #offer}: the first message waiting for its channel. */
  public static final int ADDED = 0;
  /** {@link #offer}: it replaced the one waiting for its channel, which was skipped. */
  public static final int REPLACED = 1;
  /** {@link #offer}: older than the one waiting for its channel, so skipped (and counted there). */
  public static final int SKIPPED = 2;
  /** {@link #offer}: the very message waiting for its channel (heard again); ignored. */
  public static final int DUPLICATE = 3;
  /** {@link #offer}: not kept, it would take the held envelopes over {@code maxBytes}. */
  public static final int OVERFLOW = 4;

  private static final class Pending {
    Delivery latest;
    int skipped;

    Pending(Delivery latest) {
      this.latest = latest;
    }
  }

  private final long maxBytes;
  private final Map<String, Pending> pending = new LinkedHashMap<>();
  private long bytes;

  public Conflator(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Keeps {@code d} as the latest message of its channel; see the constants for the answer. */
  public int offer(Delivery d) {
    Pending p = pending.get(d.channel());
    if (p == null) {
      if (bytes + size(d) > maxBytes) {
        return OVERFLOW;
      }
      pending.put(d.channel(), new Pending(d));
      bytes += size(d);
      return ADDED;
    }
    if (d.seq() <= p.latest.seq()) {
      if (d.seq() == p.latest.seq()) {
        return DUPLICATE;
      }
      p.skipped++;
      return SKIPPED;
    }
    long grown = bytes - size(p.latest) + size(d);
    if (grown > maxBytes) {
      return OVERFLOW;
    }
    bytes = grown;
    p.latest = d;
    p.skipped++;
    return REPLACED;
  }

  /** True when a message of {@code channel} is waiting. */
  public boolean holds(String channel) {
    return pending.containsKey(channel);
  }

  public boolean isEmpty() {
    return pending.isEmpty();
  }

  /** Channels with a message waiting. */
  public int size() {
    return pending.size();
  }

  /** Bytes of the envelopes waiting (their characters). */
  public long bytes() {
    return bytes;
  }

  /**
   * Removes and returns the message that has waited longest, its envelope marked with the number
   * of messages skipped before it when there were any; null when nothing waits.
   */
  public Delivery poll() {
    Iterator<Pending> it = pending.values().iterator();
    if (!it.hasNext()) {
      return null;
    }
    Pending p = it.next();
    it.remove();
    bytes -= size(p.latest);
    Delivery d = p.latest;
    return p.skipped == 0 ? d : new Delivery(d.channel(), d.seq(), d.ts(), Envelope.conflated(d.envelope(), p.skipped));
  }

  /** Drops the waiting messages of the channels {@code which} selects; returns how many. */
  public int removeIf(Predicate<String> which) {
    int removed = 0;
    Iterator<Map.Entry<String, Pending>> it = pending.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Pending> e = it.next();
      if (which.test(e.getKey())) {
        bytes -= size(e.getValue().latest);
        it.remove();
        removed++;
      }
    }
    return removed;
  }

  /** Drops everything waiting. */
  public void clear() {
    pending.clear();
    bytes = 0;
  }

  private static long size(Delivery d) {
    return d.envelope().length();
  }
}
