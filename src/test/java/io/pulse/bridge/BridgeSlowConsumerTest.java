package io.pulse.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.messages.Addresses;
import io.pulse.node.PulseNode;
import io.pulse.testing.Await;
import io.pulse.testing.RawWs;
import io.pulse.testing.TestNodes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The bridge under the connection core's slow-consumer policies, with pages that stop reading
 * (raw sockets on {@code /eventbus/websocket} with a small receive window): the per-channel rules
 * of {@code limits.slowConsumerChannels}, the global default, the {@code policy} header of a
 * register, and {@code since} on a register (replay or reset).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(180)
class BridgeSlowConsumerTest {

  static final String FILL = "f".repeat(32_000);
  static final int SENSORS = 4;
  static final int PER_SENSOR = 100;

  final TestNodes cluster = new TestNodes();
  PulseNode node;

  @BeforeAll
  void up() {
    node = cluster.start("bridge-slow", new JsonObject()
        .put("limits.sendQueueBytes", 65536)
        .put("limits.inboundPerSecond", 1000).put("limits.inboundBurst", 1000)
        .put("history.size", 1000)
        .put("limits.slowConsumer", "disconnect")
        .put("limits.slowConsumerChannels", new JsonObject()
            .put("cf.*", new JsonObject().put("default", "conflate"))
            .put("dr.*", new JsonObject().put("default", "drop"))
            .put("hd.*", new JsonObject().put("allow", new JsonArray().add("conflate")))
            .put("st.*", new JsonObject().put("allow", new JsonArray()))));
  }

  @AfterAll
  void down() {
    cluster.close();
  }

  RawWs page() throws IOException {
    return new RawWs(node.httpPort(), "/eventbus/websocket");
  }

  static void register(RawWs page, String spec, JsonObject headers) throws IOException {
    JsonObject frame = new JsonObject().put("type", "register").put("address", Addresses.CHANNEL_PREFIX + spec);
    if (headers != null) {
      frame.put("headers", headers);
    }
    page.text(frame.encode());
  }

  String publish(String channel, String event, Object data) {
    JsonObject reply = TestNodes.await(node.vertx().eventBus().<JsonObject>request(Addresses.PUBLISH, new JsonObject()
        .put("channel", channel).put("event", event).put("data", data))).body();
    return reply.getString("id");
  }

  /** The hub has the page's registration once a publish on the channel reaches a fresh reader. */
  void awaitRegistered(String spec, String probeChannel) throws IOException {
    try (RawWs probe = page()) {
      register(probe, spec, null);
      probe.socket.setSoTimeout(200);
      Await.until(() -> {
        publish(probeChannel, "probe", 0);
        try {
          return probe.readTextOrNull() != null;
        } catch (SocketTimeoutException e) {
          return false;
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }, Duration.ofSeconds(10), "the registration reached the hub");
    }
  }

  double count(String name, String... tags) {
    return node.metrics().count(name, tags);
  }

  /** The bridge closes a page that sends nothing for 10 s (its ping timeout): a slow reader still pings. */
  static void ping(RawWs page) {
    try {
      page.text("{\"type\":\"ping\"}");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Publishes fillers until nearly every one of the last 30 hit {@code page}'s full socket
   * ({@code counter} rose); the page pings meanwhile.
   */
  void fill(RawWs page, String channel, String counter, String... tags) {
    double windowStart = count(counter, tags);
    int fullWindows = 0;
    for (int i = 1; fullWindows < 3; i++) {
      assertTrue(i < 3000, "the slow page's socket never filled up");
      publish(channel, "fill", FILL);
      if (i % 10 == 0) {
        ping(page);
        double now = count(counter, tags);
        fullWindows = now - windowStart >= 9 ? fullWindows + 1 : 0;
        windowStart = now;
      }
    }
  }

  /** The envelopes of the rec frames read until {@code done} holds (null frame: the socket closed). */
  static Map<String, List<JsonObject>> readUntil(RawWs page, java.util.function.Predicate<Map<String, List<JsonObject>>> done)
      throws IOException {
    page.socket.setSoTimeout(30_000);
    Map<String, List<JsonObject>> seen = new HashMap<>();
    long pinged = System.nanoTime();
    while (!done.test(seen)) {
      if (System.nanoTime() - pinged > 2_000_000_000L) {
        ping(page);
        pinged = System.nanoTime();
      }
      String text = page.readTextOrNull();
      assertNotNull(text, "the page's socket stays open");
      JsonObject frame = new JsonObject(text);
      if (!"rec".equals(frame.getString("type"))) {
        continue;
      }
      JsonObject env = frame.getJsonObject("body");
      seen.computeIfAbsent(env.getString("channel"), k -> new ArrayList<>()).add(env);
    }
    return seen;
  }

  static boolean latestOfEach(Map<String, List<JsonObject>> seen, String prefix) {
    for (int s = 0; s < SENSORS; s++) {
      List<JsonObject> got = seen.get(prefix + ".s" + s);
      if (got == null || got.get(got.size() - 1).getJsonObject("data").getInteger("v") < PER_SENSOR) {
        return false;
      }
    }
    return true;
  }

  void publishSensors(RawWs page, String prefix) {
    for (int v = 1; v <= PER_SENSOR; v++) {
      ping(page);
      for (int s = 0; s < SENSORS; s++) {
        publish(prefix + ".s" + s, "reading", new JsonObject().put("v", v));
      }
    }
  }

  @Test
  @DisplayName("a per-channel rule conflate: the slow page keeps its socket and gets the latest of each sensor, skipped ones counted")
  void conflateByChannelRule() throws Exception {
    double conflated0 = count("pulse.conflated", "transport", "bridge");
    try (RawWs slow = page()) {
      register(slow, "cf.a.*", null);
      awaitRegistered("cf.a.*", "cf.a.probe");
      fill(slow, "cf.a.fill", "pulse.conflated", "transport", "bridge");
      publishSensors(slow, "cf.a");
      Map<String, List<JsonObject>> seen = readUntil(slow, m -> latestOfEach(m, "cf.a"));
      long skipped = 0;
      for (int s = 0; s < SENSORS; s++) {
        long accounted = 0;
        long lastV = 0;
        for (JsonObject env : seen.get("cf.a.s" + s)) {
          int v = env.getJsonObject("data").getInteger("v");
          assertTrue(v > lastV, "values go forward");
          assertEquals(v - lastV - 1, (long) env.getInteger("conflated", 0), "conflated counts the skipped ones");
          accounted += 1 + env.getInteger("conflated", 0);
          skipped += env.getInteger("conflated", 0);
          lastV = v;
        }
        assertEquals(PER_SENSOR, accounted, "delivered + conflated = published on cf.a.s" + s);
      }
      assertTrue(skipped > 0, "the page was slow enough for some readings to be conflated");
      assertTrue(count("pulse.conflated", "transport", "bridge") - conflated0 >= skipped);
    }
    assertEquals(0, count("pulse.disconnects", "transport", "bridge", "reason", "slow_consumer"),
        "conflate never disconnected a page");
  }

  @Test
  @DisplayName("a per-channel rule drop: what does not fit is dropped and counted, the page stays and gets what comes after")
  void dropByChannelRule() throws Exception {
    double dropped0 = count("pulse.messages.dropped", "transport", "bridge", "reason", "slow_consumer");
    try (RawWs slow = page()) {
      register(slow, "dr.a", null);
      awaitRegistered("dr.a", "dr.a");
      fill(slow, "dr.a", "pulse.messages.dropped", "transport", "bridge", "reason", "slow_consumer");
      assertTrue(count("pulse.messages.dropped", "transport", "bridge", "reason", "slow_consumer") - dropped0 >= 27);
      // Reading again: once the socket drained, a message published then arrives (earlier ones
      // may have been dropped while it was still full), in order.
      slow.socket.setSoTimeout(500);
      List<Long> ids = new ArrayList<>();
      String arrived = null;
      for (int tries = 0; arrived == null; tries++) {
        assertTrue(tries < 120, "a message published after the socket drained arrives");
        String text;
        try {
          text = slow.readTextOrNull();
        } catch (SocketTimeoutException quiet) {
          ping(slow);
          publish("dr.a", "last", "after the drops");
          continue;
        }
        assertNotNull(text, "the page's socket stays open");
        JsonObject env = new JsonObject(text).getJsonObject("body");
        if (env == null) {
          continue;
        }
        ids.add(Long.parseLong(env.getString("id")));
        if ("last".equals(env.getString("type"))) {
          arrived = env.getString("id");
        }
      }
      for (int i = 1; i < ids.size(); i++) {
        assertTrue(ids.get(i) > ids.get(i - 1), "in order, each once: " + ids);
      }
    }
  }

  @Test
  @DisplayName("no rule: the global default disconnect closes the slow page with 4001 and counts it")
  void disconnectByDefault() throws Exception {
    double closed0 = count("pulse.disconnects", "transport", "bridge", "reason", "slow_consumer");
    try (RawWs slow = page()) {
      register(slow, "dc.a", null);
      awaitRegistered("dc.a", "dc.a");
      for (int i = 0; i < 3000 && count("pulse.disconnects", "transport", "bridge", "reason", "slow_consumer") == closed0; i++) {
        publish("dc.a", "fill", FILL);
        if (i % 10 == 0) {
          ping(slow);
        }
      }
      assertEquals(closed0 + 1, count("pulse.disconnects", "transport", "bridge", "reason", "slow_consumer"));
      slow.socket.setSoTimeout(30_000);
      assertEquals(4001, slow.readUntilClose(), "the close code of a slow consumer");
    }
  }

  @Test
  @DisplayName("the register's policy header: an allowed one applies, one the rule does not allow is refused to the address")
  void policyHeader() throws Exception {
    double conflated0 = count("pulse.conflated", "transport", "bridge");
    try (RawWs slow = page()) {
      register(slow, "st.a", new JsonObject().put("policy", "conflate"));
      JsonObject err = new JsonObject(slow.readTextOrNull());
      assertEquals("err", err.getString("type"), err.encode());
      assertEquals(Addresses.CHANNEL_PREFIX + "st.a", err.getString("address"));
      assertEquals(400, err.getInteger("failureCode"));
      assertTrue(err.getString("message").contains("not allowed"), err.getString("message"));
      double badRequests = count("pulse.refused", "reason", "bad_request");
      register(slow, "st.b", new JsonObject().put("since", 5));
      JsonObject notAString = new JsonObject(slow.readTextOrNull());
      assertEquals(Addresses.CHANNEL_PREFIX + "st.b", notAString.getString("address"), notAString.encode());
      assertEquals(400, notAString.getInteger("failureCode"));
      assertEquals(badRequests + 1, count("pulse.refused", "reason", "bad_request"));

      register(slow, "hd.a", new JsonObject().put("policy", "conflate"));
      awaitRegistered("hd.a", "hd.a");
      fill(slow, "hd.a", "pulse.conflated", "transport", "bridge");
      assertTrue(count("pulse.conflated", "transport", "bridge") > conflated0, "conflated, as the header asked");
      String lastId = publish("hd.a", "last", "x");
      Map<String, List<JsonObject>> seen = readUntil(slow, m -> m.getOrDefault("hd.a", List.of()).stream()
          .anyMatch(env -> lastId.equals(env.getString("id"))));
      assertNotNull(seen.get("hd.a"));
    }
  }

  @Test
  @DisplayName("since on a register: the page gets what it missed, then live; an id out of the window gets a reset")
  void sinceOnRegister() throws Exception {
    String first = publish("rp.a", "m", 1);
    publish("rp.a", "m", 2);
    publish("rp.a", "m", 3);
    try (RawWs page = page()) {
      register(page, "rp.a", new JsonObject().put("since", first));
      Map<String, List<JsonObject>> seen = readUntil(page, m -> m.getOrDefault("rp.a", List.of()).size() >= 2);
      assertEquals(List.of(2, 3), seen.get("rp.a").stream().map(env -> env.getInteger("data")).toList());
      String live = publish("rp.a", "m", 4);
      seen = readUntil(page, m -> m.containsKey("rp.a"));
      assertEquals(live, seen.get("rp.a").get(0).getString("id"));
      assertNull(seen.get("rp.a").get(0).getValue("conflated"));
    }
    try (RawWs page = page()) {
      register(page, "rp.b", new JsonObject().put("since", "9999999999999999"));
      Map<String, List<JsonObject>> seen = readUntil(page, m -> m.containsKey("rp.b"));
      assertEquals("reset", seen.get("rp.b").get(0).getString("type"), seen.toString());
    }
  }
}
