package io.pulse.hub;

import io.pulse.messages.Delivery;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The conflate policy in a session, through the hub, without sockets. */
class SessionConflationTest {

  /** A socket that takes {@code room} bytes, then is full until the test drains it. */
  static final class Slow extends RecordingSession {
    final List<Delivery> written = new ArrayList<>();
    final List<Delivery> own = new ArrayList<>();
    long room;
    long queued;
    int conflated;
    int heldChannels;
    long heldBytes;

    Slow(long maxBytes, SlowPolicy policy, long room) {
      super(maxBytes, policy);
      this.room = room;
    }

    @Override
    void conflated(Delivery newer) {
      conflated++;
    }

    @Override
    void conflationHeld(int channels, long bytes) {
      heldChannels += channels;
      heldBytes += bytes;
    }

    @Override
    protected void write(Delivery d) {
      written.add(d);
      queued += d.envelope().length();
    }

    @Override
    protected void writeOwn(Delivery d) {
      own.add(d);
      write(d);
    }

    @Override
    protected boolean transportFull() {
      return queued >= room;
    }

    /** The client reads everything; the socket reports that it drained. */
    void readAll() {
      queued = 0;
      drained();
    }
  }

  final io.pulse.testing.FakeBus bus = new io.pulse.testing.FakeBus();
  final Hub hub = new Hub(bus, d -> { }, new HubTest.FakeGaps());

  /** written (a client's view): per channel, delivered count plus every conflated count. */
  static Map<String, Long> accounted(List<Delivery> written) {
    Map<String, Long> n = new HashMap<>();
    for (Delivery d : written) {
      n.merge(d.channel(), 1L + new JsonObject(d.envelope()).getInteger("conflated", 0), Long::sum);
    }
    return n;
  }

  @Test
  @DisplayName("a slow client holds one message per channel over 1,000 updates, then gets the latest of each")
  void thousandUpdates() {
    Slow slow = new Slow(1 << 20, SlowPolicy.DISCONNECT, 200);
    slow.policy("s.*", SlowPolicy.CONFLATE);
    hub.subscribe(slow, "s.*");
    int maxHeld = 0;
    for (int i = 1; i <= 1000; i++) {
      bus.publish("s." + (i % 8), (i + 7) / 8);
      maxHeld = Math.max(maxHeld, slow.conflatedChannels());
      assertEquals(slow.conflatedChannels(), slow.heldChannels, "the listener's account matches");
      assertEquals(slow.conflatedBytes(), slow.heldBytes);
    }
    assertEquals(8, maxHeld, "bounded by the channels, not by the rate");
    assertTrue(slow.conflated > 900, "nearly everything was replaced: " + slow.conflated);
    assertFalse(slow.closedSlow);
    slow.readAll();
    assertEquals(0, slow.conflatedChannels());
    assertEquals(0, slow.heldChannels);
    assertEquals(0, slow.heldBytes);
    Map<String, Long> last = new HashMap<>();
    for (Delivery d : slow.written) {
      Long before = last.put(d.channel(), d.seq());
      assertTrue(before == null || d.seq() > before, "ids go forward on " + d.channel());
    }
    for (int c = 0; c < 8; c++) {
      assertEquals(125L, last.get("s." + c), "the latest value of s." + c);
    }
    assertEquals(Map.of("s.0", 125L, "s.1", 125L, "s.2", 125L, "s.3", 125L, "s.4", 125L, "s.5", 125L, "s.6", 125L,
        "s.7", 125L), accounted(slow.written), "delivered + conflated add up to what was published");
    long skipped = slow.written.stream().mapToLong(d -> new JsonObject(d.envelope()).getInteger("conflated", 0)).sum();
    assertEquals(slow.conflated, skipped, "the metric counts what the envelopes say");
    assertEquals(Map.of("s.0", 125L, "s.1", 125L, "s.2", 125L, "s.3", 125L, "s.4", 125L, "s.5", 125L, "s.6", 125L,
        "s.7", 125L), Map.copyOf(slow.positions()), "resume positions are the latest");
  }

  @Test
  @DisplayName("once the socket has room, waiting messages go first and live ones follow in order")
  void orderAfterDrain() {
    Slow slow = new Slow(1 << 20, SlowPolicy.CONFLATE, 30);
    hub.subscribe(slow, "c");
    for (int i = 1; i <= 10; i++) {
      bus.publish("c", i);
    }
    slow.queued = 0; // room again, but no drain event yet
    bus.publish("c", 11);
    bus.publish("c", 12);
    slow.readAll();
    List<Long> seqs = slow.written.stream().map(Delivery::seq).toList();
    for (int i = 1; i < seqs.size(); i++) {
      assertTrue(seqs.get(i) > seqs.get(i - 1), seqs.toString());
    }
    assertEquals(12L, seqs.get(seqs.size() - 1));
    assertEquals(Map.of("c", 12L), accounted(slow.written));
  }

  @Test
  @DisplayName("a channel follows its most specific subscription: conflate on the pattern, disconnect on the exact one")
  void perSubscription() {
    Slow slow = new Slow(1 << 20, SlowPolicy.DROP, 20);
    slow.policy("a.*", SlowPolicy.CONFLATE);
    slow.policy("a.x", SlowPolicy.DISCONNECT);
    hub.subscribe(slow, "a.*");
    hub.subscribe(slow, "a.x");
    bus.publish("b.q", 0); // no subscription: ignored by the hub
    for (int i = 1; i <= 5; i++) {
      bus.publish("a.y", i);
    }
    assertFalse(slow.closedSlow, "a.y conflates");
    assertEquals(1, slow.conflatedChannels());
    bus.publish("a.x", 1);
    assertTrue(slow.closedSlow, "a.x disconnects");
    assertEquals(List.of("slow_consumer"), slow.drops);
    assertEquals(0, slow.conflatedChannels(), "nothing held after the close");
    assertEquals(0, slow.heldChannels);
  }

  @Test
  @DisplayName("an exact subscription with the default policy still beats a broader conflating pattern")
  void exactDefaultBeatsPattern() {
    Slow slow = new Slow(1 << 20, SlowPolicy.DROP, 1);
    slow.policy("p.x", SlowPolicy.DROP);
    slow.policy("p.*", SlowPolicy.CONFLATE);
    hub.subscribe(slow, "p.x");
    hub.subscribe(slow, "p.*");
    bus.publish("p.x", 1); // written; full from here
    bus.publish("p.x", 2);
    bus.publish("p.y", 1);
    assertFalse(slow.drops.isEmpty(), "p.x drops"); // offered once per matching subscription, so maybe counted twice
    assertEquals(1, slow.conflatedChannels(), "p.y conflates, p.x does not");
    slow.policy("p.x", null); // unsubscribed from p.x: p.* covers it now
    bus.publish("p.x", 3);
    assertEquals(2, slow.conflatedChannels());
  }

  @Test
  @DisplayName("without a policy of its own, a subscription takes the session default: drop stays drop")
  void defaultDrop() {
    Slow slow = new Slow(1 << 20, SlowPolicy.DROP, 20);
    hub.subscribe(slow, "c");
    for (int i = 1; i <= 5; i++) {
      bus.publish("c", i);
    }
    assertEquals(0, slow.conflatedChannels());
    assertTrue(slow.drops.size() > 0);
    assertEquals(5, slow.drops.size() + slow.written.size());
    assertFalse(slow.closedSlow);
  }

  @Test
  @DisplayName("more conflated bytes than the bound closes the session as a slow consumer")
  void overBound() {
    Slow slow = new Slow(100, SlowPolicy.CONFLATE, 1);
    hub.subscribe(slow, "m.*");
    bus.publish("m.0", 1); // written; the socket is full from here
    for (int c = 1; c <= 20 && !slow.closedSlow; c++) {
      bus.publish("m." + c, 1);
    }
    assertTrue(slow.closedSlow);
    assertTrue(slow.isClosed());
    assertEquals(0, slow.conflatedChannels());
  }

  @Test
  @DisplayName("unsubscribing drops the conflated messages no subscription covers any more")
  void unsubscribeDropsUncovered() {
    Slow slow = new Slow(1 << 20, SlowPolicy.DISCONNECT, 1);
    slow.policy("u.*", SlowPolicy.CONFLATE);
    slow.policy("v", SlowPolicy.CONFLATE);
    hub.subscribe(slow, "u.*");
    hub.subscribe(slow, "v");
    bus.publish("u.a", 1);
    bus.publish("u.a", 2);
    bus.publish("v", 1);
    assertEquals(2, slow.conflatedChannels());
    hub.unsubscribe(slow, "u.*");
    slow.policy("u.*", null);
    assertEquals(1, slow.conflatedChannels());
    assertEquals(1, slow.heldChannels);
    slow.readAll();
    assertEquals(List.of("u.a", "v"), slow.written.stream().map(Delivery::channel).toList());
    assertEquals(slow.own, slow.written.subList(1, 2), "conflated ones are written as the session's own");
  }

  @Test
  @DisplayName("messages held during a replay that overflow are conflated, and counted when released")
  void heldDuringRecovery() {
    Slow slow = new Slow(100, SlowPolicy.CONFLATE, 1 << 20);
    hub.subscribe(slow, "r");
    slow.beginRecovery();
    for (int i = 1; i <= 20; i++) {
      bus.publish("r", i); // {"seq":N}: about 10 bytes each, so some are held, the rest conflated
    }
    assertEquals(1, slow.conflatedChannels());
    slow.endRecovery(List.of());
    List<Long> seqs = slow.written.stream().map(Delivery::seq).toList();
    assertEquals(20L, seqs.get(seqs.size() - 1), seqs.toString());
    assertEquals(Map.of("r", 20L), accounted(slow.written));
  }
}
