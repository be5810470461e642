package io.pulse.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.config.PulseConfig;
import io.pulse.testing.WsTestClient;
import io.pulse.ws.WsVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The swap of an upgraded connection's outbound queue for direct writes works on this Vert.x
 * version (if Vert.x's internals change, this fails rather than the node silently keeping 4 kB
 * more per connection), and writes still arrive, in order, with a large one among them.
 */
@Timeout(60)
class DirectWritesTest {

  @Test
  void upgradedConnectionWritesDirectly() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      PulseConfig cfg = PulseConfig.of(new JsonObject().put("ws.host", "127.0.0.1"));
      CompletableFuture<Boolean> applied = new CompletableFuture<>();
      int port = vertx.createHttpServer(WsVerticle.serverOptions(cfg))
          .requestHandler(req -> req.toWebSocket().onSuccess(ws -> {
            applied.complete(VertxInternals.writeDirectly(ws));
            ws.textMessageHandler(text -> {
              ws.writeTextMessage("{\"n\":1}");
              ws.writeTextMessage("{\"n\":2,\"pad\":\"" + "x".repeat(50_000) + "\"}");
              ws.writeTextMessage("{\"n\":3}");
            });
          }))
          .listen(0).await().actualPort();
      try (WsTestClient client = WsTestClient.connect(port)) {
        assertTrue(applied.get(10, TimeUnit.SECONDS), "the queue was swapped");
        client.send(new JsonObject().put("go", true));
        for (int n = 1; n <= 3; n++) {
          assertEquals(n, client.next(Duration.ofSeconds(10)).getInteger("n"));
        }
      }
    } finally {
      vertx.close().await();
    }
  }
}
