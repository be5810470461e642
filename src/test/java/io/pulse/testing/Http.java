package io.pulse.testing;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Blocking HTTP calls for tests (JDK client: independent of the server under test). */
public final class Http {

  public static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Http() {
  }

  public static HttpResponse<String> get(int port, String pathAndQuery) {
    return send(HttpRequest.newBuilder(uri(port, pathAndQuery)).timeout(Duration.ofSeconds(40)).GET().build());
  }

  public static HttpResponse<String> head(int port, String path) {
    return send(HttpRequest.newBuilder(uri(port, path)).timeout(Duration.ofSeconds(10))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
  }

  public static HttpResponse<String> post(int port, String path, String body) {
    return send(HttpRequest.newBuilder(uri(port, path)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  /** Publishes and returns the id, failing the test on anything but 202. */
  public static String publish(int port, String channel, String event, Object data) {
    HttpResponse<String> r = post(port, "/api/publish",
        new JsonObject().put("channel", channel).put("event", event).put("data", data).encode());
    if (r.statusCode() != 202) {
      throw new AssertionError("publish answered " + r.statusCode() + ": " + r.body());
    }
    return new JsonObject(r.body()).getString("id");
  }

  public static URI uri(int port, String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + port + pathAndQuery);
  }

  public static HttpResponse<String> send(HttpRequest req) {
    try {
      return CLIENT.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError("request failed: " + req.uri() + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
