package io.pulse.bench;

import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of a run: a table for people, then — always the last line — the same figures as one
 * JSON object for scripts. Fields go into both in the order they are added; notes go into the
 * table only. Unknown figures are JSON null and "n/a" in the table.
 */
public final class Report {

  private final Map<String, Object> fields = new LinkedHashMap<>();
  private final List<String[]> rows = new ArrayList<>();

  /**
   * Adds a figure. Doubles are rounded to 3 decimals, or 6 below 1 (a loss of 1 in 200,000 stays
   * visible); NaN and infinities become null.
   */
  public Report put(String key, Object value) {
    Object v = value;
    if (value instanceof Double d) {
      double scale = Math.abs(d) < 1 ? 1e6 : 1e3;
      v = d.isNaN() || d.isInfinite() ? null : Math.round(d * scale) / scale;
    }
    fields.put(key, v);
    rows.add(new String[] {key, v == null ? "n/a" : String.valueOf(v)});
    return this;
  }

  /** Adds a line to the table only. */
  public Report note(String label, String text) {
    rows.add(new String[] {label, text});
    return this;
  }

  /** The JSON object (for tests and the last line). */
  public JsonObject json() {
    return new JsonObject(new LinkedHashMap<>(fields));
  }

  public void print(PrintStream out) {
    int width = rows.stream().mapToInt(r -> r[0].length()).max().orElse(10);
    String rule = "-".repeat(width + 2) + "+" + "-".repeat(40);
    out.println(rule);
    for (String[] r : rows) {
      out.printf(" %-" + width + "s | %s%n", r[0], r[1]);
    }
    out.println(rule);
    out.println(json().encode());
    out.flush();
  }

  /** {@code part / whole}, or null when either is unknown or the whole is 0. */
  static Double ratio(Number part, Number whole) {
    if (part == null || whole == null || whole.doubleValue() == 0) {
      return null;
    }
    return part.doubleValue() / whole.doubleValue();
  }
}
