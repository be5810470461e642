package io.pulse.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A blocking WebSocket client for tests, on a Vert.x of its own (not the node under test). */
public final class WsTestClient implements AutoCloseable {

  private static final Vertx VERTX = Vertx.vertx();
  private static final WebSocketClient CLIENT = VERTX.createWebSocketClient();
  private static final WebSocketClient DEFLATE = VERTX.createWebSocketClient(
      new io.vertx.core.http.WebSocketClientOptions().setTryUsePerMessageCompression(true));

  public final WebSocket ws;
  private final BlockingQueue<JsonObject> messages = new LinkedBlockingQueue<>();
  public final CompletableFuture<Short> closed = new CompletableFuture<>();

  private WsTestClient(WebSocket ws) {
    this.ws = ws;
    ws.textMessageHandler(t -> messages.add(new JsonObject(t)));
    // vertx-web's event-bus bridge answers in binary frames on its raw WebSocket endpoint
    ws.binaryMessageHandler(b -> messages.add(new JsonObject(b.toString())));
    ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
  }

  public static WsTestClient connect(int port) {
    return connect(port, "/ws", null);
  }

  public static WsTestClient connect(int port, String uri, String origin) {
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri)
        .setAllowOriginHeader(origin != null);
    if (origin != null) {
      o.addHeader("Origin", origin);
    }
    return new WsTestClient(TestNodes.await(CLIENT.connect(o)));
  }

  /** Connects offering permessage-deflate (Vert.x's client: Netty's, with context takeover both ways). */
  public static WsTestClient connectCompressed(int port) {
    return new WsTestClient(TestNodes.await(DEFLATE.connect(
        new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws").setAllowOriginHeader(false))));
  }

  /** Attempts a connection and returns the failure (e.g. an UpgradeRejectedException), or null. */
  public static Throwable refusal(int port, String uri, String origin) {
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri)
        .setAllowOriginHeader(origin != null);
    if (origin != null) {
      o.addHeader("Origin", origin);
    }
    try {
      CLIENT.connect(o).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).close();
      return null;
    } catch (Exception e) {
      return e.getCause() != null ? e.getCause() : e;
    }
  }

  public void send(JsonObject msg) {
    TestNodes.await(ws.writeTextMessage(msg.encode()));
  }

  /** Sends and returns the reply carrying the same ref (other messages are kept). */
  public JsonObject request(JsonObject msg) {
    String ref = "r" + System.nanoTime();
    send(msg.copy().put("ref", ref));
    return nextMatching(m -> ref.equals(m.getValue("ref")), Duration.ofSeconds(10));
  }

  public JsonObject next(Duration timeout) {
    try {
      JsonObject m = messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (m == null) {
        throw new AssertionError("no WebSocket message within " + timeout);
      }
      return m;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public JsonObject poll(Duration timeout) {
    try {
      return messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** The first message matching {@code p}; messages before it that do not match are discarded. */
  public JsonObject nextMatching(java.util.function.Predicate<JsonObject> p, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<JsonObject> skipped = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      JsonObject m = poll(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
      if (m != null && p.test(m)) {
        return m;
      }
      if (m != null) {
        skipped.add(m);
      }
    }
    throw new AssertionError("no matching WebSocket message within " + timeout + "; got " + skipped);
  }

  /** The close code the server sent, waiting up to {@code timeout}. */
  public Short awaitClose(Duration timeout) {
    try {
      return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("not closed within " + timeout, e);
    }
  }

  @Override
  public void close() {
    if (!closed.isDone()) {
      ws.close();
    }
  }
}
