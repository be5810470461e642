package io.pulse.cluster;

import io.pulse.messages.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.function.IntSupplier;

/**
 * How a transport verticle tells its node's {@link ClusterVerticle} its counts, on the local address
 * {@link Addresses#NODE_CONNECTIONS}: every second, and within 100 ms of a change (changes are
 * coalesced), so that {@code /api/cluster} is right within 2 s. Lives on the verticle's event loop.
 */
public final class ConnectionReport {


  private final Vertx vertx;
  private final String transport;
  private final int part;
  private final IntSupplier connections;
  private final IntSupplier subscriptions;
  private boolean scheduled;

  /**
   * Starts the periodic report of instance {@code part} of a transport verticle (the node adds up
   * the parts); call from the verticle's {@code start()}.
   */
  public ConnectionReport(Vertx vertx, String transport, int part, IntSupplier connections, IntSupplier subscriptions) {
    this.vertx = vertx;
    this.transport = transport;
    this.part = part;
    this.connections = connections;
    this.subscriptions = subscriptions;
    vertx.setPeriodic(1000, t -> send());
  }

  /** A count changed: report within 100 ms. */
  public void changed() {
    if (!scheduled) {
      scheduled = true;
      vertx.setTimer(100, t -> {
        scheduled = false;
        send();
      });
    }
  }

  private void send() {
    vertx.eventBus().send(Addresses.NODE_CONNECTIONS, new JsonObject()
        .put("transport", transport)
        .put("part", part)
        .put("connections", connections.getAsInt())
        .put("subscriptions", subscriptions.getAsInt()), Addresses.LOCAL);
  }
}
