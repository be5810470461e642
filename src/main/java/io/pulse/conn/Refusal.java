package io.pulse.conn;

import io.pulse.auth.Auth;
import io.vertx.core.json.JsonObject;

/**
 * A client's request that Pulse will not carry out, the same on every transport: an HTTP-style
 * {@code status}, the error {@code code} clients see (SPEC §4: {@code bad_request},
 * {@code unauthorized}, {@code forbidden}, {@code rate_limited}, {@code unavailable}, …), a message
 * for people, and the {@code reason} label of {@code pulse_refused_total} (null: not counted, as
 * for a publish the cluster could not take). Transports only frame it: an HTTP status and JSON
 * body, a WebSocket {@code error} message, a bridge {@code err} or failure frame.
 */
public final class Refusal extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public final int status;
  public final String code;
  public final String reason;
  /**
   * False for a rate-limit refusal that the client has been told of recently: a transport answers
   * it only to a request that waits for a reply.
   */
  public final boolean tell;

  public Refusal(int status, String code, String message, String reason, boolean tell) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.reason = reason;
    this.tell = tell;
  }

  public Refusal(int status, String code, String message, String reason) {
    this(status, code, message, reason, true);
  }

  public static Refusal badRequest(String message) {
    return new Refusal(400, "bad_request", message, "bad_request");
  }

  /** A right refused by {@link Auth} ({@code right}: 401 or 403) to do {@code what}. */
  public static Refusal right(int right, String what) {
    return right == Auth.UNAUTHORIZED
        ? new Refusal(401, "unauthorized", "a token is required to " + what, "unauthorized")
        : new Refusal(403, "forbidden", "the token does not allow you to " + what, "forbidden");
  }

  /** The HTTP error body (SPEC §9): {@code {"error":{"code","message"}}}. */
  public JsonObject toJson() {
    return new JsonObject().put("error", new JsonObject().put("code", code).put("message", getMessage()));
  }

  public static Refusal unavailable(String message) {
    return new Refusal(503, "unavailable", message, null);
  }
}
