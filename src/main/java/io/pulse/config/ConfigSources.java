package io.pulse.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where configuration values come from, lowest precedence first: the keys' defaults, the JSON
 * file (nested {@code {"http":{"port":8080}}} or flat {@code {"http.port":8080}}), {@code PULSE_*}
 * environment variables, {@code -Dpulse.*} system properties. Each value is parsed by its
 * {@link Key}; an unknown key or a bad value throws a {@link ConfigException} that names it and
 * where it came from.
 */
final class ConfigSources {

  private ConfigSources() {
  }

  /** {@code file}, or {@code conf/pulse.json} when null and present; an empty object when neither. */
  static JsonObject read(Path file) {
    Path path = file != null ? file : (Files.isRegularFile(PulseConfig.DEFAULT_FILE) ? PulseConfig.DEFAULT_FILE : null);
    if (path == null) {
      return new JsonObject();
    }
    try {
      return new JsonObject(Files.readString(path));
    } catch (IOException e) {
      throw new ConfigException("config file " + path + " cannot be read: " + e.getMessage());
    } catch (DecodeException | ClassCastException e) {
      throw new ConfigException("config file " + path + " is not a JSON object: " + firstLine(e.getMessage()));
    }
  }

  /** Every key's value, from its default overridden by {@code file}, {@code env}, then {@code sysProps}. */
  static Map<String, Object> values(List<Key> keys, JsonObject file, Map<String, String> env,
      Map<String, String> sysProps) {
    Map<String, Key> byName = new LinkedHashMap<>();
    keys.forEach(k -> byName.put(k.name(), k));
    Map<String, Object> values = new HashMap<>();
    keys.forEach(k -> values.put(k.name(), k.defaultValue()));

    Map<String, Object> flat = new LinkedHashMap<>();
    flatten("", file, flat, byName);
    flat.forEach((name, raw) -> values.put(name, known(byName, name, "in the config file").fromJson(raw, "config file")));

    Map<String, Key> byEnv = new HashMap<>();
    keys.forEach(k -> {
      byEnv.put(k.envName(), k);
      byEnv.put(k.compactEnvName(), k);
    });
    env.forEach((name, raw) -> {
      if (name.startsWith("PULSE_")) {
        Key k = byEnv.get(name);
        if (k == null) {
          throw new ConfigException("unknown environment variable " + name + " (no such config key)");
        }
        values.put(k.name(), k.fromString(raw, "environment " + name));
      }
    });
    sysProps.forEach((name, raw) -> {
      if (name.startsWith("pulse.")) {
        String keyName = name.substring("pulse.".length());
        values.put(keyName, known(byName, keyName, "as system property -D" + name).fromString(raw, "-D" + name));
      }
    });
    return values;
  }

  private static Key known(Map<String, Key> byName, String name, String where) {
    Key k = byName.get(name);
    if (k == null) {
      throw new ConfigException("unknown config key '" + name + "' " + where);
    }
    return k;
  }

  private static void flatten(String prefix, JsonObject json, Map<String, Object> out, Map<String, Key> byName) {
    for (Map.Entry<String, Object> e : json) {
      String name = prefix + e.getKey();
      if (e.getValue() instanceof JsonObject nested && !byName.containsKey(name)) {
        flatten(name + ".", nested, out, byName);
      } else {
        out.put(name, e.getValue());
      }
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
