package io.pulse.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.messages.Delivery;
import io.pulse.testing.FakeBus;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Several messages heard in one event-loop turn go out with one flush per connection; one alone
 * is written and flushed at once; the slow-consumer policies see the same queue. Without sockets:
 * a fake transport records what it wrote, flushed, and what its queue holds.
 */
class CoalescedWritesTest {

  /**
   * A transport that can defer flushes, like a Netty channel: its queue holds the written bytes
   * (flushed or not) until the "kernel" takes what was flushed ({@link #drain}), and is full past
   * {@code maxBytes}.
   */
  static final class Socket extends RecordingSession {
    final List<String> log = new ArrayList<>(); // "w1" written and flushed, "u1" written unflushed, "flush"
    final long maxBytes;
    long queued; // bytes in the queue, flushed or not
    long unflushedBytes;
    boolean kernelTakesFlushed = true; // false: a client that does not read
    int flushes;
    List<String> shared = new ArrayList<>(); // every socket's events, in the order they happened

    Socket(long maxBytes, SlowPolicy policy) {
      super(maxBytes, policy);
      this.maxBytes = maxBytes;
    }

    @Override
    String dropEntry(Delivery d, String reason) {
      return d.seq() + ":" + reason;
    }

    @Override
    protected void write(Delivery d) {
      log.add("w" + d.seq());
      shared.add(this + ":w" + d.seq());
      queued += d.envelope().length();
      flushes++;
      drain();
    }

    @Override
    protected boolean writeWithoutFlush(Delivery d) {
      log.add("u" + d.seq());
      shared.add(this + ":u" + d.seq());
      queued += d.envelope().length();
      unflushedBytes += d.envelope().length();
      return true;
    }

    @Override
    protected void flushWrites() {
      log.add("flush");
      shared.add(this + ":flush");
      flushes++;
      unflushedBytes = 0;
      drain();
    }

    private void drain() {
      if (kernelTakesFlushed) {
        queued = unflushedBytes;
      }
    }

    @Override
    protected boolean transportFull() {
      return queued > maxBytes;
    }
  }

  final FakeBus bus = new FakeBus();
  final Hub hub = new Hub(bus, d -> { }, new Hub.Gaps() {
    @Override
    public void later(long ms, Runnable task) {
    }

    @Override
    public Future<List<Delivery>> missing(String channel, long after, long before) {
      return Future.succeededFuture(List.of());
    }
  });

  static Delivery msg(long seq) {
    return new Delivery("c", seq, 0, "{\"seq\":" + seq + ",\"pad\":\"0123456789\"}");
  }

  static List<Delivery> msgs(long from, long to) {
    List<Delivery> out = new ArrayList<>();
    for (long s = from; s <= to; s++) {
      out.add(msg(s));
    }
    return out;
  }

  /** What the hub handed to FakeBus: the receiver that takes a turn's messages at once. */
  Hub.Receiver receiver() {
    return (Hub.Receiver) bus.live.get(io.pulse.messages.Addresses.channel("c"));
  }

  @Test
  @DisplayName("several messages in one turn: written in order, one flush per connection, connection by connection")
  void severalInOneTurnFlushOnce() {
    List<String> all = new ArrayList<>();
    Socket a = new Socket(1 << 20, SlowPolicy.DISCONNECT);
    Socket b = new Socket(1 << 20, SlowPolicy.DISCONNECT);
    a.shared = all;
    b.shared = all;
    hub.subscribe(a, "c");
    hub.subscribe(b, "c");
    receiver().acceptAll(msgs(1, 5));
    for (Socket s : List.of(a, b)) {
      assertEquals(List.of("u1", "u2", "u3", "u4", "u5", "flush"), s.log);
      assertEquals(1, s.flushes);
    }
    assertEquals(a + ":flush", all.get(5), "the first connection is flushed before the second is written to: " + all);
  }

  @Test
  @DisplayName("a channel that several subscriptions match goes out message by message: each once, in order")
  void severalEntriesGoOneByOne() {
    Socket exact = new Socket(1 << 20, SlowPolicy.DISCONNECT);
    Socket both = new Socket(1 << 20, SlowPolicy.DISCONNECT);
    Socket pattern = new Socket(1 << 20, SlowPolicy.DISCONNECT);
    hub.subscribe(exact, "a.b");
    hub.subscribe(both, "a.b");
    hub.subscribe(both, "a.*");
    hub.subscribe(pattern, "a.*");
    List<Delivery> turn = new ArrayList<>();
    for (long s = 1; s <= 3; s++) {
      turn.add(new Delivery("a.b", s, 0, "{}"));
    }
    ((Hub.Receiver) bus.live.get(io.pulse.messages.Addresses.channel("a.b"))).acceptAll(turn);
    for (Socket s : List.of(exact, both, pattern)) {
      assertEquals(List.of("w1", "w2", "w3"), s.log);
    }
  }

  @Test
  @DisplayName("one message alone is written and flushed at once, as before: no deferral")
  void oneAloneIsFlushedAtOnce() {
    Socket a = new Socket(1 << 20, SlowPolicy.DISCONNECT);
    hub.subscribe(a, "c");
    receiver().acceptAll(List.of(msg(1)));
    assertEquals(List.of("w1"), a.log);
    receiver().accept(msg(2));
    assertEquals(List.of("w1", "w2"), a.log);
    assertEquals(2, a.flushes);
  }

  @Test
  @DisplayName("order holds across turns, and what a turn already wrote is not written again")
  void orderAcrossTurns() {
    Socket a = new Socket(1 << 20, SlowPolicy.DISCONNECT);
    hub.subscribe(a, "c");
    receiver().acceptAll(msgs(1, 3));
    receiver().acceptAll(List.of(msg(3), msg(4), msg(5))); // 3 heard twice
    assertEquals(List.of("u1", "u2", "u3", "flush", "u4", "u5", "flush"), a.log);
  }

  @Test
  @DisplayName("a queue that looks full only with the turn's unflushed bytes is flushed early, not dropped")
  void unflushedBytesDoNotCountAsSlow() {
    int size = msg(1).envelope().length();
    Socket a = new Socket(size * 3L, SlowPolicy.DROP);
    hub.subscribe(a, "c");
    receiver().acceptAll(msgs(1, 10));
    assertTrue(a.drops.isEmpty(), "nothing dropped: the client reads " + a.drops);
    assertEquals(10, a.log.stream().filter(e -> e.startsWith("u")).count());
    assertTrue(a.flushes > 1 && a.flushes < 10, "flushed early when full, not per message: " + a.flushes);
    assertEquals("flush", a.log.get(a.log.size() - 1));
  }

  @Test
  @DisplayName("a client that does not read meets its policy within a turn as outside one: drop")
  void dropPolicyInATurn() {
    int size = msg(1).envelope().length();
    Socket turn = new Socket(size * 3L, SlowPolicy.DROP);
    turn.kernelTakesFlushed = false;
    hub.subscribe(turn, "c");
    receiver().acceptAll(msgs(1, 6));
    Hub other = new Hub(new FakeBus(), d -> { }, null);
    Socket alone = new Socket(size * 3L, SlowPolicy.DROP);
    alone.kernelTakesFlushed = false;
    other.subscribe(alone, "c");
    msgs(1, 6).forEach(other::dispatch);
    assertEquals(List.of("5:slow_consumer", "6:slow_consumer"), alone.drops, "one by one");
    assertEquals(alone.drops, turn.drops, "the same messages dropped in a turn");
  }

  @Test
  @DisplayName("disconnect and conflate in a turn: closed once; the latest kept and written on drain")
  void disconnectAndConflateInATurn() {
    int size = msg(1).envelope().length();
    Socket slow = new Socket(size * 3L, SlowPolicy.DISCONNECT);
    slow.kernelTakesFlushed = false;
    Socket conflating = new Socket(size * 3L, SlowPolicy.CONFLATE);
    conflating.kernelTakesFlushed = false;
    hub.subscribe(slow, "c");
    hub.subscribe(conflating, "c");
    receiver().acceptAll(msgs(1, 8));
    assertTrue(slow.closedSlow);
    assertEquals(List.of("5:slow_consumer"), slow.drops, "closed at the first message that did not fit");
    assertEquals(1, conflating.conflatedChannels(), "8 waits as the latest of its channel");
    conflating.kernelTakesFlushed = true;
    conflating.queued = 0;
    conflating.drained();
    assertEquals("w8", conflating.log.get(conflating.log.size() - 1));
  }
}
