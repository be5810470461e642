package io.pulse.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.pulse.node.PulseNode;
import io.pulse.testing.Await;
import io.pulse.testing.Http;
import io.pulse.testing.SseClient;
import io.pulse.testing.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Idle channels lose their ring buffer, and nothing else: ids, reads and live streams carry on. */
@Timeout(120)
class HistoryRetireTest {

  /** One-second windows, retiring checked every second (validity 0.4 s, retiring after 0.8 s). */
  static final JsonObject FAST = new JsonObject().put("history.ttlSeconds", 1).put("history.retireCheckSeconds", 1);
  static final Duration WAIT = Duration.ofSeconds(15);

  /** The protocol, driven by hand on a member without Pulse verticles (no janitor of its own). */
  @Test
  void markRetireAndTakeBack() {
    try (TestNodes nodes = new TestNodes()) {
      Vertx vertx = nodes.startPlain("retire", FAST);
      HazelcastInstance hz = TestNodes.hazelcast(vertx);
      IMap<String, String> registry = hz.getMap(History.CHANNELS);
      History history = new History(vertx, hz, 100, 1);

      assertEquals(0L, TestNodes.await(history.append("r.a", "m0")));
      assertEquals("0,0,a", registry.get("r.a"));
      Await.until(() -> hz.getRingbuffer(History.NAME_PREFIX + "r.a").size() == 0, WAIT, "m0 expires");
      assertEquals(0, history.retireIdle(), "the first check only marks");
      assertEquals("0,0,r", registry.get("r.a"));
      assertEquals(1L, TestNodes.await(history.append("r.a", "m1")), "a message in time takes the mark back");
      assertEquals("0,0,a", registry.get("r.a"));

      Await.until(() -> hz.getRingbuffer(History.NAME_PREFIX + "r.a").size() == 0, WAIT, "m1 expires");
      assertEquals(0, history.retireIdle());
      assertEquals("0,0,r", registry.get("r.a"));
      History.Replay read = TestNodes.await(history.since("r.a", 1, 10));
      assertTrue(read.recovered());
      assertEquals(1, read.position());
      assertEquals("0,0,a", registry.get("r.a"), "a read takes the mark back too");

      Await.until(() -> {
        history.retireIdle();
        return "1,2,x".equals(registry.get("r.a"));
      }, WAIT, "retired after two checks without use");
      assertFalse(ringBuffers(hz).contains(History.NAME_PREFIX + "r.a"), "the ring buffer is destroyed");

      History.Replay upToDate = TestNodes.await(history.since("r.a", 1, 10));
      assertTrue(upToDate.recovered(), "a client that saw the last id missed nothing");
      assertEquals(1, upToDate.position());
      assertFalse(TestNodes.await(history.since("r.a", 0, 10)).recovered(), "one that did not, did");
      assertEquals("1,2,x", registry.get("r.a"), "reads of a retired channel leave it retired");
      assertTrue(ringBuffers(hz).isEmpty(), "and create no ring buffer: " + ringBuffers(hz));

      assertEquals(2L, TestNodes.await(history.append("r.a", "m2")), "the ids go on");
      assertEquals("1,2,a", registry.get("r.a"));
      assertEquals(Set.of(History.NAME_PREFIX + "r.a~1"), ringBuffers(hz));
      History.Replay after = TestNodes.await(history.since("r.a", 1, 10));
      assertEquals(List.of(2L), after.messages().stream().map(d -> d.seq()).toList());
      assertTrue(after.recovered());
      assertFalse(TestNodes.await(history.since("r.a", -1, 10)).recovered(), "the first generation's messages are gone");
    }
  }

  /** Two Pulse nodes with their janitors: a subscriber that stays connected sees nothing of it. */
  @Test
  void retiredUnderALiveSubscriber() {
    try (TestNodes nodes = new TestNodes()) {
      PulseNode a = nodes.start("ra", FAST);
      PulseNode b = nodes.start("rb", FAST);
      HazelcastInstance hz = TestNodes.hazelcast(a.vertx());
      try (SseClient sse = SseClient.open(b.httpPort(), "channel=r.live")) {
        sse.awaitLive(a.httpPort(), "r.live");
        String first = Http.publish(a.httpPort(), "r.live", "n", 1);
        assertEquals(first, sse.next(WAIT).id());
        Await.until(() -> hz.getMap(History.CHANNELS).get("r.live") instanceof String s && s.endsWith(",x"), WAIT,
            "r.live retired");
        // The registry says "retired" before the ring buffer's destroy has returned: wait for both.
        Await.until(() -> ringBuffers(hz).stream().noneMatch(n -> n.startsWith(History.NAME_PREFIX + "r.live")), WAIT,
            "r.live's ring buffer destroyed");
        JsonObject read = new JsonObject(Http.get(b.httpPort(), "/api/channels/r.live/history?since=" + first).body());
        assertTrue(read.getBoolean("recovered"));

        String next = Http.publish(b.httpPort(), "r.live", "n", 2);
        assertEquals(Long.parseLong(first) + 1, Long.parseLong(next), "ids go on after retiring");
        SseClient.Event e = sse.next(Duration.ofSeconds(5));
        assertEquals(next, e.id());
        JsonObject after = new JsonObject(Http.get(a.httpPort(), "/api/channels/r.live/history?since=" + first).body());
        assertEquals(next, after.getJsonArray("messages").getJsonObject(0).getString("id"));
        assertTrue(after.getBoolean("recovered"));
      }
      double retired = retiredTotal(a) + retiredTotal(b);
      assertTrue(retired >= 1, "pulse_history_retired_total " + retired);
    }
  }

  /**
   * Channels that burst and fall idle for 3 s, published to from both nodes while the janitors
   * retire them: every channel's ids are still 0, 1, 2, … with none repeated or skipped.
   */
  @Test
  void idsNeverRepeatAcrossRetirements() {
    try (TestNodes nodes = new TestNodes()) {
      PulseNode a = nodes.start("sa", FAST);
      PulseNode b = nodes.start("sb", FAST);
      publishInBursts(a, b, "s", 30, 250, 3, 16); // busy 0.75 s, idle 3.25 s
      double retired = retiredTotal(a) + retiredTotal(b);
      assertTrue(retired >= 2, "retirements while publishing: " + retired);
    }
  }

  /**
   * Gaps just longer than the window (1.4 s against 1 s) and a long check period (4 s: a node
   * keeps a registration 1.6 s without asking): each check finds channels empty that a node is
   * about to publish to with a registration it still trusts. Destroying a ring buffer at the
   * first empty check would let that publish recreate it and hand out ids again.
   */
  @Test
  void idsNeverRepeatWhenChannelsEmptyBetweenChecks() {
    JsonObject slow = FAST.copy().put("history.retireCheckSeconds", 4);
    try (TestNodes nodes = new TestNodes()) {
      PulseNode a = nodes.start("qa", slow);
      PulseNode b = nodes.start("qb", slow);
      publishInBursts(a, b, "q", 45, 200, 1, 7);
    }
  }

  /**
   * {@code rounds} rounds, {@code roundMs} apart; channel i publishes (once on each node) in the
   * rounds where {@code (round + i) % period < busy}. Then checks each channel's ids.
   */
  private static void publishInBursts(PulseNode a, PulseNode b, String prefix, int rounds, long roundMs, int busy,
      int period) {
    int channels = 8;
    List<List<Long>> ids = new ArrayList<>();
    for (int i = 0; i < channels; i++) {
      ids.add(new ArrayList<>());
    }
    for (int round = 0; round < rounds; round++) {
      long start = System.nanoTime();
      for (int i = 0; i < channels; i++) {
        if ((round + i) % period < busy) {
          ids.get(i).add(Long.parseLong(Http.publish(a.httpPort(), prefix + ".c" + i, "n", round)));
          ids.get(i).add(Long.parseLong(Http.publish(b.httpPort(), prefix + ".c" + i, "n", round)));
        }
      }
      long left = roundMs - (System.nanoTime() - start) / 1_000_000;
      if (left > 0) {
        try {
          Thread.sleep(left); // the test's clock: the gaps between bursts are what is under test
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }
    for (int i = 0; i < channels; i++) {
      List<Long> sorted = ids.get(i).stream().sorted().toList();
      List<Long> expected = LongStream.range(0, sorted.size()).boxed().toList();
      assertEquals(expected, sorted, "ids of " + prefix + ".c" + i);
    }
  }

  private static Set<String> ringBuffers(HazelcastInstance hz) {
    return hz.getDistributedObjects().stream()
        .filter(o -> o.getServiceName().equals("hz:impl:ringbufferService"))
        .map(o -> o.getName())
        .filter(n -> n.startsWith(History.NAME_PREFIX))
        .collect(Collectors.toSet());
  }

  private static double retiredTotal(PulseNode node) {
    return Http.get(node.httpPort(), "/metrics").body().lines()
        .filter(l -> l.startsWith("pulse_history_retired_total"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }
}
