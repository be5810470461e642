package io.pulse.auth;

import java.util.List;

/**
 * Who is on the other end of a connection or request (SPEC §8), from a verified token, or
 * {@link #ANONYMOUS}.
 *
 * @param subject     the token's {@code sub}: shown as {@code from} and in presence
 * @param name        the token's {@code name}, else {@code sub}
 * @param channels    patterns it may subscribe to, besides {@code auth.publicChannels}
 * @param publish     patterns it may publish to
 * @param expiresAtMs the token's {@code exp} in epoch ms, 0 when none
 * @param issuedAtMs  the token's {@code iat} in epoch ms, 0 when none
 */
public record Identity(String subject, String name, List<String> channels, List<String> publish, long expiresAtMs,
    long issuedAtMs) {

  public static final Identity ANONYMOUS = new Identity(null, null, List.of(), List.of(), 0, 0);

  /** True when a revocation of this subject at {@code revokedAtMs} covers this token. */
  public boolean revokedBy(String sub, long revokedAtMs) {
    return subject != null && subject.equals(sub) && Revocations.covers(issuedAtMs, revokedAtMs);
  }

  public boolean anonymous() {
    return subject == null;
  }
}
