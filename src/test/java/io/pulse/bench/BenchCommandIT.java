package io.pulse.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testing.ShadedJar;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code java -jar pulse.jar bench} end to end, as a user runs it: small runs that start their
 * own node JVMs, and the report's last line checked figure by figure. The bench comes from
 * {@code pulse-bench.jar} beside the server jar, which holds none of it.
 */
@Tag("slow")
@Timeout(300)
class BenchCommandIT {

  @Test
  void theServerJarHoldsNoBenchAndTheBenchJarOnlyTheBench() throws Exception {
    File server = ShadedJar.file();
    File bench = new File(server.getParentFile(), "pulse-bench.jar");
    assertTrue(bench.isFile(), "no " + bench + " beside the server jar");
    try (JarFile s = new JarFile(server); JarFile b = new JarFile(bench)) {
      assertEquals(List.of(), s.stream().map(ZipEntry::getName).filter(n -> n.startsWith("io/pulse/bench/")).toList());
      assertEquals("pulse-bench.jar", s.getManifest().getMainAttributes().getValue("Class-Path"));
      assertNotNull(b.getEntry("io/pulse/bench/Bench.class"));
      assertNotNull(b.getEntry("META-INF/services/io.pulse.Subcommand"));
      assertEquals(List.of(), b.stream().map(ZipEntry::getName)
          .filter(n -> n.endsWith(".class") && !n.startsWith("io/pulse/bench/")).toList());
    }
  }

  @Test
  void wsFanoutDeliversEverythingAndSplitsTheLatency() throws Exception {
    JsonObject r = bench("--scenario", "ws-fanout", "--subscribers", "200", "--messages", "40", "--rate", "20");
    assertEquals("ws-fanout", r.getString("scenario"));
    assertEquals(1, r.getInteger("nodes"));
    assertEveryDelivery(r, 200, 40);
    assertNotNull(r.getDouble("server_cpu_us_per_delivery"), "the bench started the node, so it reads its CPU");
    assertNotNull(r.getDouble("heap_per_connection_kb"));
  }

  @Test
  void crossNodeCountsOnlyTheSubscribersNode() throws Exception {
    JsonObject r = bench("--scenario", "cross-node", "--subscribers", "100", "--messages", "30", "--rate", "20");
    assertEquals(2, r.getInteger("nodes"));
    assertEquals(10, r.getInteger("local_subscribers"));
    assertEveryDelivery(r, 100, 30);
    assertNotNull(r.getDouble("cross_node_added_p50_ms"));
  }

  /**
   * Every delivery arrived once; the latencies are ordered; the nodes' histograms counted exactly
   * the measured phase's writes on the subscribers' node (no warm-up, nothing from the publisher's
   * node), and a write comes before its receipt.
   */
  private static void assertEveryDelivery(JsonObject r, int subscribers, int messages) {
    long expected = (long) subscribers * messages;
    assertEquals(subscribers, r.getInteger("subscribers"), r::encode);
    assertEquals(messages, r.getInteger("messages"), r::encode);
    assertEquals(0.0, r.getDouble("loss"), r::encode);
    assertEquals(0, r.getInteger("duplicates"), r::encode);
    double p50 = r.getDouble("latency_p50_ms");
    double p99 = r.getDouble("latency_p99_ms");
    assertTrue(p50 > 0 && p50 <= p99 && p99 <= r.getDouble("latency_max_ms"), r::encode);
    assertEquals(expected, r.getLong("server_writes"), r::encode);
    double w50 = r.getDouble("server_write_p50_ms");
    double w99 = r.getDouble("server_write_p99_ms");
    assertTrue(w50 <= w99, r::encode);
    // a bucket estimate can overshoot by the bucket's width: at most 25 ms below 100 ms
    assertTrue(w99 <= Math.max(p99, 1) + 25, "server writes p99 " + w99 + " vs end to end " + p99);
  }

  private static JsonObject bench(String... args) throws Exception {
    Path out = Files.createTempFile("pulse-bench", ".log");
    List<String> cmd = new ArrayList<>(List.of(ShadedJar.java(),
        "-Djava.net.preferIPv4Stack=true", "-Dhazelcast.phone.home.enabled=false", "-jar",
        ShadedJar.file().getPath(), "bench", "--warmup", "1", "--timeout", "200"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("PULSE_"));
    Process p = pb.start();
    try {
      assertTrue(p.waitFor(240, TimeUnit.SECONDS), "bench did not finish: " + Files.readString(out));
      List<String> lines = Files.readAllLines(out);
      assertEquals(0, p.exitValue(), () -> String.join("\n", lines));
      return new JsonObject(lines.get(lines.size() - 1));
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly); // the nodes, if the bench had to be stopped
      p.destroyForcibly();
      Files.deleteIfExists(out);
    }
  }
}
