package io.pulse.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.node.PulseNode;
import io.pulse.testing.Http;
import io.pulse.testing.TestNodes;
import io.pulse.testing.WsTestClient;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** limits.maxConnections across transports, and what clients see when a node shuts down. */
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
}
