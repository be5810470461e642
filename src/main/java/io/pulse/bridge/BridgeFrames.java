package io.pulse.bridge;

import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/**
 * Error frames of the bridge's wire format, as vertx-web's bridge writes them, so that the
 * standard client routes them: an {@code err} carrying an {@code address} reaches the reply
 * callback (or the handlers registered) there; one without reaches {@code eventBus.onerror}.
 */
final class BridgeFrames {

  private BridgeFrames() {
  }

  /** {@code {"type":"err","address","failureCode","failureType","message"}}: to a callback. */
  static String failure(String address, int code, ReplyFailure type, String message) {
    return new JsonObject().put("type", "err").put("address", address).put("failureCode", code)
        .put("failureType", type.name()).put("message", message).encode();
  }

  /** {@code {"type":"err","body":<code>,"message"}}: to {@code onerror}, like the bridge's own "access_denied". */
  static String error(String code, String message) {
    return new JsonObject().put("type", "err").put("body", code).put("message", message).encode();
  }

  /** {@code {"type":"rec","address","body"}}: a reply to a callback. */
  static String reply(String address, Object body) {
    return new JsonObject().put("type", "rec").put("address", address).put("body", body).encode();
  }
}
