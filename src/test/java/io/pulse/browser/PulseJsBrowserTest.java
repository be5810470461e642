package io.pulse.browser;


import io.pulse.node.PulseNode;
import io.pulse.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pulse.js example page ({@code webroot/examples/pulse.html}) in headless Chromium, one page on
 * each of two nodes, each importing {@code /pulse.js} from its node: it subscribes to
 * {@code sensors.*} and chats across the nodes ({@code src/test/browser/pulse-example.mjs}). The
 * dashboard on pulse.js is {@link DashboardBrowserTest}'s; pulse.js against node processes, with
 * kill -9, is {@code io.pulse.resilience.PulseJsIT}. Skipped without Chromium, node 20+ and
 * {@code npm ci}, failing instead with {@code CI_REQUIRE_BROWSER=1}.
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PulseJsBrowserTest {

  final TestNodes cluster = new TestNodes();
  PulseNode a;
  PulseNode b;

  @BeforeAll
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void up() {
    a = cluster.start("node-a", new JsonObject().put("sensors.enabled", true).put("sensors.intervalMs", 200));
    b = cluster.start("node-b");
  }

  @AfterAll
  void down() {
    cluster.close();
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  @DisplayName("the example page on two nodes: /pulse.js loads as JavaScript, sensors.* arrives, a room chats both ways")
  void examplePage() throws Exception {
    BridgeBrowserTest.need(DashboardBrowserTest.browserUnavailable() == null, "chromium, node 20+ and npm ci");
    NodeScripts.run("PASS example", Map.of(), "pulse-example.mjs",
        "http://127.0.0.1:" + a.httpPort() + "/", "http://127.0.0.1:" + b.httpPort() + "/");
  }
}
