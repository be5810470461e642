package io.pulse;

import io.pulse.messages.Addresses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.node.PulseNode;
import io.pulse.testing.Await;
import io.pulse.testing.Http;
import io.pulse.testing.RawWs;
import io.pulse.testing.SseClient;
import io.pulse.testing.TestNodes;
import io.pulse.testing.WsTestClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The conflate policy with deliberately slow clients on real sockets: a small receive buffer and
 * no reads while 1,000 sensor updates are published, then reading everything.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(180)
class SlowConsumerConflationTest {

  static final int SENSORS = 8;
  static final int UPDATES = 1000;
  static final int PER_SENSOR = UPDATES / SENSORS;
  /** Sensor envelopes of about 1 kB. */
  static final String PAD = "x".repeat(1000);
  /**
   * Filler messages, published first until the slow client's socket is full (loopback buffers
   * can take megabytes, more or less depending on the machine), so that the updates find it full.
   */
  static final String FILL = "f".repeat(32_000);

  final TestNodes cluster = new TestNodes();
  PulseNode node;

  @BeforeAll
  void up() {
    node = cluster.start("conflate", new JsonObject()
        .put("limits.sendQueueBytes", 65536)
        .put("history.size", 1000)
        .put("limits.slowConsumerChannels", new JsonObject()
            .put("cs.*", new JsonObject().put("allow", new JsonArray().add("conflate")))
            .put("chat.*", new JsonObject().put("allow", new JsonArray()))));
  }

  @AfterAll
  void down() {
    cluster.close();
  }

  /** What the node held for conflation while the updates were published. */
  record Held(long maxChannels, long maxBytes, long heapGrowthBytes) {
  }

  @Test
  @DisplayName("WebSocket: a slow client under conflate holds one message per sensor, then gets the latest of each")
  void websocket() throws Exception {
    double conflated0 = node.metrics().count("pulse.conflated", "transport", "ws");
    try (RawWs slow = new RawWs(node.wsPort(), "/ws")) {
      slow.text(new JsonObject().put("type", "subscribe").put("channel", "cs.ws.*").put("policy", "conflate").encode());
      JsonObject subscribed = new JsonObject(slow.readTextOrNull());
      assertEquals("subscribed", subscribed.getString("type"));
      assertEquals("conflate", subscribed.getString("policy"));

      Held held = publish("cs.ws", "ws");

      slow.socket.setSoTimeout(30_000);
      Map<String, List<JsonObject>> seen = new HashMap<>();
      while (!allLatest(seen, "cs.ws")) {
        String text = slow.readTextOrNull();
        assertNotNull(text, "the connection stays open; got so far " + counts(seen));
        JsonObject env = new JsonObject(text);
        seen.computeIfAbsent(env.getString("channel"), k -> new ArrayList<>()).add(env);
      }
      check(seen, "cs.ws", held);
      assertEquals(allConflated(seen), node.metrics().count("pulse.conflated", "transport", "ws") - conflated0,
          "pulse_conflated_total counts what the envelopes say");
      Await.until(() -> node.metrics().conflationPending("ws")[0] == 0, Duration.ofSeconds(10), "nothing left waiting");
      assertEquals(0, node.metrics().conflationPending("ws")[1]);
    }
  }

  @Test
  @DisplayName("SSE: the same over a stream, whose ids resume correctly from a conflated event")
  void sse() throws Exception {
    double conflated0 = node.metrics().count("pulse.conflated", "transport", "sse");
    try (RawSse slow = new RawSse(node.httpPort(), "/events?channel=cs.sse.*&policy=conflate")) {
      // Live before going silent: a probe published until the stream shows it.
      for (int i = 0; ; i++) {
        Http.publish(node.httpPort(), "cs.sse.probe", "probe", i);
        RawSse.Event e = slow.next(Duration.ofMillis(300));
        if (e != null && e.json().getString("channel").equals("cs.sse.probe")) {
          break;
        }
        assertTrue(i < 50, "the stream never went live");
      }
      Held held = publish("cs.sse", "sse");

      Map<String, List<JsonObject>> seen = new HashMap<>();
      List<RawSse.Event> events = new ArrayList<>();
      while (!allLatest(seen, "cs.sse")) {
        RawSse.Event e = slow.next(Duration.ofSeconds(30));
        assertNotNull(e, "the stream stays open; got so far " + counts(seen));
        JsonObject env = e.json();
        if (!env.getString("channel").equals("cs.sse.probe")) {
          seen.computeIfAbsent(env.getString("channel"), k -> new ArrayList<>()).add(env);
        }
        if (env.getString("channel").startsWith("cs.sse.s")) {
          events.add(e);
        }
      }
      check(seen, "cs.sse", held);
      assertEquals(allConflated(seen), node.metrics().count("pulse.conflated", "transport", "sse") - conflated0,
          "pulse_conflated_total counts what the envelopes say");
      Await.until(() -> node.metrics().conflationPending("sse")[0] == 0, Duration.ofSeconds(10), "nothing left waiting");

      Map<String, Long> last = token(events.get(events.size() - 1).id());
      for (int s = 0; s < SENSORS; s++) {
        assertEquals(PER_SENSOR - 1L, (long) last.get("cs.sse.s" + s), "the last id resumes every sensor from its latest value");
      }
      // Resuming from a conflated event's id replays, from the history, what followed it on every channel.
      RawSse.Event mid = events.stream().filter(e -> e.json().getInteger("conflated", 0) > 0).skip(SENSORS / 2)
          .findFirst().orElseThrow();
      Map<String, Long> from = token(mid.id());
      Map<String, List<Long>> replayed = new HashMap<>();
      try (SseClient resumed = SseClient.open(node.httpPort(), "channel=cs.sse.*", mid.id())) {
        while (from.entrySet().stream().anyMatch(en -> en.getKey().startsWith("cs.sse.s") && en.getValue() < PER_SENSOR - 1
            && last(replayed.get(en.getKey())) < PER_SENSOR - 1)) {
          SseClient.Event e = resumed.next(Duration.ofSeconds(10));
          JsonObject env = e.json();
          replayed.computeIfAbsent(env.getString("channel"), k -> new ArrayList<>()).add(Long.parseLong(env.getString("id")));
        }
      }
      from.forEach((channel, pos) -> {
        if (channel.startsWith("cs.sse.s") && pos < PER_SENSOR - 1) {
          List<Long> expected = new ArrayList<>();
          for (long seq = pos + 1; seq < PER_SENSOR; seq++) {
            expected.add(seq);
          }
          assertEquals(expected, replayed.get(channel), "replayed after " + channel + ":" + pos);
        }
      });
    }
  }

  @Test
  @DisplayName("a conflating client that goes away leaves nothing held")
  void closingReleases() throws Exception {
    try (RawWs slow = new RawWs(node.wsPort(), "/ws")) {
      slow.text(new JsonObject().put("type", "subscribe").put("channel", "cs.gone.*").put("policy", "conflate").encode());
      assertEquals("subscribed", new JsonObject(slow.readTextOrNull()).getString("type"));
      fill("cs.gone.fill", "ws");
      assertTrue(node.metrics().conflationPending("ws")[0] > 0);
    }
    Await.until(() -> node.metrics().conflationPending("ws")[0] == 0 && node.metrics().conflationPending("ws")[1] == 0,
        Duration.ofSeconds(10), "what waited for the closed connection is released");
  }

  @Test
  @DisplayName("a policy that config does not allow is refused: WebSocket error, SSE 400; nothing else changes")
  void notAllowed() {
    try (WsTestClient ws = WsTestClient.connect(node.wsPort())) {
      JsonObject err = ws.request(new JsonObject().put("type", "subscribe").put("channel", "chat.lobby")
          .put("policy", "conflate").put("ref", 7));
      assertEquals("error", err.getString("type"));
      assertEquals("bad_request", err.getString("code"));
      assertEquals("policy 'conflate' is not allowed on chat.lobby (allowed: disconnect; see limits.slowConsumerChannels)",
          err.getString("message"));
      err = ws.request(new JsonObject().put("type", "subscribe").put("channel", "cs.x").put("policy", 3).put("ref", 8));
      assertEquals("policy must be a string (disconnect, drop, conflate)", err.getString("message"));
      err = ws.request(new JsonObject().put("type", "subscribe").put("channel", "cs.x").put("policy", "latest").put("ref", 9));
      assertEquals("policy must be one of disconnect, drop, conflate, got 'latest'", err.getString("message"));
      JsonObject ok = ws.request(new JsonObject().put("type", "subscribe").put("channel", "cs.x").put("ref", 10));
      assertEquals("subscribed", ok.getString("type"), "the connection stays usable");
      assertEquals("disconnect", ok.getString("policy"), "the default");
    }
    var res = Http.get(node.httpPort(), "/events?channel=chat.lobby&policy=conflate");
    assertEquals(400, res.statusCode());
    assertEquals("policy 'conflate' is not allowed on chat.lobby (allowed: disconnect; see limits.slowConsumerChannels)",
        new JsonObject(res.body()).getJsonObject("error").getString("message"));
    assertEquals(400, Http.get(node.httpPort(), "/events?channel=cs.x&policy=latest").statusCode());
    assertEquals(400, Http.get(node.httpPort(), "/events?channel=cs.x&policy=conflate&policy=drop").statusCode());
  }

  /** Publishes the updates round-robin over the sensors, sampling what the node holds for conflation. */
  private Held publish(String prefix, String transport) {
    fill(prefix + ".fill", transport);
    var heap = ManagementFactory.getMemoryMXBean();
    System.gc();
    long heap0 = heap.getHeapMemoryUsage().getUsed();
    long maxChannels = 0;
    long maxBytes = 0;
    for (int i = 0; i < UPDATES; i++) {
      int sensor = i % SENSORS;
      if (i % 10 == 0) {
        // The kernel may still grow the server's send buffer after fill() saw the socket full (it
        // did, under a full suite's load: all 1,000 updates then went out one by one). A filler
        // every 10 updates takes any such room before the updates can, and is itself conflated.
        TestNodes.await(node.vertx().eventBus().request(Addresses.PUBLISH, new JsonObject()
            .put("channel", prefix + ".fill").put("event", "fill").put("data", FILL)));
      }
      TestNodes.await(node.vertx().eventBus().request(Addresses.PUBLISH, new JsonObject()
          .put("channel", prefix + ".s" + sensor).put("event", "reading")
          .put("data", new JsonObject().put("v", i / SENSORS + 1).put("pad", PAD))));
      if (i % 10 == 0) {
        long[] pending = node.metrics().conflationPending(transport);
        maxChannels = Math.max(maxChannels, pending[0]);
        maxBytes = Math.max(maxBytes, pending[1]);
      }
    }
    System.gc();
    long growth = heap.getHeapMemoryUsage().getUsed() - heap0;
    System.out.printf("%s: held for conflation at most %d channels, %d bytes; JVM heap %+d kB over %d updates (noisy)%n",
        transport, maxChannels, maxBytes, growth / 1024, UPDATES);
    return new Held(maxChannels, maxBytes, growth);
  }

  /**
   * Publishes fillers on {@code channel} until the slow client's socket is full for good: the
   * kernel takes a few MB (its send buffer grows meanwhile, so the socket may look full for a
   * moment and take more again), then every filler replaces the one waiting. Full for good = nearly
   * every filler of the last 30 was conflated.
   */
  private void fill(String channel, String transport) {
    double windowStart = node.metrics().count("pulse.conflated", "transport", transport);
    int fullWindows = 0;
    for (int i = 1; fullWindows < 3; i++) {
      assertTrue(i < 3000, "the slow client's socket never filled up");
      TestNodes.await(node.vertx().eventBus().request(Addresses.PUBLISH, new JsonObject()
          .put("channel", channel).put("event", "fill").put("data", FILL)));
      if (i % 10 == 0) {
        double now = node.metrics().count("pulse.conflated", "transport", transport);
        fullWindows = now - windowStart >= 9 ? fullWindows + 1 : 0;
        windowStart = now;
      }
    }
  }

  private static boolean allLatest(Map<String, List<JsonObject>> seen, String prefix) {
    for (int s = 0; s < SENSORS; s++) {
      List<JsonObject> got = seen.get(prefix + ".s" + s);
      if (got == null || got.get(got.size() - 1).getJsonObject("data").getInteger("v") < PER_SENSOR) {
        return false;
      }
    }
    return true;
  }

  /** Checks ids, values and counts; returns the sum of the conflated counts. */
  private static long check(Map<String, List<JsonObject>> seen, String prefix, Held held) {
    long skipped = 0;
    for (int s = 0; s < SENSORS; s++) {
      String channel = prefix + ".s" + s;
      List<JsonObject> got = seen.get(channel);
      long lastId = -1; // a channel's first id is 0
      long accounted = 0;
      for (JsonObject env : got) {
        long id = Long.parseLong(env.getString("id"));
        assertTrue(id > lastId, "ids go forward on " + channel + ": " + id + " after " + lastId);
        assertEquals(id + 1, (long) env.getJsonObject("data").getInteger("v"), "the value published with that id");
        int conflated = env.getInteger("conflated", 0);
        assertEquals(id - lastId - 1, conflated, "conflated counts the ids skipped on " + channel);
        accounted += 1 + conflated;
        skipped += conflated;
        lastId = id;
      }
      assertEquals(PER_SENSOR, accounted, channel + ": delivered + conflated = published");
      assertEquals(PER_SENSOR, got.get(got.size() - 1).getJsonObject("data").getInteger("v"), "the latest value");
    }
    assertTrue(skipped >= UPDATES / 2, "the client was slow enough for most updates to be conflated: " + skipped);
    assertTrue(held.maxChannels() >= 1 && held.maxChannels() <= SENSORS + 1, "one waiting message per sensor (and filler) at most: "
        + held.maxChannels());
    assertTrue(held.maxBytes() <= SENSORS * (PAD.length() + 200L) + FILL.length() + 200L,
        "bounded by the channels, not the rate: " + held.maxBytes());
    return skipped;
  }

  /** The conflated counts of every envelope received, fillers included. */
  private static double allConflated(Map<String, List<JsonObject>> seen) {
    return seen.values().stream().flatMap(List::stream).mapToInt(env -> env.getInteger("conflated", 0)).sum();
  }

  private static String counts(Map<String, List<JsonObject>> seen) {
    Map<String, Integer> n = new LinkedHashMap<>();
    seen.forEach((k, v) -> n.put(k, v.size()));
    return n.toString();
  }

  private static long last(List<Long> l) {
    return l == null || l.isEmpty() ? 0 : l.get(l.size() - 1);
  }

  /** A pattern stream's resume token: {@code channel:id,…}. */
  private static Map<String, Long> token(String id) {
    Map<String, Long> out = new HashMap<>();
    for (String part : id.split(",")) {
      int colon = part.lastIndexOf(':');
      out.put(part.substring(0, colon), Long.parseLong(part.substring(colon + 1)));
    }
    return out;
  }

  /** An SSE client on a raw socket with a small receive window, that reads only when asked to. */
  static final class RawSse implements AutoCloseable {
    record Event(String id, String data) {
      JsonObject json() {
        return new JsonObject(data);
      }
    }

    final Socket socket = new Socket();
    private final InputStream in;
    private final StringBuilder text = new StringBuilder();
    private String id;

    RawSse(int port, String pathAndQuery) throws IOException {
      socket.setReceiveBufferSize(16 * 1024); // before connecting: a small window
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      socket.getOutputStream().write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      in = new BufferedInputStream(socket.getInputStream());
      String status = line();
      if (!status.contains(" 200 ")) {
        throw new IOException("refused: " + status);
      }
      while (!line().isEmpty()) {
        // headers; the body is chunked
      }
    }

    /** The next event, or null after {@code timeout} or at the end of the stream. */
    Event next(Duration timeout) throws IOException {
      socket.setSoTimeout((int) timeout.toMillis());
      while (true) {
        int end = text.indexOf("\n\n");
        if (end >= 0) {
          String block = text.substring(0, end);
          text.delete(0, end + 2);
          String data = null;
          for (String l : block.split("\n")) {
            if (l.startsWith("id: ")) {
              id = l.substring(4);
            } else if (l.startsWith("data: ")) {
              data = l.substring(6);
            }
          }
          if (data != null) {
            return new Event(id, data);
          }
          continue; // a comment or the retry line
        }
        try {
          int size = Integer.parseInt(line().trim(), 16);
          if (size == 0) {
            return null;
          }
          text.append(new String(in.readNBytes(size), StandardCharsets.UTF_8));
          line();
        } catch (java.net.SocketTimeoutException e) {
          return null;
        }
      }
    }

    private String line() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) != -1 && b != '\n') {
        if (b != '\r') {
          line.write(b);
        }
      }
      return line.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
