package io.pulse.hub;

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
 * outbound queue is bounded in bytes by the transport ({@link #transportFull()}: the socket's
 * queue, limited to {@code limits.sendQueueBytes}); a message that does not fit is dropped or the
 * session is closed as a slow consumer, as configured.
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
  /** The last sequence written, per channel; mutable so that a delivery costs one lookup. */
  private static final class Position {
    long seq;

    Position(long seq) {
      this.seq = seq;
    }
  }

  private final Map<String, Position> positions = new HashMap<>();
  // The position last used: fan-out hands a session one channel after another, mostly the same
  // one, under the hub's single instance of its name, so a reference compare saves the lookup.
  private String lastChannel;
  private Position lastPosition;
  private final ArrayDeque<Delivery> held = new ArrayDeque<>();
  private long heldBytes;
  private long replayBytes;
  private int recovering;
  private boolean closed;

  protected Session(long maxQueuedBytes, boolean dropWhenSlow) {
    this.maxQueuedBytes = maxQueuedBytes;
    this.dropWhenSlow = dropWhenSlow;
  }

  /** Writes one message to the client (queued on its socket). */
  protected abstract void write(Delivery d);

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
    replayBytes = 0;
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
    Position p = positions.get(channel);
    if (p == null) {
      positions.put(channel, new Position(seq));
    } else {
      p.seq = Math.max(p.seq, seq);
    }
  }

  /** Forgets the position of {@code channel}: what comes next for it is written whatever its id. */
  public final void forget(String channel) {
    positions.remove(channel);
    lastChannel = null;
    lastPosition = null;
  }

  /** The last sequence written per channel (the resume position), as a copy. */
  public final Map<String, Long> positions() {
    Map<String, Long> copy = new HashMap<>(positions.size() * 2);
    positions.forEach((channel, p) -> copy.put(channel, p.seq));
    return copy;
  }

  public final boolean isClosed() {
    return closed;
  }

  /** Marks the session closed: nothing more is written. Transports call it from their close handler. */
  public void markClosed() {
    closed = true;
    held.clear();
  }

  /**
   * Writes one message unless already written. Live messages stop at a full socket queue. A
   * replay is written in one burst, bounded by the history window, so it may go over the socket's
   * limit once; its own size is bounded by the same number of bytes.
   */
  private void send(Delivery d, boolean replay) {
    Position pos = d.channel() == lastChannel ? lastPosition : positions.get(d.channel());
    if (pos != null && d.seq() <= pos.seq) {
      return; // already written: replay overlap or the same message heard on two addresses
    }
    if (replay ? (replayBytes += d.envelope().length()) > maxQueuedBytes : transportFull()) {
      slow(d);
      return;
    }
    if (pos == null) {
      pos = new Position(d.seq());
      positions.put(d.channel(), pos);
    } else {
      pos.seq = d.seq();
    }
    if (lastPosition != pos) {
      // Only on a change: a reference store into a long-lived object costs G1 a card to refine.
      lastChannel = d.channel();
      lastPosition = pos;
    }
    write(d);
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
