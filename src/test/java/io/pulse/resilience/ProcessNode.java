package io.pulse.resilience;

import io.pulse.testing.Http;
import io.pulse.testing.ShadedJar;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Pulse node in a JVM of its own, from the shaded jar: what a failure test needs when a
 * process must die. Started by this test, stopped only by its PID.
 */
final class ProcessNode implements AutoCloseable {

  final String name;
  final int httpPort;
  final int wsPort;
  final Process process;
  final Path log;

  private ProcessNode(String name, int httpPort, int wsPort, Process process, Path log) {
    this.name = name;
    this.httpPort = httpPort;
    this.wsPort = wsPort;
    this.process = process;
    this.log = log;
  }

  /** Starts a node and waits until /ready answers 200. */
  static ProcessNode start(String cluster, String name, Map<String, String> config) throws Exception {
    return start(cluster, name, config, List.of());
  }

  /** The same, the java command prefixed by {@code launcher} (for example {@code setpriv --regid=…}). */
  static ProcessNode start(String cluster, String name, Map<String, String> config, List<String> launcher)
      throws Exception {
    File jar = ShadedJar.file();
    int http = freePort();
    int ws = freePort();
    Path dir = Files.createTempDirectory("pulse-it-" + name);
    Path log = dir.resolve("node.log");
    List<String> cmd = new ArrayList<>(launcher);
    cmd.addAll(List.of(ShadedJar.java(),
        "-Xmx256m", "-Djava.net.preferIPv4Stack=true", "-Dhazelcast.phone.home.enabled=false",
        "-Dpulse.cluster.name=" + cluster, "-Dpulse.node.name=" + name,
        "-Dpulse.http.port=" + http, "-Dpulse.ws.port=" + ws));
    config.forEach((k, v) -> cmd.add("-Dpulse." + k + "=" + v));
    cmd.addAll(List.of("-jar", jar.getPath()));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("PULSE_"));
    ProcessNode node = new ProcessNode(name, http, ws, pb.start(), log);
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      if (!node.process.isAlive()) {
        throw new AssertionError(name + " exited at start: " + Files.readString(log));
      }
      try {
        if (Http.get(http, "/ready").statusCode() == 200) {
          return node;
        }
      } catch (AssertionError notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    node.close();
    throw new AssertionError(name + " not ready within 60 s: " + Files.readString(log));
  }

  /** SIGKILL: the process dies without a word to the cluster. */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM: the shutdown hook drains the node. */
  void sigterm() {
    process.destroy();
  }

  long pid() {
    return process.pid();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
