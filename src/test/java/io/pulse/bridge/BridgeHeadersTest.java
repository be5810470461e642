package io.pulse.bridge;

import static io.pulse.testing.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.pulse.messages.Addresses;
import io.pulse.node.PulseNode;
import io.pulse.testing.Await;
import io.pulse.testing.TestNodes;
import io.pulse.testing.WsTestClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Headers a page sends on the raw bridge endpoint {@code /eventbus/websocket}, seen from a backend
 * on another member: the subject header {@code pulse-sub} is the server's, under every spelling
 * (event-bus header names ignore case), on a send, a publish and a reply; the chat's moderation
 * request carries it too; the header {@code event} of a channel publish is read under any spelling;
 * headers the event bus would refuse get an error instead of silence. Fails on the code before
 * {@code io.pulse.messages.Headers} (issue 26, item 1): the page's {@code Pulse-Sub} reached the backend.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class BridgeHeadersTest {

  static final String SECRET = "test-secret-that-is-long-enough-for-hs256";
  static final Duration WAIT = Duration.ofSeconds(10);
  static final List<String> SPELLINGS = List.of("pulse-sub", "Pulse-Sub", "PULSE-SUB", "pUlSe-SuB");
  final TestNodes cluster = new TestNodes();
  final Vertx signer = Vertx.vertx();
  /** What the backend saw: nonce of the message → its {@code headers().getAll("pulse-sub")}. */
  final Map<String, List<String>> seen = new ConcurrentHashMap<>();
  PulseNode node;
  Vertx backend;
  JWTAuth hs;

  @BeforeAll
  void up() {
    node = cluster.start("hdr-bridge", new JsonObject().put("auth.mode", "jwt").put("auth.jwt.key", SECRET)
        .put("bridge.enabled", true)
        .put("bridge.inbound", new JsonArray().add("app.*"))
        .put("bridge.outbound", new JsonArray().add("app.ask"))
        .put("chat.moderation.address", "app.moderate"));
    backend = cluster.startPlain("hdr-backend");
    hs = JWTAuth.create(signer, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256")
        .setBuffer(SECRET)));
    for (String address : List.of("app.whoami", "app.moderate")) {
      await(backend.eventBus().<JsonObject>consumer(address, this::record).completion());
      // the backend's registration must be known on the node before a page's first send
      Await.until(() -> delivered(node.vertx(), address), WAIT, address + " known on the node");
    }
  }

  @AfterAll
  void down() {
    cluster.close();
    signer.close();
  }

  /**
   * The backend: records the subject headers under the body's nonce (a moderation request from
   * Pulse: under {@code "text:" + text}) and answers with them (to the chat: no action, allowed).
   */
  private void record(Message<JsonObject> m) {
    List<String> subs = m.headers().getAll("pulse-sub");
    JsonObject body = m.body() == null ? new JsonObject() : m.body();
    if (body.getValue("nonce") instanceof String nonce) {
      seen.put(nonce, subs);
    } else if (body.getValue("text") instanceof String text) {
      seen.put("text:" + text, subs);
    }
    m.reply(new JsonObject().put("sub", new JsonArray(new ArrayList<>(subs))));
  }

  private static boolean delivered(Vertx from, String address) {
    try {
      from.eventBus().request(address, new JsonObject(), new DeliveryOptions().setSendTimeout(2000))
          .await(5, java.util.concurrent.TimeUnit.SECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  String token(String sub) {
    return hs.generateToken(new JsonObject().put("sub", sub).put("channels", new JsonArray().add("*"))
        .put("publish", new JsonArray().add("*")), new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds(600));
  }

  WsTestClient page(String sub) {
    return WsTestClient.connect(node.httpPort(), "/eventbus/websocket" + (sub == null ? "" : "?token=" + token(sub)),
        null);
  }

  /** What the backend saw for {@code nonce}, waiting for it. */
  List<String> backendSaw(String nonce) {
    Await.until(() -> seen.containsKey(nonce), WAIT, "the backend got message " + nonce);
    return seen.get(nonce);
  }

  static List<String> expected(String sub) {
    return sub == null ? List.of() : List.of(sub);
  }

  static Stream<Arguments> spellingsAndPages() {
    return SPELLINGS.stream().flatMap(s -> Stream.of(Arguments.of(s, null), Arguments.of(s, "ann")));
  }

  static JsonObject frame(String type, String address, String nonce, JsonObject headers) {
    return new JsonObject().put("type", type).put("address", address).put("body", new JsonObject().put("nonce", nonce))
        .put("headers", headers);
  }

  @ParameterizedTest(name = "send with {0}: mallory, page {1}")
  @MethodSource("spellingsAndPages")
  @DisplayName("a page's own subject header, any spelling, on a send: the backend sees the token's subject once, or none")
  void send(String spelling, String sub) {
    try (WsTestClient page = page(sub)) {
      String nonce = UUID.randomUUID().toString();
      page.send(frame("send", "app.whoami", nonce, new JsonObject().put(spelling, "mallory")).put("replyAddress", "r1"));
      assertEquals(expected(sub), backendSaw(nonce));
      JsonObject reply = page.nextMatching(m -> "r1".equals(m.getString("address")), WAIT);
      assertEquals(new JsonArray(expected(sub)), reply.getJsonObject("body").getJsonArray("sub"));
    }
  }

  @ParameterizedTest(name = "publish with {0}: mallory, page {1}")
  @MethodSource("spellingsAndPages")
  @DisplayName("the same on a publish")
  void publish(String spelling, String sub) {
    try (WsTestClient page = page(sub)) {
      String nonce = UUID.randomUUID().toString();
      page.send(frame("publish", "app.whoami", nonce, new JsonObject().put(spelling, "mallory")));
      assertEquals(expected(sub), backendSaw(nonce));
    }
  }

  @Test
  @DisplayName("every spelling at once, and other headers kept: still the token's subject once, or none")
  void everySpellingAtOnce() {
    for (String sub : new String[] {null, "ann"}) {
      try (WsTestClient page = page(sub)) {
        JsonObject headers = new JsonObject().put("x-trace", "t1");
        SPELLINGS.forEach(s -> headers.put(s, "mallory-" + s));
        String nonce = UUID.randomUUID().toString();
        page.send(frame("send", "app.whoami", nonce, headers));
        assertEquals(expected(sub), backendSaw(nonce), "page " + sub);
      }
    }
  }

  @Test
  @DisplayName("a page answering a backend's request (bridge.outbound): the reply's subject header is the server's")
  void replyFromPage() {
    for (String sub : new String[] {null, "ann"}) {
      try (WsTestClient page = page(sub)) {
        page.send(new JsonObject().put("type", "register").put("address", "app.ask"));
        String nonce = UUID.randomUUID().toString();
        // until the page's registration is known on the backend (before that: no handler, at once)
        Message<Object> answer = null;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (answer == null && System.nanoTime() < deadline) {
          Future<Message<Object>> asked = backend.eventBus().request("app.ask", new JsonObject().put("nonce", nonce),
              new DeliveryOptions().setSendTimeout(2000));
          JsonObject rec = null;
          do {
            JsonObject m = page.poll(Duration.ofMillis(50));
            rec = m != null && "rec".equals(m.getString("type")) && "app.ask".equals(m.getString("address")) ? m : null;
          } while (rec == null && !asked.isComplete());
          if (rec == null) {
            // Not registered yet (no handler), or sent to where a page of the previous round was
            // registered (the cluster's view of registrations lags: the message is lost, a timeout).
            Throwable failed = asked.cause();
            ReplyFailure why = failed instanceof ReplyException re ? re.failureType() : null;
            assertTrue(why == ReplyFailure.NO_HANDLERS || why == ReplyFailure.TIMEOUT, String.valueOf(failed));
            continue;
          }
          JsonObject replyHeaders = new JsonObject();
          SPELLINGS.forEach(s -> replyHeaders.put(s, "mallory"));
          page.send(new JsonObject().put("type", "send").put("address", rec.getString("replyAddress"))
              .put("body", "ok").put("headers", replyHeaders));
          answer = await(asked);
        }
        assertNotNull(answer, "the page answered");
        assertEquals(expected(sub), answer.headers().getAll("pulse-sub"), "page " + sub);
      }
    }
  }

  @Test
  @DisplayName("the chat's moderation request carries the chatter's subject; a page posing as Pulse carries its own")
  void moderation() {
    try (WsTestClient chat = WsTestClient.connect(node.wsPort(), "/ws?token=" + token("ann"), null);
        WsTestClient page = page("bob")) {
      assertEquals("joined", chat.request(new JsonObject().put("type", "join").put("room", "lobby")).getString("type"));
      // the backend answers without an action: allowed
      String text = "hi " + UUID.randomUUID();
      assertEquals("sent", chat.request(new JsonObject().put("type", "chat").put("room", "lobby").put("text", text))
          .getString("type"));
      assertEquals(List.of("ann"), backendSaw("text:" + text), "Pulse's moderation request");
      // bob's page sends what a moderation request looks like, claiming ann
      String nonce = UUID.randomUUID().toString();
      page.send(frame("send", "app.moderate", nonce, new JsonObject().put("Pulse-Sub", "ann"))
          .put("body", new JsonObject().put("nonce", nonce).put("room", "lobby").put("from", "ann").put("text", "x")));
      assertEquals(List.of("bob"), backendSaw(nonce));
    }
  }

  @Test
  @DisplayName("a channel publish reads the header event under any spelling; two spellings at once: err 400")
  void eventHeader() {
    String channel = "hdr.ev-" + UUID.randomUUID().toString().substring(0, 8);
    try (WsTestClient page = page("ann")) {
      page.send(new JsonObject().put("type", "register").put("address", Addresses.channel(channel)));
      JsonObject heard = null;
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (heard == null && System.nanoTime() < deadline) {
        page.send(new JsonObject().put("type", "send").put("address", Addresses.channel(channel)).put("body", 1)
            .put("headers", new JsonObject().put("Event", "alert")));
        JsonObject m = page.poll(Duration.ofMillis(300));
        heard = m != null && "rec".equals(m.getString("type")) ? m : null;
      }
      assertNotNull(heard, "the page heard its message");
      assertEquals("alert", heard.getJsonObject("body").getString("type"));
      assertEquals("ann", heard.getJsonObject("body").getString("from"));

      page.send(new JsonObject().put("type", "send").put("address", Addresses.channel(channel)).put("body", 2)
          .put("replyAddress", "r-dup").put("headers", new JsonObject().put("event", "a").put("EVENT", "b")));
      JsonObject err = page.nextMatching(m -> "r-dup".equals(m.getString("address")), WAIT);
      assertEquals("err", err.getString("type"));
      assertEquals(400, err.getInteger("failureCode"));
    }
  }

  @Test
  @DisplayName("headers the event bus refuses (null value, bad name, line break): err 400, nothing sent, the socket stays")
  void badHeaders() {
    double before = node.metrics().count("pulse.refused", "reason", "bad_request");
    List<JsonObject> bad = List.of(new JsonObject().putNull("x"), new JsonObject().put("bad name", "x"),
        new JsonObject().put("x", "a\nb"));
    List<String> refused = new ArrayList<>();
    try (WsTestClient page = page(null)) {
      for (JsonObject headers : bad) {
        String nonce = UUID.randomUUID().toString();
        refused.add(nonce);
        page.send(frame("send", "app.whoami", nonce, headers).put("replyAddress", "r-bad"));
        JsonObject err = page.nextMatching(m -> "r-bad".equals(m.getString("address")), WAIT);
        assertEquals("err", err.getString("type"), headers.encode());
        assertEquals(400, err.getInteger("failureCode"), headers.encode());
        page.send(frame("publish", "app.whoami", nonce, headers)); // no callback: to onerror
        assertEquals("bad_request", page.nextMatching(m -> "err".equals(m.getString("type")), WAIT).getString("body"));
      }
      String nonce = UUID.randomUUID().toString();
      page.send(frame("send", "app.whoami", nonce, new JsonObject().put("x", "fine")));
      assertEquals(List.of(), backendSaw(nonce), "the socket still works");
      refused.forEach(n -> assertFalse(seen.containsKey(n), "nothing sent for a refused message"));
    }
    assertEquals(before + 6, node.metrics().count("pulse.refused", "reason", "bad_request"));
  }
}
