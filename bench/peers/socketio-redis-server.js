// socket.io on several processes, as its users scale it: the Redis adapter
// (@socket.io/redis-adapter) carries each room broadcast to the other processes.
// The same handlers as socketio-server.js. REDIS_URL names the shared Redis.
const { createServer } = require("http");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

const port = Number(process.env.PORT || 8082);
const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379";

async function main() {
  const pub = createClient({ url: redisUrl });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createServer();
  const io = new Server(http, {
    transports: ["websocket"],
    serveClient: false,
    adapter: createAdapter(pub, sub),
  });
  io.on("connection", (socket) => {
    let room = null;
    socket.on("join", (name) => {
      room = String(name);
      socket.join(room);
      socket.emit("joined", room);
    });
    socket.on("msg", (text) => {
      if (room !== null) socket.to(room).emit("msg", text);
    });
  });
  http.listen(port, "127.0.0.1", () => console.log(`socket.io (Redis adapter) listening on ${port}`));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
