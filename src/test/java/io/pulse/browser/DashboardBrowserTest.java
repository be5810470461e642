package io.pulse.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pulse.node.PulseNode;
import io.pulse.testing.Http;
import io.pulse.testing.TestNodes;
import io.pulse.testing.WsTestClient;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The dashboard in a real headless Chromium, against real clustered nodes in this JVM.
 *
 * <p>The browser side is {@code src/test/browser/dashboard.mjs} (playwright-core driving Debian's
 * {@code /usr/bin/chromium}; no browser download), run here with {@code node} as a subprocess per
 * scenario. Needs {@code chromium}, {@code node} (20+) and {@code npm ci} in {@code src/test/browser}:
 * without them every test is skipped, saying what is missing, or the class fails when
 * {@code CI_REQUIRE_BROWSER=1}. {@code CHROMIUM_PATH} overrides {@code /usr/bin/chromium}.
 *
 * <p>Screenshot: {@code target/dashboard.png} on every run; also {@code src/test/browser/dashboard.png}
 * (the README's picture) with {@code -Dpulse.updateScreenshot=true} or {@code UPDATE_SCREENSHOT=1}.
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {

  static final Path DIR = Path.of("src/test/browser");
  static final Path SCRIPT = DIR.resolve("dashboard.mjs");
  static final String CHROMIUM = System.getenv().getOrDefault("CHROMIUM_PATH", "/usr/bin/chromium");
  static final Duration RUN_TIMEOUT = Duration.ofSeconds(90);

  final TestNodes cluster = new TestNodes();
  PulseNode a;
  PulseNode b;
  PulseNode c;
  int cHttpPort;
  int cWsPort;

  /** Why the browser cannot run here (then every test is skipped), or null. */
  String unavailable;

  @BeforeAll
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void up() throws IOException {
    unavailable = browserUnavailable();
    if (unavailable != null) {
      if ("1".equals(System.getenv("CI_REQUIRE_BROWSER"))) {
        fail(unavailable + " (CI_REQUIRE_BROWSER=1)");
      }
      System.out.println("[browser] skipping: " + unavailable);
      return;
    }
    // node-a runs the simulator, fast; node-c has fixed ports so that it can be restarted in place.
    a = cluster.start("node-a", new JsonObject().put("sensors.enabled", true).put("sensors.intervalMs", 200));
    b = cluster.start("node-b");
    int[] ports = freePorts(2);
    cHttpPort = ports[0];
    cWsPort = ports[1];
    c = cluster.start("node-c", fixedPorts());
  }

  @BeforeEach
  void needBrowser() {
    Assumptions.assumeTrue(unavailable == null, () -> unavailable);
  }

  @AfterAll
  void down() {
    cluster.close();
  }

  JsonObject fixedPorts() {
    return new JsonObject().put("http.port", cHttpPort).put("ws.port", cWsPort);
  }

  @Test
  @Order(1)
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  @DisplayName("(a) page loads without console errors, sensors move, header and cluster panel name the node; screenshot")
  void pageLoadsAndSensorsMove() throws Exception {
    Path shot = Path.of("target", "dashboard.png");
    Files.deleteIfExists(shot);
    boolean update = Boolean.getBoolean("pulse.updateScreenshot") || "1".equals(System.getenv("UPDATE_SCREENSHOT"));
    // Someone to talk to, on another node, so that the page (and the picture) shows a conversation.
    try (WsTestClient bob = WsTestClient.connect(b.wsPort())) {
      assertEquals("joined", bob.request(new JsonObject().put("type", "join").put("room", "lobby").put("name", "bob"))
          .getString("type"));
      assertEquals("sent", bob.request(new JsonObject().put("type", "chat").put("room", "lobby")
          .put("text", "Morning! Floor 2 sensors look calm today.")).getString("type"));
      List<String> args = new ArrayList<>(List.of("smoke", url(a), "node-a", "3", shot.toAbsolutePath().toString()));
      if (update) {
        args.add(DIR.resolve("dashboard.png").toAbsolutePath().toString());
      }
      try (Run run = Run.start(args)) {
        run.finish("smoke");
      }
    }
    assertTrue(Files.size(shot) > 10_000, "screenshot written: " + shot);
  }

  @Test
  @Order(2)
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  @DisplayName("(b) two browsers on two nodes chat and see each other in the member list")
  void twoNodesChat() throws Exception {
    try (Run run = Run.start(List.of("chat", url(a), "node-a", url(b), "node-b"))) {
      run.finish("chat");
    }
  }

  @Test
  @Order(3)
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  @DisplayName("(c) the page survives a restart of its node: reconnects, live data again, chat resumes with since")
  void pageSurvivesNodeRestart() throws Exception {
    String missed = "said while node-c was down " + System.nanoTime();
    try (Run run = Run.start(List.of("restart", "http://127.0.0.1:" + cHttpPort + "/", "node-c", missed))) {
      run.awaitLine("READY", RUN_TIMEOUT);
      cluster.stop(c);
      Http.publish(a.httpPort(), "chat.lobby", "chat", new JsonObject().put("text", missed));
      c = cluster.start("node-c", fixedPorts());
      run.send("RESTARTED " + c.nodeId());
      run.finish("restart");
    }
  }

  static String url(PulseNode node) {
    return "http://127.0.0.1:" + node.httpPort() + "/";
  }

  static int[] freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0);
        s.setReuseAddress(true);
        sockets.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        s.close();
      }
    }
  }

  /** What is missing to run the browser (Chromium, node 20+, playwright-core), or null. */
  static String browserUnavailable() {
    List<String> missing = new ArrayList<>();
    if (!Files.isExecutable(Path.of(CHROMIUM))) {
      missing.add(CHROMIUM + " (apt-get install -y chromium)");
    }
    if (nodeVersion() == null) {
      missing.add("node 20+ on the PATH");
    }
    if (!Files.isRegularFile(DIR.resolve("node_modules/playwright-core/package.json"))) {
      missing.add("src/test/browser/node_modules (cd src/test/browser && npm ci)");
    }
    return missing.isEmpty() ? null : "the browser test needs " + String.join(", ", missing);
  }

  static String nodeVersion() {
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return null;
      }
      int major = Integer.parseInt(out.replaceFirst("^v(\\d+).*$", "$1"));
      return major >= 20 ? out : null;
    } catch (IOException | NumberFormatException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** One run of dashboard.mjs: its output is echoed and kept; it ends by itself or is killed. */
  static final class Run implements AutoCloseable {
    final Process process;
    final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final Writer stdin;
    private final Thread reader;
    private volatile String awaited;
    private final CompletableFuture<Void> seen = new CompletableFuture<>();

    private Run(Process process) {
      this.process = process;
      this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      this.reader = new Thread(this::read, "dashboard.mjs output");
      this.reader.setDaemon(true);
      this.reader.start();
    }

    static Run start(List<String> args) throws IOException {
      List<String> cmd = new ArrayList<>(List.of("node", SCRIPT.getFileName().toString()));
      cmd.addAll(args);
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true);
      pb.environment().put("CHROMIUM_PATH", CHROMIUM);
      System.out.println("[browser] $ " + String.join(" ", cmd));
      return new Run(pb.start());
    }

    private void read() {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          System.out.println("[browser] " + line);
          lines.add(line);
          if (line.equals(awaited)) {
            seen.complete(null);
          }
        }
      } catch (IOException e) {
        // the process was killed
      }
    }

    /** Waits for a line of output equal to {@code line}. */
    void awaitLine(String line, Duration timeout) throws Exception {
      awaited = line;
      synchronized (lines) {
        if (lines.contains(line)) {
          return;
        }
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        try {
          seen.get(200, TimeUnit.MILLISECONDS);
          return;
        } catch (TimeoutException e) {
          if (!process.isAlive()) {
            reader.join(2000);
            fail("dashboard.mjs ended (exit " + process.exitValue() + ") before printing " + line + ":\n" + output());
          }
        }
      }
      kill();
      fail("dashboard.mjs did not print " + line + " within " + timeout + ":\n" + output());
    }

    void send(String line) throws IOException {
      stdin.write(line + "\n");
      stdin.flush();
    }

    /** Waits for the end and asserts exit code 0 and a last line "PASS mode". */
    void finish(String mode) throws Exception {
      if (!process.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        kill();
        fail("dashboard.mjs " + mode + " did not finish within " + RUN_TIMEOUT + ":\n" + output());
      }
      reader.join(5000);
      String last;
      synchronized (lines) {
        last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
      }
      if (process.exitValue() != 0 || !last.equals("PASS " + mode)) {
        String failure = lines.stream().filter(l -> l.startsWith("FAIL")).findFirst().orElse("exit " + process.exitValue());
        fail("browser check failed: " + failure + "\n" + output());
      }
    }

    /** Kills the run if a failed check left it waiting. */
    @Override
    public void close() {
      if (process.isAlive()) {
        kill();
      }
    }

    private void kill() {
      // the node process and the Chromium it started: ours, ended by PID
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }

    private String output() {
      synchronized (lines) {
        return String.join("\n", lines);
      }
    }
  }
}
