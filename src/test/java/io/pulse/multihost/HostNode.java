package io.pulse.multihost;

import io.pulse.testing.Http;
import io.pulse.testing.ShadedJar;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Pulse node JVM on a host of a {@link TestNetwork}, configured as deploying.md says for a
 * machine of its own: {@code PULSE_CLUSTER_HOST} = the host's address, {@code PULSE_CLUSTER_MEMBERS}
 * = every node's address, the default ports (8080, 8081, Hazelcast 5701) and the cluster.xml in
 * the jar. The test reaches it through relay ports on 127.0.0.1 whose connections start on the
 * client host. Stopped only through its own process handle. {@code -Dnetns.nodeFlags="…"} adds
 * JVM flags (for example another logback configuration while debugging).
 */
final class HostNode implements AutoCloseable {

  final String host;
  final String name;
  final String address;
  final Process process;
  final Path log;
  /** Relay ports on 127.0.0.1 to this node's HTTP and WebSocket ports, from the client host. */
  final int httpPort;
  final int wsPort;

  private HostNode(String host, String name, String address, Process process, Path log, int httpPort, int wsPort) {
    this.host = host;
    this.name = name;
    this.address = address;
    this.process = process;
    this.log = log;
    this.httpPort = httpPort;
    this.wsPort = wsPort;
  }

  /**
   * Starts the node's JVM inside {@code host} and returns at once ({@link #awaitReady}).
   * {@code env}: more {@code PULSE_*} variables; {@code props}: test knobs as {@code -Dpulse.*}.
   */
  static HostNode launch(TestNetwork net, String host, String nodeName, String members, Map<String, String> env,
      Map<String, String> props, int httpRelay, int wsRelay) throws Exception {
    Path dir = Files.createTempDirectory("pulse-mh-" + nodeName);
    Path log = dir.resolve("node.log");
    List<String> java = new ArrayList<>(List.of(ShadedJar.java(), "-Xmx256m"));
    String extra = System.getProperty("netns.nodeFlags", "").trim();
    if (!extra.isEmpty()) {
      java.addAll(List.of(extra.split("\\s+")));
    }
    props.forEach((k, v) -> java.add("-Dpulse." + k + "=" + v));
    java.addAll(List.of("-jar", ShadedJar.file().getPath()));
    ProcessBuilder pb = new ProcessBuilder(net.inHost(host, java)).directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("PULSE_"));
    pb.environment().put("PULSE_NODE_NAME", nodeName);
    pb.environment().put("PULSE_CLUSTER_HOST", net.address(host));
    pb.environment().put("PULSE_CLUSTER_MEMBERS", members);
    pb.environment().putAll(env);
    return new HostNode(host, nodeName, net.address(host), pb.start(), log, httpRelay, wsRelay);
  }

  /** Waits until {@code /ready} answers 200 through the relay. */
  HostNode awaitReady(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError(name + " exited at start: " + Files.readString(log));
      }
      try {
        if (Http.get(httpPort, "/ready").statusCode() == 200) {
          return this;
        }
      } catch (AssertionError notYet) {
        // not listening yet: the relay closes the connection
      }
      Thread.sleep(200);
    }
    throw new AssertionError(name + " not ready within " + timeout + ": " + Files.readString(log));
  }

  /** SIGKILL: the JVM dies without a word; its host stays up (its kernel closes the sockets). */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
