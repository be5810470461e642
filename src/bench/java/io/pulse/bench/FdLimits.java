package io.pulse.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The open-files limit of the bench's own JVM and of the nodes it starts: N connections need N
 * file descriptors in the client and N in the nodes, more than a usual {@code ulimit -n}. The
 * bench raises the soft and hard limit of a process it owns with {@code prlimit --pid}, which needs
 * {@code CAP_SYS_RESOURCE} to raise a hard limit (root usually has it; a container may not) or a
 * hard limit already high enough; the kernel caps it at {@code /proc/sys/fs/nr_open}. If that is
 * not possible the run stops before it starts, saying why.
 */
final class FdLimits {

  /** Descriptors a process needs besides its connections (jars, epoll/io_uring, Hazelcast, logs). */
  static final int HEADROOM = 1_000;

  private FdLimits() {
  }

  /** The soft open-files limit of {@code pid}, from {@code /proc/<pid>/limits}, or null. */
  static Long openFiles(long pid) {
    try {
      return parse(Files.readAllLines(Path.of("/proc", Long.toString(pid), "limits")));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The soft limit in a {@code /proc/<pid>/limits} text, or null ("unlimited" is Long.MAX_VALUE). */
  static Long parse(List<String> limits) {
    for (String line : limits) {
      if (line.startsWith("Max open files")) {
        String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
        return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
      }
    }
    return null;
  }

  /**
   * Makes sure {@code pid} may open {@code wanted} files: raises its limit (soft and hard) to
   * {@code wanted} if it is lower. Returns null when the limit is enough (already, or now), else
   * a one-line explanation.
   */
  static String ensure(long pid, long wanted) {
    Long now = openFiles(pid);
    if (now == null) {
      return null; // not Linux, or unreadable: nothing to check
    }
    if (now >= wanted) {
      return null;
    }
    try {
      Process p = new ProcessBuilder("prlimit", "--pid", Long.toString(pid), "--nofile=" + wanted + ":" + wanted)
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      Long after = openFiles(pid);
      if (after != null && after >= wanted) {
        return null;
      }
      return "open-files limit of process " + pid + " is " + now + ", " + wanted + " needed, and prlimit could not raise it"
          + (out.isEmpty() ? "" : " (" + out + ")") + ": that needs CAP_SYS_RESOURCE, or a hard limit of at least " + wanted
          + " (ulimit -Hn) before the bench starts";
    } catch (IOException e) {
      return "open-files limit of process " + pid + " is " + now + ", " + wanted + " needed (prlimit: " + e.getMessage()
          + "): run the bench under prlimit --nofile=" + wanted + ":" + wanted;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted while raising the open-files limit";
    }
  }
}
