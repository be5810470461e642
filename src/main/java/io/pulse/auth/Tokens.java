package io.pulse.auth;

import io.vertx.core.http.HttpServerRequest;

/** Where a request carries its token: {@code Authorization: Bearer …}, else {@code ?token=…}. */
public final class Tokens {

  private Tokens() {
  }

  public static String from(HttpServerRequest req) {
    String header = req.getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return header.substring(7).trim();
    }
    return req.getParam("token");
  }
}
