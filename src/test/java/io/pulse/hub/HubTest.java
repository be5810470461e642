package io.pulse.hub;

import io.pulse.messages.Delivery;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import io.pulse.hub.Hub;
import io.pulse.testing.FakeBus;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Who gets what, without sockets or a cluster. */
class HubTest {

  /**
   * A session that records what it writes; its socket "flushes" only when told to, and is full,
   * like a Netty channel past its high-water mark, once more than {@code maxBytes} wait in it.
   */
  static class Recorder extends RecordingSession {
    final List<Delivery> written = new ArrayList<>();
    final long maxBytes;
    long pendingBytes;
    boolean autoFlush = true;

    Recorder(long maxBytes, boolean drop) {
      super(maxBytes, drop ? SlowPolicy.DROP : SlowPolicy.DISCONNECT);
      this.maxBytes = maxBytes;
    }

    Recorder() {
      this(1 << 20, false);
    }

    @Override
    protected void write(Delivery d) {
      written.add(d);
      if (!autoFlush) {
        pendingBytes += d.envelope().length();
      }
    }

    @Override
    protected boolean transportFull() {
      return pendingBytes > maxBytes;
    }

    void flush() {
      pendingBytes = 0;
    }

    List<Long> seqs() {
      return written.stream().map(Delivery::seq).toList();
    }
  }

  /** A history and a clock the test drives: timers run when the test says so. */
  static final class FakeGaps implements Hub.Gaps {
    final List<Runnable> timers = new ArrayList<>();
    final Map<Long, Delivery> stored = new HashMap<>();
    boolean belowQuorum;

    @Override
    public boolean detachedWelcome() {
      return belowQuorum;
    }

    @Override
    public void later(long ms, Runnable task) {
      timers.add(task);
    }

    @Override
    public Future<List<Delivery>> missing(String channel, long after, long before) {
      return Future.succeededFuture(stored.values().stream().filter(d -> d.seq() > after && d.seq() < before)
          .sorted(java.util.Comparator.comparingLong(Delivery::seq)).toList());
    }

    void fire() {
      List<Runnable> due = new ArrayList<>(timers);
      timers.clear();
      due.forEach(Runnable::run);
    }
  }

  final FakeBus bus = new FakeBus();
  final FakeGaps gaps = new FakeGaps();
  final List<Delivery> reordered = new ArrayList<>();
  final Hub hub = new Hub(bus, reordered::add, gaps);

  @Test
  @DisplayName("one registration per channel, however many local sessions")
  void oneRegistrationPerChannel() {
    List<Recorder> sessions = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      Recorder r = new Recorder();
      sessions.add(r);
      hub.subscribe(r, "chat.lobby");
    }
    assertEquals(1, bus.registered);
    bus.publish("chat.lobby", 0);
    sessions.forEach(r -> assertEquals(List.of(0L), r.seqs()));
    sessions.forEach(r -> hub.unsubscribe(r, "chat.lobby"));
    assertEquals(1, bus.cancelled, "the registration goes with the last session");
    assertEquals(0, hub.registrations());
  }

  @Test
  @DisplayName("a pattern matches channels at any depth under its prefix, and nothing else")
  void patterns() {
    Recorder r = new Recorder();
    hub.subscribe(r, "sensors.*");
    bus.publish("sensors.s-01", 0);
    bus.publish("sensors.room.s-02", 0);
    bus.publish("sensorsx.s-03", 0);
    bus.publish("chat.lobby", 0);
    assertEquals(List.of("sensors.s-01", "sensors.room.s-02"), r.written.stream().map(Delivery::channel).toList());
  }

  @Test
  @DisplayName("a session holding a channel and a matching pattern gets each message once")
  void overlapDeliversOnce() {
    Recorder r = new Recorder();
    hub.subscribe(r, "a.b");
    hub.subscribe(r, "a.*");
    bus.publish("a.b", 1);
    bus.publish("a.b", 2);
    assertEquals(List.of(1L, 2L), r.seqs());
    assertTrue(reordered.isEmpty(), "hearing one message on two addresses is not a reorder");
  }

  @Test
  @DisplayName("below the quorum, a detached id goes out at once after history ids, without waiting for a gap")
  void detachedIdsGoOutAtOnce() {
    gaps.belowQuorum = true;
    Recorder r = new Recorder();
    hub.subscribe(r, "c");
    long first = io.pulse.history.DetachedIds.BASE + 1000;
    bus.publish("c", 7);
    bus.publish("c", first);
    bus.publish("c", first + 256);
    assertEquals(List.of(7L, first, first + 256), r.seqs());
    assertTrue(gaps.timers.isEmpty(), "no gap to wait for");
  }

  @Test
  @DisplayName("with the history writable, a detached id (from a side of a split that is gone) is dropped:"
      + " the channel goes on with history ids")
  void staleDetachedIdsAreDropped() {
    Recorder r = new Recorder();
    hub.subscribe(r, "c");
    bus.publish("c", 7);
    bus.publish("c", io.pulse.history.DetachedIds.BASE + 1000);
    bus.publish("c", 8);
    assertEquals(List.of(7L, 8L), r.seqs());
    assertEquals(1, reordered.size(), "counted");
  }

  @Test
  @DisplayName("a message older than one already dispatched is dropped and counted")
  void lateMessagesAreDropped() {
    Recorder r = new Recorder();
    hub.subscribe(r, "c");
    bus.publish("c", 5);
    bus.publish("c", 4);
    bus.publish("c", 6);
    assertEquals(List.of(5L, 6L), r.seqs());
    assertEquals(1, reordered.size());
  }

  @Test
  @DisplayName("a message that overtakes an earlier one waits for it, and both go out in order")
  void overtakenMessagesAreReordered() {
    Recorder r = new Recorder();
    hub.subscribe(r, "c");
    bus.publish("c", 1);
    bus.publish("c", 3); // 2 is still on its way from another node
    bus.publish("c", 4);
    assertEquals(List.of(1L), r.seqs(), "held behind the gap");
    bus.publish("c", 2);
    assertEquals(List.of(1L, 2L, 3L, 4L), r.seqs());
    gaps.fire(); // the wait ends with nothing left to do
    assertEquals(List.of(1L, 2L, 3L, 4L), r.seqs());
    assertTrue(reordered.isEmpty());
  }

  @Test
  @DisplayName("a message that never arrives live is read from the history when the wait ends")
  void gapsAreFilledFromHistory() {
    Recorder r = new Recorder();
    hub.subscribe(r, "c");
    bus.publish("c", 1);
    gaps.stored.put(2L, new Delivery("c", 2, 0, "{\"seq\":2}"));
    bus.publish("c", 3);
    assertEquals(List.of(1L), r.seqs());
    gaps.fire();
    assertEquals(List.of(1L, 2L, 3L), r.seqs());
    bus.publish("c", 2); // arriving after all: a duplicate, dropped
    bus.publish("c", 4);
    assertEquals(List.of(1L, 2L, 3L, 4L), r.seqs());
  }

  @Test
  @DisplayName("a gap the history cannot fill is skipped when the wait ends")
  void unfillableGapsAreSkipped() {
    Recorder r = new Recorder();
    hub.subscribe(r, "c");
    bus.publish("c", 1);
    bus.publish("c", 5);
    gaps.fire();
    assertEquals(List.of(1L, 5L), r.seqs());
  }

  @Test
  @DisplayName("live messages wait while history replays, then follow it without duplicates")
  void recoveryHoldsLive() {
    Recorder r = new Recorder();
    r.seed("c", 3);
    r.beginRecovery();
    hub.subscribe(r, "c");
    bus.publish("c", 6);
    bus.publish("c", 7);
    assertTrue(r.written.isEmpty(), "nothing is written while recovering");
    List<Delivery> replay = new ArrayList<>();
    for (long s = 3; s <= 6; s++) {
      replay.add(new Delivery("c", s, 0, "{}"));
    }
    r.endRecovery(replay);
    assertEquals(List.of(4L, 5L, 6L, 7L), r.seqs());
  }

  @Test
  @DisplayName("a client that does not read is disconnected once its queue is full")
  void slowConsumerDisconnected() {
    Recorder slow = new Recorder(100, false);
    slow.autoFlush = false;
    Recorder fast = new Recorder();
    hub.subscribe(slow, "c");
    hub.subscribe(fast, "c");
    for (int i = 0; i < 50; i++) {
      bus.publish("c", i);
    }
    assertTrue(slow.closedSlow);
    assertTrue(slow.isClosed());
    assertTrue(slow.written.size() < 50);
    assertEquals(List.of("slow_consumer"), slow.drops);
    assertEquals(50, fast.written.size(), "others are unaffected");
  }

  @Test
  @DisplayName("a session that leaves while being offered a message does not disturb the others")
  void leavingDuringDispatch() {
    Recorder fast = new Recorder();
    Recorder[] self = new Recorder[1];
    self[0] = new Recorder(5, false) {
      @Override
      protected void closeSlow() {
        hub.unsubscribe(self[0], "c"); // what a transport does when it closes a slow client
      }
    };
    self[0].autoFlush = false;
    hub.subscribe(self[0], "c");
    hub.subscribe(fast, "c");
    bus.publish("c", 1);
    bus.publish("c", 2);
    assertEquals(List.of(1L, 2L), fast.seqs());
    assertTrue(self[0].isClosed());
  }

  @Test
  @DisplayName("with limits.slowConsumer=drop, messages that do not fit are dropped and counted")
  void slowConsumerDrop() {
    Recorder slow = new Recorder(100, true);
    slow.autoFlush = false;
    hub.subscribe(slow, "c");
    for (int i = 0; i < 20; i++) {
      bus.publish("c", i);
    }
    assertFalse(slow.closedSlow);
    int written = slow.written.size();
    assertTrue(written > 0 && written < 20);
    assertEquals(20 - written, slow.drops.size());
    slow.flush();
    bus.publish("c", 20);
    assertEquals(written + 1, slow.written.size(), "writes resume once the queue drains");
  }

  @Test
  @DisplayName("a slow session holding a channel and a matching pattern: one delivery or one drop per message")
  void overlapOffersOnce() {
    Recorder slow = new Recorder(100, true);
    slow.autoFlush = false;
    hub.subscribe(slow, "a.b");
    hub.subscribe(slow, "a.*");
    hub.subscribe(slow, "a.b.*"); // matches a.b.c only
    Recorder other = new Recorder();
    hub.subscribe(other, "a.*");
    for (int i = 0; i < 20; i++) {
      bus.publish("a.b", i);
    }
    int written = slow.written.size();
    assertTrue(written > 0 && written < 20, "some fit, some do not: " + written);
    assertEquals(20 - written, slow.drops.size(), "each message is written or dropped, once");
    assertEquals(20, other.written.size());
    slow.flush();
    bus.publish("a.b.c", 20);
    assertEquals(written + 1, slow.written.size(), "three matching subscriptions, one write");
    assertEquals(20 - written, slow.drops.size());
  }

  @Test
  @DisplayName("a session replaying holds a live message heard through two subscriptions once")
  void overlapHeldOnceDuringRecovery() {
    Recorder r = new Recorder(100, true);
    hub.subscribe(r, "a.b");
    hub.subscribe(r, "a.*");
    r.beginRecovery();
    for (int i = 0; i < 5; i++) {
      bus.publish("a.b", i); // 9 bytes each: five fit under 100 only if held once
    }
    for (int i = 5; i < 10; i++) {
      bus.publish("a.b", i);
    }
    r.endRecovery(List.of());
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), r.seqs());
    assertTrue(r.drops.isEmpty(), "held once each, the ten fit: " + r.drops);
  }

  @Test
  @DisplayName("unsubscribing a pattern keeps channels still held exactly")
  void unsubscribePatternKeepsExact() {
    Recorder a = new Recorder();
    Recorder b = new Recorder();
    hub.subscribe(a, "x.*");
    hub.subscribe(b, "x.y");
    bus.publish("x.y", 1);
    hub.unsubscribe(a, "x.*");
    bus.publish("x.y", 1); // a duplicate must still be recognised
    bus.publish("x.y", 2);
    assertEquals(List.of(1L), a.seqs());
    assertEquals(List.of(1L, 2L), b.seqs());
    assertEquals(1, hub.registrations());
  }
}
