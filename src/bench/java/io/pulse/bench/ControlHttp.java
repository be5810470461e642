package io.pulse.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Blocking HTTP for the bench's control plane ({@code /ready}, {@code /api/config},
 * {@code /api/cluster}, {@code /metrics}), with the JDK client: nothing here is on a measured path.
 */
final class ControlHttp {

  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

  private ControlHttp() {
  }

  /** The status code of a GET, or -1 if nothing answered. */
  static int status(String url) {
    try {
      return CLIENT.send(get(url), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** A GET that must answer 200 with a JSON object. */
  static JsonObject json(String url) throws IOException, InterruptedException {
    HttpResponse<String> res = CLIENT.send(get(url), HttpResponse.BodyHandlers.ofString());
    if (res.statusCode() != 200) {
      throw new IOException("GET " + url + " answered " + res.statusCode() + ": " + res.body());
    }
    return new JsonObject(res.body());
  }

  /** The body of a GET that answered 200, or null if it did not. */
  static String text(String url) {
    try {
      HttpResponse<String> res = CLIENT.send(get(url), HttpResponse.BodyHandlers.ofString());
      return res.statusCode() == 200 ? res.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static HttpRequest get(String url) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build();
  }
}
