package io.pulse.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.node.PulseNode;
import io.pulse.testing.Http;
import io.pulse.testing.RawWs;
import io.pulse.testing.TestNodes;
import io.pulse.testing.WsTestClient;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * limits.maxConnections across transports, limits.maxMessageBytes on the WebSocket port, and
 * what clients see when a node shuts down.
 */
@Timeout(120)
class WsLimitsTest {

  @Test
  @DisplayName("a full node refuses the upgrade with 503 and Retry-After; shutting down closes clients with 1001")
  void fullNodeThenShutdown() {
    try (TestNodes cluster = new TestNodes()) {
      PulseNode node = cluster.start("ws-limits", new JsonObject().put("limits.maxConnections", 1));
      WsTestClient first = WsTestClient.connect(node.wsPort());
      assertEquals("pong", first.request(new JsonObject().put("type", "ping")).getString("type"));

      Throwable refused = WsTestClient.refusal(node.wsPort(), "/ws", null);
      assertTrue(refused instanceof UpgradeRejectedException, String.valueOf(refused));
      UpgradeRejectedException r = (UpgradeRejectedException) refused;
      assertEquals(503, r.getStatus());
      assertEquals(String.valueOf(WsVerticle.RETRY_AFTER_SECONDS), r.getHeaders().get("Retry-After"));
      assertEquals("unavailable", new JsonObject(r.getBody()).getJsonObject("error").getString("code"));
      // The limit counts SSE and WebSocket together.
      try (var sse = io.pulse.testing.SseClient.open(node.httpPort(), "channel=x")) {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!sse.ended() && System.currentTimeMillis() < deadline) {
          Thread.onSpinWait();
        }
        assertTrue(sse.ended(), "the SSE stream is refused too (ended at once)");
        assertTrue(sse.retry >= 10_000, "with a long retry: " + sse.retry);
      }
      assertTrue(node.metrics().count("pulse.refused", "reason", "max_connections") >= 2);

      cluster.stop(node);
      assertEquals((short) 1001, first.awaitClose(Duration.ofSeconds(10)));
    }
  }

  @Test
  @DisplayName("the health endpoint is unaffected by a full WebSocket port")
  void healthUnaffected() {
    try (TestNodes cluster = new TestNodes()) {
      PulseNode node = cluster.start("ws-limits-2", new JsonObject().put("limits.maxConnections", 1));
      try (WsTestClient only = WsTestClient.connect(node.wsPort())) {
        assertEquals(200, Http.get(node.httpPort(), "/health").statusCode());
        assertEquals(200, Http.get(node.httpPort(), "/ready").statusCode());
      }
    }
  }

  @Test
  @DisplayName("over limits.maxMessageBytes closes 1009 (too_large): one frame, fragments adding up, a huge claimed length")
  void tooLarge() throws Exception {
    try (TestNodes cluster = new TestNodes()) {
      PulseNode node = cluster.start("ws-too-large"); // the default limit: 65536
      int limit = 65536;
      // Exactly the limit is fine: the limit is inclusive.
      String pad = "x".repeat(limit - "{\"type\":\"ping\",\"ref\":1,\"pad\":\"\"}".length());
      try (RawWs raw = raw(node)) {
        raw.text("{\"type\":\"ping\",\"ref\":1,\"pad\":\"" + pad + "\"}");
        raw.text("{\"type\":\"ping\",\"ref\":2}");
        assertEquals(1000, closeAfterPong(raw, node), "the limit itself is accepted");
      }
      int expected = 0;
      try (RawWs raw = raw(node)) { // one 70 kB text frame
        raw.frame(1, true, new byte[70_000]);
        assertEquals(1009, raw.readUntilClose());
        expected++;
      }
      try (RawWs raw = raw(node)) { // fragments, each under the limit, adding up over it
        raw.frame(1, false, new byte[40_000]);
        raw.frame(0, true, new byte[40_000]);
        assertEquals(1009, raw.readUntilClose());
        expected++;
      }
      try (RawWs raw = raw(node)) { // the header of a 70 kB frame and 1 kB of it: closed before the rest comes
        raw.frameStart(1, true, 70_000, 1000);
        assertEquals(1009, raw.readUntilClose());
        expected++;
      }
      try (RawWs raw = raw(node)) { // a 64-bit length of 2^40 and no payload: the node does not wait for it
        raw.frameStart(1, true, 1L << 40, 0);
        assertEquals(1009, raw.readUntilClose());
        expected++;
      }
      try (RawWs raw = raw(node)) { // a binary frame over the limit is too large before it is binary
        raw.frameStart(2, true, limit + 1, 0);
        assertEquals(1009, raw.readUntilClose());
        expected++;
      }
      try (RawWs raw = raw(node)) { // behind a message in the same read: its answer, then the 1009, both sent
        raw.send(RawWs.encode(1, true, 0, "{\"type\":\"ping\",\"ref\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
            RawWs.encode(1, true, 0, new byte[70_000]));
        assertEquals("pong", new JsonObject(raw.readText()).getString("type"));
        assertEquals(1009, raw.readUntilClose());
        expected++;
      }
      int n = expected;
      io.pulse.testing.Await.until(
          () -> node.metrics().count("pulse.disconnects", "transport", "ws", "reason", "too_large") == n,
          Duration.ofSeconds(10), n + " too_large disconnects");
    }
  }

  private static RawWs raw(PulseNode node) throws java.io.IOException {
    RawWs raw = new RawWs(node.wsPort(), "/ws");
    raw.socket.setSoTimeout(15_000);
    return raw;
  }

  /** Reads the pongs of refs 1 and 2, then closes normally; returns the code the server echoes. */
  private static int closeAfterPong(RawWs raw, PulseNode node) throws java.io.IOException {
    String first = raw.readText();
    String second = raw.readText();
    assertEquals(1, new JsonObject(first).getInteger("ref"), first);
    assertEquals("pong", new JsonObject(second).getString("type"), second);
    raw.frame(8, true, new byte[] {0x03, (byte) 0xE8});
    return raw.readUntilClose();
  }
}
