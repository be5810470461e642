package io.pulse.http;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The browser Origin allow-list of {@code /events} and {@code /ws} (SPEC §8): exact match. The
 * node's own dashboard origins ({@code http://localhost:<http.port>}, {@code http://127.0.0.1:…})
 * are always allowed, so that the page served by any node of a local cluster works.
 */
public final class Origins {

  private final Set<String> allowed = new HashSet<>();

  public Origins(List<String> configured, int httpPort) {
    allowed.addAll(configured);
    allowed.add("http://localhost:" + httpPort);
    allowed.add("http://127.0.0.1:" + httpPort);
  }

  /** True when a request with this Origin header (null: not a cross-origin browser request) may proceed. */
  public boolean allows(String origin) {
    return origin == null || allowed.contains(origin);
  }
}
