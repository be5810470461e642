package io.pulse.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.messages.Addresses;
import io.pulse.node.PulseNode;
import io.pulse.testing.Await;
import io.pulse.testing.Http;
import io.pulse.testing.SseClient;
import io.pulse.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** limits.maxConnections and limits.sendQueueBytes on a real node and real sockets. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class SseLimitsTest {

  final TestNodes cluster = new TestNodes();
  PulseNode node;
  int port;

  @BeforeAll
  void up() {
    node = cluster.start("limits", new JsonObject()
        .put("limits.maxConnections", 2)
        .put("limits.sendQueueBytes", 65536)
        .put("limits.maxMessageBytes", 65536));
    port = node.httpPort();
  }

  @AfterAll
  void down() {
    cluster.close();
  }

  @Test
  @DisplayName("a full node answers 200 with a long retry and ends the stream, so browsers come back later")
  void fullNodeAsksToRetryLater() throws Exception {
    try (SseClient one = SseClient.open(port, "channel=l.a"); SseClient two = SseClient.open(port, "channel=l.b")) {
      SseClient third = SseClient.open(port, "channel=l.c");
      assertEquals(200, third.status, "not an error status: that would stop EventSource for good");
      assertEquals("text/event-stream; charset=utf-8", third.headers.firstValue("Content-Type").orElse(""));
      Await.until(third::ended, Duration.ofSeconds(10), "the refused stream ends at once");
      assertTrue(third.retry >= SseHandler.FULL_RETRY_MS, "retry: " + third.retry);
      assertTrue(node.metrics().count("pulse.refused", "reason", "max_connections") >= 1);
      third.close();
    }
    // Slots are given back when streams close.
    Await.until(() -> node.metrics().connections("sse").get() == 0, Duration.ofSeconds(10), "connections released");
    try (SseClient again = SseClient.open(port, "channel=l.d")) {
      again.awaitLive(port, "l.d");
    }
  }

  @Test
  @DisplayName("a client that never reads is disconnected as a slow consumer; others keep receiving")
  void slowConsumerIsDisconnected() throws Exception {
    Socket raw = new Socket();
    raw.setReceiveBufferSize(16 * 1024); // before connecting: a small window, whatever TCP autotuning allows
    raw.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
    try (raw; SseClient healthy = SseClient.open(port, "channel=l.slow")) {
      OutputStream out = raw.getOutputStream();
      out.write(("GET /events?channel=l.slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      healthy.awaitLive(port, "l.slow");
      Await.until(() -> node.metrics().connections("sse").get() == 2, Duration.ofSeconds(10), "both streams open");
      String chunk = "x".repeat(60_000);
      int sent = 0;
      while (node.metrics().count("pulse.disconnects", "transport", "sse", "reason", "slow_consumer") < 1 && sent < 2000) {
        TestNodes.await(node.vertx().eventBus().request(Addresses.PUBLISH,
            new JsonObject().put("channel", "l.slow").put("event", "big").put("data", chunk)));
        sent++;
        healthy.next(Duration.ofSeconds(10)); // the healthy client keeps up all along
      }
      assertEquals(1.0, node.metrics().count("pulse.disconnects", "transport", "sse", "reason", "slow_consumer"),
          "disconnected after " + sent + " messages of 60 kB");
      assertTrue(node.metrics().count("pulse.messages.dropped", "transport", "sse", "reason", "slow_consumer") >= 1);
      Await.until(() -> node.metrics().connections("sse").get() == 1, Duration.ofSeconds(10), "the slow stream is gone");
      Http.publish(port, "l.slow", "after", 1);
      assertEquals("after", healthy.next(Duration.ofSeconds(10)).json().getString("type"));
    }
  }
}
