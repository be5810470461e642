package io.pulse.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packages follow the data: no package of the product uses another that uses it back, directly
 * or around a longer loop. A use is an import or a qualified name in code (comments do not
 * count); {@code io.pulse} itself (the launcher) is a package like the others.
 */
class PackageCyclesTest {

  static final Path SOURCES = Path.of("src", "main", "java");
  private static final Pattern PACKAGE = Pattern.compile("(?m)^package ([\\w.]+);");
  private static final Pattern USE = Pattern.compile("\\b(io\\.pulse(?:\\.[a-z]\\w*)*)\\.[A-Z]");
  private static final Pattern COMMENTS = Pattern.compile("//[^\\n]*|/\\*.*?\\*/", Pattern.DOTALL);

  @Test
  @DisplayName("no package cycles in src/main/java")
  void noCycles() throws IOException {
    Map<String, Set<String>> uses = uses(SOURCES);
    assertTrue(uses.size() > 10, "read the packages: " + uses.keySet());
    List<Set<String>> cycles = cycles(uses);
    assertEquals(List.of(), cycles, () -> "packages that use each other:\n" + explain(cycles, uses));
  }

  @Test
  @DisplayName("the check finds a two-package loop, a longer one, and ignores comments")
  void theCheckFindsLoops(@TempDir Path dir) throws IOException {
    write(dir, "io/pulse/a/A.java", "package io.pulse.a;\nimport io.pulse.b.B;\nclass A {}\n");
    write(dir, "io/pulse/b/B.java", "package io.pulse.b;\nclass B { Object x = io.pulse.a.A.class; }\n");
    write(dir, "io/pulse/c/C.java", "package io.pulse.c;\nimport io.pulse.d.D;\nclass C {}\n");
    write(dir, "io/pulse/d/D.java", "package io.pulse.d;\nimport io.pulse.e.E;\nclass D {}\n");
    write(dir, "io/pulse/e/E.java", "package io.pulse.e;\nimport io.pulse.c.C;\nclass E {}\n");
    write(dir, "io/pulse/f/F.java", "package io.pulse.f;\n/** See {@link io.pulse.a.A}. */\nclass F { // io.pulse.a.A\n}\n");
    write(dir, "io/pulse/a/G.java", "package io.pulse.a;\nimport io.pulse.f.F;\nclass G {}\n");
    List<Set<String>> cycles = cycles(uses(dir));
    assertEquals(List.of(Set.of("io.pulse.a", "io.pulse.b"), Set.of("io.pulse.c", "io.pulse.d", "io.pulse.e")), cycles);
  }

  private static void write(Path root, String file, String text) throws IOException {
    Path p = root.resolve(file);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
  }

  /** Package → the product packages its code uses (itself excluded). */
  static Map<String, Set<String>> uses(Path root) throws IOException {
    Map<String, Set<String>> uses = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        String code = COMMENTS.matcher(Files.readString(f, StandardCharsets.UTF_8)).replaceAll(" ");
        Matcher pkg = PACKAGE.matcher(code);
        if (!pkg.find()) {
          continue;
        }
        Set<String> used = uses.computeIfAbsent(pkg.group(1), k -> new TreeSet<>());
        Matcher m = USE.matcher(code);
        while (m.find()) {
          if (!m.group(1).equals(pkg.group(1))) {
            used.add(m.group(1));
          }
        }
      }
    }
    uses.values().forEach(s -> s.retainAll(uses.keySet()));
    return uses;
  }

  /** The strongly connected sets of more than one package (Tarjan), sorted. */
  static List<Set<String>> cycles(Map<String, Set<String>> uses) {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new TreeSet<>();
    List<Set<String>> out = new ArrayList<>();
    int[] next = {0};
    for (String p : uses.keySet()) {
      if (!index.containsKey(p)) {
        visit(p, uses, index, low, stack, onStack, out, next);
      }
    }
    out.sort((a, b) -> a.iterator().next().compareTo(b.iterator().next()));
    return out;
  }

  private static void visit(String p, Map<String, Set<String>> uses, Map<String, Integer> index,
      Map<String, Integer> low, Deque<String> stack, Set<String> onStack, List<Set<String>> out, int[] next) {
    index.put(p, next[0]);
    low.put(p, next[0]++);
    stack.push(p);
    onStack.add(p);
    for (String q : uses.getOrDefault(p, Set.of())) {
      if (!index.containsKey(q)) {
        visit(q, uses, index, low, stack, onStack, out, next);
        low.put(p, Math.min(low.get(p), low.get(q)));
      } else if (onStack.contains(q)) {
        low.put(p, Math.min(low.get(p), index.get(q)));
      }
    }
    if (low.get(p).equals(index.get(p))) {
      Set<String> component = new TreeSet<>();
      String q;
      do {
        q = stack.pop();
        onStack.remove(q);
        component.add(q);
      } while (!q.equals(p));
      if (component.size() > 1) {
        out.add(component);
      }
    }
  }

  private static String explain(List<Set<String>> cycles, Map<String, Set<String>> uses) {
    StringBuilder sb = new StringBuilder();
    for (Set<String> c : cycles) {
      for (String p : c) {
        Set<String> inside = new TreeSet<>(uses.get(p));
        inside.retainAll(c);
        sb.append("  ").append(p).append(" -> ").append(inside).append('\n');
      }
    }
    return sb.toString();
  }
}
