package io.pulse.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.node.PulseNode;
import io.pulse.testing.Await;
import io.pulse.testing.Http;
import io.pulse.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The bench's bare-Netty subscribers against a real node. */
@Timeout(120)
class LeanClientsTest {

  static final int CLIENTS = 3;
  static final int MESSAGES = 4;
  static final Duration WAIT = Duration.ofSeconds(15);
  // payloads that need the 7-bit and the 16-bit length forms of a WebSocket frame (over 64 KiB
  // would be refused), so frames and chunks also span several reads
  static final int[] PADDING = {0, 200, 5_000, 60_000};

  @Test
  void webSocketSubscribersReceiveEveryFrameSizeAnswerPingsAndNoticeAServerClose() throws Exception {
    try (TestNodes cluster = new TestNodes()) {
      PulseNode pulse = cluster.start("lean", new JsonObject().put("ws.pingSeconds", 1).put("ws.idleTimeoutSeconds", 2));
      Deliveries deliveries = new Deliveries(CLIENTS, MESSAGES);
      LeanWsClients lean = new LeanWsClients(deliveries);
      openAll(lean, pulse, "bench.lean");

      publishAndReceiveAll(pulse, "bench.lean", deliveries);

      // The node pings every second and closes a connection silent for 2 s; only the client's
      // pongs keep these open over a window of 3.5 s.
      Thread.sleep(3_500);
      assertEquals(0, lean.dropped(), lean.dropReasons());

      cluster.stop(pulse); // closes every WebSocket with 1001
      Await.until(() -> lean.dropped() == CLIENTS, WAIT, "every connection lost: " + lean.dropReasons());
      assertTrue(lean.dropReasons().contains("1001"), lean.dropReasons());
      lean.close();
    }
  }

  @Test
  void webSocketSubscribersWithCompressionInflateWhatComesCompressed() throws Exception {
    try (TestNodes cluster = new TestNodes()) {
      PulseNode pulse = cluster.start("lean-deflate", new JsonObject().put("ws.compression", true));
      Deliveries deliveries = new Deliveries(CLIENTS, MESSAGES);
      LeanWsClients lean = LeanWsClients.compressing(deliveries, true);
      openAll(lean, pulse, "bench.lean-deflate");

      publishAndReceiveAll(pulse, "bench.lean-deflate", deliveries); // seq and bt read from the inflated text
      // The three padded messages came compressed (the first is under ws.compressionMinBytes), in far fewer bytes.
      assertEquals((long) CLIENTS * (MESSAGES - 1), lean.compressedMessages());
      assertTrue(lean.wireBytes() < CLIENTS * 10_000L, "on the wire: " + lean.wireBytes());
      assertEquals(0, lean.dropped(), lean.dropReasons());
      lean.close();

      // A node without ws.compression: the subscribers refuse to count as opened.
      PulseNode plain = cluster.start("lean-plain", new JsonObject());
      LeanWsClients refused = LeanWsClients.compressing(null, true);
      Node node = new Node("x", URI.create("http://127.0.0.1:" + plain.httpPort()),
          URI.create("ws://127.0.0.1:" + plain.wsPort() + "/ws"), null, null);
      Clients.Opened opened = refused.open(List.of(node), 1, "x", 1, System.currentTimeMillis() + 20_000);
      assertEquals(0, opened.opened());
      assertTrue(String.valueOf(opened.firstError()).contains("permessage-deflate"), String.valueOf(opened.firstError()));
      refused.close();
    }
  }

  @Test
  void sseSubscribersDecodeChunksOfEverySizeAndNoticeTheStreamEnd() throws Exception {
    try (TestNodes cluster = new TestNodes()) {
      PulseNode pulse = cluster.start("lean-sse", new JsonObject());
      Deliveries deliveries = new Deliveries(CLIENTS, MESSAGES);
      LeanSseClients lean = new LeanSseClients(deliveries);
      openAll(lean, pulse, "bench.lean-sse");
      // Streams reach the hub asynchronously: warm-up messages (seq -1) until each stream has one.
      Await.until(() -> {
        Http.publish(pulse.httpPort(), "bench.lean-sse", "bench",
            new JsonObject().put("seq", -1).put("bt", EpochMicros.now()));
        return deliveries.warmConnections() == CLIENTS;
      }, WAIT, "streams live");

      publishAndReceiveAll(pulse, "bench.lean-sse", deliveries);
      assertEquals(0, lean.dropped(), lean.dropReasons());

      cluster.stop(pulse); // ends every stream
      Await.until(() -> lean.dropped() == CLIENTS, WAIT, "every stream lost: " + lean.dropReasons());
      lean.close();
    }
  }

  private static void openAll(Clients clients, PulseNode pulse, String channel) throws InterruptedException {
    Node node = new Node(channel, URI.create("http://127.0.0.1:" + pulse.httpPort()),
        URI.create("ws://127.0.0.1:" + pulse.wsPort() + "/ws"), null, null);
    Clients.Opened opened = clients.open(List.of(node), CLIENTS, channel, 2, System.currentTimeMillis() + 20_000);
    assertEquals(CLIENTS, opened.opened(), String.valueOf(opened.firstError()));
  }

  /** Publishes seq 0 … MESSAGES-1 with growing payloads; every client gets each once. */
  private static void publishAndReceiveAll(PulseNode pulse, String channel, Deliveries deliveries) {
    for (int seq = 0; seq < MESSAGES; seq++) {
      Http.publish(pulse.httpPort(), channel, "bench", new JsonObject().put("seq", seq)
          .put("bt", EpochMicros.now()).put("pad", "x".repeat(PADDING[seq])));
    }
    Await.until(() -> deliveries.received() == (long) CLIENTS * MESSAGES, WAIT,
        "all deliveries: " + deliveries.received());
    assertEquals(0, deliveries.duplicates());
    assertEquals(0, deliveries.unrecognised());
  }
}
