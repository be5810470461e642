package io.pulse.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark is a source set of its own (src/bench/java) that uses the product; the product
 * (src/main) never uses the bench, so target/pulse.jar holds the server alone. Read from the source
 * files as text: an import, a fully qualified name, a reflective name or a resource path all count.
 */
class ArchitectureTest {

  static final Path MAIN = Path.of("src", "main");
  static final Path BENCH_SOURCES = Path.of("src", "bench", "java");

  /** {@code io.pulse.bench} as a package or class name, or {@code io/pulse/bench} as a path. */
  static final Pattern BENCH_REFERENCE = Pattern.compile("io[./]pulse[./]bench\\b");

  static final Pattern BENCH_PACKAGE = Pattern.compile("(?m)^package io\\.pulse\\.bench;");

  @Test
  @DisplayName("no product source or resource under src/main refers to io.pulse.bench")
  void productDoesNotUseTheBench() throws IOException {
    assertTrue(Files.isRegularFile(MAIN.resolve("java/io/pulse/Main.java")), "run from the project directory");
    List<String> found = benchReferences(MAIN);
    assertTrue(found.isEmpty(), () -> "product code must not use the bench (it may use the product):\n  "
        + String.join("\n  ", found));
  }

  @Test
  @DisplayName("every source under src/bench/java is in package io.pulse.bench (the only one pulse-bench.jar packs)")
  void benchSourcesAreAllInTheBenchPackage() throws IOException {
    List<String> outside = new ArrayList<>();
    int count = 0;
    try (Stream<Path> files = Files.walk(BENCH_SOURCES)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        count++;
        if (!BENCH_PACKAGE.matcher(Files.readString(f, StandardCharsets.UTF_8)).find()) {
          outside.add(f.toString());
        }
      }
    }
    assertTrue(count > 0, "no sources under " + BENCH_SOURCES);
    assertTrue(outside.isEmpty(), () -> "outside io.pulse.bench (the jars split on io/pulse/bench/**): " + outside);
  }

  @Test
  @DisplayName("the scan finds an import, a qualified name and a path, and ignores look-alikes")
  void theScanCatchesEachFormOfReference(@TempDir Path dir) throws IOException {
    Path pkg = Files.createDirectories(dir.resolve("java/io/pulse"));
    Files.writeString(pkg.resolve("A.java"), "package io.pulse;\nimport io.pulse.bench.Bench;\nclass A {}\n");
    Files.writeString(pkg.resolve("B.java"), "package io.pulse;\nclass B { Object o = io.pulse.bench.Stats.class; }\n");
    Files.writeString(pkg.resolve("C.java"), "package io.pulse;\nclass C { String s = \"io.pulse.benchmarks\"; String b = \"bench\"; }\n");
    Files.createDirectories(dir.resolve("resources"));
    Files.writeString(dir.resolve("resources/x.txt"), "see io/pulse/bench/Nodes.class\n");
    List<String> found = benchReferences(dir);
    assertEquals(3, found.size(), () -> String.join("\n", found));
    assertTrue(found.get(0).contains("A.java:2:"), found::toString);
  }

  /** Each line of a text file under {@code root} that names the bench, as {@code file:line: text}. */
  static List<String> benchReferences(Path root) throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        List<String> lines;
        try {
          lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        } catch (MalformedInputException binary) {
          continue; // images and other binary resources
        }
        for (int i = 0; i < lines.size(); i++) {
          if (BENCH_REFERENCE.matcher(lines.get(i)).find()) {
            found.add(f + ":" + (i + 1) + ": " + lines.get(i).strip());
          }
        }
      }
    }
    return found;
  }
}
