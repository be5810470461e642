package io.pulse.auth;

import io.pulse.channel.Channels;
import io.pulse.config.PulseConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * Tokens and permissions (SPEC §8), for every transport. Verification is vertx-auth-jwt's:
 * one key, one algorithm, so {@code alg: none} and key confusion are refused; {@code exp} and
 * {@code nbf} are checked.
 *
 * <p>{@code dev} mode: no token is needed for anything; tokens minted by {@link #mint} (HS256 with
 * a secret shared by the cluster) are accepted so that the token flows can be tried. {@code jwt}
 * mode: without a token only {@code auth.publicChannels} may be subscribed; chat and publishing
 * need a token whose {@code publish} claim covers the channel. A claim pattern {@code *} means
 * every channel. Thread-safe.
 */
public final class Auth {

  /** Failure codes: 401 (no or bad token), 403 (token without the right). */
  public static final int UNAUTHORIZED = 401;
  public static final int FORBIDDEN = 403;
  static final int DEV_TOKEN_MINUTES = 60;

  private final boolean dev;
  private final JWTAuth jwt;
  private final List<String> publicChannels;
  private final Revocations revocations;

  private Auth(boolean dev, JWTAuth jwt, List<String> publicChannels, Revocations revocations) {
    this.dev = dev;
    this.jwt = jwt;
    this.publicChannels = publicChannels;
    this.revocations = revocations;
  }

  /**
   * {@code devSecret}: the cluster's shared secret for dev tokens (used when auth.jwt.key is
   * empty); {@code revocations}: the subjects whose tokens were revoked.
   */
  public static Auth create(Vertx vertx, PulseConfig cfg, String devSecret, Revocations revocations) {
    boolean dev = "dev".equals(cfg.authMode());
    String algorithm = dev ? "HS256" : cfg.jwtAlgorithm();
    String key = dev && cfg.jwtKey().isEmpty() ? devSecret : cfg.jwtKey();
    JWTAuth jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm(algorithm).setBuffer(key))
        .setJWTOptions(new JWTOptions().setLeeway(0)));
    return new Auth(dev, jwt, cfg.publicChannels(), revocations);
  }

  public boolean devMode() {
    return dev;
  }

  /**
   * Verifies a token; null or blank is {@link Identity#ANONYMOUS}. Fails with {@link AuthException}
   * 401 for a bad or expired token, and for one issued before its subject's tokens were revoked.
   */
  public Future<Identity> authenticate(String token) {
    if (token == null || token.isBlank()) {
      return Future.succeededFuture(Identity.ANONYMOUS);
    }
    return jwt.authenticate(new TokenCredentials(token))
        .recover(err -> Future.failedFuture(new AuthException(UNAUTHORIZED, "invalid or expired token")))
        .compose(user -> {
          JsonObject claims = user.principal();
          String sub = claims.getString("sub");
          if (sub == null || sub.isBlank()) {
            return Future.failedFuture(new AuthException(UNAUTHORIZED, "token has no sub claim"));
          }
          long exp = timeClaim("exp", user.attributes(), claims) * 1000;
          long iat = timeClaim("iat", user.attributes(), claims) * 1000;
          if (revocations.covers(sub, iat)) {
            return Future.failedFuture(new AuthException(UNAUTHORIZED, "token revoked"));
          }
          String name = claims.getValue("name") instanceof String n && !n.isBlank() ? n : sub;
          return Future.succeededFuture(new Identity(sub, name, strings(claims, "channels"), strings(claims, "publish"),
              exp, iat));
        });
  }

  /** 0 when {@code id} may subscribe to {@code spec}, else 401 or 403. */
  public int subscribeRight(Identity id, String spec) {
    if (dev || covered(publicChannels, spec) || covered(id.channels(), spec)) {
      return 0;
    }
    return id.anonymous() ? UNAUTHORIZED : FORBIDDEN;
  }

  /** 0 when {@code id} may publish to {@code channel}, else 401 or 403. */
  public int publishRight(Identity id, String channel) {
    if (dev) {
      return 0;
    }
    if (id.anonymous()) {
      return UNAUTHORIZED;
    }
    return covered(id.publish(), channel) ? 0 : FORBIDDEN;
  }

  /** 0 when {@code id} may chat (join rooms, see presence), else 401. */
  public int chatRight(Identity id) {
    return dev || !id.anonymous() ? 0 : UNAUTHORIZED;
  }

  /** A dev-mode token for {@code name} (sub and name), valid {@value #DEV_TOKEN_MINUTES} minutes. */
  public String mint(String name) {
    if (!dev) {
      throw new IllegalStateException("tokens are minted only in dev mode");
    }
    return jwt.generateToken(new JsonObject().put("sub", name).put("name", name)
            .put("channels", new JsonArray().add("*")).put("publish", new JsonArray().add("*")),
        new JWTOptions().setAlgorithm("HS256").setExpiresInMinutes(DEV_TOKEN_MINUTES));
  }

  /** True when a permission in {@code patterns} covers every channel {@code spec} can name. */
  static boolean covered(List<String> patterns, String spec) {
    for (String p : patterns) {
      if (p.equals("*") || p.equals(spec)) {
        return true;
      }
      if (Channels.isPattern(p)) {
        String prefixDot = Channels.patternPrefix(p) + ".";
        String target = Channels.isPattern(spec) ? Channels.patternPrefix(spec) + "." : spec;
        if (target.startsWith(prefixDot)) {
          return true;
        }
      }
    }
    return false;
  }

  /** A time claim in epoch seconds, 0 when absent: vertx-auth moves {@code exp} and {@code iat} into the attributes. */
  private static long timeClaim(String name, JsonObject attributes, JsonObject claims) {
    if (attributes.getValue(name) instanceof Number n) {
      return n.longValue();
    }
    if (attributes.getValue("accessToken") instanceof JsonObject at && at.getValue(name) instanceof Number n) {
      return n.longValue();
    }
    return claims.getValue(name) instanceof Number n ? n.longValue() : 0L;
  }

  private static List<String> strings(JsonObject claims, String field) {
    List<String> out = new ArrayList<>();
    if (claims.getValue(field) instanceof JsonArray arr) {
      for (Object o : arr) {
        if (o instanceof String s) {
          out.add(s);
        }
      }
    }
    return List.copyOf(out);
  }

  /** An authentication or authorization failure with its HTTP status. */
  public static final class AuthException extends RuntimeException {
    public final int status;

    public AuthException(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }
}
