package io.pulse.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.messages.Addresses;
import io.pulse.node.PulseNode;
import io.pulse.testing.Await;
import io.pulse.testing.Http;
import io.pulse.testing.RawWs;
import io.pulse.testing.TestNodes;
import io.pulse.testing.WsTestClient;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** Two nodes in one JVM, real WebSocket clients (Vert.x and hand-made frames). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class WsClusterTest {

  static final Duration WAIT = Duration.ofSeconds(10);
  final TestNodes cluster = new TestNodes();
  PulseNode a;
  PulseNode b;

  @BeforeAll
  void up() {
    JsonObject cfg = new JsonObject().put("ws.pingSeconds", 1).put("ws.idleTimeoutSeconds", 3)
        .put("limits.maxMessageBytes", 8192).put("limits.sendQueueBytes", 65536);
    a = cluster.start("ws-a", cfg);
    b = cluster.start("ws-b", cfg);
  }

  @AfterAll
  void down() {
    cluster.close();
  }

  static JsonObject msg(String type) {
    return new JsonObject().put("type", type);
  }

  @Test
  @DisplayName("chat across nodes: join, members, messages, leave, and leave on drop")
  void chatAcrossNodes() {
    try (WsTestClient ann = WsTestClient.connect(a.wsPort()); WsTestClient bob = WsTestClient.connect(b.wsPort());
        WsTestClient carl = WsTestClient.connect(a.wsPort())) {
      JsonObject joined = ann.request(msg("join").put("room", "r1").put("name", "ann"));
      assertEquals("joined", joined.getString("type"));
      assertEquals(new JsonArray().add(new JsonObject().put("name", "ann").put("connections", 1)), joined.getJsonArray("members"));
      JsonObject bobJoined = bob.request(msg("join").put("room", "r1").put("name", "bob"));
      assertEquals(List.of("ann", "bob"), names(bobJoined.getJsonArray("members")));
      JsonObject joinEnv = ann.nextMatching(m -> "join".equals(m.getString("type")) && "bob".equals(m.getString("from")), WAIT);
      assertEquals("chat.r1", joinEnv.getString("channel"));
      carl.request(msg("join").put("room", "r1").put("name", "carl"));

      JsonObject sent = bob.request(msg("chat").put("room", "r1").put("text", "hi"));
      assertEquals("sent", sent.getString("type"));
      JsonObject chat = ann.nextMatching(m -> "chat".equals(m.getString("type")), WAIT);
      assertEquals("bob", chat.getString("from"));
      assertEquals("hi", chat.getJsonObject("data").getString("text"));
      assertEquals(sent.getString("id"), chat.getString("id"));

      JsonObject presence = new JsonObject(Http.get(b.httpPort(), "/api/rooms/r1/presence").body());
      assertEquals(List.of("ann", "bob", "carl"), names(presence.getJsonArray("members")));
      assertEquals(List.of("ann", "bob", "carl"), names(bob.request(msg("presence").put("room", "r1")).getJsonArray("members")));

      assertEquals("left", ann.request(msg("leave").put("room", "r1")).getString("type"));
      bob.nextMatching(m -> "leave".equals(m.getString("type")) && "ann".equals(m.getString("from")), WAIT);

      bob.ws.close(); // dropped without leaving
      JsonObject leave = carl.nextMatching(m -> "leave".equals(m.getString("type")) && "bob".equals(m.getString("from")), WAIT);
      assertEquals("chat.r1", leave.getString("channel"));
      Await.until(() -> names(new JsonObject(Http.get(a.httpPort(), "/api/rooms/r1/presence").body())
          .getJsonArray("members")).equals(List.of("carl")), Duration.ofSeconds(5), "presence follows within 2 s");
    }
  }

  @Test
  @DisplayName("chat needs a join; bad rooms and names are refused, the connection stays")
  void chatRules() {
    try (WsTestClient c = WsTestClient.connect(a.wsPort())) {
      assertEquals("forbidden", c.request(msg("chat").put("room", "r2").put("text", "x")).getString("code"));
      assertEquals("bad_request", c.request(msg("join").put("room", "a.b").put("name", "x")).getString("code"));
      assertEquals("bad_request", c.request(msg("join").put("room", "r2")).getString("code"));
      assertEquals("bad_request", c.request(msg("join").put("room", "r2").put("name", 5)).getString("code"));
      assertEquals("pong", c.request(msg("ping")).getString("type"));
    }
  }

  @Test
  @DisplayName("subscribe, publish (ref echoed), receive across nodes, unsubscribe")
  void subscribePublish() {
    try (WsTestClient sub = WsTestClient.connect(b.wsPort()); WsTestClient pub = WsTestClient.connect(a.wsPort())) {
      JsonObject subscribed = sub.request(msg("subscribe").put("channel", "w1.*"));
      assertEquals("subscribed", subscribed.getString("type"));
      assertEquals("w1.*", subscribed.getString("channel"));
      assertFalse(subscribed.getBoolean("recovered"));
      String id = awaitDelivered(pub, sub, "w1.x");
      JsonObject published = pub.request(msg("publish").put("channel", "w1.x").put("event", "alert").put("data", 7));
      assertEquals("published", published.getString("type"));
      JsonObject env = sub.nextMatching(m -> "alert".equals(m.getString("type")), WAIT);
      assertEquals(published.getString("id"), env.getString("id"));
      assertEquals(7, env.getInteger("data"));
      assertTrue(Long.parseLong(env.getString("id")) > Long.parseLong(id));
      JsonObject unsub = sub.request(msg("unsubscribe").put("channel", "w1.*"));
      assertEquals("unsubscribed", unsub.getString("type"));
      pub.request(msg("publish").put("channel", "w1.x").put("event", "after").put("data", 8));
      assertEquals("pong", sub.request(msg("ping")).getString("type"));
      assertNull(sub.poll(Duration.ofMillis(300)), "nothing after unsubscribe");
    }
  }

  @Test
  @DisplayName("subscribe with since replays exactly what was missed, then live, on another node")
  void replayWithSince() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      ids.add(Http.publish(a.httpPort(), "w2.c", "n", i));
    }
    try (WsTestClient c = WsTestClient.connect(b.wsPort())) {
      JsonObject sub = c.request(msg("subscribe").put("channel", "w2.c").put("since", ids.get(2)));
      assertEquals("subscribed", sub.getString("type"));
      assertTrue(sub.getBoolean("recovered"));
      List<Integer> got = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        got.add(c.next(WAIT).getInteger("data"));
      }
      assertEquals(List.of(3, 4, 5), got);
      JsonObject unknown = c.request(msg("subscribe").put("channel", "w2.d").put("since", "987654"));
      assertFalse(unknown.getBoolean("recovered"));
    }
  }

  @Test
  @DisplayName("bad messages get an error frame and the connection stays open")
  void badMessages() {
    try (WsTestClient c = WsTestClient.connect(a.wsPort())) {
      c.ws.writeTextMessage("{not json");
      assertEquals("bad_request", c.next(WAIT).getString("code"));
      c.ws.writeTextMessage("[1,2]");
      assertEquals("bad_request", c.next(WAIT).getString("code"));
      JsonObject unknown = c.request(msg("dance"));
      assertEquals("error", unknown.getString("type"));
      assertEquals("bad_request", unknown.getString("code"));
      assertEquals("bad_request", c.request(msg("subscribe").put("channel", "a..b")).getString("code"));
      assertEquals("bad_request", c.request(msg("subscribe").put("channel", 5)).getString("code"));
      assertEquals("bad_request", c.request(msg("publish").put("channel", "bad channel")).getString("code"));
      assertEquals("bad_request", c.request(new JsonObject().put("nope", 1)).getString("code"));
      assertEquals("pong", c.request(msg("ping")).getString("type"));
    }
  }

  @Test
  @DisplayName("close codes: binary 1003, invalid UTF-8 1007, too large 1009, flood 1008, idle 1000")
  void closeCodes() throws Exception {
    try (RawWs raw = new RawWs(a.wsPort(), "/ws")) {
      raw.frame(2, true, new byte[] {1, 2, 3});
      assertEquals(1003, raw.readUntilClose());
    }
    try (RawWs raw = new RawWs(a.wsPort(), "/ws")) {
      raw.frame(1, true, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'});
      assertEquals(1007, raw.readUntilClose());
    }
    try (RawWs raw = new RawWs(a.wsPort(), "/ws")) { // invalid UTF-8 split across fragments
      raw.frame(1, false, "{\"a\":\"".getBytes(StandardCharsets.UTF_8));
      raw.frame(0, true, new byte[] {(byte) 0xF0, (byte) 0x28, '"', '}'});
      assertEquals(1007, raw.readUntilClose());
    }
    try (RawWs raw = new RawWs(a.wsPort(), "/ws")) { // 8192 is the limit; fragments add up
      raw.frame(1, false, new byte[5000]);
      raw.frame(0, true, new byte[5000]);
      assertEquals(1009, raw.readUntilClose());
    }
    try (RawWs raw = new RawWs(a.wsPort(), "/ws")) {
      for (int i = 0; i < 200; i++) {
        raw.text("{\"type\":\"ping\"}");
      }
      assertEquals(1008, raw.readUntilClose());
    }
    try (RawWs raw = new RawWs(a.wsPort(), "/ws")) { // never answers the server's pings
      long t0 = System.nanoTime();
      assertEquals(1000, raw.readUntilClose());
      assertTrue(Duration.ofNanos(System.nanoTime() - t0).toMillis() >= 2500, "after ws.idleTimeoutSeconds");
    }
    assertTrue(a.metrics().count("pulse.disconnects", "transport", "ws", "reason", "idle") >= 1);
    assertTrue(a.metrics().count("pulse.refused", "reason", "rate_limited") >= 1);
  }

  @Test
  @DisplayName("refused before the upgrade: 404 wrong path, 403 foreign Origin")
  void refusedBeforeUpgrade() {
    Throwable notFound = WsTestClient.refusal(a.wsPort(), "/nope", null);
    assertTrue(notFound instanceof UpgradeRejectedException, String.valueOf(notFound));
    assertEquals(404, ((UpgradeRejectedException) notFound).getStatus());
    Throwable foreign = WsTestClient.refusal(a.wsPort(), "/ws", "http://evil.example");
    assertEquals(403, ((UpgradeRejectedException) foreign).getStatus());
    assertNull(WsTestClient.refusal(a.wsPort(), "/ws", "http://localhost:" + a.httpPort()), "the node's own page is allowed");
  }

  @Test
  @DisplayName("a client that never reads is closed with 4001; others and the node are unaffected")
  void slowConsumer() throws Exception {
    try (RawWs raw = new RawWs(b.wsPort(), "/ws"); WsTestClient healthy = WsTestClient.connect(b.wsPort())) {
      raw.text("{\"type\":\"subscribe\",\"channel\":\"w3.big\"}");
      healthy.request(msg("subscribe").put("channel", "w3.big"));
      Await.until(() -> b.metrics().subscriptions("ws").get() >= 2, Duration.ofSeconds(5), "both subscribed");
      String chunk = "x".repeat(8000);
      int sent = 0;
      while (b.metrics().count("pulse.disconnects", "transport", "ws", "reason", "slow_consumer") < 1 && sent < 3000) {
        TestNodes.await(b.vertx().eventBus().request(Addresses.PUBLISH,
            new JsonObject().put("channel", "w3.big").put("data", chunk), new DeliveryOptions().setLocalOnly(true)));
        healthy.nextMatching(m -> "w3.big".equals(m.getString("channel")), WAIT);
        sent++;
      }
      assertEquals(1.0, b.metrics().count("pulse.disconnects", "transport", "ws", "reason", "slow_consumer"),
          "after " + sent + " messages");
      assertEquals("pong", healthy.request(msg("ping")).getString("type"));
    }
  }

  @Test
  @DisplayName("a node that dies without leaving disappears from presence and /api/cluster; its members get leave")
  void nodeDeathCleansPresence() {
    PulseNode c = cluster.start("ws-doomed", new JsonObject());
    try (WsTestClient dora = WsTestClient.connect(c.wsPort()); WsTestClient ann = WsTestClient.connect(a.wsPort())) {
      ann.request(msg("join").put("room", "r9").put("name", "ann"));
      dora.request(msg("join").put("room", "r9").put("name", "dora"));
      Await.until(() -> names(new JsonObject(Http.get(a.httpPort(), "/api/rooms/r9/presence").body())
          .getJsonArray("members")).equals(List.of("ann", "dora")), Duration.ofSeconds(5), "both present");
      long t0 = System.currentTimeMillis();
      // A crash as Hazelcast sees it: the member vanishes without leaving the cluster.
      com.hazelcast.core.HazelcastInstance hz = TestNodes.hazelcast(c.vertx());
      hz.getLifecycleService().terminate();
      JsonObject leave = ann.nextMatching(m -> "leave".equals(m.getString("type")) && "dora".equals(m.getString("from")),
          Duration.ofSeconds(15));
      assertEquals("node_left", leave.getJsonObject("data").getString("reason"));
      Await.until(() -> names(new JsonObject(Http.get(a.httpPort(), "/api/rooms/r9/presence").body())
          .getJsonArray("members")).equals(List.of("ann")), Duration.ofSeconds(5), "dora gone from presence");
      Await.until(() -> new JsonObject(Http.get(a.httpPort(), "/api/cluster").body()).getJsonObject("totals")
          .getInteger("nodes") == 2, Duration.ofSeconds(5), "node gone from /api/cluster");
      assertTrue(System.currentTimeMillis() - t0 < 15_000, "within 15 s");
    } finally {
      cluster.stop(c);
    }
  }

  @Test
  @DisplayName("/api/cluster counts WebSocket connections per node within 2 s")
  void clusterCounts() {
    try (WsTestClient c1 = WsTestClient.connect(b.wsPort()); WsTestClient c2 = WsTestClient.connect(b.wsPort())) {
      Await.until(() -> wsOf(b.nodeId()) == 2, Duration.ofSeconds(5), "two on node b");
    }
    Await.until(() -> wsOf(b.nodeId()) == 0, Duration.ofSeconds(5), "back to zero");
  }

  private int wsOf(String nodeId) {
    JsonObject view = new JsonObject(Http.get(a.httpPort(), "/api/cluster").body());
    return view.getJsonArray("nodes").stream().map(o -> (JsonObject) o).filter(n -> n.getString("id").equals(nodeId))
        .mapToInt(n -> n.getJsonObject("connections").getInteger("ws")).findFirst().orElse(-1);
  }

  /** Publishes probes until one arrives (registrations reach other nodes asynchronously). */
  private static String awaitDelivered(WsTestClient pub, WsTestClient sub, String channel) {
    long deadline = System.currentTimeMillis() + 10_000;
    while (System.currentTimeMillis() < deadline) {
      String id = pub.request(msg("publish").put("channel", channel).put("event", "probe")).getString("id");
      JsonObject m = sub.poll(Duration.ofMillis(200));
      if (m != null) {
        while (sub.poll(Duration.ofMillis(150)) != null) {
          // drain probes still in flight
        }
        return id;
      }
    }
    throw new AssertionError("never delivered");
  }

  private static List<String> names(JsonArray members) {
    return members.stream().map(o -> ((JsonObject) o).getString("name")).toList();
  }
}
