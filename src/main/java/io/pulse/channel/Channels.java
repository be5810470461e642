package io.pulse.channel;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Channel names and subscription patterns (SPEC §2).
 *
 * <p>A channel is 1–8 dot-separated segments of {@code [A-Za-z0-9_-]}, at most 200 characters.
 * A pattern {@code a.b.*} matches every channel that starts with {@code a.b.} at any depth.
 */
public final class Channels {

  public static final int MAX_LENGTH = 200;
  public static final int MAX_SEGMENTS = 8;
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_-]+");

  private Channels() {
  }

  /** Returns null when {@code name} is a valid channel, else a message saying what is wrong. */
  public static String channelError(String name) {
    if (name == null || name.isEmpty()) {
      return "channel is required";
    }
    if (name.length() > MAX_LENGTH) {
      return "channel must be at most " + MAX_LENGTH + " characters";
    }
    String[] segments = name.split("\\.", -1);
    if (segments.length > MAX_SEGMENTS) {
      return "channel must have at most " + MAX_SEGMENTS + " dot-separated segments";
    }
    for (String s : segments) {
      if (!SEGMENT.matcher(s).matches()) {
        return "channel must match [A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+){0,7}, got '" + abbreviate(name) + "'";
      }
    }
    return null;
  }

  /** Returns null when {@code spec} is a valid channel or {@code prefix.*} pattern, else the error. */
  public static String subscriptionError(String spec) {
    if (spec != null && spec.endsWith(".*")) {
      String prefix = spec.substring(0, spec.length() - 2);
      String err = channelError(prefix);
      if (err == null && prefix.split("\\.").length >= MAX_SEGMENTS) {
        return "pattern prefix must have fewer than " + MAX_SEGMENTS + " segments";
      }
      return err == null ? null : err.replace("channel", "pattern");
    }
    return channelError(spec);
  }

  public static boolean isPattern(String spec) {
    return spec.endsWith(".*");
  }

  /** The prefix of a pattern: {@code a.b} for {@code a.b.*}. */
  public static String patternPrefix(String pattern) {
    return pattern.substring(0, pattern.length() - 2);
  }

  /** True when {@code channel} is {@code spec} or matched by the pattern {@code spec}. */
  public static boolean matches(String spec, String channel) {
    if (isPattern(spec)) {
      String prefix = spec.substring(0, spec.length() - 1); // keeps the trailing dot
      return channel.startsWith(prefix);
    }
    return spec.equals(channel);
  }

  /** The proper prefixes of a channel, shortest first: {@code a}, {@code a.b} for {@code a.b.c}. */
  public static List<String> prefixes(String channel) {
    List<String> out = new ArrayList<>(MAX_SEGMENTS);
    int i = channel.indexOf('.');
    while (i > 0) {
      out.add(channel.substring(0, i));
      i = channel.indexOf('.', i + 1);
    }
    return out;
  }

  static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }
}
