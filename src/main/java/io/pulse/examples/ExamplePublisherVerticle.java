package io.pulse.examples;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How an application reaches browsers (SPEC §12): from any verticle on any cluster node, send
 * {@code {"channel","event","data"}} to the event-bus address {@code pulse.publish}. Every SSE and
 * WebSocket subscriber of the channel, on every node, receives it.
 *
 * <p>This one publishes an {@code order} event on {@code shop.orders} every {@code periodMs}.
 */
public class ExamplePublisherVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ExamplePublisherVerticle.class);
  private long orderNo;

  @Override
  public Future<?> start() {
    long periodMs = config().getLong("periodMs", 1000L);
    vertx.setPeriodic(periodMs, t -> publishOrder());
    return Future.succeededFuture();
  }

  private void publishOrder() {
    JsonObject message = new JsonObject()
        .put("channel", "shop.orders")
        .put("event", "order")
        .put("data", new JsonObject().put("orderNo", ++orderNo).put("total", 19.90));
    vertx.eventBus().<JsonObject>request("pulse.publish", message)
        .onSuccess(reply -> LOG.debug("order {} published as id {}", orderNo, reply.body().getString("id")))
        .onFailure(err -> LOG.warn("publish failed: {}", err.getMessage()));
  }
}
