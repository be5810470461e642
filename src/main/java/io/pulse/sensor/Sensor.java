package io.pulse.sensor;

import io.vertx.core.json.JsonObject;
import java.util.Random;

/**
 * One simulated sensor: a bounded random walk that drifts towards a slowly moving set point, plus
 * measurement noise, rounded to the kind's precision.
 */
final class Sensor {

  /** The kinds the simulator cycles through, with believable ranges and units. */
  enum Kind {
    TEMPERATURE("temperature", "°C", 15, 35, 22, 0.15, 1),
    HUMIDITY("humidity", "%", 20, 80, 45, 0.6, 1),
    PRESSURE("pressure", "hPa", 980, 1040, 1013, 0.4, 1),
    CO2("co2", "ppm", 400, 2000, 650, 12, 0),
    NOISE("noise", "dB", 30, 90, 48, 1.5, 1),
    LIGHT("light", "lx", 0, 1200, 350, 20, 0);

    final String label;
    final String unit;
    final double min;
    final double max;
    final double typical;
    final double step;
    final int decimals;

    Kind(String label, String unit, double min, double max, double typical, double step, int decimals) {
      this.label = label;
      this.unit = unit;
      this.min = min;
      this.max = max;
      this.typical = typical;
      this.step = step;
      this.decimals = decimals;
    }
  }

  final String id;
  final Kind kind;
  private final Random random;
  private double value;
  private double setPoint;

  Sensor(String id, Kind kind, Random random) {
    this.id = id;
    this.kind = kind;
    this.random = random;
    double span = kind.max - kind.min;
    this.setPoint = kind.typical + (random.nextDouble() - 0.5) * span * 0.2;
    this.value = setPoint;
  }

  /** The next reading. */
  double next() {
    double span = kind.max - kind.min;
    setPoint += random.nextGaussian() * span * 0.005;
    setPoint = clamp(setPoint, kind.min + span * 0.1, kind.max - span * 0.1);
    value += (setPoint - value) * 0.1 + random.nextGaussian() * kind.step;
    value = clamp(value, kind.min, kind.max);
    double noisy = clamp(value + random.nextGaussian() * kind.step * 0.3, kind.min, kind.max);
    double scale = Math.pow(10, kind.decimals);
    return Math.round(noisy * scale) / scale;
  }

  JsonObject reading(double v, String node) {
    return new JsonObject().put("sensor", id).put("kind", kind.label).put("value", v).put("unit", kind.unit)
        .put("min", kind.min).put("max", kind.max).put("node", node);
  }

  private static double clamp(double v, double lo, double hi) {
    return Math.max(lo, Math.min(hi, v));
  }
}
