package io.pulse.config;

import io.pulse.channel.Channels;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** One configuration key: its name, type, default and allowed values. */
record Key(String name, Type type, Object defaultValue, long min, long max, Set<String> choices) {

  enum Type { INT, BOOL, STRING, ENUM, LIST, PATTERNS, OBJECT }

  static Key integer(String name, int def, long min, long max) {
    return new Key(name, Type.INT, def, min, max, Set.of());
  }

  static Key bool(String name, boolean def) {
    return new Key(name, Type.BOOL, def, 0, 0, Set.of());
  }

  static Key string(String name, String def) {
    return new Key(name, Type.STRING, def, 0, 0, Set.of());
  }

  static Key choice(String name, String def, String... choices) {
    return new Key(name, Type.ENUM, def, 0, 0, Set.of(choices));
  }

  static Key list(String name, String... def) {
    return new Key(name, Type.LIST, List.of(def), 0, 0, Set.of());
  }

  static Key patterns(String name, String... def) {
    return new Key(name, Type.PATTERNS, List.of(def), 0, 0, Set.of());
  }

  /** A JSON object, checked as a whole by {@link PulseConfig} (its shape depends on the key). */
  static Key object(String name, JsonObject def) {
    return new Key(name, Type.OBJECT, def, 0, 0, Set.of());
  }

  /** {@code limits.maxConnections} → {@code PULSE_LIMITS_MAX_CONNECTIONS}. */
  String envName() {
    return "PULSE_" + name.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replace('.', '_').toUpperCase(Locale.ROOT);
  }

  /** {@code limits.maxConnections} → {@code PULSE_LIMITS_MAXCONNECTIONS} (also accepted). */
  String compactEnvName() {
    return "PULSE_" + name.replace('.', '_').toUpperCase(Locale.ROOT);
  }

  /** Converts a JSON value (from the file) to this key's type, or throws naming the key. */
  Object fromJson(Object raw, String source) {
    switch (type) {
      case INT -> {
        if (!(raw instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
          throw bad(source, "must be an integer, got " + describe(raw));
        }
        return checkRange(n.longValue(), source);
      }
      case BOOL -> {
        if (!(raw instanceof Boolean b)) {
          throw bad(source, "must be true or false, got " + describe(raw));
        }
        return b;
      }
      case STRING, ENUM -> {
        if (type == Type.ENUM && raw instanceof Boolean b && choices.contains(b.toString())) {
          return b.toString(); // "bridge.enabled": true is as good as "true"
        }
        if (!(raw instanceof String s)) {
          throw bad(source, "must be a string, got " + describe(raw));
        }
        return checkChoice(s, source);
      }
      case OBJECT -> {
        if (!(raw instanceof JsonObject o)) {
          throw bad(source, "must be a JSON object, got " + describe(raw));
        }
        return o.copy();
      }
      default -> {
        if (!(raw instanceof JsonArray arr)) {
          throw bad(source, "must be an array of strings, got " + describe(raw));
        }
        List<String> out = new ArrayList<>();
        for (Object o : arr) {
          if (!(o instanceof String s)) {
            throw bad(source, "must be an array of strings, got an element " + describe(o));
          }
          out.add(s);
        }
        return checkList(out, source);
      }
    }
  }

  /** Converts a string (from the environment or a system property) to this key's type. */
  Object fromString(String raw, String source) {
    String s = raw.trim();
    switch (type) {
      case INT -> {
        try {
          return checkRange(Long.parseLong(s), source);
        } catch (NumberFormatException e) {
          throw bad(source, "must be an integer, got '" + s + "'");
        }
      }
      case BOOL -> {
        if (!s.equalsIgnoreCase("true") && !s.equalsIgnoreCase("false")) {
          throw bad(source, "must be true or false, got '" + s + "'");
        }
        return Boolean.parseBoolean(s);
      }
      case STRING, ENUM -> {
        return checkChoice(raw, source);
      }
      case OBJECT -> {
        try {
          return new JsonObject(s);
        } catch (io.vertx.core.json.DecodeException | ClassCastException e) {
          throw bad(source, "must be a JSON object, got '" + (s.length() > 40 ? s.substring(0, 37) + "..." : s) + "'");
        }
      }
      default -> {
        if (s.startsWith("[")) {
          try {
            return fromJson(new JsonArray(s), source);
          } catch (io.vertx.core.json.DecodeException e) {
            throw bad(source, "must be a JSON array or a comma-separated list, got '" + s + "'");
          }
        }
        List<String> out = new ArrayList<>();
        for (String part : s.split(",")) {
          if (!part.isBlank()) {
            out.add(part.trim());
          }
        }
        return checkList(out, source);
      }
    }
  }

  private Object checkRange(long v, String source) {
    if (v < min || v > max) {
      throw bad(source, "must be between " + min + " and " + max + ", got " + v);
    }
    return (int) v;
  }

  private String checkChoice(String s, String source) {
    if (type == Type.ENUM && !choices.contains(s)) {
      throw bad(source, "must be one of " + String.join(", ", choices.stream().sorted().toList()) + ", got '" + s + "'");
    }
    return s;
  }

  private List<String> checkList(List<String> values, String source) {
    if (type == Type.PATTERNS) {
      for (String v : values) {
        String err = Channels.subscriptionError(v);
        if (err != null) {
          throw bad(source, "has an invalid channel pattern: " + err);
        }
      }
    }
    return List.copyOf(values);
  }

  ConfigException bad(String source, String what) {
    return new ConfigException("config key '" + name + "' (" + source + ") " + what);
  }

  private static String describe(Object o) {
    if (o == null) {
      return "null";
    }
    String kind = o instanceof String ? "a string" : o instanceof Number ? "a number"
        : o instanceof Boolean ? "a boolean" : o instanceof JsonArray ? "an array" : "an object";
    String text = String.valueOf(o);
    return kind + " " + (text.length() > 40 ? text.substring(0, 37) + "..." : text);
  }
}
