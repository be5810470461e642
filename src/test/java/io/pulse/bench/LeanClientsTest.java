package io.pulse.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.node.PulseNode;
import io.pulse.testing.Http;
import io.pulse.testing.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The bench's bare-Netty subscribers against a real node. */
@Timeout(120)
class LeanClientsTest {

  @Test
  void webSocketSubscribersReceiveEveryFrameSizeAnswerPingsAndNoticeAServerClose() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (TestNodes cluster = new TestNodes()) {
      PulseNode pulse = cluster.start("lean", new JsonObject().put("ws.pingSeconds", 1).put("ws.idleTimeoutSeconds", 2));
      Node node = new Node("lean", URI.create("http://127.0.0.1:" + pulse.httpPort()),
          URI.create("ws://127.0.0.1:" + pulse.wsPort() + "/ws"), null, null);
      int clients = 3;
      int messages = 4;
      Deliveries deliveries = new Deliveries(clients, messages);
      LeanWsClients lean = new LeanWsClients(vertx, deliveries);
      Clients.Opened opened = lean.open(List.of(node), clients, "bench.lean", 2, System.currentTimeMillis() + 20_000);
      assertEquals(clients, opened.opened(), String.valueOf(opened.firstError()));

      // payloads that need the 7-bit, the 16-bit and (over 64 KiB would be refused) the larger
      // 16-bit length forms, so frames also span several reads
      int[] padding = {0, 200, 5_000, 60_000};
      for (int seq = 0; seq < messages; seq++) {
        Http.publish(pulse.httpPort(), "bench.lean", "bench", new JsonObject().put("seq", seq)
            .put("bt", EpochMicros.now()).put("pad", "x".repeat(padding[seq])));
      }
      await(() -> deliveries.received() == (long) clients * messages, "all deliveries: " + deliveries.received());
      assertEquals(0, deliveries.duplicates());
      assertEquals(0, deliveries.unrecognised());

      // The node pings every second and closes a connection silent for 2 s; only the client's
      // pongs keep these open over a window of 3.5 s.
      Thread.sleep(3_500);
      assertEquals(0, lean.dropped(), lean.dropReasons());

      cluster.stop(pulse); // closes every WebSocket with 1001
      await(() -> lean.dropped() == clients, "every connection lost: " + lean.dropReasons());
      assertTrue(lean.dropReasons().contains("1001"), lean.dropReasons());
      lean.close();
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void sseSubscribersDecodeChunksOfEverySizeAndNoticeTheStreamEnd() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (TestNodes cluster = new TestNodes()) {
      PulseNode pulse = cluster.start("lean-sse", new JsonObject());
      Node node = new Node("lean-sse", URI.create("http://127.0.0.1:" + pulse.httpPort()),
          URI.create("ws://127.0.0.1:" + pulse.wsPort() + "/ws"), null, null);
      int clients = 3;
      int messages = 4;
      Deliveries deliveries = new Deliveries(clients, messages);
      LeanSseClients lean = new LeanSseClients(vertx, deliveries);
      Clients.Opened opened = lean.open(List.of(node), clients, "bench.lean-sse", 2, System.currentTimeMillis() + 20_000);
      assertEquals(clients, opened.opened(), String.valueOf(opened.firstError()));
      awaitLive(pulse, deliveries, clients);

      int[] padding = {0, 200, 5_000, 60_000}; // chunks that span several reads
      for (int seq = 0; seq < messages; seq++) {
        Http.publish(pulse.httpPort(), "bench.lean-sse", "bench", new JsonObject().put("seq", seq)
            .put("bt", EpochMicros.now()).put("pad", "x".repeat(padding[seq])));
      }
      await(() -> deliveries.received() == (long) clients * messages, "all deliveries: " + deliveries.received());
      assertEquals(0, deliveries.duplicates());
      assertEquals(0, deliveries.unrecognised());
      assertEquals(0, lean.dropped(), lean.dropReasons());

      cluster.stop(pulse); // ends every stream
      await(() -> lean.dropped() == clients, "every stream lost: " + lean.dropReasons());
      lean.close();
    } finally {
      vertx.close().await();
    }
  }

  /** Streams reach the hub asynchronously: warm-up messages (seq -1) until each stream has one. */
  private static void awaitLive(PulseNode pulse, Deliveries deliveries, int clients) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 15_000;
    while (deliveries.warmConnections() < clients) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("streams not live: " + deliveries.warmConnections());
      }
      Http.publish(pulse.httpPort(), "bench.lean-sse", "bench",
          new JsonObject().put("seq", -1).put("bt", EpochMicros.now()));
      Thread.sleep(50);
    }
  }

  private static void await(BooleanSupplier cond, String what) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 15_000;
    while (!cond.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out: " + what);
      }
      Thread.sleep(20);
    }
  }
}
