package io.pulse.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.messages.Addresses;
import io.pulse.node.PulseNode;
import io.pulse.testing.Await;
import io.pulse.testing.Http;
import io.pulse.testing.SseClient;
import io.pulse.testing.TestNodes;
import io.pulse.testing.WsTestClient;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Revoking a subject's tokens from a verticle: its connections close on every node, its old tokens stop working. */
@Timeout(120)
class RevocationTest {

  static final String SECRET = "test-secret-that-is-long-enough-for-hs256";
  static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void revokedEverywhereNewerTokensWork() {
    Vertx signer = Vertx.vertx();
    try (TestNodes nodes = new TestNodes()) {
      JsonObject jwt = new JsonObject().put("auth.mode", "jwt").put("auth.jwt.key", SECRET);
      PulseNode a = nodes.start("rv-a", jwt.copy().put("auth.apiKey", API_KEY));
      PulseNode b = nodes.start("rv-b", jwt);
      JWTAuth hs = JWTAuth.create(signer, new JWTAuthOptions()
          .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(SECRET)));
      String ann = token(hs, "ann");
      String bob = token(hs, "bob");

      try (WsTestClient annWs = WsTestClient.connect(a.wsPort(), "/ws?token=" + ann, null);
           WsTestClient bobWs = WsTestClient.connect(a.wsPort(), "/ws?token=" + bob, null);
           SseClient annSse = SseClient.open(b.httpPort(), "channel=team.x&token=" + ann)) {
        assertEquals("pong", annWs.request(new JsonObject().put("type", "ping")).getString("type"));
        assertEquals(200, annSse.status);

        JsonObject reply = TestNodes.await(a.vertx().eventBus().<JsonObject>request(Addresses.REVOKE,
            new JsonObject().put("sub", "ann"))).body();
        assertEquals("ann", reply.getString("sub"));
        long revokedAt = reply.getLong("revokedAt");

        assertEquals((short) 1008, annWs.awaitClose(WAIT), "ann's WebSocket on node A");
        Await.until(annSse::ended, WAIT, "ann's SSE stream on node B ends");
        assertEquals("pong", bobWs.request(new JsonObject().put("type", "ping")).getString("type"), "bob stays");

        for (PulseNode n : new PulseNode[] {a, b}) {
          Throwable refused = WsTestClient.refusal(n.wsPort(), "/ws?token=" + ann, null);
          assertTrue(refused instanceof UpgradeRejectedException u && u.getStatus() == 401, "old token, WS: " + refused);
          assertEquals(401, publishWith(n, ann), "old token, HTTP");
        }
        // A token issued after the revocation works (token times have whole seconds: the next one).
        Await.until(() -> System.currentTimeMillis() / 1000 > revokedAt / 1000, WAIT, "the next second");
        try (WsTestClient fresh = WsTestClient.connect(b.wsPort(), "/ws?token=" + token(hs, "ann"), null)) {
          assertEquals("pong", fresh.request(new JsonObject().put("type", "ping")).getString("type"));
        }
      }

      // Over HTTP, for backends off the event bus: with auth.apiKey only.
      String carl = token(hs, "carl");
      assertEquals(401, revokeOverHttp(a, null, "{\"sub\":\"carl\"}").statusCode(), "no key");
      assertEquals(401, revokeOverHttp(a, "wrong", "{\"sub\":\"carl\"}").statusCode(), "wrong key");
      assertEquals(400, revokeOverHttp(a, API_KEY, "{\"sub\":7}").statusCode(), "bad body");
      assertEquals(400, revokeOverHttp(a, API_KEY, "not json").statusCode(), "not JSON");
      assertEquals(404, revokeOverHttp(b, API_KEY, "{\"sub\":\"carl\"}").statusCode(), "a node without auth.apiKey");
      assertEquals(202, publishWith(b, carl), "carl's token works before");
      HttpResponse<String> ok = revokeOverHttp(a, API_KEY, "{\"sub\":\"carl\"}");
      assertEquals(200, ok.statusCode(), ok.body());
      assertEquals("carl", new JsonObject(ok.body()).getString("sub"));
      Await.until(() -> publishWith(b, carl) == 401, WAIT, "carl's token refused on the other node");

      Throwable bad = TestNodes.await(a.vertx().eventBus().request(Addresses.REVOKE, new JsonObject().put("sub", 42))
          .transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())));
      assertEquals(400, ((ReplyException) bad).failureCode());
      double revokedDisconnects = Http.get(a.httpPort(), "/metrics").body().lines()
          .filter(l -> l.startsWith("pulse_disconnects_total") && l.contains("reason=\"revoked\""))
          .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
      assertEquals(1.0, revokedDisconnects, "ann's WebSocket on A, counted");
    } finally {
      TestNodes.await(signer.close());
    }
  }

  static final String API_KEY = "an-api-key-for-the-backend";

  private static HttpResponse<String> revokeOverHttp(PulseNode n, String key, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(Http.uri(n.httpPort(), "/api/revoke"))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      b.header("X-API-Key", key);
    }
    return Http.send(b.build());
  }

  /** The status of a publish to team.x with {@code token} (202 accepted, 401 refused). */
  private static int publishWith(PulseNode n, String token) {
    return Http.send(HttpRequest.newBuilder(Http.uri(n.httpPort(), "/api/publish"))
        .header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("channel", "team.x").put("data", 1).encode()))
        .build()).statusCode();
  }

  private static String token(JWTAuth hs, String sub) {
    return hs.generateToken(new JsonObject().put("sub", sub).put("channels", new JsonArray().add("team.*"))
        .put("publish", new JsonArray().add("team.*")), new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds(600));
  }

  @Test
  void aRevocationCoversTokensIssuedUpToItsSecond() {
    assertTrue(Revocations.covers(0, 1_700_000_000_500L), "a token without iat");
    assertTrue(Revocations.covers(1_700_000_000_000L, 1_700_000_000_500L), "issued in the revocation's second");
    assertTrue(Revocations.covers(1_699_999_999_000L, 1_700_000_000_500L));
    assertFalse(Revocations.covers(1_700_000_001_000L, 1_700_000_000_500L), "issued after");
  }
}
