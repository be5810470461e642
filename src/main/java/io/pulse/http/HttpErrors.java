package io.pulse.http;

import io.pulse.conn.Refusal;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/** JSON errors (SPEC §9): {@code {"error":{"code":"bad_request","message":"…"}}}. */
final class HttpErrors {

  private HttpErrors() {
  }

  static void send(RoutingContext ctx, int status, String message) {
    HttpServerResponse res = ctx.response();
    if (res.headWritten() || res.ended()) {
      return;
    }
    res.setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(new Refusal(status, code(status), message, null).toJson().encode());
  }

  /** A {@link Refusal} as its status and code; any other failure as 503. */
  static void send(RoutingContext ctx, Throwable err) {
    HttpServerResponse res = ctx.response();
    if (res.headWritten() || res.ended()) {
      return;
    }
    Refusal r = err instanceof Refusal refusal ? refusal : Refusal.unavailable(String.valueOf(err.getMessage()));
    res.setStatusCode(r.status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(r.toJson().encode());
  }

  static String code(int status) {
    return switch (status) {
      case 400, 405 -> "bad_request";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not_found";
      case 413, 431 -> "too_large";
      case 429 -> "rate_limited";
      case 503 -> "unavailable";
      default -> "internal";
    };
  }

  /** The router's failure handler: every failure becomes a JSON error, never an HTML page. */
  static void onFailure(RoutingContext ctx) {
    int status = ctx.statusCode() < 400 ? 500 : ctx.statusCode();
    String message = switch (status) {
      case 404 -> "no such resource: " + ctx.request().path();
      case 405 -> "method not allowed";
      case 413 -> "request body is too large";
      case 500 -> "internal error";
      default -> ctx.failure() != null && ctx.failure().getMessage() != null ? ctx.failure().getMessage() : "request failed";
    };
    send(ctx, status, message);
  }
}
