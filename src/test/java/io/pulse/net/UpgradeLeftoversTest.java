package io.pulse.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.config.PulseConfig;
import io.pulse.testing.WsTestClient;
import io.pulse.ws.WsVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What an upgraded WebSocket keeps of its HTTP request on this Vert.x version, and that
 * {@link UpgradeLeftovers} lets go of it while the connection keeps working. If Vert.x changes
 * shape, the first test fails (the workaround no longer applies); if Vert.x stops keeping the
 * request itself, the second does (the workaround can go).
 */
@Timeout(60)
class UpgradeLeftoversTest {

  private Vertx vertx;

  /** What the server saw of the one connection: the socket, and a weak reference to its request. */
  private record Upgraded(ServerWebSocket ws, WeakReference<Object> request, VertxInternals.Dropped dropped,
      List<String> pipeline) {
  }

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void upgradedConnectionLetsGoOfItsRequestAndKeepsWorking() throws Exception {
    CompletableFuture<Upgraded> seen = new CompletableFuture<>();
    int port = server(seen, true);
    try (WsTestClient client = WsTestClient.connect(port, "/ws?token=" + "t".repeat(400), null)) {
      Upgraded up = seen.get(10, TimeUnit.SECONDS);
      assertEquals(new VertxInternals.Dropped(true, true, true), up.dropped(), "every leftover dropped");
      assertEquals("/ws", up.ws().uri(), "the URI is the path now");
      assertEquals("/ws", up.ws().path());
      assertNull(up.ws().query(), "the token in the query is gone");
      assertTrue(up.ws().headers().isEmpty(), "headers are gone");
      assertFalse(up.ws().headers().isMutable(), "the shared empty headers cannot be filled");
      assertEquals(List.of("wsdecoder", "wsencoder", "handler"), up.pipeline().subList(0, 3), "nothing else left in the pipeline");
      assertTrue(collected(up.request()), "the upgrade request is no longer reachable");

      client.send(new JsonObject().put("n", 1));
      assertEquals(1, client.next(Duration.ofSeconds(10)).getInteger("n"), "still echoes after the drop");
      up.ws().close((short) 1000, "bye");
      assertEquals((short) 1000, client.awaitClose(Duration.ofSeconds(10)));
    }
  }

  @Test
  void withoutTheWorkaroundVertxKeepsTheRequest() throws Exception {
    CompletableFuture<Upgraded> seen = new CompletableFuture<>();
    int port = server(seen, false);
    try (WsTestClient client = WsTestClient.connect(port)) {
      Upgraded up = seen.get(10, TimeUnit.SECONDS);
      assertNull(up.dropped());
      assertFalse(collected(up.request()),
          "Vert.x no longer keeps the upgrade request: UpgradeLeftovers' request part can go");
      assertNotNull(up.ws().headers().get("Host"), "and it keeps the headers");
    }
  }

  /** A server with Pulse's WebSocket options that echoes text; drops the leftovers if asked. */
  private int server(CompletableFuture<Upgraded> seen, boolean drop) {
    PulseConfig cfg = PulseConfig.of(new JsonObject().put("ws.host", "127.0.0.1"));
    return vertx.createHttpServer(WsVerticle.serverOptions(cfg))
        .requestHandler(req -> {
          WeakReference<Object> request = new WeakReference<>(req);
          req.toWebSocket().onSuccess(ws -> {
            VertxInternals.Dropped dropped = drop ? VertxInternals.dropUpgradeLeftovers(ws) : null;
            ws.textMessageHandler(ws::writeTextMessage);
            List<String> names = VertxInternals.context(ws).pipeline().names();
            seen.complete(new Upgraded(ws, request, dropped, names));
          });
        })
        .listen(0).await().actualPort();
  }

  /** True once the referent is collected (a few GCs, bounded); false if it stays reachable. */
  private static boolean collected(WeakReference<?> ref) throws InterruptedException {
    for (int i = 0; i < 20 && ref.get() != null; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return ref.get() == null;
  }
}
