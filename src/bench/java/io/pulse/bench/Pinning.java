package io.pulse.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@code --pin}: the nodes the bench starts run on one set of cores and the bench's own clients on
 * the rest, with {@code taskset} (util-linux), so that a latency figure is the node's and not the
 * cost of sharing its cores with the load generator. The cores are those this process may use
 * ({@code Cpus_allowed_list}); the nodes get the upper half (rounded up), the client the rest, so on
 * 2 cores the nodes run on core 1 and the client on core 0.
 */
final class Pinning {

  final List<Integer> nodeCpus;
  final List<Integer> clientCpus;

  private Pinning(List<Integer> nodeCpus, List<Integer> clientCpus) {
    this.nodeCpus = List.copyOf(nodeCpus);
    this.clientCpus = List.copyOf(clientCpus);
  }

  /** Splits {@code allowed} (at least 2 cores) between the nodes and the client. */
  static Pinning split(List<Integer> allowed) {
    List<Integer> cpus = new ArrayList<>(new TreeSet<>(allowed));
    if (cpus.size() < 2) {
      throw new IllegalArgumentException("--pin needs at least 2 cores, this process may use " + cpus);
    }
    int forClient = cpus.size() / 2;
    return new Pinning(cpus.subList(forClient, cpus.size()), cpus.subList(0, forClient));
  }

  /** The cores this process may run on, from /proc/self/status. */
  static List<Integer> allowedCpus() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("Cpus_allowed_list:")) {
        return parseList(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    throw new IOException("no Cpus_allowed_list in /proc/self/status");
  }

  /** Parses a kernel CPU list such as {@code 0-3,6,8-9}. */
  static List<Integer> parseList(String list) {
    List<Integer> cpus = new ArrayList<>();
    for (String part : list.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      int dash = p.indexOf('-');
      int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash));
      int to = dash < 0 ? from : Integer.parseInt(p.substring(dash + 1));
      for (int c = from; c <= to; c++) {
        cpus.add(c);
      }
    }
    return cpus;
  }

  /** {@code cmd}, started under {@code taskset -c <node cores>}. */
  List<String> wrapNode(List<String> cmd) {
    List<String> wrapped = new ArrayList<>(List.of("taskset", "-c", format(nodeCpus)));
    wrapped.addAll(cmd);
    return wrapped;
  }

  /**
   * Moves every thread of this JVM to the client's cores ({@code taskset -a -p}); threads started
   * later inherit it. Call it before the client's event loops exist.
   */
  void pinThisProcess() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("taskset", "-a", "-p", "-c", format(clientCpus), Long.toString(ProcessHandle.current().pid()))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("taskset could not pin the bench to cores " + format(clientCpus) + ": " + out.trim());
    }
  }

  static String format(List<Integer> cpus) {
    return cpus.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  /** Fails with a clear message when taskset is missing. */
  static void requireTaskset() throws IOException {
    try {
      Process p = new ProcessBuilder("taskset", "-V").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new IOException("--pin needs taskset (Debian package util-linux) on the PATH", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  @Override
  public String toString() {
    return "nodes on cores " + format(nodeCpus) + ", client on cores " + format(clientCpus);
  }
}
