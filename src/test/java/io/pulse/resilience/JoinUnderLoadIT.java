package io.pulse.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pulse.testing.Http;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A third node joins while two nodes stream 50 msg/s to 1,000 WebSocket clients: no gaps. */
@Tag("slow")
@Timeout(300)
class JoinUnderLoadIT {

  static final int CLIENTS = 1000;
  static final String CHANNEL = "load.x";

  @Test
  @DisplayName("a node joining under load causes no gaps for 1,000 clients at 50 msg/s")
  void joinUnderLoad() throws Exception {
    String cluster = "it-" + UUID.randomUUID();
    Map<String, String> cfg = Map.of("sensors.enabled", "false", "limits.maxConnections", "5000");
    Vertx vertx = Vertx.vertx();
    try (ProcessNode a = ProcessNode.start(cluster, "la", cfg); ProcessNode b = ProcessNode.start(cluster, "lb", cfg)) {
      WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(CLIENTS + 10));
      List<ConcurrentLinkedQueue<String>> received = new ArrayList<>();
      List<Future<?>> subscribed = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        ConcurrentLinkedQueue<String> ids = new ConcurrentLinkedQueue<>();
        received.add(ids);
        int port = i % 2 == 0 ? a.wsPort : b.wsPort;
        subscribed.add(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws")
                .setAllowOriginHeader(false))
            .compose(ws -> {
              io.vertx.core.Promise<Void> ok = io.vertx.core.Promise.promise();
              ws.textMessageHandler(t -> {
                JsonObject m = new JsonObject(t);
                if ("subscribed".equals(m.getString("type"))) {
                  ok.tryComplete();
                } else if (CHANNEL.equals(m.getString("channel"))) {
                  ids.add(m.getString("id"));
                }
              });
              return ws.writeTextMessage(new JsonObject().put("type", "subscribe").put("channel", CHANNEL).encode())
                  .compose(v -> ok.future());
            }));
        if (subscribed.size() % 100 == 0) {
          Future.all(subscribed.subList(subscribed.size() - 100, subscribed.size())).await(60, TimeUnit.SECONDS);
        }
      }
      Future.all(subscribed).await(60, TimeUnit.SECONDS);
      // Let registrations settle everywhere, then drop what arrived before the measured window.
      Http.publish(a.httpPort, CHANNEL, "warmup", 0);
      Thread.sleep(1000);
      received.forEach(ConcurrentLinkedQueue::clear);

      List<String> acked = new ArrayList<>();
      CompletableFuture<ProcessNode> third = null;
      try {
        long next = System.nanoTime();
        for (int i = 0; i < 500; i++) { // 10 s at 50 msg/s; the third node starts after 2 s
          if (i == 100) {
            // Starting a node blocks until it is ready: do it beside the publishing loop.
            third = CompletableFuture.supplyAsync(() -> {
              try {
                return ProcessNode.start(cluster, "lc", cfg);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
          }
          HttpResponse<String> r = Http.post(i % 2 == 0 ? a.httpPort : b.httpPort, "/api/publish",
              new JsonObject().put("channel", CHANNEL).put("event", "n").put("data", i).encode());
          assertEquals(202, r.statusCode(), r.body());
          acked.add(new JsonObject(r.body()).getString("id"));
          next += 20_000_000L;
          long sleep = next - System.nanoTime();
          if (sleep > 0) {
            Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
          }
        }
        long deadline = System.currentTimeMillis() + 15_000;
        while (System.currentTimeMillis() < deadline && received.stream().anyMatch(q -> q.size() < acked.size())) {
          Thread.sleep(200);
        }
        int complete = 0;
        for (ConcurrentLinkedQueue<String> q : received) {
          if (new ArrayList<>(q).equals(acked)) {
            complete++;
          }
        }
        System.out.printf("join under load: %d of %d clients got all %d messages in order, once%n", complete, CLIENTS, acked.size());
        assertEquals(CLIENTS, complete, "every client got every message, in order, once");
        third.get(60, TimeUnit.SECONDS);
        assertEquals(3, nodesSeen(a.httpPort), "the third node joined");
      } finally {
        if (third != null) {
          ProcessNode c = third.get(60, TimeUnit.SECONDS);
          c.close();
        }
      }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static int nodesSeen(int port) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    int n = 0;
    while (System.currentTimeMillis() < deadline) {
      n = new JsonObject(Http.get(port, "/api/cluster").body()).getJsonObject("totals").getInteger("nodes");
      if (n == 3) {
        break;
      }
      Thread.sleep(200);
    }
    return n;
  }
}
