package io.pulse.conn;

import io.pulse.messages.Envelope;
import io.pulse.channel.Channels;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SSE {@code id:} of a stream (SPEC §3). A stream of one channel uses the envelope id itself;
 * a stream of several channels or a pattern uses {@code channel:id,channel:id,…} — the position
 * of every channel it has delivered, so that any node can resume all of them. Channel names never
 * hold ':' or ','. At most {@link #MAX_CHANNELS} channels are carried.
 */
public final class ResumeToken {

  public static final int MAX_CHANNELS = 64;

  private ResumeToken() {
  }

  public static String encode(Map<String, Long> positions) {
    StringBuilder sb = new StringBuilder(positions.size() * 24);
    int n = 0;
    for (Map.Entry<String, Long> e : positions.entrySet()) {
      if (n++ == MAX_CHANNELS) {
        break;
      }
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(e.getKey()).append(':').append(Envelope.id(e.getValue()));
    }
    return sb.toString();
  }

  /**
   * Parses a token. A bare id is taken as the position of {@code singleChannel} (null when the
   * stream is not a single channel). Returns null when the token is not one of ours.
   */
  public static Map<String, Long> decode(String token, String singleChannel) {
    Map<String, Long> out = new LinkedHashMap<>();
    if (token == null || token.isBlank() || token.length() > 8192) {
      return token == null || token.isBlank() ? out : null;
    }
    if (token.indexOf(':') < 0) {
      long seq = Envelope.seqOf(token);
      if (singleChannel == null || seq < -1) {
        return null;
      }
      out.put(singleChannel, seq);
      return out;
    }
    for (String part : token.split(",")) {
      int colon = part.lastIndexOf(':');
      long seq = colon > 0 ? Envelope.seqOf(part.substring(colon + 1)) : -2;
      if (seq < -1 || Channels.channelError(part.substring(0, colon)) != null) {
        return null;
      }
      out.put(part.substring(0, colon), seq);
    }
    return out;
  }

  /**
   * The channels a client resumes when it subscribes to {@code specs} with {@code token} (SSE's
   * {@code Last-Event-ID}, the WebSocket's {@code since}), with the sequence after which each
   * resumes. A bare id is the position of a subscription to a single channel; a token that is not
   * ours resets every channel subscribed by name (-2: unknown). Channels no spec covers are left out.
   */
  public static Map<String, Long> positions(List<String> specs, String token) {
    Map<String, Long> wanted = new LinkedHashMap<>();
    if (token == null || token.isBlank()) {
      return wanted;
    }
    String single = specs.size() == 1 && !Channels.isPattern(specs.get(0)) ? specs.get(0) : null;
    Map<String, Long> decoded = decode(token, single);
    if (decoded == null) {
      for (String spec : specs) {
        if (!Channels.isPattern(spec)) {
          wanted.put(spec, -2L);
        }
      }
      return wanted;
    }
    decoded.forEach((channel, seq) -> {
      for (String spec : specs) {
        if (Channels.matches(spec, channel)) {
          wanted.put(channel, seq);
          return;
        }
      }
    });
    return wanted;
  }
}
