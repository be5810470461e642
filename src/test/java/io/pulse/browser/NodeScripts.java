package io.pulse.browser;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The Node scripts of src/test/browser, run the one way every browser test runs them. */
final class NodeScripts {

  static final int TIMEOUT_SECONDS = 90;

  private NodeScripts() {
  }

  /**
   * Runs {@code node script args…} in src/test/browser with {@code CHROMIUM_PATH} and {@code env}
   * set, for at most {@value #TIMEOUT_SECONDS} s (then it and its children, ours by PID, are
   * killed), prints its output, and asserts that it ended in time, with exit code 0 and the last
   * line {@code pass}. Returns its output's lines.
   */
  static List<String> run(String pass, Map<String, String> env, String script, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("node", script));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(BridgeBrowserTest.DIR.toFile()).redirectErrorStream(true);
    pb.environment().put("CHROMIUM_PATH", DashboardBrowserTest.CHROMIUM);
    pb.environment().putAll(env);
    Process p = pb.start();
    boolean done = p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!done) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    System.out.println("[" + script + "] $ " + String.join(" ", cmd) + "\n" + out);
    assertTrue(done, script + " finished within " + TIMEOUT_SECONDS + " s:\n" + out);
    List<String> lines = out.strip().lines().toList();
    assertTrue(p.exitValue() == 0 && !lines.isEmpty() && lines.get(lines.size() - 1).equals(pass),
        String.join(" ", cmd) + ":\n" + out);
    return lines;
  }
}
