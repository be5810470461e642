package io.pulse.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Server-side readings of the node processes this bench started (never of any other process):
 * RSS from {@code /proc/<pid>/status}, CPU time from {@code /proc/<pid>/stat} (and per thread from
 * {@code /proc/<pid>/task/<tid>/stat}), and heap in use
 * after a full collection, with {@code jcmd <pid> GC.run} then {@code jcmd <pid> GC.heap_info}.
 * Each method returns null for a node it cannot read (a {@code --target} node has no PID here).
 */
final class ServerProbe {

  /** Memory of a set of nodes at one moment, summed; fields null when unknown. */
  record Memory(Long rssKb, Long heapUsedKb) {
  }

  private static final Pattern G1_HEAP = Pattern.compile("garbage-first heap\\s+total \\d+K, used (\\d+)K");
  private static final Pattern GENERATION = Pattern.compile("^\\s*(?!Metaspace|class space)[A-Za-z -]+total \\d+K, used (\\d+)K", Pattern.MULTILINE);

  private final long clockTicks = clockTicksPerSecond();

  /** Full GC on each node, then heap in use and RSS, summed over {@code nodes}. */
  /**
   * The summed VmRSS of {@code nodes} as it is, with no collection forced first: what a user's
   * monitoring sees. Null when a node cannot be read.
   */
  Long rssAsIs(List<Node> nodes) {
    Long rss = 0L;
    for (Node n : nodes) {
      Long r = n.local() ? rssKb(n.pid()) : null;
      rss = rss == null || r == null ? null : rss + r;
    }
    return rss;
  }

  Memory memory(List<Node> nodes) {
    Long rss = 0L;
    Long heap = 0L;
    for (Node n : nodes) {
      Long h = n.local() ? heapUsedKb(n.pid()) : null;
      Long r = n.local() ? rssKb(n.pid()) : null;
      heap = heap == null || h == null ? null : heap + h;
      rss = rss == null || r == null ? null : rss + r;
    }
    return new Memory(rss, heap);
  }

  /** User + system CPU time of {@code nodes} in µs, or null if one cannot be read. */
  Long cpuMicros(List<Node> nodes) {
    long sum = 0;
    for (Node n : nodes) {
      Long t = n.local() ? cpuMicros(n.pid()) : null;
      if (t == null) {
        return null;
      }
      sum += t;
    }
    return sum;
  }

  /** User + system CPU time of a process in µs, from {@code /proc/<pid>/stat}. */
  Long cpuMicros(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return ticks * 1_000_000L / clockTicks;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * CPU time (µs) of every thread of the given nodes, keyed "node/tid/thread name", from
   * {@code /proc/<pid>/task/<tid>/stat}; empty for nodes without a PID.
   */
  Map<String, Long> threadCpuMicros(List<Node> nodes) {
    Map<String, Long> threads = new HashMap<>();
    for (Node n : nodes) {
      if (!n.local()) {
        continue;
      }
      Path tasks = Path.of("/proc", Long.toString(n.pid()), "task");
      try (Stream<Path> tids = Files.list(tasks)) {
        tids.forEach(tid -> {
          try {
            String stat = Files.readString(tid.resolve("stat"));
            String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            threads.put(n.name + "/" + tid.getFileName() + "/" + name, ticks * 1_000_000L / clockTicks);
          } catch (IOException | RuntimeException gone) {
            // the thread ended meanwhile
          }
        });
      } catch (IOException e) {
        // process gone: nothing to add
      }
    }
    return threads;
  }

  /** The thread that used the most CPU between two {@link #threadCpuMicros} readings, or null. */
  static Map.Entry<String, Long> busiestThread(Map<String, Long> before, Map<String, Long> after) {
    Map.Entry<String, Long> best = null;
    for (Map.Entry<String, Long> e : after.entrySet()) {
      long used = e.getValue() - before.getOrDefault(e.getKey(), 0L);
      if (best == null || used > best.getValue()) {
        best = Map.entry(e.getKey(), used);
      }
    }
    return best;
  }

  /** The kinds of {@link #cpuByKind}, in the order the report lists them. */
  static final List<String> THREAD_KINDS = List.of("event_loop", "jit", "gc", "other");

  /**
   * CPU used between two {@link #threadCpuMicros} readings, in µs, by kind of thread: "jit" (the
   * JVM's C1/C2 compiler threads), "gc" (the collector's), "event_loop" (Vert.x event loops, where
   * a fan-out's writes run) and "other" (Hazelcast, timers, the rest). Threads that ended between
   * the readings are not counted.
   */
  static Map<String, Long> cpuByKind(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> kinds = new java.util.TreeMap<>();
    for (String kind : THREAD_KINDS) {
      kinds.put(kind, 0L);
    }
    for (Map.Entry<String, Long> e : after.entrySet()) {
      long used = Math.max(0, e.getValue() - before.getOrDefault(e.getKey(), 0L));
      kinds.merge(kindOf(e.getKey().substring(e.getKey().lastIndexOf('/') + 1)), used, Long::sum);
    }
    return kinds;
  }

  /** The kind of a thread by its kernel name (at most 15 characters: "C2 CompilerThre", "G1 Conc#0"). */
  static String kindOf(String thread) {
    if (thread.startsWith("C1 Compiler") || thread.startsWith("C2 Compiler")) {
      return "jit";
    }
    if (thread.startsWith("GC Thread") || thread.startsWith("G1 ") || thread.equals("VM Thread")) {
      return "gc";
    }
    if (thread.startsWith("vert.x-eventloo")) {
      return "event_loop";
    }
    return "other";
  }

  /**
   * The whole machine's CPU counters from {@code /proc/stat}: {busy, total} in clock ticks over all
   * cores (busy = everything but idle and iowait), or null if unreadable.
   */
  static long[] machineTicks() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/stat"))) {
      String[] f = lines.findFirst().orElseThrow().trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < Math.min(f.length, 9); i++) { // user nice system idle iowait irq softirq steal
        total += Long.parseLong(f[i]);
      }
      long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
      return new long[] {total - idle, total};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Percentage of all cores busy between two {@link #machineTicks} readings, or null. */
  static Double machineBusyPercent(long[] before, long[] after) {
    if (before == null || after == null || after[1] == before[1]) {
      return null;
    }
    return 100.0 * (after[0] - before[0]) / (after[1] - before[1]);
  }

  /** VmRSS of a process in kB. */
  static Long rssKb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // unreadable: unknown
    }
    return null;
  }

  /** Heap in use in kB right after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info}). */
  static Long heapUsedKb(long pid) {
    if (jcmd(pid, "GC.run") == null) {
      return null;
    }
    String info = jcmd(pid, "GC.heap_info");
    return info == null ? null : parseHeapUsedKb(info);
  }

  /** Heap in use from {@code GC.heap_info} output: G1's heap line, else the sum of the generations. */
  static Long parseHeapUsedKb(String info) {
    Matcher g1 = G1_HEAP.matcher(info);
    if (g1.find()) {
      return Long.parseLong(g1.group(1));
    }
    Matcher gen = GENERATION.matcher(info);
    long sum = 0;
    boolean any = false;
    while (gen.find()) {
      sum += Long.parseLong(gen.group(1));
      any = true;
    }
    return any ? sum : null;
  }

  private static String jcmd(long pid, String command) {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    String exe = Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd";
    Path out = null;
    try {
      out = Files.createTempFile("pulse-bench-jcmd", ".txt");
      Process p = new ProcessBuilder(exe, Long.toString(pid), command).redirectErrorStream(true)
          .redirectOutput(out.toFile()).start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return null;
      }
      return p.exitValue() == 0 ? Files.readString(out) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } finally {
      if (out != null) {
        out.toFile().delete();
      }
    }
  }

  private static long clockTicksPerSecond() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor(5, TimeUnit.SECONDS);
      return Long.parseLong(out);
    } catch (IOException | RuntimeException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}
