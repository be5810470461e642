package io.pulse.bridge;

import static io.pulse.testing.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import io.pulse.messages.Addresses;
import io.pulse.node.PulseNode;
import io.pulse.testing.TestNodes;
import io.pulse.testing.WsTestClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The event-bus bridge on two clustered nodes and a plain one (a backend), through its raw
 * WebSocket endpoint {@code /eventbus/websocket}, which speaks the bridge's JSON directly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(180)
class BridgeClusterTest {

  static final Duration WAIT = Duration.ofSeconds(10);
  final TestNodes cluster = new TestNodes();
  PulseNode a;
  PulseNode b;
  Vertx backend;

  @BeforeAll
  void up() {
    JsonObject cfg = new JsonObject()
        .put("bridge.inbound", new JsonArray().add("app.*"))
        .put("bridge.outbound", new JsonArray().add("app.news"))
        .put("bridge.replyTimeoutMs", 500)
        .put("limits.maxMessageBytes", 4096)
        // low, so that a flood outruns the refill on a slow machine (one token per 200 ms)
        .put("limits.inboundPerSecond", 5).put("limits.inboundBurst", 20);
    a = cluster.start("bridge-a", cfg);
    b = cluster.start("bridge-b", cfg);
    backend = cluster.startPlain("backend");
    // A backend verticle's consumer, on a node with no transports: answers with the text upper-cased
    // and the subject the bridge put in the headers.
    await(backend.eventBus().<JsonObject>consumer("app.echo", m -> m.reply(new JsonObject()
        .put("text", m.body().getString("text").toUpperCase()).put("sub", m.headers().get("pulse-sub"))))
        .completion());
    await(backend.eventBus().consumer("app.silent", m -> { }).completion()); // never answers
  }

  @AfterAll
  void down() {
    cluster.close();
  }

  static WsTestClient connect(PulseNode node) {
    return WsTestClient.connect(node.httpPort(), "/eventbus/websocket", null);
  }

  static JsonObject msg(String type, String address) {
    return new JsonObject().put("type", type).put("address", address);
  }

  static int subs(PulseNode node, String address) {
    HazelcastInstance hz = TestNodes.hazelcast(node.vertx());
    return hz.getMultiMap("__vertx.subs").valueCount(address);
  }

  static void eventually(BooleanSupplier cond, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + WAIT + ": " + what);
      }
      Thread.sleep(20);
    }
  }

  static JsonObject rec(WsTestClient c, String address) {
    return c.nextMatching(m -> "rec".equals(m.getString("type")) && address.equals(m.getString("address")), WAIT);
  }

  static JsonObject err(WsTestClient c) {
    return c.nextMatching(m -> "err".equals(m.getString("type")), WAIT);
  }

  @Test
  @DisplayName("N pages registering pulse.ch.<channel> on one node add one clustered registration, not N; each gets the envelope")
  void registrationsStayNodeLocal() throws Exception {
    String channel = "test.fan-" + UUID.randomUUID().toString().substring(0, 8);
    String address = Addresses.channel(channel);
    int n = 20;
    List<WsTestClient> pages = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      WsTestClient c = connect(a);
      c.send(msg("register", address));
      pages.add(c);
    }
    eventually(() -> subs(a, address) >= 1, "node A's consumer for " + address);
    eventually(() -> a.metrics().subscriptions("bridge").get() == n, "all " + n + " registrations handled");
    for (WsTestClient c : pages) {
      publishUntilHeard(c, address, channel); // every page is attached
    }
    String last = await(b.vertx().eventBus().<JsonObject>request(Addresses.PUBLISH,
        new JsonObject().put("channel", channel).put("event", "last").put("data", 2))).body().getString("id");
    for (WsTestClient c : pages) {
      JsonObject env = c.nextMatching(m -> "rec".equals(m.getString("type"))
          && "last".equals(m.getJsonObject("body").getString("type")), WAIT).getJsonObject("body");
      assertEquals(address, Addresses.channel(env.getString("channel")));
      assertEquals(last, env.getString("id"), "the same envelope SSE and WebSocket clients get");
    }
    assertEquals(1, subs(a, address), "one clustered registration for " + n + " pages");
    assertEquals(1, subs(b, address), "the same seen from node B");
    assertEquals(n, (int) a.metrics().connections("bridge").get());

    // Contrast: vertx-web's own handling of a permitted application address registers per page.
    List<WsTestClient> news = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      WsTestClient c = connect(a);
      c.send(msg("register", "app.news"));
      news.add(c);
    }
    eventually(() -> subs(a, "app.news") == 3, "three clustered registrations for app.news");
    backend.eventBus().publish("app.news", new JsonObject().put("headline", "hello"));
    for (WsTestClient c : news) {
      assertEquals("hello", rec(c, "app.news").getJsonObject("body").getString("headline"));
      c.close();
    }
    pages.forEach(WsTestClient::close);
    eventually(() -> subs(a, address) == 0, "the consumer goes with the last page");
    eventually(() -> a.metrics().connections("bridge").get() == 0, "connections counted down");
  }

  @Test
  @DisplayName("a pattern registration pulse.ch.<prefix>.* gets every channel below; the address is the one registered")
  void patterns() {
    String prefix = "test.pat-" + UUID.randomUUID().toString().substring(0, 8);
    try (WsTestClient c = connect(a)) {
      c.send(msg("register", "pulse.ch." + prefix + ".*"));
      c.send(msg("register", "pulse.ch." + prefix + ".s-01"));
      JsonObject id = publishUntilHeard(c, "pulse.ch." + prefix + ".*", prefix + ".s-01");
      assertEquals(prefix + ".s-01", id.getJsonObject("body").getString("channel"));
      JsonObject exact = rec(c, "pulse.ch." + prefix + ".s-01");
      assertEquals(id.getJsonObject("body").getString("id"), exact.getJsonObject("body").getString("id"),
          "both registrations get the message, each under its own address");
    }
  }

  /** Publishes on {@code channel} from node B every 200 ms until {@code c} hears it on {@code address}. */
  JsonObject publishUntilHeard(WsTestClient c, String address, String channel) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      await(b.vertx().eventBus().request(Addresses.PUBLISH, new JsonObject().put("channel", channel)
          .put("event", "tick").put("data", 1)));
      JsonObject m = c.poll(Duration.ofMillis(200));
      while (m != null) {
        if ("rec".equals(m.getString("type")) && address.equals(m.getString("address"))) {
          return m;
        }
        m = c.poll(Duration.ofMillis(10));
      }
    }
    throw new AssertionError("nothing on " + address);
  }

  @Test
  @DisplayName("a page publishing to pulse.ch.<channel> goes through Pulse's publish path: history id, envelope, reply")
  void publishFromPage() {
    String channel = "test.pub-" + UUID.randomUUID().toString().substring(0, 8);
    try (WsTestClient sub = connect(b); WsTestClient pub = connect(a)) {
      sub.send(msg("register", Addresses.channel(channel)));
      // the subscriber's registration on node B must be known on node A before the publish counts
      long deadline = System.nanoTime() + WAIT.toNanos();
      JsonObject heard = null;
      String id = null;
      while (heard == null && System.nanoTime() < deadline) {
        String reply = "r-" + UUID.randomUUID().toString().substring(0, 8);
        pub.send(msg("send", Addresses.channel(channel)).put("body", new JsonObject().put("t", 21.5))
            .put("headers", new JsonObject().put("event", "reading")).put("replyAddress", reply));
        id = rec(pub, reply).getJsonObject("body").getString("id");
        heard = sub.poll(Duration.ofMillis(300));
      }
      assertNotNull(heard, "the subscriber on node B got the page's message");
      JsonObject env = heard.getJsonObject("body");
      assertEquals("reading", env.getString("type"));
      assertEquals(21.5, env.getJsonObject("data").getDouble("t"));
      assertNotNull(id);
      assertTrue(Long.parseLong(id, 36) >= 0 || !id.isEmpty(), "a history id");
    }
  }

  @Test
  @DisplayName("request/reply: a page on node A gets the answer of a backend verticle on another node")
  void requestReplyAcrossNodes() {
    try (WsTestClient c = connect(a)) {
      c.send(msg("send", "app.echo").put("body", new JsonObject().put("text", "hi")).put("replyAddress", "r1")
          .put("headers", new JsonObject().put("pulse-sub", "mallory")));
      JsonObject got = rec(c, "r1");
      assertEquals("HI", got.getJsonObject("body").getString("text"));
      assertNull(got.getJsonObject("body").getValue("sub"), "an anonymous page cannot claim a subject");
    }
  }

  @Test
  @DisplayName("no handler: an err with failureType NO_HANDLERS at once; no answer: TIMEOUT after bridge.replyTimeoutMs")
  void noHandlerAndTimeout() {
    try (WsTestClient c = connect(a)) {
      c.send(msg("send", "app.nobody").put("body", 1).put("replyAddress", "r-none"));
      JsonObject none = err(c);
      assertEquals("r-none", none.getString("address"));
      assertEquals("NO_HANDLERS", none.getString("failureType"));
      long t0 = System.nanoTime();
      c.send(msg("send", "app.silent").put("body", 1).put("replyAddress", "r-silent"));
      JsonObject late = err(c);
      assertEquals("r-silent", late.getString("address"));
      assertEquals("TIMEOUT", late.getString("failureType"));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(ms >= 400 && ms < 5000, "about bridge.replyTimeoutMs (500): " + ms);
    }
  }

  @Test
  @DisplayName("an address outside bridge.inbound/outbound: access_denied, counted; the socket stays open")
  void deniedAddress() {
    double before = a.metrics().count("pulse.refused", "reason", "forbidden");
    try (WsTestClient c = connect(a)) {
      c.send(msg("send", "secret.admin").put("body", 1));
      assertEquals("access_denied", err(c).getString("body"));
      c.send(msg("register", "app.echo")); // inbound only, not outbound
      assertEquals("access_denied", err(c).getString("body"));
      c.send(msg("send", "pulse.publish").put("body", new JsonObject().put("channel", "x").put("data", 1)));
      assertEquals("access_denied", err(c).getString("body"), "Pulse's own addresses are never on the bridge");
      c.send(msg("send", "app.echo").put("body", new JsonObject().put("text", "still")).put("replyAddress", "r2"));
      assertEquals("STILL", rec(c, "r2").getJsonObject("body").getString("text"));
    }
    assertEquals(before + 3, a.metrics().count("pulse.refused", "reason", "forbidden"));
  }

  @Test
  @DisplayName("oversize: over limits.maxMessageBytes an err too_large (socket open); over twice that the frame closes it")
  void oversize() {
    String big = "x".repeat(5000);
    try (WsTestClient c = connect(a)) {
      c.send(msg("send", "app.echo").put("body", new JsonObject().put("text", big)).put("replyAddress", "r3"));
      JsonObject e = err(c);
      assertEquals("r3", e.getString("address"));
      assertEquals(413, e.getInteger("failureCode"));
      c.send(msg("publish", "pulse.ch.test.big").put("body", big));
      assertEquals("too_large", err(c).getString("body"));
      c.send(msg("send", "app.echo").put("body", new JsonObject().put("text", "ok")).put("replyAddress", "r4"));
      assertEquals("OK", rec(c, "r4").getJsonObject("body").getString("text"));
      c.ws.writeTextMessage(msg("send", "app.echo").put("body", "y".repeat(20_000)).encode());
      assertNotNull(c.awaitClose(WAIT), "a frame over the transport limit closes the socket");
    }
  }

  @Test
  @DisplayName("flooding: over limits.inboundBurst a rate_limited error (429), then, persisting, closed with 1008")
  void flooding() {
    double before = a.metrics().count("pulse.refused", "reason", "rate_limited");
    try (WsTestClient c = connect(a)) {
      for (int i = 0; i < 150; i++) {
        c.ws.writeTextMessage(msg("register", "pulse.ch.test.flood").encode());
      }
      JsonObject e = err(c);
      assertEquals("pulse.ch.test.flood", e.getString("address"), "a refused register is answered to its handlers");
      assertEquals(429, e.getInteger("failureCode"));
      assertEquals((short) 1008, c.awaitClose(WAIT));
    }
    assertTrue(a.metrics().count("pulse.refused", "reason", "rate_limited") >= before + 50);
    assertTrue(a.metrics().count("pulse.disconnects", "transport", "bridge", "reason", "policy") >= 1);
  }
}
