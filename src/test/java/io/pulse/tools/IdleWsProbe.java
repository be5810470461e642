package io.pulse.tools;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Holds N idle WebSocket connections to a node for a while, for a memory reading of the node
 * ({@code java -cp … io.pulse.tools.IdleWsProbe <port> <n> <holdSeconds>}). A stand-in until the
 * benchmark command exists.
 */
public final class IdleWsProbe {

  private IdleWsProbe() {
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int n = Integer.parseInt(args[1]);
    int hold = Integer.parseInt(args[2]);
    Vertx vertx = Vertx.vertx();
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(n + 10));
    List<WebSocket> open = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int batch = 0; batch < n; batch += 200) {
      List<Future<WebSocket>> fs = new ArrayList<>();
      for (int i = batch; i < Math.min(n, batch + 200); i++) {
        fs.add(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws")
            .setAllowOriginHeader(false)));
      }
      Future.all(fs).await(60, TimeUnit.SECONDS);
      fs.forEach(f -> open.add(f.result()));
    }
    System.out.printf("open=%d in %d ms%n", open.size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    System.out.flush();
    Thread.sleep(hold * 1000L);
    vertx.close().await(30, TimeUnit.SECONDS);
  }
}
