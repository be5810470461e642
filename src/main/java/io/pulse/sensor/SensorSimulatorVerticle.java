package io.pulse.sensor;

import io.pulse.messages.Addresses;
import io.pulse.cluster.Membership;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sensor simulator: {@code sensors.count} sensors, each publishing a {@code reading} on
 * {@code sensors.<id>} every {@code sensors.intervalMs}, through {@link Addresses#PUBLISH}.
 *
 * <p>Reading data: {@code {"sensor","kind","value","unit","min","max","node"}}.
 *
 * <p>In {@code singleton} mode it runs only while this node is the oldest cluster member that has
 * the simulator enabled; when that member leaves or dies, the next oldest takes over as soon as
 * Hazelcast notices (a few hundred ms after a crash, at most its heartbeat timeout after a hang).
 * In {@code local} mode it always runs.
 */
public final class SensorSimulatorVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(SensorSimulatorVerticle.class);

  private final Membership membership;
  private final boolean singleton;
  private final int count;
  private final long intervalMs;
  private final String nodeName;
  private final List<Long> timers = new ArrayList<>();
  private final Random random = new Random();
  private Runnable stopListening = () -> { };

  public SensorSimulatorVerticle(Membership membership, boolean singleton, int count, long intervalMs, String nodeName) {
    this.membership = membership;
    this.singleton = singleton;
    this.count = count;
    this.intervalMs = intervalMs;
    this.nodeName = nodeName;
  }

  @Override
  public Future<?> start() {
    if (singleton) {
      stopListening = membership.onChange(() -> context.runOnContext(v -> reconsider()));
    }
    reconsider();
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    stopListening.run();
    return Future.succeededFuture();
  }

  /** True while this node runs the sensors. */
  public boolean running() {
    return !timers.isEmpty();
  }

  private void reconsider() {
    boolean shouldRun = !singleton
        || membership.localId().equals(membership.oldestWith(Membership.SENSORS_ATTRIBUTE, "singleton"));
    if (shouldRun && timers.isEmpty()) {
      LOG.info("sensor simulator starting on this node: {} sensors every {} ms", count, intervalMs);
      for (int i = 0; i < count; i++) {
        Sensor sensor = new Sensor(String.format("s-%02d", i + 1), Sensor.Kind.values()[i % Sensor.Kind.values().length], random);
        long offset = 1 + intervalMs * i / count; // spread the sensors over the period
        timers.add(vertx.setPeriodic(offset, intervalMs, t -> publish(sensor)));
      }
    } else if (!shouldRun && !timers.isEmpty()) {
      LOG.info("sensor simulator stopping on this node: an older member runs it");
      timers.forEach(vertx::cancelTimer);
      timers.clear();
    }
  }

  private void publish(Sensor sensor) {
    JsonObject msg = new JsonObject()
        .put("channel", "sensors." + sensor.id)
        .put("event", "reading")
        .put("data", sensor.reading(sensor.next(), nodeName));
    vertx.eventBus().send(Addresses.PUBLISH, msg, Addresses.LOCAL);
  }
}
