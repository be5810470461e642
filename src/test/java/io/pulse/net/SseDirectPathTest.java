package io.pulse.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.node.PulseNode;
import io.pulse.testing.Http;
import io.pulse.testing.SseClient;
import io.pulse.testing.TestNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The SSE direct path on a real node: {@code /events} streams get their connection's Netty context
 * from {@link VertxInternals#context} and write ready-made chunks straight to the pipeline
 * ({@code pulse_sse_streams_total{writes="direct"}}), and their events arrive intact and in order.
 * If a Vert.x upgrade takes the context away, the streams still work through Vert.x's response,
 * so only the count tells: this test then fails instead of passing on the slower path.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class SseDirectPathTest {

  final TestNodes cluster = new TestNodes();
  PulseNode node;
  int port;

  @BeforeAll
  void up() {
    node = cluster.start("sse-direct");
    port = node.httpPort();
  }

  @AfterAll
  void down() {
    cluster.close();
  }

  @Test
  @DisplayName("single- and multi-channel streams are written straight to Netty; events arrive intact and in order")
  void streamsWriteDirectlyAndInOrder() {
    double direct = streams("direct");
    double throughVertx = streams("vertx");
    try (SseClient single = SseClient.open(port, "channel=direct.a");
        SseClient multi = SseClient.open(port, "channel=direct.a&channel=direct.b")) {
      assertEquals(200, single.status);
      multi.awaitLive(port, "direct.a");
      multi.awaitLive(port, "direct.b");
      single.awaitLive(port, "direct.a");
      assertEquals(direct + 2, streams("direct"), "both streams took the direct path");
      assertEquals(throughVertx, streams("vertx"), "no stream fell back to Vert.x's response");

      // Sizes around the chunk-size boundaries, multi-byte text, and one near the message limit.
      List<String> texts = new ArrayList<>();
      for (int n = 0; n < 40; n++) {
        texts.add(n + ":" + "é".repeat(n * 7) + "x".repeat(n % 5 == 0 ? 4_000 : n));
      }
      texts.add("big:" + "y".repeat(60_000));
      List<String> onA = new ArrayList<>();
      List<String> onB = new ArrayList<>();
      for (int n = 0; n < texts.size(); n++) {
        String channel = n % 3 == 2 ? "direct.b" : "direct.a";
        Http.publish(port, channel, "t", texts.get(n));
        (channel.equals("direct.a") ? onA : onB).add(texts.get(n));
      }

      List<SseClient.Event> a = published(single, onA.size());
      assertEquals(onA, a.stream().map(e -> e.json().getString("data")).toList(), "intact and in publish order");
      long previous = 0;
      for (SseClient.Event e : a) {
        long id = Long.parseLong(e.id());
        assertEquals(e.json().getString("id"), e.id(), "a single-channel stream's id is the message's");
        assertTrue(id > previous, "ids increase: " + previous + " then " + id);
        previous = id;
      }

      List<SseClient.Event> both = published(multi, onA.size() + onB.size());
      assertEquals(onA, data(both, "direct.a"), "direct.a intact and in order on the multi-channel stream");
      assertEquals(onB, data(both, "direct.b"), "direct.b intact and in order on the multi-channel stream");
    }
  }

  /** The next {@code n} events of type {@code t}, skipping the probes of {@link SseClient#awaitLive}. */
  private static List<SseClient.Event> published(SseClient sse, int n) {
    List<SseClient.Event> out = new ArrayList<>();
    while (out.size() < n) {
      SseClient.Event e = sse.next(Duration.ofSeconds(20));
      if ("t".equals(e.json().getString("type"))) {
        out.add(e);
      }
    }
    return out;
  }

  private static List<String> data(List<SseClient.Event> events, String channel) {
    return events.stream().map(SseClient.Event::json).filter(j -> channel.equals(j.getString("channel")))
        .map(j -> j.getString("data")).toList();
  }

  private double streams(String writes) {
    return node.metrics().count("pulse.sse.streams", "writes", writes);
  }
}
