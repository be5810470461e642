package io.pulse.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * Real WebSocket subscribers (Vert.x {@link WebSocketClient}, one TCP connection each, no Origin
 * header, like a non-browser client). Each sends {@code {"type":"subscribe","channel":…}} and
 * counts as open once {@code {"type":"subscribed"}} comes back; every later message goes to the
 * {@link Deliveries} as raw bytes.
 */
final class WsClients extends Clients {

  private static final int CONNECT_TIMEOUT_MS = 20_000;

  private final EventLoops loops;
  private final WebSocketClient client;
  private final Deliveries deliveries;
  private final Queue<WebSocket> sockets = new ConcurrentLinkedQueue<>();

  /** {@code deliveries} may be null when nothing is published (idle, churn). */
  WsClients(Vertx vertx, int maxConnections, Deliveries deliveries) {
    this.loops = new EventLoops(vertx);
    this.client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxConnections(maxConnections + 16).setConnectTimeout(CONNECT_TIMEOUT_MS));
    this.deliveries = deliveries;
  }

  @Override
  Opened open(List<Node> nodes, int count, String channel, int concurrency, long deadline) throws InterruptedException {
    return Opener.run(count, concurrency, deadline, i -> loops.onLoop(i, () -> {
      Deliveries d = deliveries;
      return subscribe(nodes.get(i % nodes.size()), channel, d == null ? data -> { } : data -> {
        byte[] bytes = data.getBytes();
        d.onMessage(i, bytes, 0, bytes.length);
      }).onSuccess(ws -> {
        sockets.add(ws);
        ws.closeHandler(v -> lost("close " + ws.closeStatusCode()));
      });
    }));
  }

  /** Churn cycle i: connect, subscribe, wait for {@code subscribed}, close, wait for the close. */
  Future<Void> cycle(int i, Node node, String channel) {
    return loops.onLoop(i, () -> subscribe(node, channel, data -> { }).compose(WebSocket::close));
  }

  /**
   * Connects and subscribes; the future completes with the socket once the server confirmed.
   * Later messages go to {@code onMessage} as raw bytes (each Pulse message is one text frame),
   * so no String is decoded per delivery.
   */
  private Future<WebSocket> subscribe(Node node, String channel, Consumer<Buffer> onMessage) {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(node.wsHost).setPort(node.wsPort)
        .setURI(node.wsPath).setAllowOriginHeader(false).setTimeout(CONNECT_TIMEOUT_MS);
    return client.connect(options).compose(ws -> {
      Promise<WebSocket> confirmed = Promise.promise();
      boolean[] subscribed = {false}; // touched on this connection's event loop only
      ws.handler(data -> {
        if (subscribed[0]) {
          onMessage.accept(data);
          return;
        }
        String text = data.toString();
        if (text.contains("\"type\":\"subscribed\"")) {
          subscribed[0] = true;
          confirmed.tryComplete(ws);
        } else if (text.contains("\"type\":\"error\"")) {
          confirmed.tryFail("subscribe refused: " + text);
          ws.close();
        }
      });
      ws.closeHandler(v -> confirmed.tryFail("closed before subscribed (" + ws.closeStatusCode() + ")"));
      ws.writeTextMessage("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\"}")
          .onFailure(confirmed::tryFail);
      return confirmed.future();
    });
  }

  @Override
  protected Future<?> closeConnections() {
    return Future.join(sockets.stream().map(WebSocket::close).toList());
  }

  @Override
  protected Future<Void> closeClient() {
    return client.close();
  }
}
