package io.pulse.chat;

import static io.pulse.testing.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.examples.ModerationVerticle;
import io.pulse.node.PulseNode;
import io.pulse.testing.Await;
import io.pulse.testing.TestNodes;
import io.pulse.testing.WsTestClient;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The chat's moderation hook, answered by the example verticle on another node; fail-closed
 * without it. A second node's hook answers after random delays, or holds the verdicts on chosen
 * senders: each connection's messages still reach the room in the order sent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class ModerationTest {

  final TestNodes cluster = new TestNodes();
  PulseNode node;
  Vertx backend;

  /** The order tests' node: its hook is {@link #SHUFFLED}; bursts (and so pending verdicts) up to {@link #BURST}. */
  static final String SHUFFLED = "test.moderation.shuffled";
  static final int BURST = 100;
  PulseNode ordered;
  final long seed = Long.getLong("pulse.test.seed", System.nanoTime());
  final Random random = new Random(seed);
  /** Senders whose verdicts {@link #SHUFFLED} keeps until {@link #releaseHeld} (the others: 1-150 ms). */
  final Set<String> holding = ConcurrentHashMap.newKeySet();
  final List<Message<Object>> held = Collections.synchronizedList(new ArrayList<>());
  volatile Context moderatorContext;

  @BeforeAll
  void up() {
    node = cluster.start("mod-a", new JsonObject().put("chat.moderation.address", ModerationVerticle.ADDRESS)
        .put("chat.moderation.timeoutMs", 300)
        .put("bridge.inbound", new JsonArray().add(ModerationVerticle.ADDRESS)));
    backend = cluster.startPlain("mod-backend");
    ordered = cluster.start("mod-order", new JsonObject().put("chat.moderation.address", SHUFFLED)
        .put("chat.moderation.timeoutMs", 10_000)
        .put("limits.inboundBurst", BURST).put("limits.inboundPerSecond", BURST));
    System.out.println("ModerationTest seed " + seed + " (rerun with -Dpulse.test.seed=" + seed + ")");
    await(backend.eventBus().consumer(SHUFFLED, this::shuffledVerdict).completion());
  }

  /** Rejects "spam", masks "darn", allows the rest: after a random delay, or never until released. */
  private void shuffledVerdict(Message<Object> m) {
    moderatorContext = Vertx.currentContext();
    JsonObject req = (JsonObject) m.body();
    if (holding.contains(req.getString("from"))) {
      held.add(m);
      return;
    }
    backend.setTimer(1 + random.nextInt(150), t -> m.reply(verdict(req.getString("text"))));
  }

  static JsonObject verdict(String text) {
    if (text.contains("spam")) {
      return new JsonObject().put("action", "reject").put("reason", "no spam here");
    }
    return text.contains("darn") ? new JsonObject().put("action", "rewrite").put("text", text.replace("darn", "d***"))
        : new JsonObject().put("action", "allow");
  }

  /** Answers every held verdict, the last held first. */
  private void releaseHeld() {
    List<Message<Object>> all;
    synchronized (held) {
      all = new ArrayList<>(held);
      held.clear();
    }
    if (all.isEmpty()) {
      return; // nothing reached the moderator (a test that failed early): keep its own failure
    }
    Collections.reverse(all);
    moderatorContext.runOnContext(v -> all.forEach(m -> m.reply(verdict(((JsonObject) m.body()).getString("text")))));
  }

  @AfterAll
  void down() {
    cluster.close();
  }

  static JsonObject chat(WsTestClient c, String text) {
    return c.request(new JsonObject().put("type", "chat").put("room", "lobby").put("text", text));
  }

  static JsonObject chat(WsTestClient c, String room, String text) {
    return c.request(new JsonObject().put("type", "chat").put("room", room).put("text", text));
  }

  /** The next chat text {@code c} hears in {@code room}. */
  static String heardIn(WsTestClient c, String room) {
    return c.nextMatching(m -> "chat".equals(m.getString("type")) && ("chat." + room).equals(m.getString("channel")),
        Duration.ofSeconds(10)).getJsonObject("data").getString("text");
  }

  static void join(String room, String name, WsTestClient c) {
    assertEquals("joined", c.request(new JsonObject().put("type", "join").put("room", room).put("name", name))
        .getString("type"));
  }

  /** Chats until the order node knows the shuffled hook (its registration takes a moment to arrive). */
  static void warmUp(WsTestClient sender, String room, WsTestClient observer) {
    JsonObject first = chat(sender, room, "warm-up");
    for (int i = 0; i < 50 && "unavailable".equals(first.getString("code")); i++) {
      first = chat(sender, room, "warm-up");
    }
    assertEquals("sent", first.getString("type"), first.encode());
    assertEquals("warm-up", heardIn(observer, room));
  }

  /** Sends a chat without waiting; its answer carries {@code ref}. */
  static void chatAsync(WsTestClient c, String room, String text, String ref) {
    c.send(new JsonObject().put("type", "chat").put("room", room).put("text", text).put("ref", ref));
  }

  /** {@code c}'s next answer whose ref starts with {@code prefix}. */
  static JsonObject answer(WsTestClient c, String prefix) {
    return c.nextMatching(m -> m.getValue("ref") instanceof String r && r.startsWith(prefix), Duration.ofSeconds(10));
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

  @Test
  @DisplayName("50 messages of one connection reach the room in the order sent, whatever order the verdicts come in")
  void oneSendersOrderKept() {
    try (WsTestClient ann = WsTestClient.connect(ordered.wsPort()); WsTestClient carl = WsTestClient.connect(ordered.wsPort())) {
      join("ordered", "carl", carl);
      join("ordered", "ann", ann);
      warmUp(ann, "ordered", carl);

      List<String> published = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        String text = String.format("m-%02d", i) + (i % 7 == 3 ? " spam" : i % 11 == 5 ? " darn" : "");
        chatAsync(ann, "ordered", text, "o" + i);
        if (i % 7 != 3) {
          published.add(text.replace("darn", "d***"));
        }
      }
      List<String> heard = new ArrayList<>();
      for (int i = 0; i < published.size(); i++) {
        heard.add(heardIn(carl, "ordered"));
      }
      assertEquals(published, heard, "the room hears ann's messages in her order (seed " + seed + ")");

      // every message is answered (by ref): 'rejected' for the spam, 'sent' for the rest
      Map<String, JsonObject> answers = new HashMap<>();
      for (int i = 0; i < 50; i++) {
        JsonObject a = answer(ann, "o");
        answers.put(a.getString("ref"), a);
      }
      for (int i = 0; i < 50; i++) {
        JsonObject a = answers.get("o" + i);
        assertEquals(i % 7 == 3 ? "rejected" : null, a.getString("code"), a.encode());
        assertEquals(i % 7 == 3 ? "error" : "sent", a.getString("type"), a.encode());
      }
    }
  }

  @Test
  @DisplayName("a sender whose verdicts are held back does not hold back another sender")
  void sendersDoNotWaitOnEachOther() {
    try (WsTestClient amy = WsTestClient.connect(ordered.wsPort()); WsTestClient ben = WsTestClient.connect(ordered.wsPort());
        WsTestClient cat = WsTestClient.connect(ordered.wsPort())) {
      join("pair", "cat", cat);
      join("pair", "amy", amy);
      join("pair", "ben", ben);
      warmUp(ben, "pair", cat);

      holding.add("amy");
      try {
        for (int i = 0; i < 5; i++) {
          chatAsync(amy, "pair", "a-" + i, "a" + i);
        }
        Await.until(() -> held.size() == 5, Duration.ofSeconds(10), "amy's 5 verdict requests reach the moderator");
        assertEquals("sent", chat(ben, "pair", "b-0").getString("type"), "ben is answered while amy's verdicts are held");
        assertEquals("b-0", heardIn(cat, "pair"), "ben's message reaches the room while amy's wait");
        assertEquals(5, held.size(), "amy's verdicts were still held");
      } finally {
        holding.remove("amy");
        releaseHeld();
      }
      for (int i = 0; i < 5; i++) {
        assertEquals("a-" + i, heardIn(cat, "pair"), "amy's messages follow, in her order, released last first");
      }
      for (int i = 0; i < 5; i++) {
        assertEquals("sent", answer(amy, "a").getString("type"));
      }
    }
  }

  @Test
  @DisplayName("at most limits.inboundBurst messages await their verdicts per connection (refused: rate_limited); "
      + "a closed connection's pending messages are dropped")
  void pendingVerdictsBounded() {
    try (WsTestClient dan = WsTestClient.connect(ordered.wsPort()); WsTestClient eve = WsTestClient.connect(ordered.wsPort());
        WsTestClient fay = WsTestClient.connect(ordered.wsPort())) {
      join("bound", "eve", eve);
      join("bound", "fay", fay);
      warmUp(fay, "bound", eve);
      long joined = System.nanoTime();
      join("bound", "dan", dan);
      // the join took one of dan's BURST rate-limit tokens: wait for it to refill (1/BURST s), so the
      // next BURST chats all pass the rate limiter and only the pending bound can refuse
      Await.until(() -> System.nanoTime() - joined > 2_000_000_000L / BURST, Duration.ofSeconds(5), "a token refilled");
      double before = ordered.metrics().count("pulse.refused", "reason", "moderation_backlog");
      holding.add("dan");
      try {
        for (int i = 0; i < BURST; i++) {
          chatAsync(dan, "bound", "d-" + i, "d" + i);
        }
        long sent = System.nanoTime();
        Await.until(() -> held.size() == BURST && System.nanoTime() - sent > 2_000_000_000L / BURST,
            Duration.ofSeconds(10), "dan's verdict requests reach the moderator, and a rate-limit token refilled");
        JsonObject refused = chat(dan, "bound", "one too many");
        assertEquals("error", refused.getString("type"), refused.encode());
        assertEquals("rate_limited", refused.getString("code"));
        assertTrue(refused.getString("message").contains("awaiting moderation"), refused.encode());
        assertEquals(BURST, held.size(), "the refused message was not sent to the moderator");
        assertEquals(1.0, ordered.metrics().count("pulse.refused", "reason", "moderation_backlog") - before);

        dan.close();
        eve.nextMatching(m -> "leave".equals(m.getString("type")) && "dan".equals(m.getString("from")),
            Duration.ofSeconds(10));
      } finally {
        holding.remove("dan");
        releaseHeld();
      }
      // dan's verdicts came after he left: none of his messages is published, fay's next one is
      assertEquals("sent", chat(fay, "bound", "after dan").getString("type"));
      assertEquals("after dan", heardIn(eve, "bound"));
    }
  }
}
