package io.pulse.messages;

import io.pulse.channel.Channels;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * A publish request, the body of {@code pulse.publish} (SPEC §12) and of {@code POST /api/publish}:
 * {@code {"channel":"chat.lobby","event":"alert","data":…,"from":"ann"}}.
 *
 * <p>{@code event} is optional (default {@code message}) and becomes the envelope {@code type};
 * {@code data} is any JSON value (default null); {@code from} is an optional identity.
 */
public record PublishRequest(String channel, String event, Object data, String from) {

  public static final String DEFAULT_EVENT = "message";
  private static final Pattern EVENT = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  /** Validates {@code json}; throws {@link IllegalArgumentException} with a client-facing message. */
  public static PublishRequest fromJson(JsonObject json, int maxBytes) {
    Object channel = json.getValue("channel");
    if (!(channel instanceof String ch)) {
      throw new IllegalArgumentException(channel == null ? "channel is required" : "channel must be a string");
    }
    String err = Channels.channelError(ch);
    if (err != null) {
      throw new IllegalArgumentException(err);
    }
    Object event = json.getValue("event", DEFAULT_EVENT);
    if (!(event instanceof String ev) || !EVENT.matcher(ev).matches()) {
      throw new IllegalArgumentException("event must be a string of 1-64 characters [A-Za-z0-9_.-]");
    }
    Object from = json.getValue("from");
    if (from != null && (!(from instanceof String f) || f.length() > 200)) {
      throw new IllegalArgumentException("from must be a string of at most 200 characters or null");
    }
    for (String field : json.fieldNames()) {
      if (!field.equals("channel") && !field.equals("event") && !field.equals("data") && !field.equals("from")) {
        throw new IllegalArgumentException("unknown field '" + field + "' (expected channel, event, data, from)");
      }
    }
    Object data = json.getValue("data");
    int size = sizeOf(data);
    if (size > maxBytes) {
      throw new IllegalArgumentException("data is " + size + " bytes, over limits.maxMessageBytes (" + maxBytes + ")");
    }
    return new PublishRequest(ch, ev, data, (String) from);
  }

  public JsonObject toJson() {
    return new JsonObject().put("channel", channel).put("event", event).put("data", data).put("from", from);
  }

  private static int sizeOf(Object data) {
    if (data == null) {
      return 4;
    }
    if (data instanceof JsonObject o) {
      return o.toBuffer().length();
    }
    if (data instanceof JsonArray a) {
      return a.toBuffer().length();
    }
    return String.valueOf(data).getBytes(StandardCharsets.UTF_8).length;
  }
}
