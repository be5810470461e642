package io.pulse.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testing.Http;
import io.pulse.testing.HttpPublisher;
import io.pulse.testing.SseClient;
import io.pulse.testing.WsTestClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Real processes that die: kill -9 and SIGTERM of a node while clients are connected everywhere. */
@Tag("slow")
@Timeout(240)
class NodeFailureIT {

  final String cluster = "it-" + UUID.randomUUID();

  /** Every envelope id a stream received, per channel. */
  static Map<String, List<String>> idsByChannel(List<SseClient.Event> events) {
    Map<String, List<String>> out = new ConcurrentHashMap<>();
    for (SseClient.Event e : events) {
      JsonObject env = e.json();
      out.computeIfAbsent(env.getString("channel"), c -> new ArrayList<>()).add(env.getString("id"));
    }
    return out;
  }

  static List<SseClient.Event> collect(SseClient sse, Duration quiet) {
    List<SseClient.Event> out = new ArrayList<>();
    SseClient.Event e;
    while ((e = sse.poll(quiet)) != null) {
      out.add(e);
    }
    return out;
  }

  @Test
  @DisplayName("kill -9 of one node of three: survivors miss nothing, the dead node leaves everything within 15 s,"
      + " the simulator moves, and its SSE client resumes on a survivor")
  void killNine() throws Exception {
    Map<String, String> sensors = Map.of("sensors.enabled", "true", "sensors.count", "2", "sensors.intervalMs", "200");
    try (ProcessNode n1 = ProcessNode.start(cluster, "n1", sensors);
        ProcessNode n2 = ProcessNode.start(cluster, "n2", sensors);
        ProcessNode n3 = ProcessNode.start(cluster, "n3", sensors);
        SseClient onB = SseClient.open(n2.httpPort, "channel=res.b&channel=res.c");
        SseClient onC = SseClient.open(n3.httpPort, "channel=res.b&channel=res.c");
        SseClient onA = SseClient.open(n1.httpPort, "channel=res.b");
        SseClient sensorsOnC = SseClient.open(n3.httpPort, "channel=sensors.*");
        WsTestClient alice = WsTestClient.connect(n1.wsPort);
        WsTestClient carol = WsTestClient.connect(n3.wsPort)) {
      assertEquals("n1", sensorsOnC.next(Duration.ofSeconds(10)).json().getJsonObject("data").getString("node"),
          "the oldest node runs the simulator");
      alice.request(new JsonObject().put("type", "join").put("room", "it").put("name", "alice"));
      carol.request(new JsonObject().put("type", "join").put("room", "it").put("name", "carol"));
      for (SseClient s : List.of(onB, onC)) {
        s.awaitLive(n2.httpPort, "res.b");
        s.awaitLive(n3.httpPort, "res.c");
      }
      onA.awaitLive(n2.httpPort, "res.b");
      onB.drain();
      onC.drain();
      onA.drain();

      List<SseClient.Event> gotB = new ArrayList<>();
      List<SseClient.Event> gotC = new ArrayList<>();
      List<SseClient.Event> gotA = new ArrayList<>();
      long killedAt;
      try (HttpPublisher pb = new HttpPublisher(n2.httpPort, "res.b", "n", 50); HttpPublisher pc = new HttpPublisher(n3.httpPort, "res.c", "n", 50)) {
        Thread.sleep(1500);
        gotA.addAll(onA.drain());
        n1.kill9();
        killedAt = System.currentTimeMillis();
        Thread.sleep(4000);
        pb.close();
        pc.close();
        gotB.addAll(collect(onB, Duration.ofSeconds(2)));
        gotC.addAll(collect(onC, Duration.ofSeconds(2)));

        // 1. Clients on survivors got every acknowledged message of the survivors, in order, once.
        for (List<SseClient.Event> got : List.of(gotB, gotC)) {
          Map<String, List<String>> ids = idsByChannel(got);
          assertEquals(pb.acked, ids.get("res.b"), "res.b on a survivor");
          assertEquals(pc.acked, ids.get("res.c"), "res.c on a survivor");
        }
        assertFalse(pb.acked.isEmpty());

        // 2. The dead node's SSE client resumes on a survivor with its last id and misses nothing.
        String lastSeen = gotA.get(gotA.size() - 1).id();
        try (SseClient resumed = SseClient.open(n2.httpPort, "channel=res.b", lastSeen)) {
          List<String> replayed = collect(resumed, Duration.ofSeconds(2)).stream().map(e -> e.json().getString("id")).toList();
          int from = pb.acked.indexOf(lastSeen) + 1;
          assertEquals(pb.acked.subList(from, pb.acked.size()), replayed, "everything after " + lastSeen);
        }
      }

      // 3. Gone from /api/cluster and from presence, with a leave for its member, within 15 s.
      awaitTrue(() -> new JsonObject(Http.get(n2.httpPort, "/api/cluster").body()).getJsonObject("totals").getInteger("nodes") == 2,
          killedAt, "dead node gone from /api/cluster");
      JsonObject leave = carol.nextMatching(m -> "leave".equals(m.getString("type")) && "alice".equals(m.getString("from")),
          Duration.ofSeconds(15));
      assertEquals("node_left", leave.getJsonObject("data").getString("reason"));
      awaitTrue(() -> names(new JsonObject(Http.get(n3.httpPort, "/api/rooms/it/presence").body()).getJsonArray("members"))
          .equals(List.of("carol")), killedAt, "presence cleaned");

      // 4. The simulator resumes on a survivor: its first reading, timed when it arrived (it has
      // waited in the stream's queue while the checks above ran).
      SseClient.Event reading;
      do {
        reading = sensorsOnC.next(Duration.ofSeconds(15));
      } while (reading.json().getJsonObject("data").getString("node").equals("n1"));
      long moved = reading.received() - killedAt;
      assertTrue(moved < 15_000, "simulator moved within 15 s: " + moved);
      System.out.printf("kill -9: simulator resumed on %s after %d ms%n",
          reading.json().getJsonObject("data").getString("node"), moved);
    }
  }

  @Test
  @DisplayName("SIGTERM: WebSocket clients get 1001, SSE streams end, presence is cleaned, the node leaves and exits in time")
  void sigterm() throws Exception {
    try (ProcessNode n1 = ProcessNode.start(cluster + "-t", "t1", Map.of("sensors.enabled", "false"));
        ProcessNode n2 = ProcessNode.start(cluster + "-t", "t2", Map.of("sensors.enabled", "false"));
        WsTestClient tom = WsTestClient.connect(n1.wsPort);
        WsTestClient ted = WsTestClient.connect(n2.wsPort);
        SseClient sse = SseClient.open(n1.httpPort, "channel=term.x")) {
      tom.request(new JsonObject().put("type", "join").put("room", "t").put("name", "tom"));
      ted.request(new JsonObject().put("type", "join").put("room", "t").put("name", "ted"));
      long t0 = System.currentTimeMillis();
      n1.sigterm();
      assertEquals((short) 1001, tom.awaitClose(Duration.ofSeconds(10)));
      ted.nextMatching(m -> "leave".equals(m.getString("type")) && "tom".equals(m.getString("from")), Duration.ofSeconds(10));
      awaitTrue(sse::ended, t0, "the SSE stream ended cleanly");
      assertTrue(n1.process.waitFor(10, TimeUnit.SECONDS), "exits within shutdown.graceSeconds");
      long exited = System.currentTimeMillis() - t0;
      awaitTrue(() -> new JsonObject(Http.get(n2.httpPort, "/api/cluster").body()).getJsonObject("totals").getInteger("nodes") == 1,
          t0, "left the cluster");
      assertEquals(List.of("ted"), names(new JsonObject(Http.get(n2.httpPort, "/api/rooms/t/presence").body()).getJsonArray("members")));
      System.out.printf("SIGTERM: exited after %d ms%n", exited);
    }
  }

  private static List<String> names(JsonArray members) {
    return members.stream().map(o -> ((JsonObject) o).getString("name")).collect(Collectors.toList());
  }

  private static void awaitTrue(java.util.function.BooleanSupplier cond, long since, String what) throws InterruptedException {
    while (!cond.getAsBoolean()) {
      if (System.currentTimeMillis() - since > 15_000) {
        throw new AssertionError("not within 15 s: " + what);
      }
      Thread.sleep(100);
    }
  }
}
