// Bun's built-in WebSocket server (uWebSockets inside) with its publish/subscribe:
// each client subscribes to the room in `?room=`, and what it sends is published to
// the others there (ws.publish skips the sender).
const port = Number(process.env.PORT || 8081);
Bun.serve({
  hostname: "127.0.0.1",
  port,
  fetch(req, server) {
    const room = new URL(req.url).searchParams.get("room") || "general";
    if (server.upgrade(req, { data: { room } })) return;
    return new Response("WebSocket only", { status: 400 });
  },
  websocket: {
    open(ws) {
      ws.subscribe(ws.data.room);
    },
    message(ws, message) {
      ws.publish(ws.data.room, message);
    },
  },
});
console.log(`bun listening on ${port}`);
