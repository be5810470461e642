package io.pulse.testing;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A minimal EventSource for tests: parses the stream on a thread of its own. */
public final class SseClient implements AutoCloseable {

  /** One SSE event; {@code received} is the client's receipt time (epoch ms). */
  public record Event(String id, String data, long received) {
    public JsonObject json() {
      return new JsonObject(data);
    }
  }

  public final int status;
  public final HttpHeaders headers;
  public final List<String> comments = new ArrayList<>();
  public volatile Integer retry;
  private final InputStream body;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private volatile boolean ended;

  private SseClient(HttpResponse<InputStream> response) {
    this.status = response.statusCode();
    this.headers = response.headers();
    this.body = response.body();
    Thread reader = new Thread(this::read, "sse-client");
    reader.setDaemon(true);
    reader.start();
  }

  public static SseClient open(int port, String query) {
    return open(port, query, null);
  }

  public static SseClient open(int port, String query, String lastEventId) {
    HttpRequest.Builder b = HttpRequest.newBuilder(Http.uri(port, "/events?" + query)).GET();
    if (lastEventId != null) {
      b.header("Last-Event-ID", lastEventId);
    }
    try {
      return new SseClient(Http.CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofInputStream()));
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private void read() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      String id = null;
      StringBuilder data = null;
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isEmpty()) {
          if (data != null) {
            events.add(new Event(id, data.toString(), System.currentTimeMillis()));
          }
          data = null;
        } else if (line.startsWith(":")) {
          synchronized (comments) {
            comments.add(line.substring(1).trim());
          }
        } else if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("retry: ")) {
          retry = Integer.parseInt(line.substring(7));
        } else if (line.startsWith("data: ")) {
          data = data == null ? new StringBuilder(line.substring(6)) : data.append('\n').append(line.substring(6));
        }
      }
    } catch (IOException ignored) {
      // closed
    } finally {
      ended = true;
    }
  }

  /** The next event, or null after {@code timeout}. */
  public Event poll(Duration timeout) {
    try {
      return events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** The next event, failing the test after {@code timeout}. */
  public Event next(Duration timeout) {
    Event e = poll(timeout);
    if (e == null) {
      throw new AssertionError("no SSE event within " + timeout);
    }
    return e;
  }

  /** The next {@code n} events, failing the test if they do not all arrive within {@code timeout}. */
  public List<Event> take(int n, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Event> out = new ArrayList<>();
    while (out.size() < n) {
      Event e = poll(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      if (e == null) {
        throw new AssertionError("got " + out.size() + " of " + n + " SSE events within " + timeout + ": " + out);
      }
      out.add(e);
    }
    return out;
  }

  /** Events already received and not yet taken. */
  public List<Event> drain() {
    List<Event> out = new ArrayList<>();
    events.drainTo(out);
    return out;
  }

  public boolean ended() {
    return ended;
  }

  /**
   * Waits until the channel's messages published on {@code publisherPort} reach this stream:
   * event-bus registrations reach other nodes asynchronously. Publishes {@code probe} events until
   * one arrives, then discards what arrived.
   */
  public void awaitLive(int publisherPort, String channel) {
    long deadline = System.currentTimeMillis() + 15_000;
    while (System.currentTimeMillis() < deadline) {
      Http.publish(publisherPort, channel, "probe", null);
      Event e = poll(Duration.ofMillis(200));
      if (e != null) {
        while (poll(Duration.ofMillis(150)) != null) {
          // discard probes still in flight until the stream is quiet
        }
        return;
      }
    }
    throw new AssertionError("channel " + channel + " never became live on this stream");
  }

  @Override
  public void close() {
    try {
      body.close();
    } catch (IOException ignored) {
      // already closed
    }
  }
}
