package io.pulse.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testing.Http;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The newcomer's first minute: clone the repository into an empty directory and type the README's
 * run command, exactly as written. A node must come up on the default port with the dashboard and
 * live sensor events, with nothing built beforehand.
 *
 * <p>It clones the committed HEAD of this checkout (uncommitted changes are not in the clone) and
 * needs {@code git} and {@code mvn} on the PATH, the dependencies in the local Maven repository (the
 * build that runs this test has fetched them) and ports 8080/8081 free.
 */
@Tag("slow")
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class FreshCloneRunIT {

  static final String RUN_COMMAND = "mvn -q exec:java";
  static final int HTTP_PORT = 8080;

  Process node;
  Path clone;

  @Test
  void readmeRunCommandStartsANodeOnAFreshClone() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    assertTrue(readme.contains("\n" + RUN_COMMAND + "\n"),
        "the README shows the run command '" + RUN_COMMAND + "' on a line of its own");
    assertPortFree(HTTP_PORT);
    assertPortFree(HTTP_PORT + 1);

    clone = Files.createTempDirectory("pulse-fresh-clone");
    run(List.of("git", "clone", "--quiet", "--no-hardlinks", Path.of("").toAbsolutePath().toString(),
        clone.toString()), clone.getParent());
    assertTrue(!Files.exists(clone.resolve("target")), "a fresh clone has no build output");

    Path log = clone.resolve("run.log");
    ProcessBuilder pb = new ProcessBuilder(List.of(RUN_COMMAND.split(" "))).directory(clone.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("PULSE_"));
    pb.environment().put("HZ_PHONE_HOME_ENABLED", "false");
    node = pb.start();

    awaitReady(log, Duration.ofMinutes(4));

    HttpResponse<String> page = Http.get(HTTP_PORT, "/");
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"),
        "GET / is the dashboard: " + page.headers().firstValue("Content-Type"));

    List<String> readings = sensorEvents(3, Duration.ofSeconds(30));
    assertEquals(3, readings.size(), "sensor events on /events?channel=sensors.*: " + readings);
    for (String data : readings) {
      assertTrue(data.contains("\"channel\":\"sensors.") && data.contains("\"type\":\"reading\""), data);
    }
  }

  private void awaitReady(Path log, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      if (!node.isAlive()) {
        throw new AssertionError("'" + RUN_COMMAND + "' exited with " + node.exitValue() + ":\n" + tail(log));
      }
      try {
        if (Http.get(HTTP_PORT, "/ready").statusCode() == 200) {
          return;
        }
      } catch (AssertionError notListeningYet) {
        // compiling or joining
      }
      Thread.sleep(500);
    }
    throw new AssertionError("no /ready 200 within " + within + ":\n" + tail(log));
  }

  /** The first {@code n} {@code data:} lines of a sensor stream. */
  private static List<String> sensorEvents(int n, Duration within) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(Http.uri(HTTP_PORT, "/events?channel=sensors.*"))
        .timeout(within).GET().build();
    HttpResponse<Stream<String>> res = Http.CLIENT.send(req, HttpResponse.BodyHandlers.ofLines());
    assertEquals(200, res.statusCode());
    assertTrue(res.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    try (Stream<String> lines = res.body()) {
      return lines.filter(l -> l.startsWith("data: ")).limit(n).toList();
    }
  }

  private static void assertPortFree(int port) {
    try (ServerSocket s = new ServerSocket(port)) {
      s.setReuseAddress(true);
    } catch (IOException e) {
      throw new AssertionError("port " + port + " is in use; the README's run command needs it", e);
    }
  }

  private static void run(List<String> cmd, Path dir) throws Exception {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      out = String.join("\n", r.lines().toList());
    }
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), String.join(" ", cmd) + " did not finish");
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      // SIGTERM to Maven's JVM, which runs the node: its shutdown hook drains it. Then anything left.
      List<ProcessHandle> family = new ArrayList<>(node.descendants().toList());
      node.destroy();
      if (!node.waitFor(30, TimeUnit.SECONDS)) {
        node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      family.forEach(ProcessHandle::destroyForcibly);
    }
    if (clone != null) {
      try (Stream<Path> files = Files.walk(clone)) {
        files.sorted((a, b) -> b.compareTo(a)).forEach(f -> f.toFile().delete());
      }
    }
  }
}
