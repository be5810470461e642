package io.pulse.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
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
 * Vert.x's non-public packages ({@code io.vertx.core.internal}, {@code io.vertx.core.http.impl},
 * {@code io.vertx.core.net.impl}, any other {@code io.vertx…impl} or {@code …internal}, and any
 * {@code .impl.} package at all) are used in one place, {@code io.pulse.net}, behind
 * {@code VertxInternals}: a Vert.x upgrade that changes them then touches that package and its
 * tests only. Read from the source files as text, comments included: an import, a qualified name
 * and a class name in a string (reflection) all count.
 */
class InternalsTest {

  static final Path SOURCES = Path.of("src", "main", "java");
  /** The one package allowed to use them, as a path under the source root. */
  static final Path ADAPTER = Path.of("io", "pulse", "net");
  static final Pattern INTERNAL = Pattern.compile("io[./]vertx[./][\\w./]*?\\b(internal|impl)\\b|\\.impl\\.");

  @Test
  @DisplayName("only io.pulse.net uses Vert.x internals in src/main/java")
  void internalsOnlyInTheAdapter() throws IOException {
    assertTrue(Files.isRegularFile(SOURCES.resolve(ADAPTER).resolve("VertxInternals.java")), "run from the project directory");
    List<String> found = outsideTheAdapter(SOURCES);
    assertTrue(found.isEmpty(), () -> "Vert.x internals outside io.pulse.net (go through io.pulse.net.VertxInternals):\n  "
        + String.join("\n  ", found));
  }

  @Test
  @DisplayName("the adapter itself does use them (else the check looks at nothing)")
  void theAdapterIsWhereTheyAre() throws IOException {
    String adapter = Files.readString(SOURCES.resolve(ADAPTER).resolve("VertxInternals.java"), StandardCharsets.UTF_8);
    assertTrue(INTERNAL.matcher(adapter).find());
  }

  @Test
  @DisplayName("the scan finds an import, a cast, a wildcard, a reflective name and a path, and ignores io.pulse.net and look-alikes")
  void theScanCatchesEachForm(@TempDir Path dir) throws IOException {
    write(dir, "io/pulse/ws/A.java", "package io.pulse.ws;\nimport io.vertx.core.internal.http.WebSocketInternal;\nclass A {}\n");
    write(dir, "io/pulse/http/B.java", "package io.pulse.http;\nclass B {\n  Object c(Object o) {\n"
        + "    return ((io.vertx.core.http.impl.HttpServerConnection) o).channelHandlerContext();\n  }\n}\n");
    write(dir, "io/pulse/node/C.java", "package io.pulse.node;\nimport io.vertx.core.net.impl.*;\nclass C {}\n");
    write(dir, "io/pulse/ws/D.java", "package io.pulse.ws;\nclass D {\n"
        + "  String s = \"io.vertx.core.http.impl.websocket.ServerWebSocketImpl\";\n"
        + "  String p = \"io/vertx/core/impl/VertxImpl.class\";\n}\n");
    write(dir, "io/pulse/cluster/E.java", "package io.pulse.cluster;\nimport io.vertx.spi.cluster.hazelcast.impl.HazelcastNodeInfo;\nclass E {}\n");
    write(dir, "io/pulse/net/Allowed.java", "package io.pulse.net;\nimport io.vertx.core.net.impl.VertxHandler;\nclass Allowed {}\n");
    write(dir, "io/pulse/network/NotNet.java", "package io.pulse.network;\nimport io.vertx.core.internal.VertxInternal;\nclass NotNet {}\n");
    write(dir, "io/pulse/ws/Fine.java", "package io.pulse.ws;\nimport io.vertx.core.http.HttpServer;\nimport io.vertx.core.spi.cluster.ClusterManager;\n"
        + "class Fine { String s = \"simple\"; String t = \"internals\"; }\n");
    List<String> found = outsideTheAdapter(dir);
    assertEquals(7, found.size(), () -> String.join("\n", found));
    assertTrue(found.get(0).replace('\\', '/').contains("io/pulse/cluster/E.java:2:"), found::toString);
    assertTrue(found.stream().noneMatch(f -> f.contains("Allowed") || f.contains("Fine")), found::toString);
    assertTrue(found.stream().anyMatch(f -> f.contains("NotNet")), "io.pulse.network is not io.pulse.net");
  }

  private static void write(Path root, String file, String text) throws IOException {
    Path p = root.resolve(file);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
  }

  /** Each line of a .java file under {@code root}, outside {@link #ADAPTER}, that names an internal package. */
  static List<String> outsideTheAdapter(Path root) throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        if (root.relativize(f).startsWith(ADAPTER)) { // by name elements: io/pulse/network is not under it
          continue;
        }
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
          if (INTERNAL.matcher(lines.get(i)).find()) {
            found.add(f + ":" + (i + 1) + ": " + lines.get(i).strip());
          }
        }
      }
    }
    return found;
  }
}
