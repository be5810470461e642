package io.pulse.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.messages.Addresses;
import io.pulse.node.PulseNode;
import io.pulse.testing.Http;
import io.pulse.testing.TestNodes;
import io.pulse.testing.WsTestClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.net.http.HttpRequest;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** The bridge in jwt mode: the token's rights per channel, Origin, the node's connection limit, the default. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class BridgeAuthTest {

  static final String SECRET = "test-secret-that-is-long-enough-for-hs256";
  static final Duration WAIT = Duration.ofSeconds(10);
  final TestNodes cluster = new TestNodes();
  final Vertx signer = Vertx.vertx();
  final io.vertx.core.http.WebSocketClient wsClient = signer.createWebSocketClient(); // a field: see VERTX5.md 2.11
  PulseNode node;
  PulseNode full;
  PulseNode off;
  JWTAuth hs;

  @BeforeAll
  void up() {
    JsonObject jwt = new JsonObject().put("auth.mode", "jwt").put("auth.jwt.key", SECRET);
    node = cluster.start("jwt-bridge", jwt.copy().put("bridge.enabled", true));
    full = cluster.start("jwt-full", jwt.copy().put("bridge.enabled", true).put("limits.maxConnections", 1));
    off = cluster.start("jwt-default", jwt);
    hs = JWTAuth.create(signer, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(SECRET)));
  }

  @AfterAll
  void down() {
    cluster.close();
    signer.close();
  }

  String token(String channels, String publish) {
    return hs.generateToken(new JsonObject().put("sub", "ann").put("channels", new JsonArray().add(channels))
        .put("publish", new JsonArray().add(publish)), new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds(600));
  }

  WsTestClient connect(PulseNode n, String token) {
    return WsTestClient.connect(n.httpPort(), "/eventbus/websocket" + (token == null ? "" : "?token=" + token), null);
  }

  static JsonObject msg(String type, String address) {
    return new JsonObject().put("type", type).put("address", address);
  }

  static JsonObject err(WsTestClient c) {
    return c.nextMatching(m -> "err".equals(m.getString("type")), WAIT);
  }

  @Test
  @DisplayName("forbidden channel: 401 without a token, 403 outside the token's channels; publishing needs the publish right")
  void rights() {
    try (WsTestClient anon = connect(node, null)) {
      anon.send(msg("register", "pulse.ch.team.a"));
      JsonObject e = err(anon);
      assertEquals("pulse.ch.team.a", e.getString("address"));
      assertEquals(401, e.getInteger("failureCode"));
      anon.send(msg("register", "pulse.ch.sensors.*")); // auth.publicChannels: allowed
      anon.send(msg("send", "pulse.ch.team.a").put("body", 1).put("replyAddress", "r0"));
      assertEquals(401, err(anon).getInteger("failureCode"));
    }
    try (WsTestClient ann = connect(node, token("team.*", "other.*"))) {
      ann.send(msg("register", "pulse.ch.private.x"));
      JsonObject e = err(ann);
      assertEquals("pulse.ch.private.x", e.getString("address"));
      assertEquals(403, e.getInteger("failureCode"));
      ann.send(msg("send", "pulse.ch.team.a").put("body", 1).put("replyAddress", "r1"));
      JsonObject p = err(ann);
      assertEquals("r1", p.getString("address"));
      assertEquals(403, p.getInteger("failureCode"));
      // allowed: subscribe team.a and hear what a backend publishes there
      ann.send(msg("register", "pulse.ch.team.a"));
      JsonObject heard = null;
      for (int i = 0; i < 30 && heard == null; i++) {
        TestNodes.await(node.vertx().eventBus().request(Addresses.PUBLISH,
            new JsonObject().put("channel", "team.a").put("data", i)));
        heard = ann.poll(Duration.ofMillis(300));
      }
      assertNotNull(heard);
      assertEquals("team.a", heard.getJsonObject("body").getString("channel"));
    }
    assertTrue(node.metrics().count("pulse.refused", "reason", "forbidden") >= 2);
    assertTrue(node.metrics().count("pulse.refused", "reason", "unauthorized") >= 2);
  }

  @Test
  @DisplayName("a bad token: err unauthorized, then closed")
  void badToken() throws Exception {
    assertEquals("unauthorized", refusedAtOnce(node, "/eventbus/websocket?token=not-a-token").getString("body"));
  }

  /**
   * Connects with the handlers set before the upgrade (the refusal and the close may come before
   * WsTestClient could listen); returns the first message, once the socket was closed.
   */
  JsonObject refusedAtOnce(PulseNode n, String uri) throws Exception {
    java.util.concurrent.CompletableFuture<JsonObject> first = new java.util.concurrent.CompletableFuture<>();
    java.util.concurrent.CompletableFuture<Void> closed = new java.util.concurrent.CompletableFuture<>();
    io.vertx.core.http.ClientWebSocket ws = wsClient.webSocket();
    ws.textMessageHandler(t -> first.complete(new JsonObject(t)))
        .binaryMessageHandler(b -> first.complete(new JsonObject(b.toString())))
        .closeHandler(v -> closed.complete(null));
    TestNodes.await(ws.connect(new io.vertx.core.http.WebSocketConnectOptions().setHost("127.0.0.1")
        .setPort(n.httpPort()).setURI(uri)));
    closed.get(10, java.util.concurrent.TimeUnit.SECONDS);
    return first.get(1, java.util.concurrent.TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("an Origin outside auth.allowedOrigins: 403 before the upgrade")
  void origin() {
    Throwable t = WsTestClient.refusal(node.httpPort(), "/eventbus/websocket", "http://evil.example");
    assertTrue(t instanceof UpgradeRejectedException u && u.getStatus() == 403, String.valueOf(t));
    var info = Http.send(HttpRequest.newBuilder(Http.uri(node.httpPort(), "/eventbus/info"))
        .header("Origin", "http://evil.example").GET().build());
    assertEquals(403, info.statusCode());
  }

  @Test
  @DisplayName("limits.maxConnections (shared with SSE and WebSocket): err unavailable, then closed")
  void maxConnections() throws Exception {
    try (WsTestClient first = connect(full, null)) {
      first.send(msg("register", "pulse.ch.sensors.x"));
      assertEquals("unavailable", refusedAtOnce(full, "/eventbus/websocket").getString("body"));
    }
    assertTrue(full.metrics().count("pulse.refused", "reason", "max_connections") >= 1);
  }

  @Test
  @DisplayName("bridge.enabled auto: off in jwt mode (404)")
  void offByDefaultInJwtMode() {
    assertEquals(404, Http.send(HttpRequest.newBuilder(Http.uri(off.httpPort(), "/eventbus/info")).GET().build())
        .statusCode());
    assertEquals(200, Http.send(HttpRequest.newBuilder(Http.uri(node.httpPort(), "/eventbus/info")).GET().build())
        .statusCode());
  }
}
