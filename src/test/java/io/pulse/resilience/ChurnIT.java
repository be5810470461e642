package io.pulse.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testing.Http;
import io.pulse.testing.SseClient;
import io.pulse.testing.WsTestClient;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Churn soak: 10,000 connect–subscribe–disconnect cycles (half WebSocket, half SSE, rooms too)
 * against one node process, then heap after GC, file descriptors, event-bus registrations and
 * the cluster's presence must be back at their baseline.
 */
@Tag("slow")
@Timeout(600)
class ChurnIT {

  static final int CYCLES_PER_TRANSPORT = 5000;

  @Test
  @DisplayName("10,000 connect-subscribe-disconnect cycles leave heap, fds, registrations and presence at baseline")
  void churn() throws Exception {
    try (ProcessNode node = ProcessNode.start("it-" + UUID.randomUUID(), "churn",
        Map.of("sensors.enabled", "false", "limits.inboundPerSecond", "1000", "limits.inboundBurst", "1000"))) {
      cycles(node, 300); // warm up: JIT, pools, proxies
      Snapshot before = Snapshot.of(node);
      long t0 = System.nanoTime();
      cycles(node, CYCLES_PER_TRANSPORT);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      awaitZeroConnections(node);
      Snapshot after = Snapshot.of(node);
      System.out.printf("churn: %d cycles in %d ms (%.0f/s); heap %d -> %d KB, fds %d -> %d, eventbus handlers %d -> %d%n",
          2 * CYCLES_PER_TRANSPORT, ms, 2000.0 * CYCLES_PER_TRANSPORT / ms, before.heapKb, after.heapKb,
          before.fds, after.fds, before.handlers, after.handlers);
      assertEquals(before.handlers, after.handlers, "event-bus registrations back at baseline");
      assertTrue(after.fds <= before.fds + 10, "file descriptors back at baseline: " + before.fds + " -> " + after.fds);
      assertTrue(after.heapKb <= before.heapKb + 8 * 1024,
          "heap after GC back near baseline: " + before.heapKb + " -> " + after.heapKb + " KB");
      JsonObject presence = new JsonObject(Http.get(node.httpPort, "/api/rooms/churn/presence").body());
      assertEquals(0, presence.getJsonArray("members").size(), "presence empty again");
    }
  }

  private static void cycles(ProcessNode node, int n) {
    for (int i = 0; i < n; i++) {
      try (WsTestClient ws = WsTestClient.connect(node.wsPort)) {
        ws.request(new JsonObject().put("type", "subscribe").put("channel", "churn.c" + (i % 50)));
        if (i % 10 == 0) {
          ws.request(new JsonObject().put("type", "join").put("room", "churn").put("name", "u" + (i % 7)));
        }
      }
      try (SseClient sse = SseClient.open(node.httpPort, "channel=churn.s" + (i % 50))) {
        assertEquals(200, sse.status);
      }
    }
  }

  private static void awaitZeroConnections(ProcessNode node) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      String m = Http.get(node.httpPort, "/metrics").body();
      if (gauge(m, "pulse_connections{transport=\"ws\"}") == 0 && gauge(m, "pulse_connections{transport=\"sse\"}") == 0) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("connections never went back to 0");
  }

  static double gauge(String metrics, String series) {
    Matcher m = Pattern.compile("^" + Pattern.quote(series) + " ([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  /** Heap after a full GC, open file descriptors, event-bus handlers of the node process. */
  record Snapshot(long heapKb, int fds, int handlers) {
    static Snapshot of(ProcessNode node) throws Exception {
      String pid = Long.toString(node.pid());
      run("jcmd", pid, "GC.run");
      String info = run("jcmd", pid, "GC.heap_info");
      Matcher used = Pattern.compile("used (\\d+)K").matcher(info);
      long heap = used.find() ? Long.parseLong(used.group(1)) : -1;
      int fds;
      try (var list = Files.list(Path.of("/proc", pid, "fd"))) {
        fds = (int) list.count();
      }
      int handlers = (int) gauge(Http.get(node.httpPort, "/metrics").body(), "vertx_eventbus_handlers");
      return new Snapshot(heap, fds, handlers);
    }
  }

  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }
}
