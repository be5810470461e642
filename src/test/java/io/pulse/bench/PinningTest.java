package io.pulse.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PinningTest {

  @Test
  void parsesKernelCpuLists() {
    assertEquals(List.of(0, 1), Pinning.parseList("0-1"));
    assertEquals(List.of(0, 1, 2, 3, 6, 8, 9), Pinning.parseList("0-3,6,8-9"));
    assertEquals(List.of(5), Pinning.parseList("5\n".trim()));
  }

  @Test
  void twoCoresGiveOneToTheNodesAndOneToTheClient() {
    Pinning p = Pinning.split(List.of(0, 1));
    assertEquals(List.of(1), p.nodeCpus);
    assertEquals(List.of(0), p.clientCpus);
    assertEquals(List.of("taskset", "-c", "1", "java", "-jar", "pulse.jar"), p.wrapNode(List.of("java", "-jar", "pulse.jar")));
  }

  @Test
  void theNodesGetTheLargerHalfAndTheSetsNeverOverlap() {
    Pinning p = Pinning.split(List.of(4, 2, 3, 0, 1));
    assertEquals(List.of(2, 3, 4), p.nodeCpus);
    assertEquals(List.of(0, 1), p.clientCpus);
    assertTrue(p.nodeCpus.stream().noneMatch(p.clientCpus::contains));
  }

  @Test
  void oneCoreCannotBeSplit() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pinning.split(List.of(0)));
    assertTrue(e.getMessage().contains("at least 2 cores"), e.getMessage());
  }

  @Test
  void pinIsAFlagAndOnlyForNodesTheBenchStarts() {
    assertTrue(BenchArgs.parse("--scenario", "ws-fanout", "--pin", "--subscribers", "10").pin);
    assertFalse(BenchArgs.parse("--scenario", "ws-fanout").pin);
    assertThrows(IllegalArgumentException.class,
        () -> BenchArgs.parse("--scenario", "ws-fanout", "--pin", "--target", "http://127.0.0.1:8080"));
  }
}
