package io.pulse.http;

import io.pulse.auth.Auth;
import io.pulse.auth.Identity;
import io.pulse.auth.Tokens;
import io.pulse.conn.Connections;
import io.pulse.conn.Refusal;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * The checks every JSON API route shares: the request's JSON body, its token (Bearer header or {@code ?token=},
 * see {@link Tokens}) is checked by the connection core, as on {@code /events} and {@code /ws};
 * each refusal is counted in {@code pulse_refused_total} under its reason ({@code unauthorized},
 * {@code forbidden}, {@code bad_request}) and answered as a JSON error (SPEC §9).
 */
final class ApiGuard {

  private final Connections connections;

  ApiGuard(Connections connections) {
    this.connections = connections;
  }

  /** Runs {@code then} with the request's identity, or answers 401 for a bad token. */
  void authenticated(RoutingContext ctx, Consumer<Identity> then) {
    connections.authenticate(Tokens.from(ctx.request())).onComplete(ar -> {
      if (ar.failed()) {
        HttpErrors.send(ctx, ar.cause());
      } else {
        then.accept(ar.result());
      }
    });
  }

  /** Runs {@code then} when {@code right} (0, or {@link Auth}'s 401 or 403) allows the request's identity. */
  void authorized(RoutingContext ctx, ToIntFunction<Identity> right, Runnable then) {
    authenticated(ctx, id -> {
      int denied = right.applyAsInt(id);
      if (denied == 0) {
        then.run();
      } else {
        deny(ctx, denied, denied == Auth.UNAUTHORIZED ? "a token is required" : "the token does not allow this");
      }
    });
  }

  /** Answers 401 ({@code unauthorized}) or 403 ({@code forbidden}) with {@code message}. */
  void deny(RoutingContext ctx, int status, String message) {
    String code = status == Auth.UNAUTHORIZED ? "unauthorized" : "forbidden";
    HttpErrors.send(ctx, connections.refused(new Refusal(status, code, message, code)));
  }

  /** Answers 400 ({@code bad_request}) with {@code message}. */
  void badRequest(RoutingContext ctx, String message) {
    HttpErrors.send(ctx, connections.refused(Refusal.badRequest(message)));
  }

  /** The request's body as a JSON object, or null when it is none. */
  static JsonObject jsonBody(RoutingContext ctx) {
    try {
      return ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }
}
