package io.pulse.hub;

import io.pulse.Addresses;
import io.pulse.channel.Channels;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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

  /** The clustered event bus, as far as the hub needs it (a fake in unit tests). */
  public interface Bus {
    Registration listen(String address, Consumer<Delivery> handler);
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
  }

  /** No gap filling: a gap is waited for, then skipped. */
  public static final Gaps NO_HISTORY = new Gaps() {
    @Override
    public void later(long ms, Runnable task) {
      task.run();
    }

    @Override
    public Future<List<Delivery>> missing(String channel, long after, long before) {
      return Future.succeededFuture(List.of());
    }
  };

  /** Messages held behind a gap in one channel. */
  private static final class Gap {
    final TreeMap<Long, Delivery> held = new TreeMap<>();
    boolean waiting;
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
  private final Map<String, Long> lastSeq = new HashMap<>();
  /**
   * One string per channel name, so that every delivery of a channel carries the same instance
   * and the sessions' lookups by channel compare references, not characters.
   */
  private final Map<String, String> names = new HashMap<>();
  private final Map<String, Gap> gaps = new HashMap<>();
  private final Gaps history;

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
      created.registration = bus.listen(address, this::dispatch);
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

  /** Hands a message to every local session whose subscriptions match its channel. */
  public void dispatch(Delivery heard) {
    Delivery d = named(heard);
    String channel = d.channel();
    Long last = lastSeq.get(channel);
    if (last != null && d.seq() <= last) {
      if (d.seq() < last) {
        listener.reordered(d);
      }
      return;
    }
    if (last == null || d.seq() == last + 1) {
      deliver(d);
      releaseContiguous(channel);
      return;
    }
    Gap gap = gaps.computeIfAbsent(channel, c -> new Gap());
    gap.held.put(d.seq(), d);
    if (!gap.waiting) {
      gap.waiting = true;
      history.later(REORDER_WAIT_MS, () -> fill(channel, gap));
    }
  }

  /** The wait is over: read what is still missing from the history, then release everything held. */
  private void fill(String channel, Gap gap) {
    if (gaps.get(channel) != gap || gap.held.isEmpty()) {
      return;
    }
    long after = lastSeq.getOrDefault(channel, gap.held.firstKey() - 1);
    history.missing(channel, after, gap.held.firstKey()).onComplete(ar -> {
      if (gaps.get(channel) != gap) {
        return; // released meanwhile (gap closed by the missing messages) or the channel was forgotten
      }
      if (ar.succeeded()) {
        ar.result().forEach(m -> gap.held.putIfAbsent(m.seq(), named(m)));
      }
      gaps.remove(channel, gap);
      for (Delivery m : gap.held.values()) {
        Long now = lastSeq.get(channel);
        if (now == null || m.seq() > now) {
          deliver(m);
        }
      }
    });
  }

  /** {@code d} with this hub's instance of its channel name. */
  private Delivery named(Delivery d) {
    String name = names.putIfAbsent(d.channel(), d.channel());
    return name == null || name == d.channel() ? d : new Delivery(name, d.seq(), d.ts(), d.envelope());
  }

  /** Releases held messages that the last delivery made contiguous. */
  private void releaseContiguous(String channel) {
    Gap gap = gaps.get(channel);
    if (gap == null) {
      return;
    }
    long last = lastSeq.get(channel);
    gap.held.headMap(last, true).clear();
    while (!gap.held.isEmpty() && gap.held.firstKey() == last + 1) {
      Delivery next = gap.held.pollFirstEntry().getValue();
      deliver(next);
      last = next.seq();
    }
    if (gap.held.isEmpty()) {
      gaps.remove(channel); // the pending fill finds nothing to do
    }
  }

  private void deliver(Delivery d) {
    lastSeq.put(d.channel(), d.seq());
    Entry e = exact.get(d.channel());
    if (e != null) {
      offerAll(e, d);
    }
    for (String prefix : Channels.prefixes(d.channel())) {
      Entry p = patterns.get(prefix);
      if (p != null) {
        offerAll(p, d);
      }
    }
  }

  private static void offerAll(Entry entry, Delivery d) {
    for (Session s : entry.snapshot()) {
      s.offer(d);
    }
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
    Iterator<String> it = names.keySet().iterator(); // every channel dispatched here has a name
    while (it.hasNext()) {
      String ch = it.next();
      boolean affected = prefix ? ch.startsWith(channelOrPrefixDot) : ch.equals(channelOrPrefixDot);
      if (affected && !covered(ch)) {
        it.remove();
        lastSeq.remove(ch);
        gaps.remove(ch);
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
