package io.pulse.multihost;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/**
 * A simulated network of hosts for the multi-host tests (docs: testing.md, "Several hosts").
 *
 * <p>Each host is a network namespace {@code pulsenet-<pid>-<n>-<host>} whose only interface is a
 * TAP device held by {@code src/test/netlab/netlab.py}, the switch: it holds each frame for its
 * link's delay ± jitter, drops a share of them, or all of them while the link is cut (this kernel
 * has no netem). Addresses are 198.18.0.x/24, the only route is the connected one: nothing can
 * leave the machine. The test's own clients reach the hosts through a relay that listens on
 * 127.0.0.1 and opens its connections from inside a client host.
 *
 * <p>Everything it made is removed by {@link #close()}, by a shutdown hook if the JVM exits
 * first, by the switch itself when its stdin ends (this JVM was killed), and, if the switch was
 * killed as well, by the stale-run cleanup at the next start (namespaces whose owner PID is gone).
 * By hand: {@code python3 src/test/netlab/netlab.py cleanup --prefix pulsenet-}.
 */
final class TestNetwork implements AutoCloseable {

  static final String PREFIX = "pulsenet-";
  static final String IP = new File("/usr/sbin/ip").canExecute() ? "/usr/sbin/ip" : "ip";
  private static final AtomicInteger RUNS = new AtomicInteger();

  /** A link's one-way delay and jitter (ms, uniform ±) and loss probability (0..1). */
  record Link(double delayMs, double jitterMs, double loss) {
  }

  final String name;
  private final Map<String, String> addresses;
  private final Process sw;
  private final Writer commands;
  private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
  private final List<Process> relays = new ArrayList<>();
  private final Thread hook;
  private final Path log;
  private boolean closed;

  private TestNetwork(String name, Map<String, String> addresses, Process sw, Path log) {
    this.name = name;
    this.addresses = addresses;
    this.sw = sw;
    this.log = log;
    this.commands = new java.io.OutputStreamWriter(sw.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(sw.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          replies.add(line);
        }
      } catch (IOException ignored) {
        // the switch is gone
      }
      replies.add("error the switch exited");
    }, "netlab-switch");
    reader.setDaemon(true);
    reader.start();
    this.hook = new Thread(this::close, "netlab-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** The script: {@code src/test/netlab/netlab.py} (tests run from the project's directory). */
  static Path script() {
    return Path.of("src/test/netlab/netlab.py").toAbsolutePath();
  }

  /**
   * Skips the calling test with one line when this machine or user cannot build the network, or
   * fails it when {@code CI_REQUIRE_NETNS=1} (set by .ci/run where it works).
   */
  static void assumeAvailable() {
    String missing = unavailable();
    if (missing == null) {
      return;
    }
    if ("1".equals(System.getenv("CI_REQUIRE_NETNS"))) {
      throw new AssertionError("multi-host test cannot run: " + missing + " (CI_REQUIRE_NETNS=1)");
    }
    Assumptions.abort("multi-host test skipped: " + missing);
  }

  /** Why network namespaces and TAP devices cannot be used here, or null. */
  static String unavailable() {
    if (!System.getProperty("os.name", "").startsWith("Linux")) {
      return "needs Linux network namespaces";
    }
    if (!Files.isRegularFile(script())) {
      return "no " + script();
    }
    try {
      run(List.of("python3", "--version"));
    } catch (Exception e) {
      return "needs python3 (the switch): " + e.getMessage();
    }
    if (!Files.exists(Path.of("/dev/net/tun"))) {
      return "no /dev/net/tun (TAP devices)";
    }
    String probe = PREFIX + ProcessHandle.current().pid() + "-probe";
    try {
      run(List.of(IP, "netns", "add", probe));
    } catch (Exception e) {
      return "cannot create network namespaces (needs root or CAP_SYS_ADMIN + CAP_NET_ADMIN): " + e.getMessage();
    } finally {
      try {
        run(List.of(IP, "netns", "del", probe));
      } catch (Exception ignored) {
        // was not made
      }
    }
    return null;
  }

  /**
   * Builds the network: one namespace per host ({@code hosts}: name to address), every link with
   * {@code link}. Removes the namespaces of runs whose JVM is gone first.
   */
  static TestNetwork start(Map<String, String> hosts, Link link) throws Exception {
    run(List.of("python3", script().toString(), "cleanup", "--prefix", PREFIX, "--stale"));
    String name = PREFIX + ProcessHandle.current().pid() + "-" + RUNS.incrementAndGet();
    List<String> cmd = new ArrayList<>(List.of("python3", script().toString(), "up", "--name", name,
        "--delay", Double.toString(link.delayMs()), "--jitter", Double.toString(link.jitterMs()),
        "--loss", Double.toString(link.loss())));
    hosts.forEach((h, addr) -> cmd.addAll(List.of("--host", h + "=" + addr + "/24")));
    Path log = Files.createTempFile("netlab-", ".log");
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    TestNetwork net = new TestNetwork(name, new LinkedHashMap<>(hosts), p, log);
    String ready = net.replies.poll(60, TimeUnit.SECONDS);
    if (!"ready".equals(ready)) {
      net.close();
      throw new AssertionError("the test network did not start: " + ready + " " + Files.readString(log));
    }
    return net;
  }

  String address(String host) {
    String a = addresses.get(host);
    if (a == null) {
      throw new IllegalArgumentException("no host " + host);
    }
    return a;
  }

  String namespace(String host) {
    address(host);
    return name + "-" + host;
  }

  /** {@code cmd} run inside {@code host}: {@code ip netns exec <namespace> cmd…} (the PID is cmd's). */
  List<String> inHost(String host, List<String> cmd) {
    List<String> out = new ArrayList<>(List.of(IP, "netns", "exec", namespace(host)));
    out.addAll(cmd);
    return out;
  }

  /** Both directions between {@code a} and {@code b}. */
  void link(String a, String b, Link link) {
    command("link " + a + " " + b + " " + link.delayMs() + " " + link.jitterMs() + " " + link.loss());
  }

  /** Drops every frame between {@code a} and {@code b}, both ways, until {@link #heal}. */
  void cut(String a, String b) {
    command("cut " + a + " " + b);
  }

  void heal(String a, String b) {
    command("heal " + a + " " + b);
  }

  /** Frames forwarded, lost (loss) and dropped (cut) per direction, e.g. {@code "a>b"}. */
  JsonObject stats() {
    return new JsonObject(command("stats").substring(3));
  }

  /**
   * Local ports on 127.0.0.1, one per target ({@code addr:port}), whose connections are opened
   * from inside {@code fromHost}: the test's clients are on that host as far as the network goes.
   */
  synchronized int[] relay(String fromHost, List<String> targets) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("python3", script().toString(), "relay", "--netns", namespace(fromHost)));
    targets.forEach(t -> cmd.addAll(List.of("--to", t)));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    relays.add(p);
    BlockingQueue<String> first = new LinkedBlockingQueue<>();
    Thread t = new Thread(() -> {
      try {
        first.add(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine() + "");
      } catch (IOException e) {
        first.add("error " + e);
      }
    }, "netlab-relay");
    t.setDaemon(true);
    t.start();
    String line = first.poll(30, TimeUnit.SECONDS);
    if (line == null || !line.startsWith("ports ")) {
      throw new AssertionError("relay did not start: " + line + " " + Files.readString(log));
    }
    String[] ports = line.substring(6).trim().split(" ");
    int[] out = new int[ports.length];
    for (int i = 0; i < ports.length; i++) {
      out[i] = Integer.parseInt(ports[i]);
    }
    return out;
  }

  private synchronized String command(String line) {
    try {
      commands.write(line + "\n");
      commands.flush();
      String reply = replies.poll(10, TimeUnit.SECONDS);
      if (reply == null || !reply.startsWith("ok")) {
        throw new AssertionError("netlab '" + line + "': " + reply);
      }
      return reply;
    } catch (IOException e) {
      throw new AssertionError("netlab '" + line + "': " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /**
   * Removes everything: the relays, then the switch (which kills what still runs in its
   * namespaces and deletes them), then, whatever happened to the switch, the same cleanup again
   * by name. Never fails; safe to call twice.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // called from the hook itself
    }
    for (Process r : relays) {
      r.destroyForcibly();
    }
    try {
      commands.write("quit\n");
      commands.flush();
    } catch (IOException gone) {
      // the switch has exited already
    }
    try {
      if (!sw.waitFor(20, TimeUnit.SECONDS)) {
        sw.destroyForcibly();
        sw.waitFor(10, TimeUnit.SECONDS);
      }
      run(List.of("python3", script().toString(), "cleanup", "--prefix", name + "-"));
    } catch (Exception e) {
      System.err.println("netlab cleanup of " + name + " failed: " + e
          + "; remove by hand: python3 src/test/netlab/netlab.py cleanup --prefix " + name + "-");
    }
  }

  static String run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", cmd) + ": timed out");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + ": " + out.trim().replaceAll("\\s*\n\\s*", "; "));
    }
    return out;
  }
}
