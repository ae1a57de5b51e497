// Node `ws`, written as the seeds write it: every text a client sends goes to the
// others (here: the others of its room, named in the URL's `?room=`).
const { WebSocketServer } = require("ws");

const port = Number(process.env.PORT || 8080);
const wss = new WebSocketServer({ host: "127.0.0.1", port });
const rooms = new Map();

wss.on("connection", (ws, req) => {
  const room = new URL(req.url, "http://x").searchParams.get("room") || "general";
  if (!rooms.has(room)) rooms.set(room, new Set());
  const members = rooms.get(room);
  members.add(ws);
  ws.on("message", (message, isBinary) => {
    members.forEach((other) => {
      if (other !== ws && other.readyState === 1) other.send(message, { binary: isBinary });
    });
  });
  ws.on("close", () => members.delete(ws));
});
wss.on("listening", () => console.log(`ws listening on ${port}`));
