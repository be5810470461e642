package io.pulse.hub;

import io.pulse.messages.Delivery;
import io.pulse.messages.Addresses;
import io.pulse.channel.Channels;
import io.pulse.history.DetachedIds;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Node-local fan-out: who gets what.
 *
 * <p>For each channel or pattern that at least one local session holds, the hub keeps exactly one
 * event-bus registration ({@code pulse.ch.<channel>} or {@code pulse.pat.<prefix>}), so a message
 * crosses the cluster once per interested node and is then handed to every matching session here.
 * Registrations are removed with the last session that needs them.
 *
 * <p>Per channel it remembers the highest sequence dispatched: a message heard twice (on its
 * channel address and on a pattern address) is dispatched once. A message that arrives ahead of
 * a missing one (two publishers on different nodes racing on a channel, or a message lost on the
 * way) is held for {@link #REORDER_WAIT_MS}; if the missing ones have not arrived by then, they
 * are read from the history, so delivery stays ordered and gap-free. One that arrives after a
 * newer one was dispatched anyway is dropped and counted.
 *
 * <p>Not thread-safe: a hub lives on one verticle's event loop.
 */
public final class Hub {

  /**
   * The clustered event bus, as far as the hub needs it (a fake in unit tests). A bus that hears
   * several messages in one event-loop turn hands them over together when the handler is a
   * {@link Receiver} (the hub's is).
   */
  public interface Bus {
    Registration listen(String address, Consumer<Delivery> handler);
  }

  /** A handler that can take the messages of one event-loop turn at once. */
  public interface Receiver extends Consumer<Delivery> {
    /** {@code heard}, in the order heard, in one turn; by default one by one. */
    default void acceptAll(List<Delivery> heard) {
      heard.forEach(this);
    }
  }

  /** One event-bus registration. */
  public interface Registration {
    /** Completes when the registration has reached every node. */
    Future<Void> ready();

    void cancel();
  }

  /** How long a message waits for an earlier, missing one before the history is asked. */
  public static final long REORDER_WAIT_MS = 100;

  /** What the hub needs to fill a gap: a timer on its thread, and the history. */
  public interface Gaps {
    /** Runs {@code task} on the hub's thread after {@code ms}. */
    void later(long ms, Runnable task);

    /** The messages of {@code channel} with {@code after < seq < before}, oldest first; may be incomplete. */
    Future<List<Delivery>> missing(String channel, long after, long before);

    /**
     * Whether a message with a detached id ({@link DetachedIds}) is for this node: only while
     * this node's side of a split is below the quorum too. One that arrives once the history is
     * writable (sent across the cut before it was noticed, delivered after the heal) belongs to
     * a side that no longer exists, and would otherwise stop the channel here: every history id
     * is below it.
     */
    default boolean detachedWelcome() {
      return true;
    }
  }

  /** Messages held behind a gap in one channel. */
  private static final class Gap {
    final TreeMap<Long, Delivery> held = new TreeMap<>();
    boolean waiting;
  }

  /** What the hub knows of one channel it has dispatched. */
  private static final class Channel {
    /**
     * The one instance of the name that every delivery of the channel carries from here on, so
     * that the sessions' lookups by channel compare references, not characters.
     */
    final String name;
    boolean started; // a message was dispatched; last is its sequence
    long last;
    Gap gap; // messages held behind a missing one, or null

    Channel(String name) {
      this.name = name;
    }

    /** {@code d} carrying {@link #name}. */
    Delivery named(Delivery d) {
      return d.channel() == name ? d : new Delivery(name, d.seq(), d.ts(), d.envelope());
    }
  }

  /** Hub events worth counting. */
  public interface Listener {
    void reordered(Delivery d);
  }

  private static final class Entry {
    final Set<Session> sessions = new LinkedHashSet<>();
    Registration registration;
    private Session[] snapshot; // what a message is offered to; rebuilt after a change

    /** Over a copy: a session may leave while being offered a message (a slow consumer closing). */
    Session[] snapshot() {
      Session[] s = snapshot;
      if (s == null) {
        s = snapshot = sessions.toArray(NO_SESSIONS);
      }
      return s;
    }

    boolean add(Session s) {
      snapshot = null;
      return sessions.add(s);
    }

    boolean remove(Session s) {
      snapshot = null;
      return sessions.remove(s);
    }
  }

  private static final Session[] NO_SESSIONS = new Session[0];
  private final Bus bus;
  private final Listener listener;
  private final Map<String, Entry> exact = new HashMap<>();
  private final Map<String, Entry> patterns = new HashMap<>(); // key: prefix ("a.b" for "a.b.*")
  private final Map<String, Channel> channels = new HashMap<>();
  private final Gaps history;
  private static final AtomicLong HUBS = new AtomicLong();
  private final long id = HUBS.incrementAndGet();
  private long stamps;
  // While dispatchAll orders several messages: those ready to go out wait here for the turn's fan-out.
  private boolean inTurn;
  private final List<Delivery> ready = new ArrayList<>();
  private final Receiver receiver = new Receiver() {
    @Override
    public void accept(Delivery d) {
      dispatch(d);
    }

    @Override
    public void acceptAll(List<Delivery> heard) {
      dispatchAll(heard);
    }
  };

  public Hub(Bus bus, Listener listener, Gaps history) {
    this.bus = bus;
    this.listener = listener;
    this.history = history;
  }

  /**
   * Adds {@code session} to a channel or pattern. The future completes once messages published
   * anywhere in the cluster reach this node: read history only after that.
   */
  public Future<Void> subscribe(Session session, String spec) {
    boolean pattern = Channels.isPattern(spec);
    String key = pattern ? Channels.patternPrefix(spec) : spec;
    Map<String, Entry> map = pattern ? patterns : exact;
    Entry entry = map.get(key);
    if (entry == null) {
      Entry created = new Entry();
      String address = pattern ? Addresses.pattern(key) : Addresses.channel(key);
      created.registration = bus.listen(address, receiver);
      map.put(key, created);
      entry = created;
    }
    entry.add(session);
    return entry.registration.ready();
  }

  /** Removes {@code session} from one channel or pattern. */
  public void unsubscribe(Session session, String spec) {
    boolean pattern = Channels.isPattern(spec);
    String key = pattern ? Channels.patternPrefix(spec) : spec;
    Map<String, Entry> map = pattern ? patterns : exact;
    Entry entry = map.get(key);
    if (entry == null || !entry.remove(session) || !entry.sessions.isEmpty()) {
      return;
    }
    entry.registration.cancel();
    map.remove(key);
    forgetUncovered(pattern ? key + "." : key);
  }

  /** Number of distinct channels and patterns with a registration on this node. */
  public int registrations() {
    return exact.size() + patterns.size();
  }

  /**
   * Hands the messages heard in one event-loop turn, in order, to the local sessions. One alone
   * is {@link #dispatch}ed as it is: written and flushed at once. Several are first put in order
   * (as {@link #dispatch} does), then fanned out connection by connection: each session gets all
   * of a channel's messages of the turn, written without a flush, and one flush (one send) for
   * them, before the next session; so the first connections' bytes leave at once, as without a
   * turn. This holds for a channel that one subscription entry covers (the channel, or a single
   * pattern); a channel that several match goes out message by message, as before.
   */
  public void dispatchAll(List<Delivery> heard) {
    if (heard.size() == 1 || inTurn) {
      heard.forEach(this::dispatch);
      return;
    }
    inTurn = true;
    try {
      heard.forEach(this::dispatch);
    } finally {
      inTurn = false;
      fanOutTurn();
    }
  }

  /** Offers what the turn made ready: runs of one channel connection by connection, the rest one by one. */
  private void fanOutTurn() {
    try {
      int i = 0;
      while (i < ready.size()) {
        Delivery d = ready.get(i);
        int end = i + 1;
        while (end < ready.size() && ready.get(end).channel().equals(d.channel())) {
          end++;
        }
        Entry only = end - i > 1 ? onlyEntry(d.channel()) : null;
        if (only == null) {
          for (int k = i; k < end; k++) {
            offerAll(ready.get(k));
          }
        } else {
          for (Session s : only.snapshot()) {
            for (int k = i; k < end; k++) {
              s.offerInTurn(ready.get(k));
            }
            s.flushTurn();
          }
        }
        i = end;
      }
    } finally {
      ready.clear();
    }
  }

  /** The one entry (the channel's, or one pattern's) that matches {@code channel}; null if none or several. */
  private Entry onlyEntry(String channel) {
    Entry only = exact.get(channel);
    for (String prefix : Channels.prefixes(channel)) {
      Entry p = patterns.get(prefix);
      if (p != null) {
        if (only != null) {
          return null;
        }
        only = p;
      }
    }
    return only;
  }

  /** Hands a message to every local session whose subscriptions match its channel. */
  public void dispatch(Delivery heard) {
    if (DetachedIds.is(heard.seq()) && !history.detachedWelcome()) {
      listener.reordered(heard);
      return;
    }
    Channel c = channels.computeIfAbsent(heard.channel(), Channel::new);
    Delivery d = c.named(heard);
    if (c.started && d.seq() <= c.last) {
      if (d.seq() < c.last) {
        listener.reordered(d);
      }
      return;
    }
    if (!c.started || d.seq() == c.last + 1 || DetachedIds.is(d.seq())) {
      // A detached id (published below the quorum, docs: partitions.md) has no history to fill a
      // gap before it from: it goes out at once.
      deliver(c, d);
      releaseContiguous(c);
      return;
    }
    Gap gap = c.gap == null ? (c.gap = new Gap()) : c.gap;
    gap.held.put(d.seq(), d);
    if (!gap.waiting) {
      gap.waiting = true;
      history.later(REORDER_WAIT_MS, () -> fill(c, gap));
    }
  }

  /** The wait is over: read what is still missing from the history, then release everything held. */
  private void fill(Channel c, Gap gap) {
    if (c.gap != gap || gap.held.isEmpty()) {
      return;
    }
    long after = c.started ? c.last : gap.held.firstKey() - 1;
    history.missing(c.name, after, gap.held.firstKey()).onComplete(ar -> {
      if (c.gap != gap) {
        return; // released meanwhile (gap closed by the missing messages) or the channel was forgotten
      }
      if (ar.succeeded()) {
        ar.result().forEach(m -> gap.held.putIfAbsent(m.seq(), c.named(m)));
      }
      c.gap = null;
      for (Delivery m : gap.held.values()) {
        if (!c.started || m.seq() > c.last) {
          deliver(c, m);
        }
      }
    });
  }

  /** Releases held messages that the last delivery made contiguous. */
  private void releaseContiguous(Channel c) {
    Gap gap = c.gap;
    if (gap == null) {
      return;
    }
    gap.held.headMap(c.last, true).clear();
    while (!gap.held.isEmpty() && gap.held.firstKey() == c.last + 1) {
      deliver(c, gap.held.pollFirstEntry().getValue());
    }
    if (gap.held.isEmpty()) {
      c.gap = null; // the pending fill finds nothing to do
    }
  }

  /**
   * Offers {@code d} to every session whose subscriptions match it, each once: a session holding
   * both {@code a.b} and {@code a.*} must not be offered a message twice (a {@code drop} would
   * count it twice, a replay would hold it twice). Only a message that more than one entry
   * matches pays for the check.
   */
  private void deliver(Channel c, Delivery d) {
    c.started = true;
    c.last = d.seq();
    if (inTurn) {
      ready.add(d); // offered at the turn's end (dispatchAll)
    } else {
      offerAll(d);
    }
  }

  private void offerAll(Delivery d) {
    Entry first = exact.get(d.channel());
    long stamp = 0;
    for (String prefix : Channels.prefixes(d.channel())) {
      Entry p = patterns.get(prefix);
      if (p == null) {
        continue;
      }
      if (first == null) {
        first = p;
        continue;
      }
      if (stamp == 0) {
        stamp = nextStamp();
        offerOnce(first, d, stamp);
      }
      offerOnce(p, d, stamp);
    }
    if (first != null && stamp == 0) {
      for (Session s : first.snapshot()) {
        s.offer(d);
      }
    }
  }

  private static void offerOnce(Entry entry, Delivery d, long stamp) {
    for (Session s : entry.snapshot()) {
      if (s.offerStamp != stamp) {
        s.offerStamp = stamp;
        s.offer(d);
      }
    }
  }

  /** A stamp no other delivery of any hub has used (a hub's id in the high bits). */
  private long nextStamp() {
    return (id << 40) | (++stamps & ((1L << 40) - 1));
  }

  /** The sessions currently subscribed, each once. */
  public Set<Session> sessions() {
    Set<Session> all = new HashSet<>();
    exact.values().forEach(e -> all.addAll(e.sessions));
    patterns.values().forEach(e -> all.addAll(e.sessions));
    return all;
  }

  /** Drops the dedupe state of channels (a channel, or all under "prefix.") no longer covered. */
  private void forgetUncovered(String channelOrPrefixDot) {
    boolean prefix = channelOrPrefixDot.endsWith(".");
    Iterator<Channel> it = channels.values().iterator();
    while (it.hasNext()) {
      Channel c = it.next();
      boolean affected = prefix ? c.name.startsWith(channelOrPrefixDot) : c.name.equals(channelOrPrefixDot);
      if (affected && !covered(c.name)) {
        it.remove();
        c.gap = null; // a pending fill then does nothing
      }
    }
  }

  private boolean covered(String channel) {
    if (exact.containsKey(channel)) {
      return true;
    }
    for (String p : Channels.prefixes(channel)) {
      if (patterns.containsKey(p)) {
        return true;
      }
    }
    return false;
  }
}
