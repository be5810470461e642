package io.pulse.bench;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.util.List;

/**
 * What a scenario runs with: the parsed arguments, the bench's Vert.x instance (clients only),
 * the nodes, the server probe, a run id for channel names, and the run's hard deadline.
 */
final class BenchContext {

  final BenchArgs args;
  final Vertx vertx;
  final List<Node> nodes;
  final ServerProbe probe;
  final String runId;
  private final long hardDeadline;
  private final PrintStream progress;
  private final long startNanos = System.nanoTime();

  BenchContext(BenchArgs args, Vertx vertx, List<Node> nodes, ServerProbe probe, String runId, long hardDeadline,
      PrintStream progress) {
    this.args = args;
    this.vertx = vertx;
    this.nodes = nodes;
    this.probe = probe;
    this.runId = runId;
    this.hardDeadline = hardDeadline;
    this.progress = progress;
  }

  /** Epoch ms by which a phase must end: {@code millis} from now, but never past the run's deadline. */
  long deadline(long millis) {
    return Math.min(System.currentTimeMillis() + millis, hardDeadline);
  }

  /** A progress line on stderr (stdout carries only the report). */
  void log(String format, Object... values) {
    progress.printf("[bench %6.1f s] %s%n", (System.nanoTime() - startNanos) / 1e9, String.format(format, values));
  }

  /** CPU time of this bench JVM (the clients) in µs. */
  Long selfCpuMicros() {
    return probe.cpuMicros(ProcessHandle.current().pid());
  }

  /** Open connections (WS + SSE) across the cluster, as {@code /api/cluster} on the first node reports them. */
  Integer serverConnections() {
    try {
      JsonObject c = ControlHttp.json(nodes.get(0).httpBase() + "/api/cluster").getJsonObject("totals").getJsonObject("connections");
      return c.getInteger("ws", 0) + c.getInteger("sse", 0);
    } catch (Exception e) {
      return null;
    }
  }

  static void sleep(long millis) throws InterruptedException {
    Thread.sleep(millis);
  }
}
