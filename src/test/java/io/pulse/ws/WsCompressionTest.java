package io.pulse.ws;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.messages.Addresses;
import io.pulse.node.PulseNode;
import io.pulse.testing.Await;
import io.pulse.testing.RawWs;
import io.pulse.testing.TestNodes;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** permessage-deflate (RFC 7692) with ws.compression on: negotiation, shared compressed frames, the bomb guard. */
@Timeout(120)
class WsCompressionTest {

  private static final String OFFER = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
  private static TestNodes cluster;
  private static PulseNode node;

  @BeforeAll
  static void start() {
    cluster = new TestNodes();
    node = cluster.start("ws-deflate", new JsonObject().put("ws.compression", true));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  @DisplayName("the handshake: accepted as browsers offer it, no-context requests echoed, server window bits declined")
  void negotiation() throws Exception {
    try (RawWs raw = raw(OFFER)) {
      assertEquals("permessage-deflate", raw.headers.get("sec-websocket-extensions"));
    }
    try (RawWs raw = raw("Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover\r\n")) {
      String ext = raw.headers.get("sec-websocket-extensions");
      assertTrue(ext.startsWith("permessage-deflate"), ext);
      assertTrue(ext.contains("client_no_context_takeover"), ext);
      assertTrue(ext.contains("server_no_context_takeover"), ext);
    }
    // The JDK's deflater cannot narrow its window: declined, and the connection runs uncompressed.
    try (RawWs raw = raw("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n")) {
      assertNull(raw.headers.get("sec-websocket-extensions"));
      raw.text("{\"type\":\"ping\",\"ref\":1}");
      assertEquals("pong", new JsonObject(raw.readText()).getString("type"));
    }
    // A fallback offer after a declined one is taken.
    try (RawWs raw = raw("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10, permessage-deflate\r\n")) {
      assertEquals("permessage-deflate", raw.headers.get("sec-websocket-extensions"));
    }
    try (RawWs raw = raw("")) {
      assertNull(raw.headers.get("sec-websocket-extensions"));
    }
  }

  @Test
  @DisplayName("pulse_ws_upgrades_total{compression}: deflate, declined (server_max_window_bits), none")
  void upgradesCounted() throws Exception {
    double deflate = upgrades("deflate");
    double declined = upgrades("declined");
    double none = upgrades("none");
    try (RawWs a = raw(OFFER);
        RawWs b = raw("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n");
        RawWs c = raw("Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n")) {
      Await.until(() -> upgrades("deflate") == deflate + 1 && upgrades("declined") == declined + 1
          && upgrades("none") == none + 1, Duration.ofSeconds(10), "one upgrade of each kind counted");
    }
    assertEquals(0, upgrades("off"), "ws.compression is on");
  }

  private static double upgrades(String compression) {
    return node.metrics().count("pulse.ws.upgrades", "compression", compression);
  }

  @Test
  @DisplayName("reserved bits no negotiated extension uses close 1002: RSV1 without deflate, RSV1 on a ping, RSV2")
  void reservedBits() throws Exception {
    byte[] ping = "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8);
    try (RawWs raw = raw("")) { // no extension negotiated: RSV1 is not allowed
      raw.frame(1, true, true, deflate(ping));
      assertEquals(1002, raw.readUntilClose());
    }
    try (RawWs raw = raw(OFFER)) {
      raw.frame(9, true, 4, new byte[] {1});
      assertEquals(1002, raw.readUntilClose());
    }
    try (RawWs raw = raw(OFFER)) { // and a ping right behind the bad frame is not answered (Autobahn 3.2)
      raw.send(RawWs.encode(1, true, 2, ping), RawWs.encode(9, true, 0, new byte[] {7}));
      RawWs.Frame f = raw.readFrame();
      assertEquals(8, f.opcode(), "a close, not a pong");
      assertEquals(1002, ((f.payload()[0] & 0xff) << 8) | (f.payload()[1] & 0xff));
    }
  }

  @Test
  @DisplayName("deliveries: the same compressed frame to every deflate connection, plain to the others; small ones plain")
  void deliveries() throws Exception {
    try (RawWs a = raw(OFFER); RawWs b = raw(OFFER); RawWs plain = raw("")) {
      byte[] subscribe = "{\"type\":\"subscribe\",\"channel\":\"z.big\",\"ref\":1}".getBytes(StandardCharsets.UTF_8);
      // Clients compress their messages too: a compressed subscribe (RSV1) is understood.
      a.frame(1, true, true, deflate(subscribe));
      b.frame(1, true, true, deflate(subscribe));
      plain.frame(1, true, subscribe);
      for (RawWs c : new RawWs[] {a, b, plain}) {
        assertEquals("subscribed", new JsonObject(text(c)).getString("type"));
      }
      JsonObject data = new JsonObject();
      for (int i = 0; i < 200; i++) {
        data.put("sensor-" + i, new JsonObject().put("temperature", 20 + i % 7).put("unit", "celsius"));
      }
      publish("z.big", data);
      RawWs.Frame fa = a.readFrame();
      RawWs.Frame fb = b.readFrame();
      RawWs.Frame fp = plain.readFrame();
      assertTrue(fa.rsv1() && fb.rsv1(), "compressed for the deflate connections");
      assertFalse(fp.rsv1(), "plain for the other");
      assertArrayEquals(fa.payload(), fb.payload(), "the same bytes: compressed once");
      String envelope = new String(fp.payload(), StandardCharsets.UTF_8);
      assertEquals(envelope, inflate(fa.payload()));
      assertEquals(data, new JsonObject(envelope).getJsonObject("data"));
      assertTrue(fa.payload().length * 3 < fp.payload().length,
          "JSON compresses: " + fa.payload().length + " of " + fp.payload().length + " bytes");

      publish("z.big", new JsonObject().put("t", 1)); // under ws.compressionMinBytes (256)
      RawWs.Frame small = a.readFrame();
      assertFalse(small.rsv1());
      assertEquals(1, new JsonObject(new String(small.payload(), StandardCharsets.UTF_8)).getJsonObject("data").getInteger("t"));
      assertFalse(b.readFrame().rsv1());
      assertFalse(plain.readFrame().rsv1());
      // A second big message: a client keeping its inflater's window (context takeover) decodes it as well.
      publish("z.big", data.put("again", true));
      String second = inflateStream(fa.payload(), a.readFrame().payload());
      assertTrue(new JsonObject(second).getJsonObject("data").getBoolean("again"));
      assertTrue(b.readFrame().rsv1());
      assertFalse(plain.readFrame().rsv1());
    }
  }

  @Test
  @DisplayName("interoperates with Netty's client (Vert.x): context takeover both ways, over many messages")
  void nettyClient() {
    try (io.pulse.testing.WsTestClient c = io.pulse.testing.WsTestClient.connectCompressed(node.wsPort())) {
      String ext = c.ws.headers().get("sec-websocket-extensions");
      assertTrue(ext != null && ext.startsWith("permessage-deflate"), String.valueOf(ext));
      String pad = "{\"sensor\":\"s-1\",\"temperature\":21.5,\"unit\":\"celsius\"}".repeat(40);
      for (int i = 0; i < 20; i++) { // compressed by the client, each referring back to the previous ones
        JsonObject pong = c.request(new JsonObject().put("type", "ping").put("pad", pad + i));
        assertEquals("pong", pong.getString("type"));
      }
      assertEquals("subscribed", c.request(new JsonObject().put("type", "subscribe").put("channel", "z.netty"))
          .getString("type"));
      for (int i = 0; i < 5; i++) {
        publish("z.netty", new JsonObject().put("i", i).put("pad", i % 2 == 0 ? pad : "small"));
      }
      for (int i = 0; i < 5; i++) {
        JsonObject m = c.nextMatching(j -> "z.netty".equals(j.getString("channel")), Duration.ofSeconds(10));
        assertEquals(i, m.getJsonObject("data").getInteger("i"));
        assertEquals(i % 2 == 0 ? pad : "small", m.getJsonObject("data").getString("pad"));
      }
    }
  }

  @Test
  @DisplayName("a compressed message inflating past limits.maxMessageBytes closes 1009 before it is inflated")
  void bomb() throws Exception {
    byte[] zeros = new byte[40 * 1024 * 1024];
    byte[] bomb = deflate(zeros);
    zeros = null;
    assertTrue(bomb.length < 65536, "fits one frame: " + bomb.length);
    double before = tooLarge();
    try (RawWs raw = raw(OFFER)) {
      raw.text("{\"type\":\"ping\",\"ref\":1}");
      assertEquals("pong", new JsonObject(text(raw)).getString("type"));
      long allocated = allocatedBytes();
      raw.frame(1, true, true, bomb);
      assertEquals(1009, raw.readUntilClose());
      long delta = allocatedBytes() - allocated;
      // 40 MB inflated would show as at least that much allocated; the guard stops at 64 KiB.
      assertTrue(delta < 16L * 1024 * 1024, "allocated while refusing the bomb: " + delta);
    }
    Await.until(() -> tooLarge() == before + 1, Duration.ofSeconds(10), "a too_large disconnect");
    // Fragments of one compressed message, each inflating under the limit, together over it: 1009 as well.
    try (RawWs raw = raw(OFFER)) {
      Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
      byte[] first = sync(d, new byte[40_000]);
      byte[] rest = sync(d, new byte[40_000]);
      d.end();
      raw.frame(1, false, true, withTail(first)); // stripped only at the end of the message
      raw.frame(0, true, false, rest);
      assertEquals(1009, raw.readUntilClose());
    }
    Await.until(() -> tooLarge() == before + 2, Duration.ofSeconds(10), "two too_large disconnects");
  }

  private static double tooLarge() {
    return node.metrics().count("pulse.disconnects", "transport", "ws", "reason", "too_large");
  }

  /** Bytes allocated on the heap by every live thread of this JVM (the node runs in it). */
  private static long allocatedBytes() {
    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    return Arrays.stream(mx.getThreadAllocatedBytes(mx.getAllThreadIds())).filter(n -> n > 0).sum();
  }

  private static RawWs raw(String headers) throws java.io.IOException {
    RawWs raw = new RawWs(node.wsPort(), "/ws", headers);
    raw.socket.setSoTimeout(15_000);
    return raw;
  }

  /** Reads a text message, inflating it if compressed. */
  private static String text(RawWs c) throws Exception {
    RawWs.Frame f = c.readFrame();
    return f.rsv1() ? inflate(f.payload()) : new String(f.payload(), StandardCharsets.UTF_8);
  }

  private static void publish(String channel, JsonObject data) {
    TestNodes.await(node.vertx().eventBus().request(Addresses.PUBLISH,
        new JsonObject().put("channel", channel).put("data", data), new DeliveryOptions().setLocalOnly(true)));
  }

  /** One message compressed on its own, as RFC 7692 sends it (no 00 00 ff ff tail). */
  static byte[] deflate(byte[] data) {
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
    try {
      return sync(d, data);
    } finally {
      d.end();
    }
  }

  private static byte[] sync(Deflater d, byte[] data) {
    d.setInput(data);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[65536];
    int n;
    do {
      n = d.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
      out.write(buf, 0, n);
    } while (n == buf.length);
    byte[] all = out.toByteArray();
    return Arrays.copyOf(all, all.length - 4);
  }

  /** {@code p} followed by the 00 00 ff ff that RFC 7692 strips off a message. */
  private static byte[] withTail(byte[] p) {
    byte[] in = Arrays.copyOf(p, p.length + 4);
    in[p.length + 2] = (byte) 0xff;
    in[p.length + 3] = (byte) 0xff;
    return in;
  }

  /** Inflates one message with a fresh inflater (as a client without context takeover). */
  static String inflate(byte[] payload) throws Exception {
    return inflateStream(payload);
  }

  /** Inflates messages in turn with one inflater (as a client with context takeover); returns the last. */
  static String inflateStream(byte[]... payloads) throws Exception {
    Inflater inf = new Inflater(true);
    try {
      String last = null;
      for (byte[] p : payloads) {
        inf.setInput(withTail(p));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!inf.needsInput()) {
          int n = inf.inflate(buf);
          out.write(buf, 0, n);
        }
        last = out.toString(StandardCharsets.UTF_8);
      }
      return last;
    } finally {
      inf.end();
    }
  }
}
