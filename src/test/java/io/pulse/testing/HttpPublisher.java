package io.pulse.testing;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Publishes on one channel through a node's {@code POST /api/publish}, one message every
 * {@code periodMs}, on a thread of its own until closed; remembers the ids acknowledged (202). A
 * request that fails (the node failing over) is not counted: what was not acknowledged was not
 * published.
 */
public final class HttpPublisher implements AutoCloseable {

  /** The envelope ids acknowledged, in order. */
  public final List<String> acked = new CopyOnWriteArrayList<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;

  public HttpPublisher(int port, String channel, String event, long periodMs) {
    thread = new Thread(() -> {
      int i = 0;
      while (running.get()) {
        try {
          HttpResponse<String> r = Http.post(port, "/api/publish",
              new JsonObject().put("channel", channel).put("event", event).put("data", i++).encode());
          if (r.statusCode() == 202) {
            acked.add(new JsonObject(r.body()).getString("id"));
          }
          Thread.sleep(periodMs);
        } catch (InterruptedException e) {
          return;
        } catch (AssertionError transientFailure) {
          // the node may be failing over
        }
      }
    }, "publisher-" + channel);
    thread.start();
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.join(15_000);
  }
}
