package io.pulse.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.node.PulseNode;
import io.pulse.testing.Http;
import io.pulse.testing.SseClient;
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
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** The bad-input and token matrix of the Security page (src/site/markdown/security.md), row by row, on real nodes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class SecurityTest {

  static final String SECRET = "test-secret-that-is-long-enough-for-hs256";
  final TestNodes cluster = new TestNodes();
  final TestNodes rsaCluster = new TestNodes();
  final Vertx signer = Vertx.vertx();
  PulseNode node;
  PulseNode rsaNode;
  JWTAuth hs;
  JWTAuth rs;
  String rsaPublicPem;

  @BeforeAll
  void up() throws Exception {
    node = cluster.start("sec", new JsonObject().put("auth.mode", "jwt").put("auth.jwt.key", SECRET)
        .put("http.idleTimeoutSeconds", 3).put("sse.keepAliveSeconds", 1));
    hs = JWTAuth.create(signer, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(SECRET)));
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    KeyPair kp = gen.generateKeyPair();
    rsaPublicPem = pem("PUBLIC KEY", kp.getPublic().getEncoded());
    rs = JWTAuth.create(signer, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256").setBuffer(pem("PRIVATE KEY", kp.getPrivate().getEncoded()))));
    rsaNode = rsaCluster.start("sec-rsa", new JsonObject().put("auth.mode", "jwt")
        .put("auth.jwt.algorithm", "RS256").put("auth.jwt.key", rsaPublicPem));
  }

  @AfterAll
  void down() {
    cluster.close();
    rsaCluster.close();
    signer.close();
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  String token(JsonObject claims, int expiresInSeconds) {
    return hs.generateToken(claims, new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds(expiresInSeconds));
  }

  String user(String sub, String channels, String publish) {
    return token(new JsonObject().put("sub", sub).put("channels", new JsonArray().add(channels))
        .put("publish", new JsonArray().add(publish)), 600);
  }

  static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  int port() {
    return node.httpPort();
  }

  HttpResponse<String> getWithBearer(String path, String token) {
    return Http.send(HttpRequest.newBuilder(Http.uri(port(), path)).header("Authorization", "Bearer " + token)
        .timeout(Duration.ofSeconds(10)).GET().build());
  }

  HttpResponse<String> publish(String token, String channel) {
    HttpRequest.Builder b = HttpRequest.newBuilder(Http.uri(port(), "/api/publish"))
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("channel", channel).put("data", 1).encode()));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return Http.send(b.build());
  }

  @Test
  @DisplayName("SSE: public channels without a token; others need a token whose channels claim covers them")
  void sseRights() {
    try (SseClient pub = SseClient.open(port(), "channel=sensors.*")) {
      assertEquals(200, pub.status);
    }
    assertError(Http.get(port(), "/events?channel=private.x"), 401, "unauthorized");
    String ann = user("ann", "team.*", "team.*");
    try (SseClient ok = SseClient.open(port(), "channel=team.a&token=" + ann)) {
      assertEquals(200, ok.status);
    }
    try (SseClient sub = SseClient.open(port(), "channel=team.deep.*&token=" + ann)) {
      assertEquals(200, sub.status, "a narrower pattern is covered");
    }
    assertError(Http.get(port(), "/events?channel=other.x&token=" + ann), 403, "forbidden");
    assertError(Http.get(port(), "/events?channel=team.*&channel=other.x&token=" + ann), 403, "forbidden");
  }

  @Test
  @DisplayName("forged, expired, not-yet-valid, alg none, wrong-key and garbage tokens get 401 everywhere")
  void badTokens() {
    long now = System.currentTimeMillis() / 1000;
    JsonObject claims = new JsonObject().put("sub", "mallory").put("channels", new JsonArray().add("*"))
        .put("publish", new JsonArray().add("*"));
    String expired = hs.generateToken(claims.copy().put("exp", now - 60), new JWTOptions().setAlgorithm("HS256"));
    String notYet = hs.generateToken(claims.copy().put("nbf", now + 3600), new JWTOptions().setAlgorithm("HS256"));
    String none = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64(claims.encode()) + ".";
    String wrongKey = JWTAuth.create(signer, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm("HS256").setBuffer("another-secret-that-is-also-long-enough"))).generateToken(claims);
    String good = user("ann", "*", "*");
    String[] parts = good.split("\\.");
    String forged = parts[0] + "." + b64(claims.encode()) + "." + parts[2]; // payload swapped, signature kept
    for (String bad : new String[] {expired, notYet, none, wrongKey, forged, "garbage", "a.b.c"}) {
      assertError(Http.get(port(), "/events?channel=sensors.*&token=" + bad), 401, "unauthorized");
      assertError(publish(bad, "team.a"), 401, "unauthorized");
      assertError(getWithBearer("/api/channels/sensors.s-01/history", bad), 401, "unauthorized");
      Throwable ws = WsTestClient.refusal(node.wsPort(), "/ws?token=" + bad, null);
      assertTrue(ws instanceof UpgradeRejectedException, String.valueOf(ws));
      assertEquals(401, ((UpgradeRejectedException) ws).getStatus());
    }
    assertTrue(node.metrics().count("pulse.refused", "reason", "unauthorized") >= 28);
    assertEquals(202, publish(good, "team.a").statusCode(), "the node still serves good tokens");
  }

  @Test
  @DisplayName("RS256: a token signed with the private key passes; HS256 with the public key as secret does not")
  void rs256AndKeyConfusion() {
    JsonObject claims = new JsonObject().put("sub", "ann").put("publish", new JsonArray().add("*"));
    String good = rs.generateToken(claims, new JWTOptions().setAlgorithm("RS256").setExpiresInMinutes(5));
    int rp = rsaNode.httpPort();
    HttpRequest.Builder b = HttpRequest.newBuilder(Http.uri(rp, "/api/publish"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"x\",\"data\":1}"));
    assertEquals(202, Http.send(b.copy().header("Authorization", "Bearer " + good).build()).statusCode());
    String confused = JWTAuth.create(signer, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm("HS256").setBuffer(rsaPublicPem))).generateToken(claims);
    assertEquals(401, Http.send(b.copy().header("Authorization", "Bearer " + confused).build()).statusCode());
  }

  @Test
  @DisplayName("publish needs a token with the publish right; from is the token's subject")
  void publishRights() {
    assertError(publish(null, "team.a"), 401, "unauthorized");
    assertError(publish(user("bob", "team.*", "other.*"), "team.a"), 403, "forbidden");
    String ann = user("ann", "team.*", "team.*");
    try (SseClient sse = SseClient.open(port(), "channel=team.p&token=" + ann)) {
      long deadline = System.currentTimeMillis() + 10_000;
      SseClient.Event e = null;
      while (e == null && System.currentTimeMillis() < deadline) {
        assertEquals(202, publish(ann, "team.p").statusCode());
        e = sse.poll(Duration.ofMillis(200));
      }
      assertEquals("ann", e.json().getString("from"));
    }
    assertEquals(404, Http.post(port(), "/api/token", "{\"name\":\"x\"}").statusCode(), "no minting in jwt mode");
  }

  @Test
  @DisplayName("WebSocket: anonymous may only subscribe to public channels; chat needs a token; expiry closes with 4002")
  void webSocketRights() {
    try (WsTestClient anon = WsTestClient.connect(node.wsPort())) {
      assertEquals("subscribed", anon.request(new JsonObject().put("type", "subscribe").put("channel", "sensors.*")).getString("type"));
      assertEquals("unauthorized", anon.request(new JsonObject().put("type", "subscribe").put("channel", "team.a")).getString("code"));
      assertEquals("unauthorized", anon.request(new JsonObject().put("type", "join").put("room", "r").put("name", "x")).getString("code"));
      assertEquals("unauthorized", anon.request(new JsonObject().put("type", "publish").put("channel", "team.a")).getString("code"));
    }
    String ann = user("ann", "team.*", "team.*");
    try (WsTestClient c = WsTestClient.connect(node.wsPort(), "/ws?token=" + ann, null)) {
      assertEquals("forbidden", c.request(new JsonObject().put("type", "subscribe").put("channel", "other.a")).getString("code"));
      JsonObject joined = c.request(new JsonObject().put("type", "join").put("room", "r").put("name", "ignored"));
      assertEquals("ann", joined.getJsonArray("members").getJsonObject(0).getString("name"), "the name is the token's subject");
      assertEquals("published", c.request(new JsonObject().put("type", "publish").put("channel", "team.a")).getString("type"));
    }
    String shortLived = token(new JsonObject().put("sub", "eve"), 2);
    try (WsTestClient c = WsTestClient.connect(node.wsPort(), "/ws?token=" + shortLived, null)) {
      assertEquals("pong", c.request(new JsonObject().put("type", "ping")).getString("type"));
      assertEquals((short) 4002, c.awaitClose(Duration.ofSeconds(10)));
    }
    try (SseClient sse = SseClient.open(port(), "channel=sensors.*&token=" + token(new JsonObject().put("sub", "eve"), 2))) {
      long deadline = System.currentTimeMillis() + 10_000;
      while (!sse.ended() && System.currentTimeMillis() < deadline) {
        sse.poll(Duration.ofMillis(100));
      }
      assertTrue(sse.ended(), "the SSE stream ends at token expiry");
    }
  }

  @Test
  @DisplayName("WebSocket refresh: the same subject's new token outlives the old one and sets the rights; others change nothing")
  void webSocketRefresh() throws Exception {
    long openedAt = System.currentTimeMillis();
    String shortLived = token(new JsonObject().put("sub", "fay").put("channels", new JsonArray().add("team.*").add("news.*")), 2);
    try (WsTestClient c = WsTestClient.connect(node.wsPort(), "/ws?token=" + shortLived, null)) {
      assertEquals("subscribed", c.request(new JsonObject().put("type", "subscribe").put("channel", "team.r")).getString("type"));
      assertEquals("subscribed", c.request(new JsonObject().put("type", "subscribe").put("channel", "news.r")).getString("type"));
      assertEquals("bad_request", c.request(new JsonObject().put("type", "refresh")).getString("code"));
      assertEquals("unauthorized", c.request(new JsonObject().put("type", "refresh").put("token", "garbage")).getString("code"));
      assertEquals("forbidden", c.request(new JsonObject().put("type", "refresh").put("token", user("gus", "*", "*")))
          .getString("code"), "another subject's token");

      String longer = token(new JsonObject().put("sub", "fay").put("channels", new JsonArray().add("team.*")), 600);
      c.send(new JsonObject().put("type", "refresh").put("token", longer).put("ref", "rf"));
      List<JsonObject> seen = new ArrayList<>();
      JsonObject refreshed;
      do {
        refreshed = c.next(Duration.ofSeconds(10));
        seen.add(refreshed);
      } while (!"rf".equals(refreshed.getValue("ref")));
      assertEquals("refreshed", refreshed.getString("type"));
      assertTrue(refreshed.getLong("expiresAt") > openedAt + 590_000, "the new token's expiry: " + refreshed);
      assertEquals(List.of(new JsonObject().put("type", "unsubscribed").put("channel", "news.r").put("reason", "forbidden")),
          seen.subList(0, seen.size() - 1), "the subscription the new rights no longer cover is dropped, and said so");

      long pastOldExpiry = openedAt + 3_000 - System.currentTimeMillis();
      assertThrows(TimeoutException.class, () -> c.closed.get(Math.max(1, pastOldExpiry), TimeUnit.MILLISECONDS),
          "still open after the first token's expiry");
      String publisher = user("pub", "*", "*");
      assertEquals(202, publish(publisher, "news.r").statusCode());
      assertEquals(202, publish(publisher, "team.r").statusCode());
      JsonObject m;
      do {
        m = c.next(Duration.ofSeconds(10));
        assertFalse("news.r".equals(m.getString("channel")), "a dropped subscription delivers nothing: " + m);
      } while (!"team.r".equals(m.getString("channel")));
    }
    try (WsTestClient anon = WsTestClient.connect(node.wsPort())) {
      assertEquals("forbidden", anon.request(new JsonObject().put("type", "refresh").put("token", user("fay", "*", "*")))
          .getString("code"), "a connection without a token cannot take one on");
    }
  }

  @Test
  @DisplayName("history and presence follow the same rights")
  void historyAndPresence() {
    assertEquals(200, Http.get(port(), "/api/channels/sensors.s-01/history").statusCode());
    assertError(Http.get(port(), "/api/channels/team.a/history"), 401, "unauthorized");
    assertEquals(200, getWithBearer("/api/channels/team.a/history", user("ann", "team.*", "")).statusCode());
    assertError(getWithBearer("/api/channels/other.a/history", user("ann", "team.*", "")), 403, "forbidden");
    assertError(Http.get(port(), "/api/rooms/lobby/presence"), 401, "unauthorized");
    assertEquals(200, getWithBearer("/api/rooms/lobby/presence", user("ann", "team.*", "")).statusCode());
  }

  @Test
  @DisplayName("path traversal on static files, oversized headers and query strings, half-open sockets")
  void transportAbuse() throws Exception {
    for (String path : new String[] {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
        "/webroot/../pom.xml"}) {
      String res = raw("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertFalse(res.startsWith("HTTP/1.1 200"), path + " → " + res.lines().findFirst().orElse(""));
      assertFalse(res.contains("root:"), path);
    }
    String bigHeader = raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\nConnection: close\r\n\r\n");
    assertTrue(bigHeader.matches("(?s)HTTP/1\\.[01] 431.*"), bigHeader.lines().findFirst().orElse(""));
    String bigQuery = raw("GET /health?q=" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertTrue(bigQuery.matches("(?s)HTTP/1\\.[01] 414.*"), bigQuery.lines().findFirst().orElse(""));
    // Half-open: a partial request, then silence. The node closes it after http.idleTimeoutSeconds.
    try (Socket s = new Socket("127.0.0.1", port())) {
      s.setSoTimeout(15_000);
      s.getOutputStream().write("GET /events?chan".getBytes(StandardCharsets.US_ASCII));
      long t0 = System.nanoTime();
      int r = s.getInputStream().read();
      assertEquals(-1, r, "closed by the server");
      assertTrue(Duration.ofNanos(System.nanoTime() - t0).toSeconds() < 10);
    }
    assertEquals(200, Http.get(port(), "/health").statusCode(), "the node is unaffected");
  }

  private String raw(String request) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    } catch (java.net.SocketException reset) {
      return "reset: " + reset.getMessage();
    }
  }

  private static void assertError(HttpResponse<String> r, int status, String code) {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals(code, new JsonObject(r.body()).getJsonObject("error").getString("code"), r.body());
  }
}
