package io.pulse.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.conn.NodeState;
import io.pulse.node.PulseNode;
import io.pulse.testing.Await;
import io.pulse.testing.Http;
import io.pulse.testing.SseClient;
import io.pulse.testing.TestNodes;
import io.pulse.testing.WsTestClient;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** /metrics, /ready and the cluster.stats stream on a real node with real traffic. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(120)
class MetricsTest {

  final TestNodes cluster = new TestNodes();
  PulseNode node;
  int port;

  @BeforeAll
  void up() {
    node = cluster.start("metrics");
    port = node.httpPort();
  }

  @AfterAll
  void down() {
    cluster.close();
  }

  @Test
  @Order(1)
  @DisplayName("the pulse_* meters move with real traffic")
  void metersMove() {
    String before = scrape();
    double published0 = value(before, "pulse_messages_published_total", "");
    double delivered0 = value(before, "pulse_messages_delivered_total", "transport=\"sse\"");
    double latency0 = value(before, "pulse_delivery_latency_seconds_count", "");
    double flushes0 = value(before, "pulse_delivery_flushes_total", "transport=\"sse\"");
    try (SseClient sse = SseClient.open(port, "channel=m.a&channel=m.b.*")) {
      sse.awaitLive(port, "m.a");
      String during = scrape();
      assertEquals(1, value(during, "pulse_connections", "transport=\"sse\""));
      assertEquals(2, value(during, "pulse_subscriptions", "transport=\"sse\""));
      double published1 = value(during, "pulse_messages_published_total", "");
      for (int i = 0; i < 5; i++) {
        Http.publish(port, "m.a", "n", i);
      }
      sse.take(5, Duration.ofSeconds(10));
      Http.get(port, "/events?channel=bad..channel");
      String after = scrape();
      // the node publishes its own cluster.stats once a second: at most one or two of those fall in here
      double grown = value(after, "pulse_messages_published_total", "") - published1;
      assertTrue(grown >= 5 && grown <= 7, "the 5 publishes counted: " + grown);
      assertTrue(value(after, "pulse_messages_delivered_total", "transport=\"sse\"") >= delivered0 + 5);
      assertTrue(value(after, "pulse_delivery_latency_seconds_count", "") >= latency0 + 5);
      double flushes = value(after, "pulse_delivery_flushes_total", "transport=\"sse\"") - flushes0;
      assertTrue(flushes >= 1 && flushes <= value(after, "pulse_messages_delivered_total", "transport=\"sse\"") - delivered0,
          "at least one flush, at most one per delivery: " + flushes);
      assertTrue(value(after, "pulse_refused_total", "reason=\"bad_request\"") >= 1);
      assertTrue(published1 > published0, "probes were published too");
      assertEquals(1, value(after, "pulse_cluster_nodes", ""));
      assertTrue(after.contains("pulse_delivery_latency_seconds_bucket{le=\"0.005\"}")
          && after.contains("pulse_delivery_latency_seconds_bucket{le=\"0.04\"}"), "histogram buckets");
      assertTrue(after.contains("pulse_event_loop_lag_seconds"));
      for (String t : new String[] {"sse", "ws"}) {
        assertTrue(after.contains("pulse_conflated_total{transport=\"" + t + "\"}"), "pulse_conflated_total " + t);
        assertTrue(after.contains("pulse_conflation_pending{transport=\"" + t + "\"}"), "pulse_conflation_pending " + t);
        assertTrue(after.contains("pulse_conflation_pending_bytes{transport=\"" + t + "\"}"), "pending bytes " + t);
      }
      assertTrue(after.contains("jvm_memory_used_bytes"), "JVM metrics are on");
      assertTrue(after.contains("vertx_http_server_requests_total"), "Vert.x metrics are on");
    }
    Await.until(() -> value(scrape(), "pulse_connections", "transport=\"sse\"") == 0, Duration.ofSeconds(10),
        "no SSE connection left");
    String end = scrape();
    assertTrue(value(end, "pulse_disconnects_total", "reason=\"client_closed\",transport=\"sse\"") >= 1,
        end.lines().filter(l -> l.startsWith("pulse_disconnects")).toList().toString());
  }

  @Test
  @Order(1)
  @DisplayName("pulse_ws_upgrades_total: with ws.compression off, an offer of permessage-deflate counts as off")
  void wsUpgradesWithoutCompression() {
    double off = value(scrape(), "pulse_ws_upgrades_total", "compression=\"off\"");
    double none = value(scrape(), "pulse_ws_upgrades_total", "compression=\"none\"");
    try (WsTestClient offering = WsTestClient.connectCompressed(node.wsPort());
        WsTestClient plain = WsTestClient.connect(node.wsPort())) {
      Await.until(() -> value(scrape(), "pulse_ws_upgrades_total", "compression=\"off\"") == off + 1
          && value(scrape(), "pulse_ws_upgrades_total", "compression=\"none\"") == none + 1,
          Duration.ofSeconds(10), "one upgrade counted as off, one as none");
    }
    String text = scrape();
    assertEquals(0, value(text, "pulse_ws_upgrades_total", "compression=\"deflate\""));
    assertEquals(0, value(text, "pulse_ws_upgrades_total", "compression=\"declined\""));
  }

  @Test
  @Order(2)
  @DisplayName("the output passes promtool check metrics")
  void promtool(@TempDir Path dir) throws Exception {
    String promtool = findPromtool();
    if (promtool == null) {
      if ("1".equals(System.getenv("CI_REQUIRE_PROMTOOL"))) {
        org.junit.jupiter.api.Assertions.fail("promtool is required (CI_REQUIRE_PROMTOOL=1) but was not found");
      }
      Assumptions.abort("promtool not found (set PROMTOOL or put it on PATH; .ci/run provides it)");
    }
    Path file = dir.resolve("metrics.txt");
    Files.writeString(file, scrape());
    Files.copy(file, Path.of("target", "metrics-sample.txt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Process p = new ProcessBuilder(promtool, "check", "metrics").redirectInput(file.toFile())
        .redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), "promtool: " + out);
    assertEquals("", out.trim(), "no lint problems");
  }

  @Test
  @Order(3)
  @DisplayName("every node publishes its statistics on cluster.stats every second")
  void clusterStatsStream() {
    try (SseClient sse = SseClient.open(port, "channel=cluster.*")) {
      // The first statistics may have been taken just before this stream was counted: the next
      // ones (a second later) must count it.
      JsonObject env = null;
      JsonObject data = null;
      for (int i = 0; i < 3; i++) {
        env = sse.next(Duration.ofSeconds(5)).json();
        assertEquals("cluster.stats", env.getString("channel"));
        assertEquals("stats", env.getString("type"));
        data = env.getJsonObject("data");
        assertEquals(node.nodeId(), data.getString("id"));
        if (data.getJsonObject("connections").getInteger("sse") == 1) {
          break;
        }
      }
      assertEquals(1, data.getJsonObject("connections").getInteger("sse"), "counts this very stream");
      JsonObject stats = data.getJsonObject("stats");
      assertTrue(stats.getLong("published") > 0 && stats.getLong("heapUsedBytes") > 0, stats.encode());
      assertTrue(stats.containsKey("eventLoopLagMs") && stats.containsKey("delivered") && stats.containsKey("dropped"));
      long t0 = env.getLong("ts");
      long t1 = sse.next(Duration.ofSeconds(5)).json().getLong("ts");
      assertTrue(t1 - t0 >= 500 && t1 - t0 <= 2500, "about every second: " + (t1 - t0));
    }
  }

  @Test
  @Order(4)
  @DisplayName("/health stays UP and /ready turns 503 while draining; new streams are told to retry later")
  void readinessWhileDraining() {
    assertEquals(200, Http.get(port, "/ready").statusCode());
    NodeState.of(node.vertx()).markDraining();
    assertEquals(503, Http.get(port, "/ready").statusCode());
    assertEquals("DRAINING", new JsonObject(Http.get(port, "/ready").body()).getString("status"));
    assertEquals(200, Http.get(port, "/health").statusCode());
    SseClient refused = SseClient.open(port, "channel=m.late");
    assertEquals(200, refused.status);
    Await.until(refused::ended, Duration.ofSeconds(10), "the refused stream ends");
    assertTrue(refused.retry >= 10_000);
    refused.close();
  }

  private String scrape() {
    return Http.get(port, "/metrics").body();
  }

  /** The value of one sample: {@code name{labels}} (labels in exposition order), 0 when absent. */
  static double value(String text, String name, String labels) {
    Pattern p = Pattern.compile("^" + Pattern.quote(name) + (labels.isEmpty() ? "(?:\\{\\})?" : "\\{" + Pattern.quote(labels) + "[^}]*\\}")
        + " ([0-9.eE+-]+)$", Pattern.MULTILINE);
    Matcher m = p.matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private static String findPromtool() {
    String env = System.getenv("PROMTOOL");
    if (env != null && new File(env).canExecute()) {
      return env;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(dir, "promtool");
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    return null;
  }
}
