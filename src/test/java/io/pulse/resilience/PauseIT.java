package io.pulse.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.pulse.testing.Http;
import io.pulse.testing.SseClient;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node paused (SIGSTOP) for 30 s, then resumed. Tagged "pause", not "slow": it does not pass
 * reliably yet (the paused node forms a cluster of its own and Hazelcast's split-brain merge did
 * not always bring it back within 30 s here), so CI does not run it. Run it with
 * {@code mvn -q -Pslow -Dgroups=pause verify}.
 */
@Tag("pause")
@Timeout(240)
class PauseIT {

  final String cluster = "it-" + UUID.randomUUID();

  @Test
  @DisplayName("SIGSTOP for 30 s then SIGCONT: dropped within the heartbeat timeout + 5 s, rejoins, and"
      + " subscriptions made before the pause work again both ways (eclipse-vertx/vert.x#4394)")
  void pauseAndResume() throws Exception {
    try (ProcessNode n1 = ProcessNode.start(cluster + "-s", "s1", Map.of("sensors.enabled", "false"));
        ProcessNode n2 = ProcessNode.start(cluster + "-s", "s2", Map.of("sensors.enabled", "false"));
        SseClient on1 = SseClient.open(n1.httpPort, "channel=pause.b");
        SseClient on2 = SseClient.open(n2.httpPort, "channel=pause.a")) {
      on2.awaitLive(n1.httpPort, "pause.a");
      on1.awaitLive(n2.httpPort, "pause.b");
      signal("-STOP", n2.pid());
      long t0 = System.currentTimeMillis();
      try {
        awaitTrue(() -> nodes(n1.httpPort) == 1, t0, "dropped within heartbeat timeout (10 s) + 5 s");
        System.out.printf("SIGSTOP: dropped after %d ms%n", System.currentTimeMillis() - t0);
        Thread.sleep(Math.max(0, 30_000 - (System.currentTimeMillis() - t0)));
      } finally {
        signal("-CONT", n2.pid());
      }
      long resumed = System.currentTimeMillis();
      awaitWithin(() -> nodes(n1.httpPort) == 2 && nodes(n2.httpPort) == 2, resumed, 30_000, "both see two nodes again");
      System.out.printf("SIGCONT: counts right again after %d ms%n", System.currentTimeMillis() - resumed);
      on1.drain();
      on2.drain();
      // The streams opened before the pause still receive, in both directions.
      awaitWithin(() -> {
        Http.publish(n1.httpPort, "pause.a", "after", 1);
        return on2.poll(Duration.ofMillis(300)) != null;
      }, resumed, 30_000, "n1 → subscriber on n2 made before the pause");
      awaitWithin(() -> {
        Http.publish(n2.httpPort, "pause.b", "after", 1);
        return on1.poll(Duration.ofMillis(300)) != null;
      }, resumed, 30_000, "n2 → subscriber on n1 made before the pause");
      for (ProcessNode n : List.of(n1, n2)) {
        String log = java.nio.file.Files.readString(n.log);
        assertFalse(log.contains("has been blocked for"), n.name + " logged a blocked thread");
      }
    }
  }

  private static int nodes(int port) {
    try {
      return new JsonObject(Http.get(port, "/api/cluster").body()).getJsonObject("totals").getInteger("nodes");
    } catch (AssertionError e) {
      return -1;
    }
  }

  private static void signal(String sig, long pid) throws Exception {
    assertEquals(0, new ProcessBuilder("kill", sig, Long.toString(pid)).inheritIO().start().waitFor());
  }

  private static void awaitWithin(java.util.function.BooleanSupplier cond, long since, long ms, String what)
      throws InterruptedException {
    while (!cond.getAsBoolean()) {
      if (System.currentTimeMillis() - since > ms) {
        throw new AssertionError("not within " + ms + " ms: " + what);
      }
      Thread.sleep(200);
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier cond, long since, String what) throws InterruptedException {
    awaitWithin(cond, since, 15_000, what);
  }
}
