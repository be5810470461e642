package io.pulse.ws;

import io.pulse.chat.ChatClient;
import io.pulse.conn.Connection;
import io.pulse.conn.Connections;
import io.pulse.conn.Refusal;
import io.pulse.hub.SlowPolicy;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * The JSON protocol of one WebSocket (SPEC §4): parses each client message and frames the answers,
 * each with the message's {@code ref}. What the connection may do is its {@link Connection}'s;
 * the chat commands are its {@link ChatClient}'s.
 */
final class WsClient {

  final Connection connection;
  final WsConnection conn;
  final WsSession session;
  final ChatClient chat;
  private final Connections connections;

  WsClient(Connections connections, Connection connection, WsConnection conn, WsSession session, ChatClient chat) {
    this.connections = connections;
    this.connection = connection;
    this.conn = conn;
    this.session = session;
    this.chat = chat;
  }

  /** One whole text message from the client. */
  void onText(String text) {
    Refusal limited = connection.inbound();
    if (limited != null) {
      if (limited.tell && connection.isOpen()) {
        error(null, limited);
      }
      return;
    }
    JsonObject msg;
    try {
      msg = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      badRequest(null, "message must be a JSON object");
      return;
    }
    Object ref = msg.getValue("ref");
    if (!(msg.getValue("type") instanceof String type)) {
      badRequest(ref, "type is required");
      return;
    }
    switch (type) {
      case "subscribe" -> subscribe(msg, ref);
      case "unsubscribe" -> unsubscribe(msg, ref);
      case "publish" -> publish(msg, ref);
      case "join" -> chat.join(msg, to(ref));
      case "chat" -> chat.chat(msg, to(ref));
      case "leave" -> chat.leave(msg, to(ref));
      case "presence" -> chat.presence(msg, to(ref));
      case "ping" -> reply(ref, new JsonObject().put("type", "pong"));
      case "refresh" -> refresh(msg, ref);
      default -> badRequest(ref, "unknown type '" + abbreviate(type) + "'");
    }
  }

  private void subscribe(JsonObject msg, Object ref) {
    Object since = msg.getValue("since");
    if (since != null && !(since instanceof String)) {
      badRequest(ref, "since must be a string id");
      return;
    }
    Object policy = msg.getValue("policy");
    if (policy != null && !(policy instanceof String)) {
      badRequest(ref, "policy must be a string (" + SlowPolicy.names() + ")");
      return;
    }
    String spec = string(msg, "channel");
    connection.subscribe(spec, (String) since, (String) policy, false, subscribed -> {
      reply(ref, new JsonObject().put("type", "subscribed").put("channel", spec)
          .put("recovered", subscribed.recovered()).put("policy", subscribed.policy().wire()));
      return Future.succeededFuture();
    }).onFailure(err -> error(ref, err));
  }

  private void unsubscribe(JsonObject msg, Object ref) {
    String spec = string(msg, "channel");
    if (spec == null) {
      badRequest(ref, "channel must be a string");
      return;
    }
    connection.unsubscribe(spec);
    reply(ref, new JsonObject().put("type", "unsubscribed").put("channel", spec));
  }

  private void publish(JsonObject msg, Object ref) {
    JsonObject request = new JsonObject().put("channel", msg.getValue("channel")).put("data", msg.getValue("data"));
    if (msg.containsKey("event")) {
      request.put("event", msg.getValue("event"));
    }
    connection.publish(request).onComplete(ar -> {
      if (ar.succeeded()) {
        reply(ref, new JsonObject().put("type", "published").put("id", ar.result()));
      } else {
        error(ref, ar.cause());
      }
    });
  }

  /**
   * A new token for this connection, before the current one expires. Subscriptions the new rights
   * no longer cover are dropped, each with an {@code unsubscribed} message. A bad token changes
   * nothing: the connection keeps the old one.
   */
  private void refresh(JsonObject msg, Object ref) {
    connection.refresh(string(msg, "token")).onComplete(ar -> {
      if (ar.failed()) {
        error(ref, ar.cause());
        return;
      }
      for (String spec : ar.result()) {
        reply(null, new JsonObject().put("type", "unsubscribed").put("channel", spec).put("reason", "forbidden"));
      }
      long expires = connection.identity().expiresAtMs();
      reply(ref, new JsonObject().put("type", "refreshed").put("expiresAt", expires > 0 ? expires : null));
    });
  }

  /** The answers to the message {@code ref}, for the chat. */
  private ChatClient.Reply to(Object ref) {
    return new ChatClient.Reply() {
      @Override
      public void ok(JsonObject answer) {
        reply(ref, answer);
      }

      @Override
      public void refused(Refusal r) {
        error(ref, r);
      }
    };
  }

  private void badRequest(Object ref, String message) {
    error(ref, connections.refused(Refusal.badRequest(message)));
  }

  private void error(Object ref, Throwable err) {
    Refusal r = err instanceof Refusal refusal ? refusal : Refusal.unavailable("try again");
    reply(ref, new JsonObject().put("type", "error").put("code", r.code).put("message", r.getMessage()));
  }

  private void reply(Object ref, JsonObject reply) {
    if (ref != null) {
      reply.put("ref", ref);
    }
    if (connection.isOpen() && !conn.closing()) {
      session.writeText(reply.encode());
    }
  }

  private static String string(JsonObject msg, String field) {
    return msg.getValue(field) instanceof String s ? s : null;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }
}
