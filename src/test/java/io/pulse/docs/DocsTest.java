package io.pulse.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pulse.config.ConfigException;
import io.pulse.config.PulseConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the documentation honest: the configuration page lists exactly the keys {@link PulseConfig}
 * knows, with their defaults; every relative link and anchor in README.md and
 * {@code src/site/markdown/*.md} resolves; the README stays a short door and shows the example
 * publisher as it is in the source.
 */
class DocsTest {

  static final Path README = Path.of("README.md");
  static final Path SITE = Path.of("src", "site", "markdown");
  static final Path CONFIGURATION = SITE.resolve("configuration.md");
  static final Path EXAMPLE = Path.of("src/main/java/io/pulse/examples/ExamplePublisherVerticle.java");

  // ---- configuration.md against io.pulse.config ----

  @Test
  @DisplayName("configuration.md's key table lists exactly the keys PulseConfig defines")
  void configTableListsEveryKey() throws IOException {
    List<String> problems = keyProblems(configTable(Files.readString(CONFIGURATION)).keySet(),
        PulseConfig.defaults().toJson().fieldNames());
    assertTrue(problems.isEmpty(), () -> CONFIGURATION + ":\n  " + String.join("\n  ", problems));
  }

  @Test
  @DisplayName("configuration.md's defaults are the code's defaults")
  void configTableDefaultsMatchCode() throws IOException {
    List<String> problems = defaultProblems(configTable(Files.readString(CONFIGURATION)), PulseConfig.defaults().toJson());
    assertTrue(problems.isEmpty(), () -> CONFIGURATION + ":\n  " + String.join("\n  ", problems));
  }

  @Test
  @DisplayName("the config checks can fail: a missing row, an unknown row and a wrong default are named")
  void configChecksCanFail() {
    Map<String, String> rows = configTable("""
        | key | default | allowed | meaning |
        |---|---|---|---|
        | `http.port` | `8081` | 0–65535 | x |
        | `http.nope` | `1` | | x |
        | `auth.publicChannels` | `["sensors.*"]` | | x |

        | key | default | allowed | meaning |
        | `not.this.table` | `1` | | x |
        """);
    assertEquals(List.of("http.port", "http.nope", "auth.publicChannels"), List.copyOf(rows.keySet()));
    JsonObject code = new JsonObject().put("http.port", 8080).put("ws.port", 8081)
        .put("auth.publicChannels", new JsonArray().add("sensors.*").add("cluster.*"));
    assertEquals(List.of("config key ws.port is not documented (no row in the key table)",
            "documented key http.nope is not defined in io.pulse.config"),
        keyProblems(rows.keySet(), code.fieldNames()));
    assertEquals(List.of("http.port: documented default `8081`, the code's is 8080",
            "auth.publicChannels: documented default `[\"sensors.*\"]`, the code's is [\"sensors.*\",\"cluster.*\"]"),
        defaultProblems(rows, code));
    assertTrue(defaultMatches("`8080`", 8080));
    assertTrue(defaultMatches("`[\"sensors.*\",\"cluster.*\"]`", new JsonArray().add("sensors.*").add("cluster.*")));
    assertTrue(defaultMatches("empty", ""));
    assertTrue(defaultMatches("unset", ""));
    assertTrue(defaultMatches("`<hostname>-<http.port>`", ""));
    assertFalse(defaultMatches("empty", "x"));
    assertFalse(defaultMatches("disconnect", "disconnect"));
    assertTrue(defaultMatches("`disconnect`", "disconnect"));
    assertTrue(defaultMatches("`true`", true));
    assertEquals(List.of("http.port: allowed documented as '0–65536', the code's range is 0–65535",
            "node.transport: allowed documented as [auto, epoll, nio], the code's choices are [auto, epoll, io_uring, nio]"),
        allowedProblems(configRows("""
            | key | default | allowed | meaning |
            |---|---|---|---|
            | `http.port` | `8080` | 0–65536 | x |
            | `ws.port` | `8081` | 0–65535 (0 = any free port) | x |
            | `node.transport` | `auto` | `auto`, `epoll`, `nio` | x |
            | `limits.slowConsumer` | `disconnect` | `disconnect`, `drop`, `conflate` | x |
            """)));
  }

  static List<String> keyProblems(Set<String> documented, Set<String> defined) {
    List<String> out = new ArrayList<>();
    new TreeSet<>(defined).stream().filter(k -> !documented.contains(k))
        .forEach(k -> out.add("config key " + k + " is not documented (no row in the key table)"));
    documented.stream().filter(k -> !defined.contains(k))
        .forEach(k -> out.add("documented key " + k + " is not defined in io.pulse.config"));
    return out;
  }

  static List<String> defaultProblems(Map<String, String> documented, JsonObject defaults) {
    List<String> out = new ArrayList<>();
    documented.forEach((key, doc) -> {
      if (defaults.containsKey(key) && !defaultMatches(doc, defaults.getValue(key))) {
        out.add(key + ": documented default " + doc + ", the code's is " + defaults.getValue(key));
      }
    });
    return out;
  }

  /** key → default cell, from the table headed {@code | key | default | …}. */
  static Map<String, String> configTable(String markdown) {
    Map<String, String> out = new LinkedHashMap<>();
    configRows(markdown).forEach((k, cells) -> out.put(k, cells.get(1)));
    return out;
  }

  /** key → its row's cells (key, default, allowed, meaning), from the table headed {@code | key | default | …}. */
  static Map<String, List<String>> configRows(String markdown) {
    Map<String, List<String>> rows = new LinkedHashMap<>();
    boolean inTable = false;
    for (String line : markdown.split("\n")) {
      String t = line.trim();
      if (!inTable) {
        inTable = t.matches("\\|\\s*key\\s*\\|\\s*default\\s*\\|.*");
        continue;
      }
      if (!t.startsWith("|")) {
        break;
      }
      if (t.matches("\\|[-|: ]+")) {
        continue;
      }
      List<String> cells = new ArrayList<>();
      for (String c : t.substring(1).split("\\|", -1)) {
        cells.add(c.trim());
      }
      while (cells.size() < 4) {
        cells.add("");
      }
      String key = cells.get(0).replace("`", "");
      if (rows.put(key, cells) != null) {
        fail("config key " + key + " has two rows in " + CONFIGURATION);
      }
    }
    assertFalse(rows.isEmpty(), "no | key | default | … table found");
    return rows;
  }

  @Test
  @DisplayName("configuration.md's allowed ranges and choices are the code's")
  void configTableAllowedValuesMatchCode() throws IOException {
    List<String> problems = allowedProblems(configRows(Files.readString(CONFIGURATION)));
    assertTrue(problems.isEmpty(), () -> CONFIGURATION + ":\n  " + String.join("\n  ", problems));
  }

  private static final Pattern CODE_RANGE = Pattern.compile("must be between (-?\\d+) and (-?\\d+)");
  private static final Pattern CODE_CHOICES = Pattern.compile("must be one of (.*), got");
  private static final Pattern DOC_RANGE = Pattern.compile("^(-?\\d+)–(-?\\d+)");

  /**
   * For each documented key, asks the code what it accepts (by feeding it a value out of any range
   * and reading the one-line error, which names the range or the choices) and compares that with
   * the row's "allowed" cell: {@code 0–65535 …} for a range, the backticked choices for a choice.
   */
  static List<String> allowedProblems(Map<String, List<String>> rows) {
    List<String> out = new ArrayList<>();
    JsonObject defaults = PulseConfig.defaults().toJson();
    rows.forEach((key, cells) -> {
      if (!defaults.containsKey(key)) {
        return;
      }
      Object def = defaults.getValue(key);
      String allowed = cells.get(2);
      Object probe = def instanceof Integer ? (Object) 1_000_000_000_000L : def instanceof String ? "~not-a-choice~" : null;
      if (probe == null) {
        return;
      }
      String error;
      try {
        PulseConfig.of(new JsonObject().put(key, probe));
        error = "";
      } catch (ConfigException e) {
        error = e.getMessage();
      }
      Matcher range = CODE_RANGE.matcher(error);
      Matcher choices = CODE_CHOICES.matcher(error);
      if (range.find()) {
        Matcher doc = DOC_RANGE.matcher(allowed);
        if (!doc.find() || !doc.group(1).equals(range.group(1)) || !doc.group(2).equals(range.group(2))) {
          out.add(key + ": allowed documented as '" + allowed + "', the code's range is " + range.group(1) + "–" + range.group(2));
        }
      } else if (choices.find()) {
        Set<String> code = new TreeSet<>(List.of(choices.group(1).split(",\\s*")));
        Set<String> doc = new TreeSet<>();
        Matcher m = Pattern.compile("`([^`]*)`").matcher(allowed);
        while (m.find()) {
          doc.add(m.group(1));
        }
        if (!doc.equals(code)) {
          out.add(key + ": allowed documented as " + doc + ", the code's choices are " + code);
        }
      }
    });
    return out;
  }

  /**
   * A documented default against the code's: {@code `8080`} for 8080, {@code `["a","b"]`} for a
   * list, and for the empty string a word ({@code empty}, {@code unset}) or a computed value shown
   * as {@code `<…>`} (node.name's {@code <hostname>-<http.port>}).
   */
  static boolean defaultMatches(String doc, Object code) {
    boolean quoted = doc.startsWith("`") && doc.endsWith("`") && doc.length() >= 2;
    String value = quoted ? doc.substring(1, doc.length() - 1) : doc;
    if ("".equals(code)) {
      return quoted ? value.startsWith("<") : value.equals("empty") || value.equals("unset");
    }
    if (!quoted) {
      return false;
    }
    if (code instanceof JsonArray arr) {
      try {
        return new JsonArray(value).equals(arr);
      } catch (RuntimeException e) {
        return false;
      }
    }
    return value.equals(String.valueOf(code));
  }

  @Test
  @DisplayName("every PULSE_* variable and -Dpulse.* property the docs mention is one the node accepts")
  void documentedEnvironmentAndPropertiesExist() throws IOException {
    List<String> unknown = new ArrayList<>();
    for (Path page : docs()) {
      Matcher m = Pattern.compile("\\bPULSE_[A-Z0-9_]*[A-Z0-9]|-Dpulse\\.[A-Za-z][A-Za-z.]*[A-Za-z]").matcher(Files.readString(page));
      while (m.find()) {
        String name = m.group();
        if (name.equals(TEST_SWITCH)) {
          continue;
        }
        String problem = name.startsWith("PULSE_")
            ? unknownProblem(Map.of(name, "1"), Map.of())
            : unknownProblem(Map.of(), Map.of(name.substring(2), "1"));
        if (problem != null) {
          unknown.add(page + ": " + name + " (" + problem + ")");
        }
      }
    }
    assertTrue(unknown.isEmpty(), () -> "unknown names in the docs:\n  " + String.join("\n  ", unknown));
    assertTrue(unknownProblem(Map.of("PULSE_HTTP_PORTS", "1"), Map.of()) != null, "the check itself must catch a typo");
    assertTrue(unknownProblem(Map.of(), Map.of("pulse.http.prot", "1")) != null, "the check itself must catch a typo");
  }

  /** A test switch of DashboardBrowserTest, not a node setting. */
  private static final String TEST_SWITCH = "-Dpulse.updateScreenshot";

  /** The node's complaint if it does not know the variable or property at all; null if it does. */
  private static String unknownProblem(Map<String, String> env, Map<String, String> props) {
    try {
      PulseConfig.load(null, env, props);
      return null;
    } catch (ConfigException e) {
      return e.getMessage().startsWith("unknown") ? e.getMessage() : null;
    }
  }

  private static List<Path> docs() throws IOException {
    List<Path> out = new ArrayList<>(List.of(README));
    try (Stream<Path> pages = Files.list(SITE)) {
      pages.filter(p -> p.toString().endsWith(".md")).sorted().forEach(out::add);
    }
    return out;
  }

  // ---- links and anchors ----

  @Test
  @DisplayName("every relative link and #anchor in README.md and src/site/markdown/*.md resolves")
  void linksAndAnchorsResolve() throws IOException {
    List<String> broken = new ArrayList<>();
    for (Path page : docs()) {
      broken.addAll(brokenLinks(page));
    }
    assertTrue(broken.isEmpty(), () -> "broken links:\n  " + String.join("\n  ", broken));
  }

  @Test
  @DisplayName("the link check can fail: a missing file, a missing anchor and a bad anchor in the same page are caught")
  void linkCheckCatchesBrokenLinks(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("b.md"), "# Other page\n\n## Some `code`: here!\n");
    Files.writeString(dir.resolve("a.md"), """
        # Page A

        ## Two words

        [ok](b.md) [ok](b.md#some-code-here) [ok](#two-words) [ok](https://example.org/x#y)
        [missing file](c.md) [missing anchor](b.md#nothing) [bad
        local, over two lines](#three-words)
        ![missing image](img/x.png)

        ```
        [inside a code block](nowhere.md)
        ```
        and `[inline code](nowhere.md)` is not a link either.
        """);
    List<String> broken = brokenLinks(dir.resolve("a.md"));
    assertEquals(4, broken.size(), () -> String.join("\n", broken));
    assertTrue(broken.get(0).contains("c.md"), broken.get(0));
    assertTrue(broken.get(1).contains("b.md#nothing"), broken.get(1));
    assertTrue(broken.get(2).contains("#three-words"), broken.get(2));
    assertTrue(broken.get(3).contains("img/x.png"), broken.get(3));
  }

  @Test
  @DisplayName("headings get GitHub's slugs")
  void slugs() {
    assertEquals(List.of("the-kernel-side-perf", "more-instances-same-machine",
            "where-the-latency-goes-server-writes-and-client-reads", "roadmap--not-yet", "x", "x-1"),
        List.copyOf(anchors("### The kernel side: `perf`\n#### More instances, same machine\n"
            + "## Where the latency goes: server writes and client reads\n## Roadmap / not yet\n# X\n# X\n")));
  }

  private static final Pattern LINK = Pattern.compile("!?\\[[^\\]]*\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
  private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");

  /** Each broken relative link of {@code page}, as "page: target (why)". */
  static List<String> brokenLinks(Path page) throws IOException {
    List<String> broken = new ArrayList<>();
    Map<Path, Set<String>> anchorCache = new HashMap<>();
    for (String target : links(Files.readString(page))) {
      if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
        continue; // http:, https:, mailto:
      }
      int hash = target.indexOf('#');
      String file = hash < 0 ? target : target.substring(0, hash);
      String anchor = hash < 0 ? null : target.substring(hash + 1);
      Path resolved = file.isEmpty() ? page : page.toAbsolutePath().getParent().resolve(file).normalize();
      if (!Files.exists(resolved)) {
        broken.add(page + ": " + target + " (no such file)");
        continue;
      }
      if (anchor != null && resolved.toString().endsWith(".md")) {
        Set<String> known = anchorCache.computeIfAbsent(resolved, p -> {
          try {
            return anchors(Files.readString(p));
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        });
        if (!known.contains(anchor)) {
          broken.add(page + ": " + target + " (no heading with that anchor in " + resolved.getFileName() + ")");
        }
      }
    }
    return broken;
  }

  /** Link targets outside fenced code blocks and inline code (a link's text may span lines). */
  static List<String> links(String markdown) {
    StringBuilder prose = new StringBuilder();
    boolean fenced = false;
    for (String line : markdown.split("\n")) {
      if (line.trim().startsWith("```")) {
        fenced = !fenced;
        prose.append('\n');
        continue;
      }
      prose.append(fenced ? "" : line).append('\n');
    }
    List<String> out = new ArrayList<>();
    Matcher m = LINK.matcher(prose.toString().replaceAll("`[^`\n]*`", "``"));
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /**
   * The anchors GitHub gives the headings of {@code markdown}: lower case, punctuation dropped
   * (letters, digits, '_', '-' and spaces stay), spaces to '-', and "-1", "-2", … on repeats.
   */
  static Set<String> anchors(String markdown) {
    Set<String> out = new LinkedHashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    boolean fenced = false;
    for (String line : markdown.split("\n")) {
      if (line.trim().startsWith("```")) {
        fenced = !fenced;
        continue;
      }
      Matcher m = HEADING.matcher(line);
      if (fenced || !m.matches()) {
        continue;
      }
      String text = m.group(1).replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1");
      String slug = text.toLowerCase(java.util.Locale.ROOT)
          .replaceAll("[^\\p{L}\\p{M}\\p{N}\\p{Pc} -]", "")
          .replace(' ', '-');
      int n = seen.merge(slug, 1, Integer::sum) - 1;
      out.add(n == 0 ? slug : slug + "-" + n);
    }
    return out;
  }

  // ---- the README as a door ----

  @Test
  @DisplayName("README.md is at most 250 lines")
  void readmeIsShort() throws IOException {
    long lines = Files.readAllLines(README).size();
    assertTrue(lines <= 250, "README.md has " + lines + " lines; the reference belongs in " + SITE);
  }

  @Test
  @DisplayName("README.md shows ExamplePublisherVerticle.java exactly as it is")
  void readmeShowsTheExamplePublisher() throws IOException {
    String readme = Files.readString(README);
    Matcher m = Pattern.compile("```java\n(package io\\.pulse\\.examples;.*?)```", Pattern.DOTALL).matcher(readme);
    assertTrue(m.find(), "README.md has no ```java block starting with package io.pulse.examples;");
    assertEquals(Files.readString(EXAMPLE).strip(), m.group(1).strip(),
        "README.md's example differs from " + EXAMPLE + ": copy the file into the README");
  }

  @Test
  @DisplayName("index.md links every page of src/site/markdown")
  void indexListsEveryPage() throws IOException {
    List<String> linked = links(Files.readString(SITE.resolve("index.md")));
    try (Stream<Path> pages = Files.list(SITE)) {
      List<String> unlisted = pages.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".md") && !n.equals("index.md"))
          .filter(n -> linked.stream().noneMatch(l -> l.equals(n) || l.startsWith(n + "#")))
          .sorted().toList();
      assertTrue(unlisted.isEmpty(), () -> "pages not listed in index.md: " + unlisted);
    }
  }
}
