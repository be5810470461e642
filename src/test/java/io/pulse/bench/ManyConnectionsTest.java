package io.pulse.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the bench needs for 100,000 connections: source addresses and open-files limits. */
@Timeout(60)
class ManyConnectionsTest {

  @Test
  void oneSourceAddressPer25000ConnectionsTowardsLoopbackOnly() {
    List<String> lo = List.of("127.0.0.1");
    assertEquals(List.of(), SourceAddresses.forConnections(25_000, null, lo), "one address: the kernel's choice");
    assertEquals(List.of("127.0.0.1", "127.0.0.2"), SourceAddresses.forConnections(25_001, null, lo));
    assertEquals(4, SourceAddresses.forConnections(100_000, null, lo).size());
    assertEquals(List.of("127.0.0.1", "127.0.0.2", "127.0.0.3"), SourceAddresses.forConnections(10, 3, lo), "asked for");
    assertEquals(List.of(), SourceAddresses.forConnections(100_000, null, List.of("10.1.2.3")), "not loopback: unbound");
    assertThrows(IllegalArgumentException.class, () -> SourceAddresses.forConnections(10, 2, List.of("10.1.2.3")));
  }

  @Test
  void optionIsForIdleAndBounded() {
    assertEquals(5, BenchArgs.parse("--scenario", "idle", "--source-addresses", "5").sourceAddresses);
    assertNull(BenchArgs.parse("--scenario", "idle").sourceAddresses);
    assertThrows(IllegalArgumentException.class, () -> BenchArgs.parse("--scenario", "ws-fanout", "--source-addresses", "2"));
    assertThrows(IllegalArgumentException.class, () -> BenchArgs.parse("--scenario", "idle", "--source-addresses", "65"));
    assertTrue(BenchArgs.USAGE.contains("--source-addresses"));
  }

  @Test
  void openFilesLimitIsReadAndEnoughIsLeftAlone() {
    assertEquals(20_000L, FdLimits.parse(List.of("Limit                     Soft Limit           Hard Limit           Units",
        "Max open files            20000                20000                files")));
    assertEquals(Long.MAX_VALUE, FdLimits.parse(List.of("Max open files            unlimited            unlimited            files")));
    assertNull(FdLimits.parse(List.of("Max processes 1 1 processes")));
    long pid = ProcessHandle.current().pid();
    Long now = FdLimits.openFiles(pid);
    assertTrue(now != null && now > 0, "own limit readable: " + now);
    assertNull(FdLimits.ensure(pid, now), "already enough: nothing to do");
    String beyond = FdLimits.ensure(pid, 1L << 40); // over any kernel's nr_open, even for root
    assertTrue(beyond != null && beyond.contains("CAP_SYS_RESOURCE"), beyond);
  }

  @Test
  void aRunTheClientCannotHoldIsRefusedBeforeAnyNodeStarts() {
    var err = new java.io.ByteArrayOutputStream();
    int code = Bench.run(new String[] {"--scenario", "idle", "--subscribers", "2000000000"},
        new java.io.PrintStream(new java.io.ByteArrayOutputStream()), new java.io.PrintStream(err));
    assertEquals(1, code);
    assertTrue(err.toString().contains("open-files limit"), err.toString());
    assertTrue(!err.toString().contains("starting"), "no node was started: " + err);
  }

  /** The bench's bare-Netty WebSocket clients really connect from the addresses given (all on loopback). */
  @Test
  void clientsConnectFromEachSourceAddress() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Set<String> seen = ConcurrentHashMap.newKeySet();
      int port = vertx.createHttpServer().webSocketHandler((ServerWebSocket ws) -> {
        seen.add(ws.remoteAddress().host());
        ws.textMessageHandler(t -> ws.writeTextMessage("{\"type\":\"subscribed\"}"));
      }).listen(0, "127.0.0.1").await().actualPort();
      Node node = new Node("n", java.net.URI.create("http://127.0.0.1:1"), java.net.URI.create("ws://127.0.0.1:" + port + "/ws"),
          null, null);
      List<String> from = List.of("127.0.0.1", "127.0.0.2", "127.0.0.3");
      try (LeanWsClients clients = new LeanWsClients(null, from)) {
        Clients.Opened opened = clients.open(List.of(node), 6, "c", 3, System.currentTimeMillis() + 30_000);
        assertEquals(6, opened.opened(), String.valueOf(opened.firstError()));
      }
      assertEquals(Set.copyOf(from), seen);
    } finally {
      vertx.close().await();
    }
  }
}
