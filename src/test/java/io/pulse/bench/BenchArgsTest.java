package io.pulse.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchArgsTest {

  @Test
  void defaultsAreSmall() {
    assertEquals("bridge-fanout", BenchArgs.parse("--scenario", "bridge-fanout").scenario);
    BenchArgs a = BenchArgs.parse("--scenario", "ws-fanout");
    assertEquals("ws-fanout", a.scenario);
    assertEquals(1000, a.subscribers);
    assertEquals(200, a.messages);
    assertEquals(20, a.rate);
    assertEquals(1, a.nodes);
    assertEquals(200, a.concurrency);
    assertTrue(a.startsNodes());
    assertNull(a.jar);
    assertTrue(a.leanClient);
  }

  @Test
  void slowConsumers() {
    assertEquals(0, BenchArgs.parse("--scenario", "ws-fanout").slowConsumers);
    assertEquals(20, BenchArgs.parse("--scenario", "sse-fanout", "--slow-consumers", "20").slowConsumers);
    assertEquals(5, BenchArgs.parse("--scenario", "cross-node", "--slow-consumers", "5").slowConsumers);
    assertEquals("--slow-consumers applies to ws-fanout, sse-fanout, cross-node and burst only",
        assertThrows(IllegalArgumentException.class, () -> BenchArgs.parse("--scenario", "idle", "--slow-consumers", "3"))
            .getMessage());
    assertThrows(IllegalArgumentException.class, () -> BenchArgs.parse("--scenario", "ws-fanout", "--slow-consumers", "-1"));
    assertTrue(BenchArgs.USAGE.contains("--slow-consumers K"));
  }

  @Test
  void everyOption() {
    BenchArgs a = BenchArgs.parse("--scenario", "sse-fanout", "--subscribers", "5_000", "--messages", "50", "--rate", "50",
        "--nodes", "3", "--cycles", "10", "--channels", "2", "--concurrency", "7", "--warmup", "0", "--hold", "1", "--timeout", "120",
        "--jar", "x/pulse.jar", "--node-jvm-arg", "-Xmx1g", "--node-config", "limits.sendQueueBytes=65536",
        "--client", "vertx");
    assertEquals(5000, a.subscribers);
    assertEquals(50, a.messages);
    assertEquals(50, a.rate);
    assertEquals(3, a.nodes);
    assertEquals(10, a.cycles);
    assertEquals(2, a.channels);
    assertEquals(7, a.concurrency);
    assertEquals(0, a.warmupSeconds);
    assertEquals(1, a.holdSeconds);
    assertEquals(120, a.timeoutSeconds);
    assertEquals(Path.of("x/pulse.jar"), a.jar);
    assertEquals(List.of("-Xmx1g"), a.nodeJvmArgs);
    assertEquals(List.of("limits.sendQueueBytes=65536"), a.nodeConfig);
    assertFalse(a.leanClient);
    assertFalse(a.compression);
    assertEquals(0, a.payloadBytes);
  }

  @Test
  void compressionOffersDeflateAndTurnsItOnInTheStartedNodes() {
    BenchArgs a = BenchArgs.parse("--scenario", "ws-fanout", "--compression", "on", "--payload", "2000");
    assertTrue(a.compression);
    assertEquals(2000, a.payloadBytes);
    assertEquals(List.of("ws.compression=true"), a.nodeConfig);
    BenchArgs own = BenchArgs.parse("--scenario", "ws-fanout", "--compression", "on", "--node-config", "ws.compression=false");
    assertEquals(List.of("ws.compression=false"), own.nodeConfig, "an explicit node setting wins");
  }

  @Test
  void scenarioDefaults() {
    assertEquals(2, BenchArgs.parse("--scenario", "cross-node").nodes);
    assertEquals(50, BenchArgs.parse("--scenario", "churn").concurrency);
    assertEquals(1000, BenchArgs.parse("--scenario", "churn").cycles);
    assertNull(BenchArgs.parse("--scenario", "churn").channels);
  }

  @Test
  void burstDefaultsAndTransport() {
    BenchArgs burst = BenchArgs.parse("--scenario", "burst");
    assertEquals(5000, burst.subscribers);
    assertEquals(200, burst.messages);
    assertEquals(1000, burst.rate);
    assertEquals("ws", burst.transport);
    assertEquals("sse", BenchArgs.parse("--scenario", "burst", "--transport", "sse", "--subscribers", "10").transport);
    assertEquals(10, BenchArgs.parse("--scenario", "burst", "--subscribers", "10").subscribers);
    assertEquals(1000, BenchArgs.parse("--scenario", "ws-fanout").subscribers, "other scenarios keep theirs");
    assertEquals(20, BenchArgs.parse("--scenario", "ws-fanout").rate);
    assertThrows(IllegalArgumentException.class, () -> BenchArgs.parse("--scenario", "ws-fanout", "--transport", "sse"));
    assertThrows(IllegalArgumentException.class, () -> BenchArgs.parse("--scenario", "burst", "--transport", "udp"));
    assertTrue(BenchArgs.USAGE.contains("--transport ws|sse"));
  }

  @Test
  void targetsReplaceStartedNodes() {
    BenchArgs a = BenchArgs.parse("--scenario", "cross-node", "--target", "http://127.0.0.1:8080/",
        "--target", "http://127.0.0.1:8082");
    assertFalse(a.startsNodes());
    assertEquals(2, a.nodes);
    assertEquals(List.of("http://127.0.0.1:8080", "http://127.0.0.1:8082"), a.targets);
  }

  @Test
  void helpYieldsNull() {
    assertNull(BenchArgs.parse("--help"));
    assertNull(BenchArgs.parse("--scenario", "idle", "-h"));
  }

  @Test
  void badInputIsRefusedWithAMessage() {
    assertMessage("--scenario is required");
    assertMessage("unknown scenario 'fanout'", "--scenario", "fanout");
    assertMessage("--subscribers must be at least 1", "--scenario", "idle", "--subscribers", "0");
    assertMessage("--rate needs a whole number", "--scenario", "idle", "--rate", "fast");
    assertMessage("--messages needs a value", "--scenario", "idle", "--messages");
    assertMessage("unknown option --speed", "--scenario", "idle", "--speed", "1");
    assertMessage("unexpected argument 'idle'", "idle");
    assertMessage("cross-node needs two nodes", "--scenario", "cross-node", "--nodes", "1");
    assertMessage("--target needs an http:// base URL", "--scenario", "idle", "--target", "ws://x:1");
    assertMessage("--nodes 2 contradicts 1 --target", "--scenario", "idle", "--nodes", "2", "--target", "http://x:1");
    assertMessage("--node-config needs key=value", "--scenario", "idle", "--node-config", "novalue");
    assertMessage("--nodes is at most 8", "--scenario", "idle", "--nodes", "9");
    assertMessage("--client must be lean or vertx, got 'netty'", "--scenario", "ws-fanout", "--client", "netty");
    assertMessage("--compression must be on or off, got 'yes'", "--scenario", "ws-fanout", "--compression", "yes");
    assertMessage("--compression is for WebSocket fan-out", "--scenario", "sse-fanout", "--compression", "on");
    assertMessage("--compression on needs --client lean", "--scenario", "ws-fanout", "--compression", "on", "--client", "vertx");
    assertMessage("--transport must be ws or sse, got 'bridge'", "--scenario", "cross-node", "--transport", "bridge");
    assertMessage("--local-subscribers is for cross-node", "--scenario", "ws-fanout", "--local-subscribers", "1");
    assertMessage("--transport is for cross-node", "--scenario", "ws-fanout", "--transport", "sse");
    assertMessage("--compression is for WebSocket subscribers", "--scenario", "cross-node", "--transport", "sse", "--compression", "on");
    assertMessage("--payload must not be negative", "--scenario", "ws-fanout", "--payload", "-1");
  }

  @Test
  void crossNodeTakesTheSubscribersTransport() {
    assertEquals("ws", BenchArgs.parse("--scenario", "cross-node").transport);
    assertEquals("sse", BenchArgs.parse("--scenario", "cross-node", "--transport", "sse").transport);
    assertEquals(1, BenchArgs.parse("--scenario", "cross-node", "--local-subscribers", "1").localSubscribers);
    assertNull(BenchArgs.parse("--scenario", "cross-node").localSubscribers);
  }

  @Test
  void timeoutHasAFloor() {
    assertEquals(60, BenchArgs.parse("--scenario", "idle", "--timeout", "5").timeoutSeconds);
  }

  private static void assertMessage(String start, String... args) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchArgs.parse(args));
    assertTrue(e.getMessage().startsWith(start), e.getMessage());
  }
}
