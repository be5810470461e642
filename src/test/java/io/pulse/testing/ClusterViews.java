package io.pulse.testing;

import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.Set;

/** What nodes answer on {@code GET /api/cluster}, for the cluster tests that compare their views. */
public final class ClusterViews {

  private ClusterViews() {
  }

  /** The member ids the node on {@code httpPort} lists. */
  public static Set<String> ids(int httpPort) {
    return ids(view(httpPort));
  }

  /**
   * True if every node lists the same {@code members} ids and the same totals: the cluster's
   * view has converged.
   */
  public static boolean same(int members, int... httpPorts) {
    Set<String> first = null;
    JsonObject totals = null;
    for (int port : httpPorts) {
      JsonObject view = view(port);
      Set<String> ids = ids(view);
      if (ids.size() != members || (first != null && !first.equals(ids))
          || (totals != null && !totals.equals(view.getJsonObject("totals")))) {
        return false;
      }
      first = ids;
      totals = view.getJsonObject("totals");
    }
    return true;
  }

  private static JsonObject view(int httpPort) {
    return new JsonObject(Http.get(httpPort, "/api/cluster").body());
  }

  private static Set<String> ids(JsonObject view) {
    Set<String> ids = new HashSet<>();
    view.getJsonArray("nodes").forEach(o -> ids.add(((JsonObject) o).getString("id")));
    return ids;
  }
}
