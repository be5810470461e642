package io.pulse.bench;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The client processes of {@code cluster-hold}: one JVM per plan running {@link HoldClients},
 * each within the open-files limit, driven over its stdin and stdout. {@link #close} asks each to
 * close its connections and stops any that has not ended within 45 s by its process handle;
 * nothing else is ever stopped. If the bench dies, their stdin ends and they exit by themselves.
 */
final class HoldProcesses implements AutoCloseable {

  private record Child(Process process, Writer in, BlockingQueue<JsonObject> answers) {
  }

  private final List<Child> children = new ArrayList<>();

  /** Starts one process per plan, from the server jar and the bench's classes; logs go to {@code dir}. */
  HoldProcesses(List<JsonObject> plans, Path serverJar, Path dir, String heap) throws IOException {
    String classPath = serverJar.toAbsolutePath() + java.io.File.pathSeparator + benchClasses();
    try {
      for (int k = 0; k < plans.size(); k++) {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heap,
            "-Djava.net.preferIPv4Stack=true", "-cp", classPath, HoldClients.class.getName(), plans.get(k).encode());
        Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("clients-" + (k + 1) + ".log").toFile()).start();
        Child c = new Child(p, new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8), new LinkedBlockingQueue<>());
        children.add(c);
        String fdProblem = FdLimits.ensure(p.pid(), plans.get(k).getInteger("ws") + plans.get(k).getInteger("sse") + FdLimits.HEADROOM);
        if (fdProblem != null) {
          throw new IOException("client process " + (k + 1) + ": " + fdProblem);
        }
        Thread reader = new Thread(() -> read(c), "hold-clients-" + (k + 1));
        reader.setDaemon(true);
        reader.start();
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private static String benchClasses() {
    try {
      return Path.of(HoldClients.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (Exception e) {
      throw new IllegalStateException("where are the bench's classes?", e);
    }
  }

  private static void read(Child c) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(c.process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.startsWith(HoldClients.PREFIX)) {
          c.answers.add(new JsonObject(line.substring(HoldClients.PREFIX.length())));
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process is gone: its missing answers show as a timeout
    }
  }

  int size() {
    return children.size();
  }

  List<Long> pids() {
    return children.stream().map(c -> c.process.pid()).toList();
  }

  /** Sends {@code command} to every process, then waits for each one's answer until {@code deadline} (epoch ms). */
  List<JsonObject> ask(String command, long deadline) throws IOException, InterruptedException {
    List<String> same = new ArrayList<>();
    children.forEach(c -> same.add(command));
    return ask(same, deadline);
  }

  /** Sends {@code commands.get(k)} to process k, then waits for each one's answer until {@code deadline}. */
  List<JsonObject> ask(List<String> commands, long deadline) throws IOException, InterruptedException {
    for (int k = 0; k < children.size(); k++) {
      Child c = children.get(k);
      c.answers.clear();
      c.in.write(commands.get(k) + "\n");
      c.in.flush();
    }
    List<JsonObject> answers = new ArrayList<>();
    for (int k = 0; k < children.size(); k++) {
      JsonObject a = children.get(k).answers.poll(Math.max(0, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
      if (a == null) {
        throw new IOException("client process " + (k + 1) + " did not answer '" + commands.get(k) + "' in time"
            + (children.get(k).process.isAlive() ? "" : " (it exited with " + children.get(k).process.exitValue() + ")"));
      }
      answers.add(a);
    }
    return answers;
  }

  /** Asks each process to close its connections and exit; stops the ones still there after 45 s. */
  @Override
  public void close() {
    for (Child c : children) {
      try {
        c.in.write("close\n");
        c.in.close();
      } catch (IOException e) {
        // gone already
      }
    }
    long deadline = System.currentTimeMillis() + 45_000;
    for (Child c : children) {
      try {
        if (!c.process.waitFor(Math.max(0, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS)) {
          c.process.destroyForcibly();
          c.process.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        c.process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
