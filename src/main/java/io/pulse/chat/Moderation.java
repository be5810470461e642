package io.pulse.chat;

import io.pulse.messages.Addresses;
import io.pulse.config.PulseConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/**
 * The chat's moderation hook: before a chat message is published, when
 * {@code chat.moderation.address} is set, the text is requested there (any verticle, any node;
 * the example {@code ModerationVerticle} is one) with {@code {"room","from","text"}}, within
 * {@code chat.moderation.timeoutMs}, with the header {@code pulse-sub}: the sender's token subject
 * (absent without a token, as in {@code dev} mode with a chosen name). That header is what a hook may
 * trust: a page may send the same body to the same address through the bridge (when
 * {@code bridge.inbound} lists it) with any {@code from}, but never with a {@code pulse-sub} of its
 * choosing ({@link io.pulse.messages.Addresses#HEADER_SUBJECT}). The answer decides:
 * <ul>
 *   <li>{@code {"action":"allow"}} (or no action): the text is published as it is;</li>
 *   <li>{@code {"action":"rewrite","text":"…"}}: the new text is published;</li>
 *   <li>{@code {"action":"reject","reason":"…"}}, or a failure the handler replies
 *   ({@code message.fail}): nothing is published, the sender gets {@link #REJECTED}.</li>
 * </ul>
 * No handler, no answer in time, or an answer of another shape: {@code chat.moderation.onFailure}
 * decides, {@code reject} (the default, fail-closed: {@link #UNAVAILABLE}) or {@code allow}
 * (fail-open: published unmoderated). Each message is its own request, and verdicts may come back
 * in any order: the WebSocket chat releases a connection's messages in the order sent through an
 * {@link OrderedRelease}. Thread-safe.
 */
public final class Moderation {

  /** Error codes the chat client gets. */
  public static final String REJECTED = "rejected";
  public static final String UNAVAILABLE = "unavailable";

  private final Vertx vertx;
  private final String address;
  private final long timeoutMs;
  private final boolean failOpen;

  public Moderation(Vertx vertx, PulseConfig cfg) {
    this.vertx = vertx;
    this.address = cfg.moderationAddress();
    this.timeoutMs = cfg.moderationTimeoutMs();
    this.failOpen = cfg.moderationFailOpen();
  }

  /**
   * The text to publish, or a failed {@link Refusal}. {@code from} is the name the chat shows;
   * {@code subject} the sender's token subject, null without a token.
   */
  public Future<String> review(String room, String from, String subject, String text) {
    if (address.isEmpty()) {
      return Future.succeededFuture(text);
    }
    JsonObject request = new JsonObject().put("room", room).put("from", from).put("text", text);
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMs);
    if (subject != null) {
      options.addHeader(Addresses.HEADER_SUBJECT, subject);
    }
    return vertx.eventBus().<Object>request(address, request, options).transform(ar -> {
      if (ar.failed()) {
        if (ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
          return refused(REJECTED, re.getMessage());
        }
        return unanswered(text);
      }
      if (!(ar.result().body() instanceof JsonObject verdict)) {
        return unanswered(text);
      }
      String action = verdict.getValue("action") instanceof String a ? a : "allow";
      return switch (action) {
        case "allow" -> Future.succeededFuture(text);
        case "rewrite" -> verdict.getValue("text") instanceof String t && !t.isEmpty()
            ? Future.succeededFuture(t) : unanswered(text);
        case "reject" -> refused(REJECTED, verdict.getValue("reason") instanceof String r ? r : "rejected by moderation");
        default -> unanswered(text);
      };
    });
  }

  private Future<String> unanswered(String text) {
    return failOpen ? Future.succeededFuture(text)
        : refused(UNAVAILABLE, "moderation did not answer; the message was not sent, try again");
  }

  private static Future<String> refused(String code, String message) {
    return Future.failedFuture(new Refusal(code, message));
  }

  /** A message that is not published: {@link #code} for the client's error, and why. */
  public static final class Refusal extends RuntimeException {
    public final String code;

    Refusal(String code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }
}
