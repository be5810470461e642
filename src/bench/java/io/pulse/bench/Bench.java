package io.pulse.bench;

import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar pulse.jar bench --scenario …}: drives real WebSocket and SSE clients over
 * loopback against Pulse nodes it starts (or {@code --target} nodes) and prints a table, then one
 * line of JSON. See {@link BenchArgs#USAGE} and src/site/markdown/performance.md.
 *
 * <p>Everything is bounded: each phase has its own limit and {@code --timeout} caps the run. The
 * nodes it started are stopped on every exit path — normal end, failure, timeout, Ctrl-C.
 * Exit codes: 0 done (a report was printed), 1 the run failed, 2 bad arguments.
 */
public final class Bench {

  private Bench() {
  }

  public static void main(String[] args) {
    System.setProperty("java.net.preferIPv4Stack", "true");
    System.exit(run(args, System.out, System.err));
  }

  /** Runs one bench; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    BenchArgs parsed;
    try {
      parsed = BenchArgs.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("pulse bench: " + e.getMessage());
      err.println(BenchArgs.USAGE);
      return 2;
    }
    if (parsed == null) {
      out.println(BenchArgs.USAGE);
      return 0;
    }
    // Every client connection is a file descriptor of this JVM: refuse a run it cannot hold.
    String fdProblem = FdLimits.ensure(ProcessHandle.current().pid(), parsed.subscribers + FdLimits.HEADROOM);
    if (fdProblem != null) {
      err.println("pulse bench: " + parsed.subscribers + " connections: " + fdProblem);
      return 1;
    }
    Nodes nodes = new Nodes();
    Thread onCtrlC = new Thread(nodes::close, "pulse-bench-stop-nodes");
    Runtime.getRuntime().addShutdownHook(onCtrlC);
    Thread watchdog = watchdog(parsed.timeoutSeconds, nodes, err);
    Pinning pinning;
    try {
      pinning = parsed.pin ? pin(err) : null;
    } catch (Exception e) {
      err.println("pulse bench: " + e.getMessage());
      return 1;
    }
    Vertx vertx = Vertx.builder().withTransport(io.pulse.node.PulseNode.transport("auto")).build();
    boolean ok = false;
    try {
      long deadline = System.currentTimeMillis() + parsed.timeoutSeconds * 1000L - 15_000;
      if (parsed.startsNodes()) {
        err.printf("[bench] starting %d node(s) from %s%n", parsed.nodes, parsed.jar != null ? parsed.jar : Nodes.runningJar());
        nodes.launch(parsed, pinning, err);
      } else {
        nodes.attach(parsed.targets);
      }
      String runId = UUID.randomUUID().toString().substring(0, 8);
      BenchContext ctx = new BenchContext(parsed, vertx, nodes.list(), new ServerProbe(), runId, deadline, err);
      Report report = Scenario.named(parsed).run(ctx);
      report.put("pinned", pinning == null ? null : pinning.toString());
      report.print(out);
      ok = true;
      return 0;
    } catch (Exception e) {
      err.println("pulse bench: " + parsed.scenario + " failed: " + e);
      if (nodes.workDir() != null) {
        err.println("pulse bench: node logs in " + nodes.workDir());
      }
      return 1;
    } finally {
      watchdog.interrupt();
      try {
        vertx.close().await(15, TimeUnit.SECONDS);
      } catch (Exception e) {
        // closing the clients is best effort; the nodes are stopped regardless
      }
      nodes.close();
      if (ok) {
        nodes.deleteLogs();
      }
      try {
        Runtime.getRuntime().removeShutdownHook(onCtrlC);
      } catch (IllegalStateException shuttingDown) {
        // already running
      }
    }
  }

  /** Splits the cores and moves this JVM (the client) to its share, before any event loop exists. */
  private static Pinning pin(PrintStream err) throws Exception {
    Pinning.requireTaskset();
    Pinning pinning = Pinning.split(Pinning.allowedCpus());
    pinning.pinThisProcess();
    err.println("[bench] pinned: " + pinning);
    return pinning;
  }

  /** After {@code seconds}, stops the nodes and ends the JVM, whatever the run is doing. */
  private static Thread watchdog(int seconds, Nodes nodes, PrintStream err) {
    Thread t = new Thread(() -> {
      try {
        Thread.sleep(seconds * 1000L);
      } catch (InterruptedException done) {
        return;
      }
      err.println("pulse bench: timed out after " + seconds + " s (--timeout); stopping");
      nodes.close();
      Runtime.getRuntime().halt(1);
    }, "pulse-bench-watchdog");
    t.setDaemon(true);
    t.start();
    return t;
  }
}
