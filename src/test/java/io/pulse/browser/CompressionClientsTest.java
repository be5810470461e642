package io.pulse.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pulse.metrics.PulseMetrics;
import io.pulse.node.PulseNode;
import io.pulse.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * permessage-deflate with the clients users have, in place of Autobahn's compression cases 12.x
 * and 13.x (which the bundled testsuite predates): a plain {@code new WebSocket(url)} in Debian's
 * headless Chromium, and the npm {@code ws} client with {@code perMessageDeflate} and three offers,
 * against a node with {@code ws.compression} on. The client side is
 * {@code src/test/browser/compression.mjs}: through a loopback tap that reads the frame headers, the
 * client publishes a small message, one over {@code ws.compressionMinBytes} and one of 60 kB and
 * gets each back as a delivery, intact; RSV1 must be set on exactly the deliveries Pulse is to
 * compress. Here: the answer the client got, and what the node counted
 * ({@code pulse_ws_upgrades_total{compression}}). Skipped without Chromium, node 20+ and
 * {@code npm ci} in {@code src/test/browser}, or failing when {@code CI_REQUIRE_BROWSER=1}.
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompressionClientsTest {

  static final int MIN_BYTES = 256;
  final TestNodes cluster = new TestNodes();
  PulseNode node;

  @BeforeAll
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void up() {
    node = cluster.start("deflate", new JsonObject()
        .put("ws.compression", true)
        .put("ws.compressionMinBytes", MIN_BYTES)
        // the 60 kB message arrives inside a publish request: the inbound limit must take it
        .put("limits.maxMessageBytes", 65536));
  }

  @AfterAll
  void down() {
    cluster.close();
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  @DisplayName("Chromium's own offer is accepted; small, over-threshold and 60 kB messages intact both ways")
  void chromium() throws Exception {
    BridgeBrowserTest.need(DashboardBrowserTest.browserUnavailable() == null, "chromium, node 20+ and npm ci");
    Map<String, Double> before = upgrades();
    String answer = run("chromium", "http://127.0.0.1:" + node.httpPort() + "/", String.valueOf(node.wsPort()),
        String.valueOf(MIN_BYTES));
    assertEquals("permessage-deflate", answer, "the 101's Sec-WebSocket-Extensions");
    assertCounted(before, "deflate");
  }

  @ParameterizedTest(name = "npm ws, offer {0}: answer {1}")
  @CsvSource(delimiter = '|', value = {
      "default                    | permessage-deflate                            | deflate",
      "client_no_context_takeover | permessage-deflate;client_no_context_takeover | deflate",
      // RFC 7692 §7.1.2.1: a server that cannot narrow its window declines; then no compression
      "server_max_window_bits=10  | (none)                                        | declined",
  })
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void npmWs(String offer, String expected, String counted) throws Exception {
    BridgeBrowserTest.need(DashboardBrowserTest.nodeVersion() != null, "node 20+");
    BridgeBrowserTest.need(Files.isRegularFile(BridgeBrowserTest.DIR.resolve("node_modules/ws/package.json")),
        "src/test/browser/node_modules (npm ci)");
    Map<String, Double> before = upgrades();
    String answer = run("ws", offer, String.valueOf(node.wsPort()), String.valueOf(MIN_BYTES));
    assertEquals(expected, answer, "the 101's Sec-WebSocket-Extensions");
    assertCounted(before, counted);
  }

  Map<String, Double> upgrades() {
    Map<String, Double> counts = new LinkedHashMap<>();
    for (String c : PulseMetrics.WS_COMPRESSION) {
      counts.put(c, node.metrics().count("pulse.ws.upgrades", "compression", c));
    }
    return counts;
  }

  /** The node counted one upgrade since {@code before}, under {@code compression}. */
  void assertCounted(Map<String, Double> before, String compression) {
    Map<String, Double> expected = new LinkedHashMap<>(before);
    expected.merge(compression, 1.0, Double::sum);
    Map<String, Double> after = upgrades();
    System.out.println("[compression] pulse_ws_upgrades_total{compression} on the node: " + after);
    assertEquals(expected, after, "pulse_ws_upgrades_total{compression}");
  }

  /** Runs compression.mjs; returns its ANSWER (the negotiated extension as the client saw it). */
  static String run(String... args) throws IOException, InterruptedException {
    List<String> lines = NodeScripts.run("PASS " + args[0], Map.of(), "compression.mjs", args);
    return lines.stream().filter(l -> l.startsWith("ANSWER ")).map(l -> l.substring(7)).findFirst().orElseThrow();
  }

}
