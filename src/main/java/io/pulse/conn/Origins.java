package io.pulse.conn;

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
  private final java.util.function.IntSupplier httpPort;

  /** {@code httpPort}: the node's HTTP port as bound (read per request: it may be bound later). */
  public Origins(List<String> configured, java.util.function.IntSupplier httpPort) {
    allowed.addAll(configured);
    this.httpPort = httpPort;
  }

  /** True when a request with this Origin header (null: not a cross-origin browser request) may proceed. */
  public boolean allows(String origin) {
    if (origin == null || allowed.contains(origin)) {
      return true;
    }
    int port = httpPort.getAsInt();
    return origin.equals("http://localhost:" + port) || origin.equals("http://127.0.0.1:" + port);
  }
}
