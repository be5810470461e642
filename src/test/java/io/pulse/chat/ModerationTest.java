package io.pulse.chat;

import static io.pulse.testing.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pulse.examples.ModerationVerticle;
import io.pulse.node.PulseNode;
import io.pulse.testing.TestNodes;
import io.pulse.testing.WsTestClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** The chat's moderation hook, answered by the example verticle on another node; fail-closed without it. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class ModerationTest {

  final TestNodes cluster = new TestNodes();
  PulseNode node;
  Vertx backend;

  @BeforeAll
  void up() {
    node = cluster.start("mod-a", new JsonObject().put("chat.moderation.address", ModerationVerticle.ADDRESS)
        .put("chat.moderation.timeoutMs", 300)
        .put("bridge.inbound", new JsonArray().add(ModerationVerticle.ADDRESS)));
    backend = cluster.startPlain("mod-backend");
  }

  @AfterAll
  void down() {
    cluster.close();
  }

  static JsonObject chat(WsTestClient c, String text) {
    return c.request(new JsonObject().put("type", "chat").put("room", "lobby").put("text", text));
  }

  static String heard(WsTestClient c) {
    return c.nextMatching(m -> "chat".equals(m.getString("type")) && "chat.lobby".equals(m.getString("channel")),
        Duration.ofSeconds(10)).getJsonObject("data").getString("text");
  }

  @Test
  @DisplayName("allowed as is, rewritten, rejected (error 'rejected'); without a handler fail-closed (error 'unavailable')")
  void moderatedChat() {
    String deployment = await(backend.deployVerticle(new ModerationVerticle()));
    try (WsTestClient ann = WsTestClient.connect(node.wsPort()); WsTestClient bob = WsTestClient.connect(node.wsPort())) {
      assertEquals("joined", bob.request(new JsonObject().put("type", "join").put("room", "lobby").put("name", "bob"))
          .getString("type"));
      assertEquals("joined", ann.request(new JsonObject().put("type", "join").put("room", "lobby").put("name", "ann"))
          .getString("type"));
      // the consumer on the other node may take a moment to be known here: retry while unavailable
      JsonObject first = chat(ann, "hello");
      for (int i = 0; i < 50 && "unavailable".equals(first.getString("code")); i++) {
        first = chat(ann, "hello");
      }
      assertEquals("sent", first.getString("type"), first.encode());
      assertEquals("hello", heard(bob));

      assertEquals("sent", chat(ann, "darn it").getString("type"));
      assertEquals("d*** it", heard(bob), "rewritten before it was published");

      JsonObject rejected = chat(ann, "cheap spam here");
      assertEquals("error", rejected.getString("type"));
      assertEquals("rejected", rejected.getString("code"));
      assertEquals("no spam here", rejected.getString("message"));

      // A page asks the same verticle directly through the event-bus bridge.
      try (WsTestClient page = WsTestClient.connect(node.httpPort(), "/eventbus/websocket", null)) {
        page.send(new JsonObject().put("type", "send").put("address", ModerationVerticle.ADDRESS)
            .put("body", new JsonObject().put("text", "heck yes")).put("replyAddress", "r1"));
        JsonObject verdict = page.nextMatching(m -> "r1".equals(m.getString("address")), Duration.ofSeconds(10))
            .getJsonObject("body");
        assertEquals("rewrite", verdict.getString("action"));
        assertEquals("h*** yes", verdict.getString("text"));
      }

      await(backend.undeploy(deployment));
      JsonObject down = chat(ann, "anyone?");
      for (int i = 0; i < 50 && "sent".equals(down.getString("type")); i++) {
        down = chat(ann, "anyone?"); // until the unregistration reached this node
      }
      assertEquals("unavailable", down.getString("code"), "fail-closed by default");
      double moderated = node.metrics().count("pulse.refused", "reason", "moderated");
      assertEquals(1.0, moderated);
    }
  }
}
