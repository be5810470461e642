package io.pulse.browser;

import static io.pulse.testing.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.node.PulseNode;
import io.pulse.testing.Await;
import io.pulse.testing.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A page forging the subject header with the real {@code @vertx/eventbus-bridge-client.js} (npm,
 * over sockjs-client) in Node: {@code pulse-sub}, {@code Pulse-Sub}, {@code PULSE-SUB},
 * {@code pUlSe-SuB}, the client's default headers, a send, a publish and a reply, anonymous and with
 * a token for ann, over SockJS's WebSocket and its xhr-streaming transport. The backend, a member
 * without transports, must see exactly the token's subject, once, or none. The script is
 * {@code src/test/browser/bridge-headers.mjs}; the fast version is
 * {@code io.pulse.bridge.BridgeHeadersTest}. Needs {@code node} 20+ and {@code npm ci} in
 * {@code src/test/browser}: skipped otherwise, or failing when {@code CI_REQUIRE_BROWSER=1}.
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BridgeHeadersBrowserTest {

  static final String SECRET = "test-secret-that-is-long-enough-for-hs256";
  final TestNodes cluster = new TestNodes();
  final Vertx signer = Vertx.vertx();
  /** What the backend saw: nonce → {@code headers().getAll("pulse-sub")}. */
  final Map<String, List<String>> seen = new ConcurrentHashMap<>();
  PulseNode node;
  Vertx backend;
  String annToken;

  @BeforeAll
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void up() {
    node = cluster.start("hdr-browser", new JsonObject().put("auth.mode", "jwt").put("auth.jwt.key", SECRET)
        .put("bridge.enabled", true)
        .put("bridge.inbound", new JsonArray().add("app.*"))
        .put("bridge.outbound", new JsonArray().add("app.ask")));
    backend = cluster.startPlain("hdr-browser-backend");
    await(backend.eventBus().<JsonObject>consumer("app.whoami", m -> {
      List<String> subs = m.headers().getAll("pulse-sub");
      record(m.body(), subs);
      m.reply(new JsonObject().put("sub", new JsonArray(new ArrayList<>(subs))));
    }).completion());
    // asks the page's handler on app.ask; answers with the subject headers of the page's reply
    await(backend.eventBus().<JsonObject>consumer("app.roundtrip", m -> backend.eventBus()
        .request("app.ask", m.body(), new DeliveryOptions().setSendTimeout(5000)).onComplete(ar -> {
          if (ar.failed()) {
            m.fail(500, ar.cause().getMessage());
            return;
          }
          List<String> subs = ar.result().headers().getAll("pulse-sub");
          record(m.body(), subs);
          m.reply(new JsonObject().put("sub", new JsonArray(new ArrayList<>(subs))));
        })).completion());
    Await.until(() -> known("app.whoami"), Duration.ofSeconds(30), "the backend known on the node");
    JWTAuth hs = JWTAuth.create(signer, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm("HS256").setBuffer(SECRET)));
    annToken = hs.generateToken(new JsonObject().put("sub", "ann"),
        new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds(600));
  }

  @AfterAll
  void down() {
    cluster.close();
    signer.close();
  }

  private void record(JsonObject body, List<String> subs) {
    if (body != null && body.getValue("nonce") instanceof String nonce) {
      seen.put(nonce, subs);
    }
  }

  private boolean known(String address) {
    try {
      node.vertx().eventBus().request(address, new JsonObject(), new DeliveryOptions().setSendTimeout(2000))
          .await(5, TimeUnit.SECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  @ParameterizedTest(name = "over SockJS {0}")
  @ValueSource(strings = {"websocket", "xhr-streaming"})
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  @DisplayName("the npm client in Node: a page's subject header, any spelling, never reaches the backend")
  void forgedSubject(String transport) throws Exception {
    BridgeBrowserTest.need(DashboardBrowserTest.nodeVersion() != null, "node 20+");
    BridgeBrowserTest.need(Files.isRegularFile(BridgeBrowserTest.DIR.resolve(
        "node_modules/@vertx/eventbus-bridge-client.js/package.json")), "src/test/browser/node_modules (npm ci)");
    List<String> lines = NodeScripts.run("PASS " + transport, Map.of("PULSE_TOKEN_ANN", annToken), "bridge-headers.mjs",
        "http://127.0.0.1:" + node.httpPort() + "/", transport);
    // what the backend recorded, for every message the script sent (publishes included)
    List<String> expected = lines.stream().filter(l -> l.startsWith("EXPECT ")).toList();
    assertTrue(expected.size() >= 2 * (4 + 4 + 1 + 1 + 1), "every case reported: " + expected.size());
    for (String line : expected) {
      String[] parts = line.split(" ", 3);
      Await.until(() -> seen.containsKey(parts[1]), Duration.ofSeconds(10), "the backend got " + parts[1]);
      assertEquals(new JsonArray(parts[2]).getList(), seen.get(parts[1]), line);
    }
  }
}
