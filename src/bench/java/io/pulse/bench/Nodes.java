package io.pulse.bench;

import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The nodes of one bench run: either started here, each in a JVM of its own from the Pulse jar
 * (a fresh cluster name, free loopback ports, sensors off, a temporary working directory), or
 * running already ({@code --target}). {@link #close} stops the started ones by their process
 * handle — SIGTERM, then SIGKILL if they are not gone within 15 s — and never anything else.
 */
public final class Nodes implements AutoCloseable {

  /** What a Pulse node on Java 17 needs for Hazelcast, as in the pom's {@code hz.jvm.flags}. */
  static final List<String> JVM_FLAGS = List.of("--add-modules", "java.se",
      "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens", "java.management/sun.management=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
      "-Djava.net.preferIPv4Stack=true", "-Dhazelcast.phone.home.enabled=false");

  private static final int DEFAULT_MAX_CONNECTIONS = 20_000;
  private static final long READY_TIMEOUT_MS = 90_000;

  private final List<Node> nodes = new CopyOnWriteArrayList<>();
  private Path workDir;
  private boolean closed;

  /** An empty set; {@link #attach} or {@link #launch} fills it. */
  Nodes() {
  }

  public List<Node> list() {
    return List.copyOf(nodes);
  }

  /** Running nodes, from their HTTP base URLs; the WebSocket URL comes from {@code /api/config}. */
  void attach(List<String> urls) throws IOException, InterruptedException {
    for (String url : urls) {
      JsonObject config = ControlHttp.json(url + "/api/config");
      String ws = config.getString("wsUrl");
      if (ws == null) {
        throw new IOException(url + "/api/config has no wsUrl");
      }
      nodes.add(new Node("target-" + (nodes.size() + 1), URI.create(url), URI.create(ws), null, null));
    }
  }

  /**
   * Starts {@code args.nodes} nodes in one new cluster and waits until every one is ready and
   * sees the others. On failure the caller's {@link #close} stops whatever was started.
   */
  void launch(BenchArgs args, Pinning pinning, PrintStream out) throws Exception {
    Path jar = args.jar != null ? args.jar : runningJar();
    if (!Files.isRegularFile(jar)) {
      throw new IOException("no Pulse jar at " + jar + " (build it with mvn -DskipTests package, or pass --jar)");
    }
    String cluster = "bench-" + UUID.randomUUID().toString().substring(0, 8);
    workDir = Files.createTempDirectory("pulse-bench-");
    for (int i = 1; i <= args.nodes; i++) {
      synchronized (this) {
        if (closed) {
          throw new IOException("stopped while starting nodes");
        }
        nodes.add(startOne(args, pinning, jar, cluster, "bench-" + i, workDir));
      }
    }
    awaitReady(out);
  }

  private static Node startOne(BenchArgs args, Pinning pinning, Path jar, String cluster, String name, Path dir) throws IOException {
    int http = freePort();
    int ws = freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(JVM_FLAGS);
    cmd.addAll(args.nodeJvmArgs);
    cmd.add("-Dpulse.cluster.name=" + cluster);
    cmd.add("-Dpulse.node.name=" + name);
    cmd.add("-Dpulse.http.host=127.0.0.1");
    cmd.add("-Dpulse.http.port=" + http);
    cmd.add("-Dpulse.ws.host=127.0.0.1");
    cmd.add("-Dpulse.ws.port=" + ws);
    cmd.add("-Dpulse.sensors.enabled=false");
    cmd.add("-Dpulse.shutdown.graceSeconds=3");
    int needed = args.subscribers + 1_000;
    if (needed > DEFAULT_MAX_CONNECTIONS) {
      cmd.add("-Dpulse.limits.maxConnections=" + needed);
    }
    args.nodeConfig.forEach(kv -> cmd.add("-Dpulse." + kv));
    cmd.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
    Path log = dir.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(pinning != null ? pinning.wrapNode(cmd) : cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("PULSE_"));
    Process p = pb.start();
    // Its share of the connections (spread over the nodes in turn); raised before the node listens.
    String fdProblem = FdLimits.ensure(p.pid(), (args.subscribers + args.nodes - 1) / args.nodes + FdLimits.HEADROOM);
    if (fdProblem != null) {
      p.destroyForcibly();
      throw new IOException(name + ": " + fdProblem);
    }
    return new Node(name, URI.create("http://127.0.0.1:" + http), URI.create("ws://127.0.0.1:" + ws + "/ws"), p, log);
  }

  private void awaitReady(PrintStream out) throws Exception {
    long start = System.nanoTime();
    long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
    for (Node n : nodes) {
      while (ControlHttp.status(n.httpBase() + "/ready") != 200) {
        if (!n.process.isAlive()) {
          throw new IOException(n.name + " exited at start:\n" + tail(n.log));
        }
        if (System.currentTimeMillis() > deadline) {
          throw new IOException(n.name + " not ready within " + READY_TIMEOUT_MS / 1000 + " s:\n" + tail(n.log));
        }
        Thread.sleep(200);
      }
    }
    if (nodes.size() > 1) {
      awaitClusterOf(nodes.size(), deadline);
    }
    double took = (System.nanoTime() - start) / 1e9;
    nodes.forEach(n -> out.printf("[bench] node up after %.1f s: %s%n", took, n));
  }

  private void awaitClusterOf(int size, long deadline) throws Exception {
    for (Node n : nodes) {
      while (true) {
        int seen = ControlHttp.json(n.httpBase() + "/api/cluster").getJsonObject("totals").getInteger("nodes", 0);
        if (seen >= size) {
          break;
        }
        if (System.currentTimeMillis() > deadline) {
          throw new IOException(n.name + " sees " + seen + " of " + size + " nodes");
        }
        Thread.sleep(200);
      }
    }
  }

  /**
   * The server jar the bench was started with: the one {@link io.pulse.Main} was loaded from (the bench's own
   * classes are in pulse-bench.jar beside it, which cannot start a node).
   */
  static Path runningJar() {
    try {
      return Path.of(io.pulse.Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (Exception e) {
      return Path.of("target", "pulse.jar");
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Stops every node this run started (by process handle); idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<Process> running = nodes.stream().filter(Node::local).map(n -> n.process).filter(Process::isAlive).toList();
    running.forEach(Process::destroy);
    for (Process p : running) {
      try {
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Deletes the started nodes' working directory and logs (after a successful run). */
  void deleteLogs() {
    if (workDir == null || nodes.stream().anyMatch(n -> n.local() && n.process.isAlive())) {
      return;
    }
    try (Stream<Path> files = Files.walk(workDir)) {
      files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    } catch (IOException e) {
      // left in the temporary directory
    }
  }

  Path workDir() {
    return workDir;
  }
}
