package io.pulse.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cluster-hold's parts that need no node: the split of the connections, the room's names, the samples. */
class ClusterHoldTest {

  @Test
  void oneHundredThousandOverSixNodesAndSixProcessesStayUnderTheFileLimit() {
    List<HoldLayout.Part> parts = HoldLayout.split(100_000, 10, 6);
    assertEquals(6, parts.size());
    assertEquals(90_000, parts.stream().mapToInt(HoldLayout.Part::ws).sum());
    assertEquals(10_000, parts.stream().mapToInt(HoldLayout.Part::sse).sum());
    Set<String> sources = new HashSet<>();
    for (HoldLayout.Part p : parts) {
      assertTrue(p.connections() + FdLimits.HEADROOM <= 20_000, "a client process holds " + p.connections());
      sources.add(p.sourceAddress());
    }
    assertEquals(6, sources.size(), "each process from an address of its own");
    int[][] perNode = HoldLayout.perNode(parts, 6);
    for (int[] node : perNode) {
      assertEquals(15_000, node[0]);
      assertTrue(node[1] == 1_666 || node[1] == 1_667, "sse " + node[1]);
      assertTrue(node[0] + node[1] + FdLimits.HEADROOM <= 20_000);
    }
  }

  @Test
  void uneven() {
    // 1,001 connections, 7 % SSE (70), over 4 processes and 3 nodes: nothing lost, each node within one
    List<HoldLayout.Part> parts = HoldLayout.split(1_001, 7, 4);
    assertEquals(List.of(233, 233, 233, 232), parts.stream().map(HoldLayout.Part::ws).toList());
    assertEquals(List.of(18, 18, 17, 17), parts.stream().map(HoldLayout.Part::sse).toList());
    assertEquals(List.of(0, 233, 466, 699), parts.stream().map(HoldLayout.Part::wsOffset).toList());
    int[][] perNode = HoldLayout.perNode(parts, 3);
    assertArrayEquals(new int[] {311, 310, 310}, new int[] {perNode[0][0], perNode[1][0], perNode[2][0]});
    assertArrayEquals(new int[] {24, 23, 23}, new int[] {perNode[0][1], perNode[1][1], perNode[2][1]});
    assertEquals(0, HoldLayout.split(10, 0, 3).stream().mapToInt(HoldLayout.Part::sse).sum());
    assertEquals(10, HoldLayout.split(10, 100, 3).stream().mapToInt(HoldLayout.Part::sse).sum());
  }

  @Test
  void aProcessReachesTheSameNodesAsTheLayoutSays() {
    List<String> nodes = List.of("a", "b", "c");
    List<String> fromTwo = HoldClients.rotated(nodes, 7); // a process whose run starts at global index 7
    for (int i = 0; i < 9; i++) {
      assertEquals(nodes.get(HoldLayout.nodeOf(7, i, 3)), fromTwo.get(i % 3));
    }
    assertEquals(nodes, HoldClients.rotated(nodes, 0));
  }

  @Test
  void theRoomHasTwoMembersPerNodeAndProcessNamedAfterTheirNode() {
    List<Node> nodes = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      nodes.add(new Node("bench-" + i, URI.create("http://127.0.0.1:" + (8000 + i)), URI.create("ws://127.0.0.1:" + (9000 + i) + "/ws"),
          null, null));
    }
    List<HoldLayout.Part> parts = HoldLayout.split(100, 0, 2);
    Set<String> members = ClusterHoldScenario.members(parts, nodes);
    assertEquals(ClusterHoldScenario.JOINS_PER_NODE * 3 * 2, members.size());
    for (Node n : nodes) {
      assertEquals(ClusterHoldScenario.JOINS_PER_NODE * 2, members.stream().filter(m -> m.startsWith(n.name + "/")).count());
    }
    // process 1 starts at global index 50: its connection 0 is on node 50 % 3 = bench-3
    assertTrue(members.contains("bench-3/p1/0"));
    assertNull(HoldLayout.memberName(0, ClusterHoldScenario.JOINS_PER_NODE * 3, ClusterHoldScenario.JOINS_PER_NODE, 3, "x"));
  }

  @Test
  void samplesCrossTheProcessBoundaryAndAreCountedPerMessage(@TempDir Path dir) throws Exception {
    // two connections, three messages: slot = connection * 3 + seq; connection 1 missed message 2
    long e = Samples.EMPTY;
    Path file = dir.resolve("s.bin");
    HoldClients.writeSlots(file, new long[] {1_000, 2_000, 3_000, 4_000, 5_000, e}, new long[] {6_000, e, e});
    long[][] back = HoldClients.readSlots(file);
    assertEquals(2, back.length);
    assertArrayEquals(new long[] {1_000, 2_000, 3_000, 4_000, 5_000, e}, back[0]);
    HoldSamples all = new HoldSamples(3);
    all.add(back[0], true);
    all.add(back[1], false);
    assertEquals(3, all.count(0));
    assertEquals(2, all.count(1));
    assertEquals(1, all.count(2));
    assertEquals(6, all.all().count());
    Report r = new Report();
    all.report(r);
    assertEquals("[3,2,1]", r.json().getValue("deliveries_per_message").toString());
    assertEquals(6.0, r.json().getDouble("latency_max_ms"));
    assertEquals(6.0, r.json().getDouble("sse_latency_p50_ms"));
    Files.delete(file);
  }

  @Test
  void arguments() {
    BenchArgs a = BenchArgs.parse("--scenario", "cluster-hold", "--subscribers", "100000");
    assertEquals(6, a.nodes);
    assertEquals(6, a.clientProcesses);
    assertEquals(10, a.ssePercent);
    assertEquals(10, a.messages);
    assertEquals(2, a.spacingSeconds);
    assertEquals(0, a.connectionsInThisJvm(), "the bench JVM holds none of them");
    assertEquals(1000, BenchArgs.parse("--scenario", "idle").connectionsInThisJvm());
    assertThrows(IllegalArgumentException.class, () -> BenchArgs.parse("--scenario", "cluster-hold", "--nodes", "1"));
    assertThrows(IllegalArgumentException.class,
        () -> BenchArgs.parse("--scenario", "cluster-hold", "--target", "http://127.0.0.1:8080"));
    assertThrows(IllegalArgumentException.class, () -> BenchArgs.parse("--scenario", "cluster-hold", "--sse-percent", "101"));
    assertThrows(IllegalArgumentException.class, () -> BenchArgs.parse("--scenario", "idle", "--spacing", "3"));
    assertEquals(3, BenchArgs.parse("--scenario", "cluster-hold", "--client-processes", "3").clientProcesses);
    assertTrue(BenchArgs.USAGE.contains("--client-processes P"));
  }
}
