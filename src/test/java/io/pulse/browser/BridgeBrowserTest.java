package io.pulse.browser;

import static org.junit.jupiter.api.Assertions.fail;

import io.pulse.examples.ModerationVerticle;
import io.pulse.node.PulseNode;
import io.pulse.testing.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The real {@code @vertx/eventbus-bridge-client.js} (npm) against a 3-node cluster, with the
 * example moderation verticle on a fourth member without transports: in Node, and in Chromium on
 * the example page {@code /examples/bridge.html}. The checks are {@code src/test/browser/bridge.mjs}.
 * Needs {@code node} 20+ and {@code npm ci} in {@code src/test/browser} (and Chromium for the page):
 * skipped otherwise, or failing when {@code CI_REQUIRE_BROWSER=1}.
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BridgeBrowserTest {

  static final Path DIR = Path.of("src/test/browser");
  final TestNodes cluster = new TestNodes();
  PulseNode a;
  PulseNode b;
  PulseNode c;

  @BeforeAll
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void up() {
    JsonObject cfg = new JsonObject().put("bridge.inbound", new JsonArray().add("app.*"));
    a = cluster.start("node-a", cfg.copy().put("sensors.enabled", true).put("sensors.intervalMs", 200));
    b = cluster.start("node-b", cfg);
    c = cluster.start("node-c", cfg);
    Vertx backend = cluster.startPlain("backend");
    TestNodes.await(backend.deployVerticle(new ModerationVerticle()));
  }

  @AfterAll
  void down() {
    cluster.close();
  }

  static void need(boolean ok, String what) {
    if (!ok && "1".equals(System.getenv("CI_REQUIRE_BROWSER"))) {
      fail("missing " + what + " (CI_REQUIRE_BROWSER=1)");
    }
    Assumptions.assumeTrue(ok, () -> "skipped: needs " + what);
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  @DisplayName("the npm client in Node: channels, publish, request/reply across nodes, no handler, denied, bad channel")
  void inNode() throws Exception {
    need(DashboardBrowserTest.nodeVersion() != null, "node 20+");
    need(Files.isRegularFile(DIR.resolve("node_modules/@vertx/eventbus-bridge-client.js/package.json")),
        "src/test/browser/node_modules (npm ci)");
    run("node", "http://127.0.0.1:" + b.httpPort() + "/");
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  @DisplayName("the example page in Chromium (vendored client files): the same checks, and its own buttons")
  void inChromium() throws Exception {
    need(DashboardBrowserTest.browserUnavailable() == null, "chromium, node 20+ and npm ci");
    run("page", "http://127.0.0.1:" + a.httpPort() + "/");
  }

  static void run(String mode, String url) throws IOException, InterruptedException {
    NodeScripts.run("PASS " + mode, Map.of(), "bridge.mjs", mode, url);
  }

}
