package io.pulse.hub;

import io.pulse.Addresses;
import io.pulse.channel.Channels;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
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
 * channel address and on a pattern address) is dispatched once, and one that arrives after a
 * newer one (two publishers racing on different nodes) is dropped, so delivery stays ordered.
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

  /** Hub events worth counting. */
  public interface Listener {
    void reordered(Delivery d);
  }

  private static final class Entry {
    final Set<Session> sessions = new LinkedHashSet<>();
    Registration registration;
  }

  private static final Session[] NO_SESSIONS = new Session[0];
  private final Bus bus;
  private final Listener listener;
  private final Map<String, Entry> exact = new HashMap<>();
  private final Map<String, Entry> patterns = new HashMap<>(); // key: prefix ("a.b" for "a.b.*")
  private final Map<String, Long> lastSeq = new HashMap<>();

  public Hub(Bus bus, Listener listener) {
    this.bus = bus;
    this.listener = listener;
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
    entry.sessions.add(session);
    return entry.registration.ready();
  }

  /** Removes {@code session} from one channel or pattern. */
  public void unsubscribe(Session session, String spec) {
    boolean pattern = Channels.isPattern(spec);
    String key = pattern ? Channels.patternPrefix(spec) : spec;
    Map<String, Entry> map = pattern ? patterns : exact;
    Entry entry = map.get(key);
    if (entry == null || !entry.sessions.remove(session) || !entry.sessions.isEmpty()) {
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
  public void dispatch(Delivery d) {
    Long last = lastSeq.get(d.channel());
    if (last != null && d.seq() <= last) {
      if (d.seq() < last) {
        listener.reordered(d);
      }
      return;
    }
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

  /** Over a copy: a session may leave while being offered a message (a slow consumer closing). */
  private static void offerAll(Entry entry, Delivery d) {
    for (Session s : entry.sessions.toArray(NO_SESSIONS)) {
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
    Iterator<String> it = lastSeq.keySet().iterator();
    while (it.hasNext()) {
      String ch = it.next();
      boolean affected = prefix ? ch.startsWith(channelOrPrefixDot) : ch.equals(channelOrPrefixDot);
      if (affected && !covered(ch)) {
        it.remove();
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
