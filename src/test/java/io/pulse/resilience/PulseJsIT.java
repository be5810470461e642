package io.pulse.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * pulse.js, the client every node serves at {@code /pulse.js}, in Node with the npm {@code ws}
 * package against real node processes: {@code node --test src/test/browser/pulse.test.mjs}, given
 * two dev-mode nodes of one cluster and a jwt-mode node. The script covers subscribe, publish,
 * rooms, presence, errors, backoff bounds, a dead peer found by the heartbeat (a loopback proxy that
 * stops forwarding), token refresh, 4002 and 1008, and last kills n1 with SIGKILL (by the PID given
 * here) while messages are published: the client resumes through n2 and receives every message
 * once, in order. Needs node 20+ and {@code npm ci} in {@code src/test/browser}: skipped without,
 * failing with {@code CI_REQUIRE_BROWSER=1}.
 */
@Tag("slow")
@Timeout(300)
class PulseJsIT {

  static final Path DIR = Path.of("src/test/browser");
  static final String SECRET = "pulse-js-it-secret-long-enough-for-hs256";
  static final String API_KEY = "pulse-js-it-api-key-0123";

  @Test
  @DisplayName("node --test pulse.test.mjs: the client against two dev nodes and a jwt node, kill -9 last")
  void nodeTestRunner() throws Exception {
    String missing = missing();
    if (missing != null) {
      if ("1".equals(System.getenv("CI_REQUIRE_BROWSER"))) {
        fail(missing + " (CI_REQUIRE_BROWSER=1)");
      }
      Assumptions.abort("skipped: needs " + missing);
    }
    String cluster = "it-pjs-" + UUID.randomUUID();
    // history.size: the window must hold what is published while the client fails over
    Map<String, String> dev = Map.of("sensors.enabled", "false", "history.size", "1000");
    try (ProcessNode n1 = ProcessNode.start(cluster, "n1", dev);
        ProcessNode n2 = ProcessNode.start(cluster, "n2", dev);
        ProcessNode j1 = ProcessNode.start(cluster + "-jwt", "j1", Map.of("sensors.enabled", "false",
            "auth.mode", "jwt", "auth.jwt.key", SECRET, "auth.apiKey", API_KEY))) {
      ProcessBuilder pb = new ProcessBuilder("node", "--test", "--test-reporter=spec", "pulse.test.mjs")
          .directory(DIR.toFile()).redirectErrorStream(true);
      pb.environment().put("PJS_NODES", new JsonArray().add(describe(n1)).add(describe(n2)).encode());
      pb.environment().put("PJS_JWT", describe(j1).put("secret", SECRET).put("apiKey", API_KEY).encode());
      System.out.println("[pulse.js] $ node --test pulse.test.mjs (n1 pid " + n1.pid() + ", n2 pid " + n2.pid()
          + ", j1 pid " + j1.pid() + ")");
      Process node = pb.start();
      List<String> lines = Collections.synchronizedList(new ArrayList<>());
      Thread reader = new Thread(() -> read(node, lines), "pulse.test.mjs output");
      reader.setDaemon(true);
      reader.start();
      boolean done = node.waitFor(240, TimeUnit.SECONDS);
      if (!done) {
        node.descendants().forEach(ProcessHandle::destroyForcibly); // ours, by PID
        node.destroyForcibly();
      }
      reader.join(5000);
      String out;
      synchronized (lines) {
        out = String.join("\n", lines);
      }
      assertTrue(done, "node --test finished within 240 s:\n" + out);
      assertEquals(0, node.exitValue(), "node --test pulse.test.mjs failed:\n" + out);
      assertTrue(out.contains("fail 0"), out);
      assertTrue(lines.stream().anyMatch(l -> l.startsWith("KILL9 ")), "the kill -9 test reported its counts");
      assertFalse(n1.process.isAlive(), "the script killed n1");
    }
  }

  static JsonObject describe(ProcessNode n) {
    return new JsonObject().put("name", n.name).put("http", n.httpPort).put("ws", n.wsPort).put("pid", n.pid());
  }

  static void read(Process p, List<String> lines) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        System.out.println("[pulse.js] " + line);
        lines.add(line);
      }
    } catch (IOException e) {
      // the process was killed
    }
  }

  /** What is missing to run the script (node 20+, npm ci), or null. */
  static String missing() {
    List<String> missing = new ArrayList<>();
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS) || Integer.parseInt(v.replaceFirst("^v(\\d+).*$", "$1")) < 20) {
        missing.add("node 20+");
      }
    } catch (IOException | NumberFormatException e) {
      missing.add("node 20+ on the PATH");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      missing.add("node 20+");
    }
    if (!Files.isRegularFile(DIR.resolve("node_modules/ws/package.json"))) {
      missing.add("src/test/browser/node_modules (cd src/test/browser && npm ci)");
    }
    return missing.isEmpty() ? null : String.join(", ", missing);
  }
}
