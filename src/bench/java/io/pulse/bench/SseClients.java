package io.pulse.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Real Server-Sent Events subscribers: a Vert.x HTTP client with one pooled connection per stream,
 * {@code GET /events?channel=…}, the chunked body read by an {@link SseParser}. A stream counts as
 * open once a 200 {@code text/event-stream} answer has arrived; every {@code data:} payload goes to
 * the {@link Deliveries}.
 */
final class SseClients extends Clients {

  private static final int CONNECT_TIMEOUT_MS = 20_000;

  private final EventLoops loops;
  private final HttpClientAgent client;
  private final Deliveries deliveries;
  private final Queue<HttpClientResponse> streams = new ConcurrentLinkedQueue<>();

  SseClients(Vertx vertx, int maxConnections, Deliveries deliveries) {
    this.loops = new EventLoops(vertx);
    this.client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(CONNECT_TIMEOUT_MS).setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(maxConnections + 16).setMaxWaitQueueSize(-1));
    this.deliveries = deliveries;
  }

  @Override
  Opened open(List<Node> nodes, int count, String channel, int concurrency, long deadline) throws InterruptedException {
    String uri = "/events?channel=" + URLEncoder.encode(channel, StandardCharsets.UTF_8);
    return Opener.run(count, concurrency, deadline, i -> loops.onLoop(i, () -> stream(nodes.get(i % nodes.size()), uri, i)));
  }

  private Future<HttpClientResponse> stream(Node node, String uri, int index) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(node.httpHost)
        .setPort(node.httpPort).setURI(uri).putHeader("Accept", "text/event-stream")
        .setConnectTimeout(CONNECT_TIMEOUT_MS);
    return client.request(options).compose(req -> req.send()).compose(res -> {
      String type = res.getHeader("Content-Type");
      if (res.statusCode() != 200 || type == null || !type.startsWith("text/event-stream")) {
        res.request().connection().close();
        return Future.failedFuture("GET " + uri + " answered " + res.statusCode() + " " + type);
      }
      SseParser parser = new SseParser((bytes, from, to) -> deliveries.onMessage(index, bytes, from, to));
      res.handler(parser::feed);
      res.endHandler(v -> lost("stream ended"));
      res.exceptionHandler(t -> lost(t.getClass().getSimpleName()));
      streams.add(res);
      return Future.succeededFuture(res);
    });
  }

  @Override
  protected Future<?> closeConnections() {
    return Future.join(streams.stream().map(r -> r.request().connection().close()).toList());
  }

  @Override
  protected Future<Void> closeClient() {
    return client.close();
  }
}
