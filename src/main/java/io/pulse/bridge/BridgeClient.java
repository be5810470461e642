package io.pulse.bridge;

import io.pulse.messages.Addresses;
import io.pulse.conn.Connection;
import io.pulse.conn.Connections;
import io.pulse.conn.Refusal;
import io.pulse.config.PulseConfig;
import io.pulse.messages.Headers;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import java.util.List;

/**
 * What one bridge socket sends, parsed and framed; what it may do is its {@link Connection}'s.
 *
 * <p>Every message counts against {@code limits.inboundPerSecond}/{@code inboundBurst}; a send or
 * publish over {@code limits.maxMessageBytes} is refused. Messages for {@code pulse.ch.<channel>}
 * never reach the bridge's own handling: a {@code register} subscribes the socket through the
 * node's hub (one clustered consumer per node, whatever the number of pages), with the register's
 * optional headers {@code since} (resume after that id; a channel that cannot be resumed gets a
 * {@code reset} envelope) and {@code policy} (the slow-consumer policy); a {@code send}/{@code
 * publish} publishes, under the token's rights. Such an event is left uncompleted on purpose:
 * vertx-web then neither acts on it nor answers "rejected" (its {@code checkCallHook} runs
 * nothing until the event completes). Other addresses go to the bridge, which applies
 * {@code bridge.inbound}/{@code bridge.outbound} and the reply timeout; a send, publish or reply
 * there carries the header {@code pulse-sub} (the token's subject, set here; the page's own, under
 * any spelling, removed) so that a backend knows who asks. Headers the event bus would refuse (a
 * null value, a bad name) get an error 400 here, where vertx-web would drop the message without an
 * answer.
 *
 * <p>Not thread-safe: lives on the socket's event loop.
 */
final class BridgeClient {

  /** The header of a channel publish that becomes the envelope's {@code type}. */
  static final String EVENT_HEADER = "event";

  final BridgeSession session;
  final Connection connection;
  /** Why the socket closes, when the bridge closes it itself (idle): the metrics label. */
  String closeReason;
  private final PulseConfig cfg;
  private final Connections connections;

  BridgeClient(Connections connections, Connection connection, BridgeSession session) {
    this.connections = connections;
    this.cfg = connections.config();
    this.connection = connection;
    this.session = session;
  }

  /** A register, unregister, send or publish from the page. */
  void onMessage(BridgeEvent be) {
    if (!connection.isOpen()) {
      be.complete(true); // the bridge's own unregisters while it cleans up a closed socket
      return;
    }
    JsonObject raw = be.getRawMessage();
    String address = raw.getValue("address") instanceof String a ? a : null;
    String replyTo = raw.getValue("replyAddress") instanceof String r && r.length() <= 36 ? r : null;
    Refusal limited = connection.inbound();
    if (limited != null) {
      if (connection.isOpen() && (replyTo != null || limited.tell)) {
        refuse(be, replyTo, limited);
      }
      return; // swallowed
    }
    boolean sendOrPublish = switch (be.type()) {
      case SEND, PUBLISH -> true;
      default -> false;
    };
    if (sendOrPublish && raw.encode().length() > cfg.maxMessageBytes()) {
      refuse(be, replyTo, connections.refused(new Refusal(413, "too_large",
          "message over limits.maxMessageBytes (" + cfg.maxMessageBytes() + ")", "too_large")));
      return;
    }
    if (address == null || !address.startsWith(Addresses.CHANNEL_PREFIX)) {
      toBridge(be, raw, address, replyTo, sendOrPublish);
      return;
    }
    String name = address.substring(Addresses.CHANNEL_PREFIX.length());
    switch (be.type()) {
      case REGISTER -> register(be, raw, name);
      case UNREGISTER -> connection.unsubscribe(name);
      default -> publish(be, raw, name, replyTo);
    }
  }

  /**
   * Not a channel: vertx-web's bridge decides (permitted lists, reply timeout). A send or publish
   * (a reply to a backend too) gets the server's subject header in place of any the page wrote.
   */
  private void toBridge(BridgeEvent be, JsonObject raw, String address, String replyTo, boolean sendOrPublish) {
    if (sendOrPublish) {
      JsonObject headers = raw.getValue("headers") instanceof JsonObject h ? h : new JsonObject();
      String bad = Headers.problem(headers);
      if (bad != null) {
        refuse(be, replyTo, connections.refused(Refusal.badRequest(bad)));
        return;
      }
      raw.put("headers", Headers.own(headers, Addresses.HEADER_SUBJECT, connection.identity().subject()));
    }
    boolean permitted = address != null && BridgePermissions.allows(
        sendOrPublish ? cfg.bridgeInbound() : cfg.bridgeOutbound(), address);
    if (!permitted && address != null && !address.startsWith("__vertx.reply.")) {
      connections.refused(new Refusal(403, "forbidden", "not permitted", "forbidden")); // the bridge answers access_denied
    }
    be.complete(true);
  }

  /** {@code register}: headers {@code since} and {@code policy} as a WebSocket {@code subscribe}'s fields. */
  private void register(BridgeEvent be, JsonObject raw, String spec) {
    JsonObject headers = raw.getValue("headers") instanceof JsonObject h ? h : new JsonObject();
    Object since = headers.getValue("since");
    Object policy = headers.getValue("policy");
    if ((since != null && !(since instanceof String)) || (policy != null && !(policy instanceof String))) {
      refuse(be, null, connections.refused(Refusal.badRequest("the since and policy headers must be strings")));
      return;
    }
    connection.subscribe(spec, (String) since, (String) policy, true, subscribed -> Future.succeededFuture())
        .onFailure(err -> {
          if (err instanceof Refusal r) {
            refuse(be, null, r);
          }
        });
  }

  /** A page publishing to a channel: Pulse's publish path, as the WebSocket's {@code publish}. */
  private void publish(BridgeEvent be, JsonObject raw, String channel, String replyTo) {
    JsonObject request = new JsonObject().put("channel", channel).put("data", raw.getValue("body"));
    List<Object> event = raw.getValue("headers") instanceof JsonObject h ? Headers.values(h, EVENT_HEADER) : List.of();
    if (event.size() > 1) {
      refuse(be, replyTo, connections.refused(Refusal.badRequest("the header event appears " + event.size()
          + " times (header names ignore case); send it once")));
      return;
    }
    if (event.size() == 1 && event.get(0) != null) {
      request.put("event", event.get(0)); // checked by the publish path: a string of [A-Za-z0-9_.-]
    }
    connection.publish(request).onComplete(ar -> {
      if (ar.succeeded()) {
        if (replyTo != null) {
          writeText(BridgeFrames.reply(replyTo, new JsonObject().put("id", ar.result())));
        }
      } else {
        refuse(be, replyTo, ar.cause() instanceof Refusal r ? r : Refusal.unavailable("publish failed, try again"));
      }
    });
  }

  /**
   * Answers a refused message: to its reply callback if it has one, to the handlers of the address
   * for a register, else to {@code onerror}.
   */
  private void refuse(BridgeEvent be, String replyTo, Refusal r) {
    String address = be.getRawMessage().getValue("address") instanceof String a ? a : null;
    if (replyTo != null) {
      writeText(BridgeFrames.failure(replyTo, r.status, ReplyFailure.RECIPIENT_FAILURE, r.getMessage()));
    } else if (be.type() == BridgeEventType.REGISTER && address != null) {
      writeText(BridgeFrames.failure(address, r.status, ReplyFailure.RECIPIENT_FAILURE, r.getMessage()));
    } else {
      writeText(BridgeFrames.error(r.code, r.getMessage()));
    }
  }

  private void writeText(String text) {
    if (connection.isOpen()) {
      session.writeText(text);
    }
  }
}
