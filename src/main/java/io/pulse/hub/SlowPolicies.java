package io.pulse.hub;

import io.pulse.channel.Channels;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which slow-consumer policy a subscription gets, and which ones a client may ask for.
 *
 * <p>From config: a global default ({@code limits.slowConsumer}) and the policies a client may
 * choose anywhere ({@code limits.slowConsumerAllowed}), refined per channel pattern by
 * {@code limits.slowConsumerChannels}: {@code {"sensors.*":{"default":"conflate","allow":["drop"]}}}.
 * A rule's {@code default} falls back to the global default and its {@code allow} to the global
 * list; the default is always allowed. A subscription follows the most specific rule that covers
 * all of it (an exact channel, else the longest pattern whose prefix it lies under); one that no
 * rule covers follows the global settings.
 *
 * <p>Immutable and thread-safe.
 */
public final class SlowPolicies {

  /** One rule: the default and what a client may choose instead. */
  public record Rule(SlowPolicy defaultPolicy, Set<SlowPolicy> allowed) {
  }

  private final Rule global;
  private final Map<String, Rule> rules; // key: a channel or a pattern, as written

  private SlowPolicies(Rule global, Map<String, Rule> rules) {
    this.global = global;
    this.rules = rules;
  }

  /** Everything allowed, {@code defaultPolicy} by default: what tests and embedders start from. */
  public static SlowPolicies of(SlowPolicy defaultPolicy) {
    return new SlowPolicies(new Rule(defaultPolicy, EnumSet.allOf(SlowPolicy.class)), Map.of());
  }

  /**
   * Builds the policies from config values; throws {@link IllegalArgumentException} with a
   * message naming what is wrong (the caller prefixes the key).
   */
  public static SlowPolicies parse(String defaultPolicy, List<String> allowed, JsonObject channels) {
    SlowPolicy def = policy(defaultPolicy, "limits.slowConsumer");
    Set<SlowPolicy> allow = policies(allowed, "limits.slowConsumerAllowed");
    allow.add(def);
    Rule global = new Rule(def, Set.copyOf(allow));
    Map<String, Rule> rules = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : channels) {
      String spec = e.getKey();
      String err = Channels.subscriptionError(spec);
      if (err != null) {
        throw new IllegalArgumentException("has an invalid channel pattern '" + spec + "': " + err);
      }
      if (!(e.getValue() instanceof JsonObject rule)) {
        throw new IllegalArgumentException("'" + spec + "' must be an object like {\"default\":\"conflate\",\"allow\":[\"drop\"]}");
      }
      for (String field : rule.fieldNames()) {
        if (!field.equals("default") && !field.equals("allow")) {
          throw new IllegalArgumentException("'" + spec + "' has an unknown field '" + field + "' (default, allow)");
        }
      }
      Object d = rule.getValue("default");
      if (d != null && !(d instanceof String)) {
        throw new IllegalArgumentException("'" + spec + "'.default must be a string (" + SlowPolicy.names() + ")");
      }
      SlowPolicy ruleDefault = d == null ? def : policy((String) d, "'" + spec + "'.default");
      Object a = rule.getValue("allow");
      Set<SlowPolicy> ruleAllow;
      if (a == null) {
        ruleAllow = EnumSet.copyOf(global.allowed());
      } else if (a instanceof JsonArray arr) {
        List<String> names = new ArrayList<>();
        for (Object o : arr) {
          if (!(o instanceof String s)) {
            throw new IllegalArgumentException("'" + spec + "'.allow must be an array of strings (" + SlowPolicy.names() + ")");
          }
          names.add(s);
        }
        ruleAllow = policies(names, "'" + spec + "'.allow");
      } else {
        throw new IllegalArgumentException("'" + spec + "'.allow must be an array of strings (" + SlowPolicy.names() + ")");
      }
      ruleAllow.add(ruleDefault);
      rules.put(spec, new Rule(ruleDefault, Set.copyOf(ruleAllow)));
    }
    return new SlowPolicies(global, Map.copyOf(rules));
  }

  /** The global default ({@code limits.slowConsumer}). */
  public SlowPolicy defaultPolicy() {
    return global.defaultPolicy();
  }

  /** The rule that applies to the subscription {@code spec} (a channel or a pattern). */
  public Rule ruleFor(String spec) {
    Rule r = rules.get(spec);
    if (r != null) {
      return r;
    }
    // The longest pattern whose prefix the subscription lies under: a.b.* covers a.b.c and a.b.c.*.
    String base = Channels.isPattern(spec) ? Channels.patternPrefix(spec) : spec;
    List<String> prefixes = Channels.prefixes(base);
    for (int i = prefixes.size() - 1; i >= 0; i--) {
      r = rules.get(prefixes.get(i) + ".*");
      if (r != null) {
        return r;
      }
    }
    return global;
  }

  /**
   * The policy for {@code spec} when the client asks for {@code requested} (null: the default).
   *
   * @throws IllegalArgumentException with a client-facing message when it is not allowed there
   */
  public SlowPolicy resolve(String spec, String requested) {
    Rule rule = ruleFor(spec);
    if (requested == null) {
      return rule.defaultPolicy();
    }
    SlowPolicy p = SlowPolicy.of(requested);
    if (p == null) {
      throw new IllegalArgumentException("policy must be one of " + SlowPolicy.names() + ", got '"
          + (requested.length() > 40 ? requested.substring(0, 37) + "..." : requested) + "'");
    }
    if (!rule.allowed().contains(p)) {
      throw new IllegalArgumentException("policy '" + p.wire() + "' is not allowed on " + spec + " (allowed: "
          + String.join(", ", EnumSet.copyOf(rule.allowed()).stream().map(SlowPolicy::wire).toList())
          + "; see limits.slowConsumerChannels)");
    }
    return p;
  }

  private static SlowPolicy policy(String name, String where) {
    SlowPolicy p = SlowPolicy.of(name);
    if (p == null) {
      throw new IllegalArgumentException(where + " must be one of " + SlowPolicy.names() + ", got '" + name + "'");
    }
    return p;
  }

  private static Set<SlowPolicy> policies(List<String> names, String where) {
    Set<SlowPolicy> out = EnumSet.noneOf(SlowPolicy.class);
    for (String n : names) {
      out.add(policy(n, where));
    }
    return out;
  }
}
