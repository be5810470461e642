package io.pulse.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.Main;
import io.pulse.testing.Http;
import io.pulse.testing.SseClient;
import io.pulse.testing.WsTestClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node frozen with SIGSTOP for 30 s, then resumed with SIGCONT (SPEC §11, eclipse-vertx/vert.x#4394).
 * The survivor drops it within the heartbeat timeout + 5 s; when it wakes up it notices that the
 * cluster dropped it and leaves cleanly (exit code 3, for a supervisor to restart it) instead of
 * serving clients from a cluster of its own; its clients move to the survivor and lose nothing.
 */
@Tag("slow")
@Timeout(240)
class PauseIT {

  final String cluster = "it-" + UUID.randomUUID();

  @Test
  @DisplayName("SIGSTOP 30 s, SIGCONT: dropped within 15 s, then the frozen node leaves cleanly; counts right within 30 s,"
      + " its SSE client resumes on the survivor with nothing lost, no blocked threads")
  void pauseAndResume() throws Exception {
    try (ProcessNode n1 = ProcessNode.start(cluster, "s1", Map.of("sensors.enabled", "false"));
        ProcessNode n2 = ProcessNode.start(cluster, "s2", Map.of("sensors.enabled", "false"));
        SseClient onSurvivor = SseClient.open(n1.httpPort, "channel=pause.a");
        SseClient onFrozen = SseClient.open(n2.httpPort, "channel=pause.a");
        WsTestClient sam = WsTestClient.connect(n1.wsPort);
        WsTestClient pat = WsTestClient.connect(n2.wsPort)) {
      onSurvivor.awaitLive(n2.httpPort, "pause.a");
      onFrozen.awaitLive(n1.httpPort, "pause.a");
      onSurvivor.drain();
      onFrozen.drain();
      sam.request(new JsonObject().put("type", "join").put("room", "p").put("name", "sam"));
      pat.request(new JsonObject().put("type", "join").put("room", "p").put("name", "pat"));

      List<String> acked = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        acked.add(Http.publish(n1.httpPort, "pause.a", "before", i));
      }
      List<SseClient.Event> seenBefore = onFrozen.take(2, Duration.ofSeconds(5));
      String lastSeen = seenBefore.get(1).id();

      signal("-STOP", n2.pid());
      long stopped = System.currentTimeMillis();
      try {
        awaitWithin(() -> nodes(n1.httpPort) == 1, stopped, 15_000, "survivor drops the frozen node (heartbeat timeout 10 s + 5 s)");
        System.out.printf("SIGSTOP: dropped after %d ms%n", System.currentTimeMillis() - stopped);
        JsonObject leave = sam.nextMatching(m -> "leave".equals(m.getString("type")) && "pat".equals(m.getString("from")),
            Duration.ofSeconds(10));
        assertEquals("node_left", leave.getJsonObject("data").getString("reason"));
        for (int i = 0; i < 3; i++) {
          acked.add(Http.publish(n1.httpPort, "pause.a", "during", i));
        }
        Thread.sleep(Math.max(0, 30_000 - (System.currentTimeMillis() - stopped))); // the pause itself
      } finally {
        signal("-CONT", n2.pid());
      }
      long resumed = System.currentTimeMillis();

      // The frozen node finds itself dropped and leaves cleanly.
      assertTrue(n2.process.waitFor(30, TimeUnit.SECONDS), "the frozen node leaves within 30 s of SIGCONT");
      long exitedAfter = System.currentTimeMillis() - resumed;
      assertEquals(Main.EXIT_EXPELLED, n2.process.exitValue(), "exit code 3: dropped by the cluster while frozen");
      assertEquals((short) 1001, pat.awaitClose(Duration.ofSeconds(5)), "its WebSocket clients are told it is going away");
      awaitWithin(onFrozen::ended, resumed, 30_000, "its SSE stream ended");

      // Counts right on the survivor, and they stay right.
      awaitWithin(() -> nodes(n1.httpPort) == 1 && presence(n1.httpPort, "p").equals(List.of("sam")), resumed, 30_000,
          "cluster view and presence right");
      System.out.printf("SIGCONT: the frozen node left after %d ms%n", exitedAfter);

      // Its SSE client moves to the survivor and gets what it missed; the survivor's got everything.
      try (SseClient moved = SseClient.open(n1.httpPort, "channel=pause.a", lastSeen)) {
        List<String> replayed = moved.take(3, Duration.ofSeconds(5)).stream().map(SseClient.Event::id).toList();
        assertEquals(acked.subList(2, 5), replayed, "everything after " + lastSeen);
      }
      assertEquals(acked, onSurvivor.take(5, Duration.ofSeconds(5)).stream().map(SseClient.Event::id).toList());

      String frozenLog = Files.readString(n2.log);
      assertTrue(frozenLog.contains("the cluster dropped this node while it was frozen"), "the reason is logged");
      for (ProcessNode n : List.of(n1, n2)) {
        assertFalse(Files.readString(n.log).contains("has been blocked for"), n.name + " logged a blocked thread");
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

  private static List<String> presence(int port, String room) {
    JsonArray members = new JsonObject(Http.get(port, "/api/rooms/" + room + "/presence").body()).getJsonArray("members");
    return members.stream().map(o -> ((JsonObject) o).getString("name")).toList();
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
}
