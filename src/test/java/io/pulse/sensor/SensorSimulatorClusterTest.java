package io.pulse.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.node.PulseNode;
import io.pulse.testing.SseClient;
import io.pulse.testing.SseClient.Event;
import io.pulse.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class SensorSimulatorClusterTest {

  static JsonObject sensors(String mode) {
    return new JsonObject().put("sensors.enabled", true).put("sensors.mode", mode)
        .put("sensors.count", 3).put("sensors.intervalMs", 100);
  }

  @Test
  @DisplayName("singleton: one node of two runs the simulator; when it leaves, the other takes over")
  void singletonMovesWhenItsNodeCloses() {
    try (TestNodes cluster = new TestNodes()) {
      PulseNode a = cluster.start("sens-a", sensors("singleton"));
      PulseNode b = cluster.start("sens-b", sensors("singleton"));
      try (SseClient sse = SseClient.open(b.httpPort(), "channel=sensors.*")) {
        List<Event> first = sse.take(30, Duration.ofSeconds(10));
        Set<String> nodes = new HashSet<>();
        Set<String> kinds = new HashSet<>();
        for (Event e : first) {
          JsonObject env = e.json();
          assertEquals("reading", env.getString("type"));
          JsonObject d = env.getJsonObject("data");
          assertEquals("sensors." + d.getString("sensor"), env.getString("channel"));
          double v = d.getDouble("value");
          assertTrue(v >= d.getDouble("min") && v <= d.getDouble("max"), env.encode());
          nodes.add(d.getString("node"));
          kinds.add(d.getString("kind") + " " + d.getString("unit"));
        }
        assertEquals(Set.of("sens-a"), nodes, "only the oldest node runs the simulator");
        assertEquals(Set.of("temperature °C", "humidity %", "pressure hPa"), kinds);
        assertTrue(a.runsSensors());
        assertFalse(b.runsSensors());

        long stopped = System.currentTimeMillis();
        cluster.stop(a);
        String from;
        do {
          from = sse.next(Duration.ofSeconds(15)).json().getJsonObject("data").getString("node");
        } while (from.equals("sens-a"));
        assertEquals("sens-b", from);
        assertTrue(System.currentTimeMillis() - stopped < 15_000, "taken over within 15 s");
        assertTrue(b.runsSensors());
      }
    }
  }

  @Test
  @DisplayName("local: every enabled node runs its own simulator")
  void localModeRunsEverywhere() {
    try (TestNodes cluster = new TestNodes()) {
      PulseNode a = cluster.start("loc-a", sensors("local"));
      PulseNode b = cluster.start("loc-b", sensors("local"));
      try (SseClient sse = SseClient.open(a.httpPort(), "channel=sensors.s-01")) {
        Set<String> nodes = new HashSet<>();
        long deadline = System.currentTimeMillis() + 10_000;
        while (nodes.size() < 2 && System.currentTimeMillis() < deadline) {
          nodes.add(sse.next(Duration.ofSeconds(5)).json().getJsonObject("data").getString("node"));
        }
        assertEquals(Set.of("loc-a", "loc-b"), nodes);
        assertTrue(a.runsSensors() && b.runsSensors());
      }
    }
  }

  @Test
  @DisplayName("readings are believable: bounded, with a unit, and they move")
  void readingsMove() {
    Sensor s = new Sensor("s-01", Sensor.Kind.TEMPERATURE, new java.util.Random(7));
    Set<Double> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      double v = s.next();
      assertTrue(v >= 15 && v <= 35, "in range: " + v);
      seen.add(v);
    }
    assertTrue(seen.size() > 20, "the signal moves");
  }
}
