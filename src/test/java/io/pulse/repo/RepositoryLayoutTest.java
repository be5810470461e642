package io.pulse.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Keeps the repository as a reader finds it: the top level holds the project's files and nothing
 * else, and no build leftover (a pid file, a log, a heap dump, compiled classes) is tracked.
 * Reads git's index when the checkout is a git one (what a clean clone holds), else the directory
 * minus Maven's {@code target/}.
 */
class RepositoryLayoutTest {

  static final Set<String> TOP_LEVEL = Set.of(
      "src", "cluster.xml", "conf", "README.md", "pom.xml", ".ci", ".gitignore");

  /** Names that only a build, a run or an editor leaves behind. */
  static final Pattern LEFTOVER = Pattern.compile(
      "(^|/)(target|node_modules|\\.idea)/"
          + "|\\.(pid|log|class|jar|hprof|jfr|collapsed|orig|rej|swp|iml|tmp)$"
          + "|(^|/)(hs_err_pid[^/]*|replay_pid[^/]*|core(\\.\\d+)?|\\.DS_Store|[^/]*~)$");

  @Test
  @DisplayName("the top level holds src, cluster.xml, conf, README.md, pom.xml, .ci and .gitignore only")
  void topLevel() throws Exception {
    Set<String> top = new TreeSet<>();
    for (String f : tracked()) {
      top.add(f.contains("/") ? f.substring(0, f.indexOf('/')) : f);
    }
    top.removeAll(TOP_LEVEL);
    assertEquals(Set.of(), top, "unexpected at the top level (move it under src/, or ignore it)");
  }

  @Test
  @DisplayName("no build leftover is tracked anywhere")
  void noLeftovers() throws Exception {
    List<String> leftovers = tracked().stream().filter(f -> LEFTOVER.matcher(f).find()).toList();
    assertEquals(List.of(), leftovers, "build leftovers tracked: remove them and ignore their kind in .gitignore");
  }

  @Test
  @DisplayName("the leftover rule catches what it is meant to, and spares the project's files")
  void leftoverRule() {
    for (String bad : List.of("run100k.pid", "x/node.log", "target/pulse.jar", "hs_err_pid123.log",
        "src/test/browser/node_modules/ws/index.js", "java_pid1.hprof", "src/A.java~", "core", "loop-1.collapsed")) {
      assertTrue(LEFTOVER.matcher(bad).find(), bad);
    }
    for (String good : List.of("pom.xml", "src/main/java/io/pulse/Main.java", "conf/pulse.json",
        "src/test/browser/package-lock.json", "src/main/resources/webroot/vendor/uPlot.LICENSE", "src/site/markdown/logs.md")) {
      assertTrue(!LEFTOVER.matcher(good).find(), good);
    }
  }

  @Test
  @DisplayName(".gitignore ignores pid files and logs")
  void ignored() throws IOException {
    List<String> lines = Files.readAllLines(Path.of(".gitignore"));
    assertTrue(lines.contains("*.pid") && lines.contains("*.log"), ".gitignore: " + lines);
  }

  /** The files a clean clone holds, relative, with '/' separators. */
  static List<String> tracked() throws Exception {
    if (Files.exists(Path.of(".git"))) {
      Process git = new ProcessBuilder("git", "ls-files", "-z").redirectErrorStream(false).start();
      byte[] out = git.getInputStream().readAllBytes();
      if (git.waitFor(30, TimeUnit.SECONDS) && git.exitValue() == 0) {
        return Stream.of(new String(out, StandardCharsets.UTF_8).split("\0")).filter(s -> !s.isEmpty()).toList();
      }
    }
    Path root = Path.of("");
    try (Stream<Path> files = Files.walk(root.toAbsolutePath())) {
      Path abs = root.toAbsolutePath();
      return files.filter(Files::isRegularFile).map(p -> abs.relativize(p).toString().replace('\\', '/'))
          .filter(f -> !f.startsWith("target/") && !f.startsWith(".git/") && !f.contains("/node_modules/"))
          .toList();
    }
  }
}
