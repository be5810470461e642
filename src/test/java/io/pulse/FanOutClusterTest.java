package io.pulse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import io.pulse.examples.ExamplePublisherVerticle;
import io.pulse.history.History;
import io.pulse.node.PulseNode;
import io.pulse.testing.Http;
import io.pulse.testing.SseClient;
import io.pulse.testing.SseClient.Event;
import io.pulse.testing.TestNodes;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** Two Pulse nodes and a plain clustered Vert.x, in one JVM, on loopback. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class FanOutClusterTest {

  static final Duration WAIT = Duration.ofSeconds(10);
  final TestNodes cluster = new TestNodes();
  PulseNode a;
  PulseNode b;
  int portA;
  int portB;

  @BeforeAll
  void up() {
    a = cluster.start("node-a", new JsonObject().put("limits.maxMessageBytes", 1024));
    b = cluster.start("node-b", new JsonObject().put("limits.maxMessageBytes", 1024));
    portA = a.httpPort();
    portB = b.httpPort();
  }

  @AfterAll
  void down() {
    cluster.close();
  }

  @Test
  @DisplayName("published on A, received by an SSE subscriber on B as one envelope")
  void publishOnAReceiveOnB() {
    try (SseClient sse = SseClient.open(portB, "channel=t1.room")) {
      assertEquals(200, sse.status);
      assertEquals("text/event-stream; charset=utf-8", sse.headers.firstValue("Content-Type").orElse(""));
      assertEquals("no-cache", sse.headers.firstValue("Cache-Control").orElse(""));
      assertEquals("no", sse.headers.firstValue("X-Accel-Buffering").orElse(""));
      sse.awaitLive(portA, "t1.room");
      assertEquals(2000, sse.retry);
      String id = Http.publish(portA, "t1.room", "alert", new JsonObject().put("level", 3));
      Event e = sse.next(WAIT);
      JsonObject env = e.json();
      assertEquals("t1.room", env.getString("channel"));
      assertEquals(id, env.getString("id"));
      assertEquals(id, e.id(), "a single-channel stream's SSE id is the envelope id");
      assertEquals("alert", env.getString("type"));
      assertEquals(new JsonObject().put("level", 3), env.getJsonObject("data"));
      assertTrue(env.containsKey("from") && env.getValue("from") == null);
      assertTrue(Math.abs(System.currentTimeMillis() - env.getLong("ts")) < 10_000);
      assertNull(sse.poll(Duration.ofMillis(300)), "exactly one envelope");
    }
  }

  @Test
  @DisplayName("a pattern subscription gets every channel under its prefix, at any depth, and nothing else")
  void patternSubscription() {
    try (SseClient sse = SseClient.open(portB, "channel=t2.*")) {
      sse.awaitLive(portA, "t2.x");
      sse.awaitLive(portA, "t2.deep.y");
      Http.publish(portA, "t2.x", "m", 1);
      Http.publish(portA, "t2x", "m", 2);
      Http.publish(portA, "other.t2.z", "m", 3);
      Http.publish(portA, "t2.deep.y", "m", 4);
      List<Event> got = sse.take(2, WAIT);
      assertEquals(List.of(1, 4), got.stream().map(e -> e.json().getInteger("data")).toList());
      assertTrue(got.get(1).id().contains("t2.x:") && got.get(1).id().contains("t2.deep.y:"),
          "a pattern stream's id carries every channel's position: " + got.get(1).id());
      assertNull(sse.poll(Duration.ofMillis(300)));
    }
  }

  @Test
  @DisplayName("resuming on the other node with Last-Event-ID replays exactly what was missed, then live")
  void resumeOnOtherNode() {
    List<String> ids = new ArrayList<>();
    String lastSeen;
    try (SseClient sse = SseClient.open(portA, "channel=t3.c")) {
      sse.awaitLive(portA, "t3.c");
      for (int i = 0; i < 5; i++) {
        ids.add(Http.publish(portA, "t3.c", "n", i));
      }
      List<Event> first = sse.take(5, WAIT);
      lastSeen = first.get(2).id(); // pretend the client only processed three
    }
    for (int i = 5; i < 9; i++) {
      ids.add(Http.publish(portB, "t3.c", "n", i));
    }
    try (SseClient resumed = SseClient.open(portB, "channel=t3.c", lastSeen)) {
      List<Event> missed = resumed.take(6, WAIT);
      assertEquals(List.of(3, 4, 5, 6, 7, 8), missed.stream().map(e -> e.json().getInteger("data")).toList());
      assertEquals(ids.subList(3, 9), missed.stream().map(Event::id).toList());
      assertNull(resumed.poll(Duration.ofMillis(300)), "no duplicates");
      resumed.awaitLive(portA, "t3.c");
      String live = Http.publish(portA, "t3.c", "n", 9);
      assertEquals(live, resumed.next(WAIT).id());
    }
  }

  @Test
  @DisplayName("a pattern stream resumes every channel from its multi-channel id")
  void resumePatternStream() {
    String token;
    try (SseClient sse = SseClient.open(portA, "channel=t4.*")) {
      sse.awaitLive(portA, "t4.a");
      sse.awaitLive(portA, "t4.b");
      Http.publish(portA, "t4.a", "n", "a1");
      Http.publish(portA, "t4.b", "n", "b1");
      token = sse.take(2, WAIT).get(1).id();
    }
    Http.publish(portA, "t4.a", "n", "a2");
    Http.publish(portA, "t4.b", "n", "b2");
    Http.publish(portA, "t4.a", "n", "a3");
    try (SseClient resumed = SseClient.open(portB, "channel=t4.*", token)) {
      List<Object> got = resumed.take(3, WAIT).stream().map(e -> e.json().getValue("data")).toList();
      assertEquals(3, got.size());
      assertTrue(got.indexOf("a2") < got.indexOf("a3"), "ordered per channel: " + got);
      assertTrue(got.containsAll(List.of("a2", "a3", "b2")), got.toString());
      assertNull(resumed.poll(Duration.ofMillis(300)));
    }
  }

  @Test
  @DisplayName("an unknown Last-Event-ID gets one reset envelope, then the live stream")
  void unknownLastEventId() {
    Http.publish(portA, "t5.c", "n", 0);
    for (String bad : List.of("99999", "not-an-id")) {
      String last = Http.publish(portA, "t5.c", "n", 1);
      try (SseClient sse = SseClient.open(portB, "channel=t5.c", bad)) {
        Event reset = sse.next(WAIT);
        assertEquals("reset", reset.json().getString("type"), reset.data());
        assertEquals(last, reset.id(), "the reset carries the channel's current position");
        sse.awaitLive(portA, "t5.c");
      }
    }
  }

  @Test
  @DisplayName("history API: the window, since, limit, recovered")
  void historyApi() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      ids.add(Http.publish(portA, "t6.c", "n", i));
    }
    JsonObject all = new JsonObject(Http.get(portB, "/api/channels/t6.c/history").body());
    assertEquals("t6.c", all.getString("channel"));
    assertTrue(all.getBoolean("recovered"));
    assertEquals(ids, all.getJsonArray("messages").stream().map(o -> ((JsonObject) o).getString("id")).toList());

    JsonObject since = new JsonObject(Http.get(portB, "/api/channels/t6.c/history?since=" + ids.get(1) + "&limit=3").body());
    assertEquals(ids.subList(2, 5), since.getJsonArray("messages").stream().map(o -> ((JsonObject) o).getString("id")).toList());
    assertTrue(since.getBoolean("recovered"));

    JsonObject last2 = new JsonObject(Http.get(portB, "/api/channels/t6.c/history?limit=2").body());
    assertEquals(ids.subList(4, 6), last2.getJsonArray("messages").stream().map(o -> ((JsonObject) o).getString("id")).toList());

    JsonObject unknown = new JsonObject(Http.get(portB, "/api/channels/t6.c/history?since=123456").body());
    assertFalse(unknown.getBoolean("recovered"));
    assertEquals(0, unknown.getJsonArray("messages").size());

    JsonObject empty = new JsonObject(Http.get(portB, "/api/channels/t6.never/history").body());
    assertEquals(new JsonArray(), empty.getJsonArray("messages"));
  }

  @Test
  @DisplayName("reading a channel nobody published to creates nothing in the cluster")
  void readsCreateNothing() {
    HazelcastInstance hz = TestNodes.hazelcast(a.vertx());
    String channel = "t12.nobody";
    JsonObject plain = new JsonObject(Http.get(portB, "/api/channels/" + channel + "/history").body());
    assertEquals(new JsonArray(), plain.getJsonArray("messages"));
    assertTrue(plain.getBoolean("recovered"));
    JsonObject since = new JsonObject(Http.get(portA, "/api/channels/" + channel + "/history?since=5").body());
    assertEquals(new JsonArray(), since.getJsonArray("messages"));
    assertFalse(since.getBoolean("recovered"), "an id ahead of an empty channel");
    JsonObject polled = new JsonObject(Http.get(portB, "/api/channels/" + channel + "/history?since=5&wait=1").body());
    assertFalse(polled.getBoolean("recovered"));
    try (SseClient sse = SseClient.open(portB, "channel=" + channel, "7")) {
      JsonObject reset = sse.next(WAIT).json();
      assertEquals("reset", reset.getString("type"));
      assertEquals("-1", reset.getString("id"), "the position of a channel without messages");
    }
    assertFalse(hz.getDistributedObjects().stream().anyMatch(o -> o.getName().startsWith(History.NAME_PREFIX + "t12.")),
        "a ring buffer was created by a read");
    assertFalse(hz.getMap(History.CHANNELS).containsKey(channel));

    String id = Http.publish(portA, channel, "n", 1);
    JsonObject after = new JsonObject(Http.get(portB, "/api/channels/" + channel + "/history?since=-1").body());
    assertEquals(List.of(id), after.getJsonArray("messages").stream().map(o -> ((JsonObject) o).getString("id")).toList());
    assertTrue(after.getBoolean("recovered"));
    assertTrue(hz.getMap(History.CHANNELS).containsKey(channel), "registered by the first publish");
  }

  @Test
  @DisplayName("a history window that has moved past the client's id reports recovered:false")
  void windowMovedOn() {
    String first = Http.publish(portA, "t7.c", "n", 0);
    for (int i = 1; i <= 105; i++) { // history.size is 100
      Http.publish(portA, "t7.c", "n", i);
    }
    JsonObject r = new JsonObject(Http.get(portB, "/api/channels/t7.c/history?since=" + first).body());
    assertFalse(r.getBoolean("recovered"));
    assertEquals(100, r.getJsonArray("messages").size());
    try (SseClient sse = SseClient.open(portB, "channel=t7.c", first)) {
      assertEquals("reset", sse.next(WAIT).json().getString("type"));
    }
  }

  @Test
  @DisplayName("long-poll: the history request is held until a message exists, then answered")
  void longPoll() throws Exception {
    String last = Http.publish(portA, "t8.c", "n", 0);
    long start = System.nanoTime();
    CompletableFuture<HttpResponse<String>> held = CompletableFuture.supplyAsync(
        () -> Http.get(portB, "/api/channels/t8.c/history?wait=20&since=" + last));
    Thread.sleep(500); // the request must be waiting when the message is published
    assertFalse(held.isDone(), "held while nothing is newer than since");
    String id = Http.publish(portA, "t8.c", "n", 1);
    HttpResponse<String> r = held.get(15, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(200, r.statusCode());
    JsonObject body = new JsonObject(r.body());
    assertEquals(id, body.getJsonArray("messages").getJsonObject(0).getString("id"));
    assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 15);

    long t0 = System.nanoTime();
    JsonObject timedOut = new JsonObject(Http.get(portB, "/api/channels/t8.c/history?wait=1&since=" + id).body());
    assertEquals(0, timedOut.getJsonArray("messages").size());
    assertTrue(Duration.ofNanos(System.nanoTime() - t0).toMillis() >= 900, "waited about a second");
  }

  @Test
  @DisplayName("a verticle on a node with no HTTP or WebSocket verticle reaches browsers through pulse.publish")
  void exampleVerticleOnPlainNode() throws Exception {
    Vertx plain = cluster.startPlain("plain");
    try (SseClient sse = SseClient.open(portB, "channel=shop.orders")) {
      TestNodes.await(plain.deployVerticle(new ExamplePublisherVerticle(),
          new DeploymentOptions().setConfig(new JsonObject().put("periodMs", 100))));
      Event e = sse.next(WAIT);
      assertEquals("order", e.json().getString("type"));
      assertTrue(e.json().getJsonObject("data").getLong("orderNo") >= 1);

      JsonObject ok = TestNodes.await(plain.eventBus().<JsonObject>request("pulse.publish",
          new JsonObject().put("channel", "shop.orders").put("event", "order").put("data", 1))).body();
      assertNotNull(ok.getString("id"));
      Throwable bad = plain.eventBus().request("pulse.publish", new JsonObject().put("channel", "bad channel!"))
          .toCompletionStage().toCompletableFuture().handle((m, err) -> err).get();
      assertTrue(bad instanceof ReplyException, String.valueOf(bad));
      assertEquals(400, ((ReplyException) bad).failureCode());
      Throwable notJson = plain.eventBus().request("pulse.publish", "hello")
          .toCompletionStage().toCompletableFuture().handle((m, err) -> err).get();
      assertEquals(400, ((ReplyException) notJson).failureCode());
    }
  }

  @Test
  @DisplayName("bad input gets the documented JSON error and the node keeps serving")
  void badInput() {
    assertError(Http.get(portA, "/events"), 400, "bad_request");
    assertError(Http.get(portA, "/events?channel=a..b"), 400, "bad_request");
    assertError(Http.get(portA, "/events?channel=" + "a".repeat(201)), 400, "bad_request");
    assertError(Http.get(portA, "/events?channel=a.*.b"), 400, "bad_request");
    assertError(Http.post(portA, "/api/publish", "{not json"), 400, "bad_request");
    assertError(Http.post(portA, "/api/publish", "[1,2]"), 400, "bad_request");
    assertError(Http.post(portA, "/api/publish", "{\"event\":\"x\"}"), 400, "bad_request");
    assertError(Http.post(portA, "/api/publish", "{\"channel\":\"a b\"}"), 400, "bad_request");
    assertError(Http.post(portA, "/api/publish", "{\"channel\":\"a\",\"event\":5}"), 400, "bad_request");
    assertError(Http.post(portA, "/api/publish", "{\"channel\":\"a\",\"extra\":1}"), 400, "bad_request");
    assertError(Http.post(portA, "/api/publish", "{\"channel\":\"a\",\"data\":\"" + "x".repeat(2000) + "\"}"), 413, "too_large");
    assertError(Http.get(portA, "/api/channels/a..b/history"), 400, "bad_request");
    assertError(Http.get(portA, "/api/channels/a/history?limit=0"), 400, "bad_request");
    assertError(Http.get(portA, "/api/channels/a/history?wait=31"), 400, "bad_request");
    assertError(Http.get(portA, "/api/channels/a/history?limit=x"), 400, "bad_request");
    assertError(Http.get(portA, "/no/such/thing"), 404, "not_found");
    HttpResponse<String> crossSite = Http.send(java.net.http.HttpRequest.newBuilder(Http.uri(portA, "/events?channel=a"))
        .header("Origin", "http://evil.example").GET().build());
    assertError(crossSite, 403, "forbidden");
    assertEquals(200, Http.get(portA, "/health").statusCode());
    assertEquals(202, Http.post(portA, "/api/publish", "{\"channel\":\"t9.ok\",\"data\":null}").statusCode());
    assertTrue(a.metrics().count("pulse.refused", "reason", "bad_request") >= 10);
  }

  @Test
  @DisplayName("/api/cluster lists both nodes with their SSE connection counts; /ready, /health, /api/config, /metrics")
  void clusterViewAndProbes() throws Exception {
    try (SseClient s1 = SseClient.open(portB, "channel=t10.a"); SseClient s2 = SseClient.open(portB, "channel=t10.b")) {
      JsonObject view = awaitView(portA, v -> sseOf(v, b.nodeId()) == 2);
      assertEquals(2, view.getJsonObject("totals").getInteger("nodes"));
      assertEquals(2, view.getJsonObject("totals").getJsonObject("connections").getInteger("sse"));
      JsonObject nodeB = view.getJsonArray("nodes").stream().map(o -> (JsonObject) o)
          .filter(n -> n.getString("id").equals(b.nodeId())).findFirst().orElseThrow();
      assertEquals("node-b", nodeB.getString("name"));
      assertEquals(portB, nodeB.getInteger("httpPort"));
      assertTrue(nodeB.containsKey("wsPort") && nodeB.containsKey("startedAt"));
    }
    awaitView(portA, v -> sseOf(v, b.nodeId()) == 0);
    assertEquals("{\"status\":\"UP\"}", Http.get(portA, "/health").body());
    assertEquals(200, Http.get(portA, "/ready").statusCode());
    JsonObject cfg = new JsonObject(Http.get(portA, "/api/config").body());
    assertEquals("dev", cfg.getString("authMode"));
    assertTrue(cfg.getString("wsUrl").startsWith("ws://127.0.0.1:"), cfg.encode());
    String metrics = Http.get(portA, "/metrics").body();
    assertTrue(metrics.contains("pulse_messages_published_total"), "pulse meters are exposed");
    assertTrue(metrics.contains("pulse_connections{transport=\"sse\""));
    assertTrue(metrics.contains("vertx_http_server_requests_total") || metrics.contains("vertx_http_server"));
    assertTrue(Http.get(portA, "/").body().matches("(?s).*<title>[^<]*Pulse[^<]*</title>.*"), "the page");
  }

  @Test
  @DisplayName("every node serves /pulse.js as JavaScript, uncached, with pulse.d.ts beside it; the dashboard's socket.js is gone")
  void pulseJsServed() {
    for (int port : List.of(portA, portB)) {
      HttpResponse<String> js = Http.get(port, "/pulse.js");
      assertEquals(200, js.statusCode());
      assertEquals("text/javascript;charset=UTF-8", js.headers().firstValue("Content-Type").orElse(""));
      // No validator, no lifetime: a browser or proxy has nothing to cache it by, so a page always
      // gets the node's current client.
      for (String header : List.of("Cache-Control", "Expires", "Last-Modified", "ETag")) {
        assertTrue(js.headers().firstValue(header).isEmpty(), header + ": " + js.headers().firstValue(header));
      }
      assertTrue(js.body().contains("export class Pulse "), "the module");
      HttpResponse<String> head = Http.head(port, "/pulse.js");
      assertEquals(200, head.statusCode(), "HEAD answers like GET");
      assertEquals("text/javascript;charset=UTF-8", head.headers().firstValue("Content-Type").orElse(""));
      assertEquals(js.headers().firstValue("Content-Length"), head.headers().firstValue("Content-Length"));
      assertEquals("", head.body(), "without the body");
      int post = Http.post(port, "/pulse.js", "{}").statusCode();
      assertTrue(post == 404 || post == 405, "other methods are not served the file: " + post);
      HttpResponse<String> types = Http.get(port, "/pulse.d.ts");
      assertEquals(200, types.statusCode());
      assertTrue(types.body().contains("export declare class Pulse"));
      assertEquals(404, Http.get(port, "/js/socket.js").statusCode());
    }
  }

  @Test
  @DisplayName("publish on node A to SSE receipt on node B: latency over 100 messages")
  void crossNodeLatency() throws Exception {
    try (SseClient sse = SseClient.open(portB, "channel=t11.lat")) {
      sse.awaitLive(portA, "t11.lat");
      List<Long> latencies = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        Http.publish(portA, "t11.lat", "n", i);
        Event e = sse.next(WAIT);
        latencies.add(e.received() - e.json().getLong("ts"));
      }
      Collections.sort(latencies);
      System.out.printf("cross-node publish->SSE latency over 100 messages: p50=%d ms p99=%d ms max=%d ms%n",
          latencies.get(49), latencies.get(98), latencies.get(99));
      assertTrue(latencies.get(49) < 1000, "p50 under a second: " + latencies);
    }
  }

  private static int sseOf(JsonObject view, String nodeId) {
    return view.getJsonArray("nodes").stream().map(o -> (JsonObject) o)
        .filter(n -> n.getString("id").equals(nodeId))
        .mapToInt(n -> n.getJsonObject("connections").getInteger("sse")).findFirst().orElse(-1);
  }

  private static JsonObject awaitView(int port, java.util.function.Predicate<JsonObject> ok) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 5000;
    JsonObject view = null;
    while (System.currentTimeMillis() < deadline) {
      view = new JsonObject(Http.get(port, "/api/cluster").body());
      if (ok.test(view)) {
        return view;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("cluster view never matched: " + view);
  }

  private static void assertError(HttpResponse<String> r, int status, String code) {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals(code, new JsonObject(r.body()).getJsonObject("error").getString("code"), r.body());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
  }
}
