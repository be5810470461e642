package io.pulse.hub;

import io.vertx.core.Future;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One client connection as the hub sees it, whatever its transport.
 *
 * <p>It keeps, per channel, the last sequence written, so that nothing is written twice or out of
 * order (live messages racing a replay, a node hearing one message on two addresses). While a
 * subscription replays history, live messages are held and written after the replay. Its
 * outbound queue is bounded in bytes: a message that does not fit is dropped or the session is
 * closed as a slow consumer, as configured.
 *
 * <p>Not thread-safe: a session lives on its transport verticle's event loop.
 */
public abstract class Session {

  /** What a transport must provide. */
  public interface Listener {
    /** A message was written to the client. */
    void delivered(Delivery d);

    /** A message was dropped for {@code reason} ("slow_consumer"). */
    void dropped(Delivery d, String reason);
  }

  private final long maxQueuedBytes;
  private final boolean dropWhenSlow;
  private final Map<String, Long> positions = new HashMap<>();
  private final ArrayDeque<Delivery> held = new ArrayDeque<>();
  private long heldBytes;
  private long queuedBytes;
  private int recovering;
  private boolean closed;

  protected Session(long maxQueuedBytes, boolean dropWhenSlow) {
    this.maxQueuedBytes = maxQueuedBytes;
    this.dropWhenSlow = dropWhenSlow;
  }

  /** Writes one message to the client; the future completes when it has left the process. */
  protected abstract Future<Void> write(Delivery d);

  /**
   * True when the transport's own buffer (the socket's outbound queue, bounded by
   * {@code limits.sendQueueBytes}) is full: the client is not reading.
   */
  protected boolean transportFull() {
    return false;
  }

  /** Closes the connection because the client does not keep up. */
  protected abstract void closeSlow();

  /** Metrics hooks. */
  protected abstract Listener listener();

  /** Offers a live message. */
  public final void offer(Delivery d) {
    if (closed) {
      return;
    }
    if (recovering > 0) {
      held.add(d);
      heldBytes += d.envelope().length();
      if (heldBytes > maxQueuedBytes) {
        slow(d);
      }
      return;
    }
    send(d, false);
  }

  /** Starts a replay: live messages are held until the matching {@link #endRecovery()}. */
  public final void beginRecovery() {
    recovering++;
  }

  /** Writes replayed messages (oldest first), then, when no replay is left, the held ones. */
  public final void endRecovery(List<Delivery> replayed) {
    for (Delivery d : replayed) {
      if (closed) {
        return;
      }
      send(d, true);
    }
    if (--recovering == 0) {
      while (!held.isEmpty() && !closed) {
        send(held.poll(), false);
      }
      held.clear();
      heldBytes = 0;
    }
  }

  /** Records that the client has seen {@code channel} up to {@code seq} (from a resume token). */
  public final void seed(String channel, long seq) {
    positions.merge(channel, seq, Math::max);
  }

  /** Forgets the position of {@code channel}: what comes next for it is written whatever its id. */
  public final void forget(String channel) {
    positions.remove(channel);
  }

  /** The last sequence written per channel (the resume position). */
  public final Map<String, Long> positions() {
    return positions;
  }

  public final boolean isClosed() {
    return closed;
  }

  /** Marks the session closed: nothing more is written. Transports call it from their close handler. */
  public void markClosed() {
    closed = true;
    held.clear();
  }

  /** Bytes written but not yet flushed to the socket. */
  public final long queuedBytes() {
    return queuedBytes;
  }

  /**
   * Writes one message unless already written. A replay is written in one burst and is bounded by
   * the history window, so only the byte budget applies to it; live messages also stop at a full
   * socket queue.
   */
  private void send(Delivery d, boolean replay) {
    Long pos = positions.get(d.channel());
    if (pos != null && d.seq() <= pos) {
      return; // already written: replay overlap or the same message heard on two addresses
    }
    int size = d.envelope().length();
    if (queuedBytes + size > maxQueuedBytes || (!replay && transportFull())) {
      slow(d);
      return;
    }
    positions.put(d.channel(), d.seq());
    queuedBytes += size;
    write(d).onComplete(ar -> queuedBytes -= size);
    listener().delivered(d);
  }

  private void slow(Delivery d) {
    listener().dropped(d, "slow_consumer");
    if (!dropWhenSlow) {
      markClosed();
      closeSlow();
    }
  }
}
