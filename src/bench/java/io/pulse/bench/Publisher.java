package io.pulse.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Publishes bench messages with {@code POST /api/publish} at a fixed rate, open loop: message i
 * is sent at start + i/rate whether or not earlier answers have come back, so a slow server
 * shows up as latency rather than as a slower publisher. Each message's data is
 * {@code {"seq":i,"bt":<epoch µs when the POST was issued>}}, then {@code --payload} bytes of
 * sensor readings if asked for.
 */
final class Publisher implements AutoCloseable {

  /** What one paced run did. */
  record Outcome(int sent, int accepted, int failed, String firstError, long firstSentMicros, long lastSentMicros) {
  }

  private final HttpClientAgent client;
  private final Node node;
  private final String channel;

  private final String pad;

  /** {@code payloadBytes}: about that many bytes of sensor-like JSON in each message's data (0: none). */
  Publisher(Vertx vertx, Node node, String channel, int payloadBytes) {
    this.pad = readings(payloadBytes);
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(10_000),
        new PoolOptions().setHttp1MaxSize(16).setMaxWaitQueueSize(-1));
    this.node = node;
    this.channel = channel;
  }

  /**
   * Sends up to {@code count} messages at {@code rate} a second, numbered from 0 (or all -1 when
   * {@code warmup}); stops early when {@code stop} says so (checked before each message). Waits
   * up to 30 s for the answers.
   */
  Outcome run(int count, int rate, boolean warmup, BooleanSupplier stop) throws InterruptedException {
    long intervalNanos = 1_000_000_000L / rate;
    AtomicInteger accepted = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<String> firstError = new AtomicReference<>();
    Semaphore answers = new Semaphore(0);
    long start = System.nanoTime();
    long first = 0;
    long last = 0;
    int sent = 0;
    for (; sent < count && !stop.getAsBoolean(); sent++) {
      long due = start + sent * intervalNanos;
      for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
        LockSupport.parkNanos(wait);
      }
      long now = EpochMicros.now();
      first = sent == 0 ? now : first;
      last = now;
      publish(warmup ? -1 : sent, now).onComplete(ar -> {
        if (ar.succeeded() && ar.result() == 202) {
          accepted.incrementAndGet();
        } else {
          failed.incrementAndGet();
          firstError.compareAndSet(null, ar.succeeded() ? "status " + ar.result() : String.valueOf(ar.cause()));
        }
        answers.release();
      });
    }
    if (!answers.tryAcquire(sent, 30, TimeUnit.SECONDS)) {
      firstError.compareAndSet(null, "answers missing after 30 s");
    }
    return new Outcome(sent, accepted.get(), sent - accepted.get(), firstError.get(), first, last);
  }

  /** One bench message numbered {@code seq} (-1: warm-up), stamped now; completes with the HTTP status. */
  Future<Integer> publishNow(long seq) {
    return publish(seq, EpochMicros.now());
  }

  private Future<Integer> publish(long seq, long micros) {
    Buffer body = Buffer.buffer("{\"channel\":\"" + channel + "\",\"event\":\"bench\",\"data\":{\"seq\":" + seq
        + ",\"bt\":" + micros + pad + "}}");
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost(node.httpHost)
        .setPort(node.httpPort).setURI("/api/publish").putHeader("Content-Type", "application/json");
    return client.request(options)
        .compose(req -> req.send(body))
        .compose(res -> res.body().map(b -> res.statusCode()));
  }

  /**
   * {@code ,"readings":[…]} of about {@code bytes} bytes: what a gateway of sensors might publish,
   * with readings that vary (so it compresses like real data, not like a run of one byte).
   */
  static String readings(int bytes) {
    if (bytes <= 0) {
      return "";
    }
    java.util.Random r = new java.util.Random(42);
    StringBuilder b = new StringBuilder(",\"readings\":[");
    for (int i = 0; b.length() < bytes; i++) {
      b.append(i == 0 ? "" : ",").append("{\"sensor\":\"sensor-").append(i % 64)
          .append("\",\"temperature\":").append(String.format(java.util.Locale.ROOT, "%.2f", 15 + r.nextDouble() * 15))
          .append(",\"humidity\":").append(String.format(java.util.Locale.ROOT, "%.1f", 30 + r.nextDouble() * 40))
          .append(",\"battery\":").append(r.nextInt(101)).append(",\"ok\":").append(r.nextInt(20) > 0).append('}');
    }
    return b.append(']').toString();
  }

  @Override
  public void close() {
    try {
      client.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // best effort
    }
  }
}
