package io.pulse.hub;

import io.pulse.messages.Delivery;
import io.pulse.channel.Channels;
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
 * queue, limited to {@code limits.sendQueueBytes}); a live message that does not fit is handled by
 * the slow-consumer policy of its subscription ({@link SlowPolicy}, set per subscription with
 * {@link #policy}, else the session's default): the session is closed, the message dropped, or
 * conflated: kept as the latest of its channel in a {@link Conflator} and written when the
 * transport reports that its socket drained ({@link #drained()}).
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

    /** A message waiting for a slow client was skipped for a newer one of its channel ({@code conflate}). */
    default void conflated(Delivery newer) {
    }

    /** What the session holds for conflation changed by {@code channels} entries and {@code bytes}. */
    default void conflationHeld(int channels, long bytes) {
    }

    /** Written messages were flushed to the socket: one delivery alone, or a turn's several at once. */
    default void flushed() {
    }
  }

  private final long maxQueuedBytes;
  private final SlowPolicy defaultPolicy;
  // Subscriptions and their policies, side by side: a few words per connection (a map would cost
  // far more on every idle connection); searched only when a message does not fit.
  private String[] specs = NO_SPECS;
  private SlowPolicy[] specPolicies = NO_POLICIES;
  private static final String[] NO_SPECS = new String[0];
  private static final SlowPolicy[] NO_POLICIES = new SlowPolicy[0];
  private Conflator conflator; // null until a message is conflated
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
  private Runnable onSlow = () -> { };
  /** The hub's mark of the last message offered through more than one subscription ({@link Hub}). */
  long offerStamp;
  // Several messages in one event-loop turn (Hub#dispatchAll): written without a flush while
  // inTurn; unflushed until the hub calls flushTurn() once after them.
  private boolean inTurn;
  private boolean unflushed;

  protected Session(long maxQueuedBytes, boolean dropWhenSlow) {
    this(maxQueuedBytes, dropWhenSlow ? SlowPolicy.DROP : SlowPolicy.DISCONNECT);
  }

  /** {@code defaultPolicy}: for the subscriptions without a {@link #policy} of their own. */
  protected Session(long maxQueuedBytes, SlowPolicy defaultPolicy) {
    this.maxQueuedBytes = maxQueuedBytes;
    this.defaultPolicy = defaultPolicy;
  }

  /** Writes one message to the client (queued on its socket) and flushes it. */
  protected abstract void write(Delivery d);

  /**
   * Writes one message without flushing it, if the transport can: true if it did, and then
   * {@link #flushWrites()} follows once for all such writes of the turn. By default the message is
   * written and flushed at once ({@link #write}), and false.
   */
  protected boolean writeWithoutFlush(Delivery d) {
    write(d);
    return false;
  }

  /** Flushes what {@link #writeWithoutFlush} wrote: one send for all of them. */
  protected void flushWrites() {
  }

  /**
   * Writes a message built for this session alone (a conflated one, marked with its count), not
   * the one being fanned out: a transport that shares encoded bytes across sessions must not
   * cache these. By default the same as {@link #write}.
   */
  protected void writeOwn(Delivery d) {
    write(d);
  }

  /**
   * True when the transport's own buffer (the socket's outbound queue, bounded by
   * {@code limits.sendQueueBytes}) is full: the client is not reading.
   */
  protected boolean transportFull() {
    return false;
  }

  /**
   * Closes the connection because the client does not keep up: runs what {@link #onSlow} set (the
   * connection core closes it with 4001).
   */
  protected void closeSlow() {
    onSlow.run();
  }

  /** What {@link #closeSlow} does. */
  public final void onSlow(Runnable action) {
    this.onSlow = action;
  }

  /**
   * Called once, when the first message is conflated: from here on the transport must call
   * {@link #drained()} whenever its socket has room again.
   */
  protected void watchDrain() {
  }

  /** Metrics hooks. */
  protected abstract Listener listener();

  /**
   * Offers a live message heard with others in one event-loop turn: written without a flush,
   * which {@link #flushTurn()} does once for the turn's messages.
   */
  final void offerInTurn(Delivery d) {
    inTurn = true;
    try {
      offer(d);
    } finally {
      inTurn = false;
    }
  }

  /** The end of the turn: flushes what {@link #offerInTurn} wrote, once. */
  final void flushTurn() {
    if (unflushed) {
      unflushed = false;
      flushWrites();
      listener().flushed();
    }
  }

  /** Offers a live message. */
  public final void offer(Delivery d) {
    if (closed) {
      return;
    }
    if (recovering > 0) {
      if (heldBytes + d.envelope().length() > maxQueuedBytes) {
        overflow(d);
        return;
      }
      held.add(d);
      heldBytes += d.envelope().length();
      return;
    }
    send(d, false);
  }

  /**
   * Sets the slow-consumer policy of the subscription {@code spec} (a channel or pattern), or
   * removes it ({@code null}: the subscription is gone; conflated messages no subscription covers
   * any more are dropped). A channel follows the most specific subscription that matches it.
   */
  public final void policy(String spec, SlowPolicy policy) {
    int i = java.util.Arrays.asList(specs).indexOf(spec);
    if (policy != null) {
      if (i < 0) {
        i = specs.length;
        specs = java.util.Arrays.copyOf(specs, i + 1);
        specPolicies = java.util.Arrays.copyOf(specPolicies, i + 1);
        specs[i] = spec;
      }
      specPolicies[i] = policy;
      return;
    }
    if (i < 0) {
      return;
    }
    int last = specs.length - 1;
    specs[i] = specs[last];
    specPolicies[i] = specPolicies[last];
    specs = java.util.Arrays.copyOf(specs, last);
    specPolicies = java.util.Arrays.copyOf(specPolicies, last);
    if (conflator != null && !conflator.isEmpty()) {
      int channels = conflator.size();
      long bytes = conflator.bytes();
      conflator.removeIf(channel -> !covered(channel));
      reportHeld(channels, bytes);
    }
  }

  /** The transport's socket has room again: writes the conflated messages while it has. */
  public final void drained() {
    if (!closed && recovering == 0 && conflator != null && !conflator.isEmpty()) {
      flushConflated();
    }
  }

  /** Channels with a conflated message waiting for the client. */
  public final int conflatedChannels() {
    return conflator == null ? 0 : conflator.size();
  }

  /** Bytes of the conflated envelopes waiting for the client. */
  public final long conflatedBytes() {
    return conflator == null ? 0 : conflator.bytes();
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
        Delivery d = held.poll();
        if (conflator != null && conflator.holds(d.channel())) {
          conflate(d); // a newer one of its channel waits already (held over the limit): skipped
        } else {
          send(d, false);
        }
      }
      held.clear();
      heldBytes = 0;
      drained();
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
    if (conflator != null && !conflator.isEmpty()) {
      int channels = conflator.size();
      long bytes = conflator.bytes();
      conflator.clear();
      reportHeld(channels, bytes);
    }
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
    if (!replay && conflator != null && !conflator.isEmpty()) {
      if (!transportFull()) {
        flushConflated(); // what waits goes first, in order
      }
      if (closed) {
        return;
      }
      if (conflator.holds(d.channel())) {
        conflate(d); // its channel still waits: this one replaces the waiting one
        return;
      }
    }
    if (replay ? (replayBytes += d.envelope().length()) > maxQueuedBytes : full()) {
      overflow(d);
      return;
    }
    advance(d, pos);
    if (!inTurn) {
      write(d);
      listener().flushed();
    } else if (writeWithoutFlush(d)) {
      unflushed = true;
    } else {
      listener().flushed();
    }
    listener().delivered(d);
  }

  /**
   * {@link #transportFull()}, after flushing what this turn wrote if the queue looks full: the
   * queue counts unflushed bytes too, and a message must not meet the slow-consumer policy for
   * bytes that only waited for the turn's end.
   */
  private boolean full() {
    if (!transportFull()) {
      return false;
    }
    if (unflushed) {
      unflushed = false;
      flushWrites();
      listener().flushed();
      return transportFull();
    }
    return true;
  }

  /** Records {@code d} as the last written of its channel ({@code pos}: its position, or null). */
  private void advance(Delivery d, Position pos) {
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
  }

  /** A message that does not fit: what its subscription's policy says. */
  private void overflow(Delivery d) {
    switch (policyFor(d.channel())) {
      case CONFLATE -> conflate(d);
      case DROP -> listener().dropped(d, "slow_consumer");
      case DISCONNECT -> closeSlowly(d);
    }
  }

  private void closeSlowly(Delivery d) {
    listener().dropped(d, "slow_consumer");
    markClosed();
    closeSlow();
  }

  /** Keeps {@code d} as the latest of its channel; over the conflation bound, the session is closed. */
  private void conflate(Delivery d) {
    if (conflator == null) {
      conflator = new Conflator(maxQueuedBytes);
      watchDrain();
    }
    int channels = conflator.size();
    long bytes = conflator.bytes();
    int outcome = conflator.offer(d);
    if (outcome == Conflator.OVERFLOW) {
      closeSlowly(d);
      return;
    }
    if (outcome == Conflator.REPLACED || outcome == Conflator.SKIPPED) {
      listener().conflated(d);
    }
    reportHeld(channels, bytes);
  }

  /** Writes conflated messages, oldest waiting first, while the transport has room. */
  private void flushConflated() {
    int channels = conflator.size();
    long bytes = conflator.bytes();
    while (!closed && !conflator.isEmpty() && !transportFull()) {
      Delivery d = conflator.poll();
      Position pos = positions.get(d.channel());
      if (pos != null && d.seq() <= pos.seq) {
        continue; // a replay wrote it, or a newer one, meanwhile
      }
      advance(d, pos);
      writeOwn(d);
      listener().flushed();
      listener().delivered(d);
    }
    reportHeld(channels, bytes);
  }

  /** Reports the change of what the conflator holds since it held {@code channels} and {@code bytes}. */
  private void reportHeld(int channels, long bytes) {
    if (conflator.size() != channels || conflator.bytes() != bytes) {
      listener().conflationHeld(conflator.size() - channels, conflator.bytes() - bytes);
    }
  }

  /**
   * The policy of the most specific subscription matching {@code channel} (the channel itself,
   * else the longest pattern), else the default.
   */
  private SlowPolicy policyFor(String channel) {
    SlowPolicy best = defaultPolicy;
    int bestLength = -1;
    for (int i = 0; i < specs.length; i++) {
      String spec = specs[i];
      if (spec.equals(channel)) {
        return specPolicies[i];
      }
      if (spec.length() > bestLength && Channels.isPattern(spec) && Channels.matches(spec, channel)) {
        best = specPolicies[i];
        bestLength = spec.length();
      }
    }
    return best;
  }

  /** True when a subscription with a policy matches {@code channel}. */
  private boolean covered(String channel) {
    for (String spec : specs) {
      if (Channels.matches(spec, channel)) {
        return true;
      }
    }
    return false;
  }
}
